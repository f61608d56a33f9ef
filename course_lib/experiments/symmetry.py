"""Constant initialization and the symmetry it never breaks (notebook 02, section 3).

With every weight of a layer equal to the same constant c and zero biases, all units of a hidden
layer compute the same number for a given image, so the ten logits are equal, p_k = 1/10 and the
error at the logits, p − y (one-hot y), sums to 0 over the classes. Every hidden unit then receives
Σ_k c·(p_k − y_k) = 0 back: no gradient reaches Linear 1 … Linear L−1 at the first step, and the
output layer's gradient has equal entries within each row (its inputs are all equal).

``constant_init_symmetry`` measures both facts on a batch and then takes plain gradient-descent steps,
W ← W − η ∂J/∂W, to show that the hidden units stay identical while the weights move.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def relative_difference(difference: torch.Tensor, reference: torch.Tensor) -> float:
    """max |difference| / max |reference|: 0 when the two agree exactly."""
    return float(difference.abs().max() / reference.abs().max())


@dataclass(frozen=True)
class SymmetryRun:
    """What constant initialization does, per Linear layer (index 0 = Linear 1).

    ``hidden_gradient``: the largest weight gradient of the hidden layers relative to the output
    layer's, at the start; ``output_row_spread``: the largest difference within a row of the output
    layer's gradient, relative; after the steps, per layer: ``moved`` (max |W − W₀| / max |W₀|),
    ``rows_differ`` (units of the layer, max |W − W[0]| / max |W|) and ``columns_differ`` (inputs)."""

    hidden_gradient: float
    output_row_spread: float
    moved: np.ndarray
    rows_differ: np.ndarray
    columns_differ: np.ndarray


def constant_init_symmetry(model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int = 20, lr: float = 0.01,
                           train_size: int = 128) -> SymmetryRun:
    """Gradients of the constant-initialized ``model`` on (x: (N, ...), y: (N,)), then ``steps`` plain
    gradient-descent steps of size ``lr`` on the first ``train_size`` images; ``model`` is trained in place."""
    linears = [module for module in model.modules() if isinstance(module, nn.Linear)]
    gradients = torch.autograd.grad(F.cross_entropy(model(x), y), [layer.weight for layer in linears])
    last = gradients[-1]
    hidden_gradient = max(relative_difference(g, last) for g in gradients[:-1])
    output_row_spread = relative_difference(last - last[:, :1], last)
    start = [layer.weight.detach().clone() for layer in linears]
    for _ in range(steps):
        loss = F.cross_entropy(model(x[:train_size]), y[:train_size])
        step_gradients = torch.autograd.grad(loss, list(model.parameters()))
        with torch.no_grad():
            for parameter, gradient in zip(model.parameters(), step_gradients, strict=True):
                parameter -= lr * gradient
    after = [layer.weight.detach() for layer in linears]
    return SymmetryRun(
        hidden_gradient=hidden_gradient,
        output_row_spread=output_row_spread,
        moved=np.array([relative_difference(w - w0, w0) for w, w0 in zip(after, start, strict=True)]),
        rows_differ=np.array([relative_difference(w - w[:1], w) for w in after]),
        columns_differ=np.array([relative_difference(w - w[:, :1], w) for w in after]),
    )
