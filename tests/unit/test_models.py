"""The MLP: layer layout by index, shapes, config round trip, activations by name."""

import pytest
import torch
from torch import nn

from course_lib.models import ACTIVATIONS, MLP, Identity, get_activation


def test_layers_alternate_linear_and_activation_addressable_by_index():
    model = MLP(activation="tanh")
    assert isinstance(model.layers[0], nn.Linear)
    assert isinstance(model.layers[1], nn.Tanh)
    assert isinstance(model.layers[-1], nn.Linear)
    sizes = [(layer.in_features, layer.out_features) for layer in model.linear_layers()]
    assert sizes == [(784, 512), (512, 256), (256, 256), (256, 128), (128, 10)]
    assert len(model.layers) == 2 * 5 - 1


def test_forward_flattens_images_to_logits():
    model = MLP(hidden_sizes=(16, 8))
    images = torch.randn(5, 1, 28, 28)
    logits = model(images)
    assert logits.shape == (5, 10)
    assert torch.allclose(logits, model(images.reshape(5, 784)))


def test_config_describes_the_architecture_fully():
    model = MLP(input_size=20, hidden_sizes=[7, 5], num_classes=3, activation="leaky_relu")
    clone = MLP(**model.config)
    assert clone.config == model.config
    clone.load_state_dict(model.state_dict())
    x = torch.randn(4, 20)
    assert torch.equal(clone(x), model(x))


def test_no_hidden_layers_is_logistic_regression():
    model = MLP(hidden_sizes=())
    assert len(model.layers) == 1
    assert model(torch.randn(2, 784)).shape == (2, 10)


def test_identity_returns_its_input():
    x = torch.randn(3, 4)
    assert torch.equal(Identity()(x), x)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_get_activation_gives_fresh_modules(name):
    first, second = get_activation(name), get_activation(name.upper())
    assert isinstance(first, ACTIVATIONS[name])
    assert first is not second


def test_unknown_activation_lists_the_choices():
    with pytest.raises(ValueError, match="relu") as error:
        get_activation("swish")
    assert "\n" not in str(error.value)
    with pytest.raises(ValueError, match="swish"):
        MLP(activation="swish")
