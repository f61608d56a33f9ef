"""The multi-layer perceptron used throughout the course, and activation functions by name.

``MLP`` alternates ``nn.Linear`` and activation modules inside one ``nn.Sequential`` called
``layers``, so ``model.layers[0]`` is the first Linear, ``model.layers[1]`` its activation, and so on:
the initialization study addresses layers by index this way.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class Identity(nn.Module):
    """The activation that does nothing: f(x) = x, any shape in, same shape out."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


ACTIVATIONS: dict[str, type[nn.Module]] = {
    "identity": Identity,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "sigmoid": nn.Sigmoid,
}


def get_activation(name: str) -> nn.Module:
    """A fresh activation module from its name, e.g. ``get_activation("relu")`` → ``nn.ReLU()``.

    Raises ValueError naming the known activations when ``name`` is not one of them.
    """
    key = str(name).strip().lower()
    if key not in ACTIVATIONS:
        known = ", ".join(sorted(ACTIVATIONS))
        raise ValueError(f"Unknown activation {name!r}; choose one of: {known}.")
    return ACTIVATIONS[key]()


class MLP(nn.Module):
    """A fully connected classifier: x: (N, ...) → flatten → (N, input_size) → logits (N, num_classes).

    Hidden layer k computes h_k = act(W_k h_{k-1} + b_k) with W_k: (hidden_sizes[k], fan_in);
    the last Linear has no activation and outputs logits.
    """

    def __init__(
        self,
        input_size: int = 784,
        hidden_sizes: Sequence[int] = (512, 256, 256, 128),
        num_classes: int = 10,
        activation: str = "relu",
    ):
        super().__init__()
        hidden_sizes = tuple(int(size) for size in hidden_sizes)
        get_activation(activation)
        self.config = {
            "input_size": int(input_size),
            "hidden_sizes": list(hidden_sizes),
            "num_classes": int(num_classes),
            "activation": str(activation).strip().lower(),
        }
        sizes = (int(input_size), *hidden_sizes)
        modules: list[nn.Module] = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
            modules += [nn.Linear(fan_in, fan_out), get_activation(activation)]
        modules.append(nn.Linear(sizes[-1], int(num_classes)))
        self.layers = nn.Sequential(*modules)

    def linear_layers(self) -> list[nn.Linear]:
        """The nn.Linear modules, first to last."""
        return [module for module in self.layers if isinstance(module, nn.Linear)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits for a batch: x: (N, ...) with input_size values per example → (N, num_classes)."""
        return self.layers(x.reshape(x.shape[0], -1))
