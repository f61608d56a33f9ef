"""Multi-layer perceptrons with a normalization layer after every hidden Linear, and PyTorch's default init.

``NormalizedMLP(norm="batch" | "layer" | "none")``: x → flatten → [Linear → Norm → activation] × depth → Linear.

- BatchNorm (Ioffe & Szegedy, 2015) standardizes each unit over the batch: ẑ = (z − mean_batch)/√(var_batch + ε),
  then γẑ + β; in eval mode it uses running averages of the batch statistics instead.
- LayerNorm (Ba et al., 2016) standardizes each example over the units of the layer, the same in
  training and evaluation.

Either way the next layer receives values of unit scale whatever the scale of the weights before
them: multiplying W_k by c leaves the network's output unchanged (only the bias's share changes).

PyTorch's own initialization of ``nn.Linear`` (``reset_parameters``) is Kaiming-uniform with a = √5:
gain² = 2/(1 + a²) = 1/3, so W ~ U(−b, b) with b = 1/√fan_in and Var(W) = b²/3 = 1/(3·fan_in); the bias
is U(−1/√fan_in, 1/√fan_in) too. ``default_weight_variance(fan_in)`` gives that number.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from course_lib.models import get_activation

NORMALIZATIONS = ("none", "batch", "layer")


def default_weight_variance(fan_in: int) -> float:
    """Var(W) of ``nn.Linear``'s default initialization: 1/(3·fan_in)."""
    return 1.0 / (3.0 * int(fan_in))


def normalization_layer(norm: str, width: int) -> nn.Module | None:
    """``nn.BatchNorm1d(width)``, ``nn.LayerNorm(width)`` or None for ``norm`` = batch, layer, none."""
    if norm == "batch":
        return nn.BatchNorm1d(width)
    if norm == "layer":
        return nn.LayerNorm(width)
    if norm == "none":
        return None
    raise ValueError(f"Unknown normalization {norm!r}; choose one of: {', '.join(NORMALIZATIONS)}.")


class NormalizedMLP(nn.Module):
    """x: (N, ...) → flatten → (N, input_size) → [Linear → Norm → activation] per hidden size → Linear → logits.

    ``layers`` is one ``nn.Sequential``; with ``norm="none"`` it is the course's ``MLP`` layout.
    """

    def __init__(self, input_size: int = 784, hidden_sizes: Sequence[int] = (128, 128), num_classes: int = 10,
                 activation: str = "relu", norm: str = "none"):
        super().__init__()
        hidden_sizes = tuple(int(size) for size in hidden_sizes)
        normalization_layer(norm, 1)  # validates the name
        self.config = {"input_size": int(input_size), "hidden_sizes": list(hidden_sizes),
                       "num_classes": int(num_classes), "activation": str(activation), "norm": str(norm)}
        modules: list[nn.Module] = []
        fan_in = int(input_size)
        for width in hidden_sizes:
            modules.append(nn.Linear(fan_in, width))
            layer = normalization_layer(norm, width)
            if layer is not None:
                modules.append(layer)
            modules.append(get_activation(activation))
            fan_in = width
        modules.append(nn.Linear(fan_in, int(num_classes)))
        self.layers = nn.Sequential(*modules)

    def linear_layers(self) -> list[nn.Linear]:
        """The nn.Linear modules, first to last."""
        return [module for module in self.layers if isinstance(module, nn.Linear)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x.reshape(x.shape[0], -1))
