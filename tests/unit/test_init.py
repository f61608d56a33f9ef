"""Initialization schemes: the variance each docstring promises, biases zero, in place."""

import math

import pytest
import torch

from course_lib.init import (
    INIT_SCHEMES,
    init_constant,
    init_equal_variance,
    init_kaiming,
    init_normal,
    init_xavier,
)
from course_lib.models import MLP


@pytest.fixture
def model():
    torch.manual_seed(0)
    model = MLP(hidden_sizes=(512, 256, 256, 128))
    with torch.no_grad():
        for layer in model.linear_layers():
            layer.bias.fill_(1.0)
    return model


def weight_variances(model):
    return [layer.weight.var().item() for layer in model.linear_layers()]


def assert_biases_zero(model):
    for layer in model.linear_layers():
        assert torch.count_nonzero(layer.bias) == 0


def test_constant_sets_every_weight(model):
    assert init_constant(model, value=0.005) is model
    for layer in model.linear_layers():
        assert torch.all(layer.weight == 0.005)
    assert_biases_zero(model)


def test_normal_has_the_same_std_everywhere(model):
    init_normal(model, std=0.01)
    for variance in weight_variances(model):
        assert variance == pytest.approx(1e-4, rel=0.12)
    assert_biases_zero(model)


def test_equal_variance_is_one_over_fan_in(model):
    init_equal_variance(model)
    for layer, variance in zip(model.linear_layers(), weight_variances(model), strict=True):
        assert variance == pytest.approx(1 / layer.in_features, rel=0.12)
    assert_biases_zero(model)


@pytest.mark.parametrize("distribution", ["uniform", "normal"])
def test_xavier_variance_is_two_over_fan_sum(model, distribution):
    init_xavier(model, distribution=distribution)
    for layer, variance in zip(model.linear_layers(), weight_variances(model), strict=True):
        fan_sum = layer.in_features + layer.out_features
        assert variance == pytest.approx(2 / fan_sum, rel=0.12)
        if distribution == "uniform":
            assert layer.weight.abs().max().item() <= math.sqrt(6 / fan_sum)
    assert_biases_zero(model)


def test_xavier_rejects_unknown_distribution(model):
    with pytest.raises(ValueError, match="uniform"):
        init_xavier(model, distribution="laplace")


def test_kaiming_doubles_variance_after_relu(model):
    init_kaiming(model, first_layer_fan_in_gain=1.0)
    layers, variances = model.linear_layers(), weight_variances(model)
    assert variances[0] == pytest.approx(1 / 784, rel=0.12)
    for layer, variance in zip(layers[1:], variances[1:], strict=True):
        assert variance == pytest.approx(2 / layer.in_features, rel=0.12)
    init_kaiming(model, first_layer_fan_in_gain=2.0)
    assert weight_variances(model)[0] == pytest.approx(2 / 784, rel=0.12)
    assert_biases_zero(model)


def test_kaiming_keeps_relu_activations_from_vanishing():
    torch.manual_seed(0)
    model = init_kaiming(MLP(hidden_sizes=(256,) * 8))
    x = torch.randn(512, 784)
    with torch.no_grad():
        last_hidden = model.layers[:-1](x)
    assert 0.3 < last_hidden.pow(2).mean().item() < 3.0


@pytest.mark.parametrize("name", sorted(INIT_SCHEMES))
def test_every_scheme_is_reproducible_under_a_seed(name):
    torch.manual_seed(3)
    first = INIT_SCHEMES[name](MLP(hidden_sizes=(32,)))
    torch.manual_seed(3)
    second = INIT_SCHEMES[name](MLP(hidden_sizes=(32,)))
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert torch.equal(a, b)
    assert_biases_zero(first)
