"""Weight initialization schemes for the Linear layers of a model.

Every function changes the weights of each ``nn.Linear`` in place (W: (fan_out, fan_in)), sets the
biases to zero and returns the model, so ``init_xavier(MLP())`` reads naturally. Randomness comes
from torch's global generator: call ``course_lib.seeding.set_seed`` first for reproducible weights.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn


def _linear_layers(model: nn.Module) -> list[nn.Linear]:
    layers = [module for module in model.modules() if isinstance(module, nn.Linear)]
    if not layers:
        raise ValueError("The model has no nn.Linear layers to initialize.")
    return layers


def _zero_bias(layer: nn.Linear) -> None:
    if layer.bias is not None:
        layer.bias.zero_()


@torch.no_grad()
def init_constant(model: nn.Module, value: float = 0.005) -> nn.Module:
    """W_ij = value for every weight (all neurons of a layer stay identical); b = 0."""
    for layer in _linear_layers(model):
        layer.weight.fill_(value)
        _zero_bias(layer)
    return model


@torch.no_grad()
def init_normal(model: nn.Module, std: float = 0.01) -> nn.Module:
    """W_ij ~ N(0, std²) with the same std in every layer (the "constant variance" scheme); b = 0."""
    for layer in _linear_layers(model):
        layer.weight.normal_(0.0, std)
        _zero_bias(layer)
    return model


@torch.no_grad()
def init_equal_variance(model: nn.Module) -> nn.Module:
    """W_ij ~ N(0, 1/fan_in): keeps Var(output) = Var(input) for a linear layer; b = 0."""
    for layer in _linear_layers(model):
        layer.weight.normal_(0.0, 1.0 / math.sqrt(layer.in_features))
        _zero_bias(layer)
    return model


@torch.no_grad()
def init_xavier(model: nn.Module, distribution: str = "uniform") -> nn.Module:
    """Glorot & Bengio (2010): Var(W) = 2/(fan_in + fan_out); b = 0.

    ``distribution="uniform"``: W ~ U(−a, a) with a = √(6/(fan_in + fan_out)) (variance a²/3);
    ``distribution="normal"``: W ~ N(0, 2/(fan_in + fan_out)).
    """
    if distribution not in {"uniform", "normal"}:
        raise ValueError(f"distribution must be 'uniform' or 'normal', not {distribution!r}.")
    for layer in _linear_layers(model):
        fan_sum = layer.in_features + layer.out_features
        if distribution == "uniform":
            bound = math.sqrt(6.0 / fan_sum)
            layer.weight.uniform_(-bound, bound)
        else:
            layer.weight.normal_(0.0, math.sqrt(2.0 / fan_sum))
        _zero_bias(layer)
    return model


@torch.no_grad()
def init_kaiming(model: nn.Module, first_layer_fan_in_gain: float = 1.0, gain_squared: float = 2.0) -> nn.Module:
    """He et al. (2015): W ~ N(0, gain²/fan_in) for layers fed by the activation, gain² = 2 for ReLU; b = 0.

    The ReLU zeroes half of its inputs, halving the second moment, and the factor 2 restores it (for a
    Leaky-ReLU of slope a, gain² = 2/(1 + a²)). The first layer sees the (standardized) input, not an
    activation's output, so it gets Var(W) = first_layer_fan_in_gain / fan_in (1/fan_in by default).
    """
    for index, layer in enumerate(_linear_layers(model)):
        gain = first_layer_fan_in_gain if index == 0 else gain_squared
        layer.weight.normal_(0.0, math.sqrt(gain / layer.in_features))
        _zero_bias(layer)
    return model


INIT_SCHEMES: dict[str, Callable[[nn.Module], nn.Module]] = {
    "constant": init_constant,
    "normal": init_normal,
    "equal_variance": init_equal_variance,
    "xavier": init_xavier,
    "xavier_normal": lambda model: init_xavier(model, distribution="normal"),
    "kaiming": init_kaiming,
}
