"""Watch training from the inside: per-layer gradient norm, weight norm and update-to-weight ratio at every step.

``TrainingMonitor(model, optimizer)`` is itself an optimizer (``zero_grad`` / ``step``), so the course's
one training step runs unchanged: ``train_step(model, monitor, xb, yb)``. Each ``step()``:

1. records ‖∇W_k‖ for every watched weight (the gradient the optimizer is about to use);
2. keeps a copy of each W_k, calls the wrapped optimizer's ``step()``;
3. records ‖W_k‖ (before the step) and the update ratio ‖ΔW_k‖/‖W_k‖.

``log_loss(loss)`` adds the minibatch loss; ``record()`` returns everything so far as a ``MonitorRecord``
of NumPy arrays. A rule of thumb (Karpathy's): with SGD, an update ratio around 10⁻³ per step means the
weights change at a useful pace; far above, the step is too large; far below, the layer barely learns.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class MonitorRecord:
    """Arrays over the steps recorded so far: ``loss`` (T,); ``grad_norm``, ``weight_norm``, ``update_ratio``
    (T, L), one column per watched weight, named in ``layer_names``."""

    layer_names: tuple[str, ...]
    loss: np.ndarray
    grad_norm: np.ndarray
    weight_norm: np.ndarray
    update_ratio: np.ndarray

    @property
    def steps(self) -> int:
        return len(self.loss)


def linear_weights(model: nn.Module) -> dict[str, torch.Tensor]:
    """The weight matrix of every nn.Linear in ``model``: {"Linear 1": W₁, …}, the last one marked "(logits)"."""
    layers = [module for module in model.modules() if isinstance(module, nn.Linear)]
    names = [f"Linear {index}" for index in range(1, len(layers) + 1)]
    if names:
        names[-1] += " (logits)"
    return {name: layer.weight for name, layer in zip(names, layers, strict=True)}


class TrainingMonitor:
    """An optimizer wrapper that records per-layer statistics at every ``step()`` (see the module docstring).

    ``weights``: {name: tensor} to watch; by default every Linear weight of ``model``.
    """

    def __init__(self, model: nn.Module, optimizer, weights: dict[str, torch.Tensor] | None = None):
        self.optimizer = optimizer
        self.weights = dict(weights) if weights is not None else linear_weights(model)
        if not self.weights:
            raise ValueError("TrainingMonitor found no weights to watch (the model has no nn.Linear).")
        self._rows: dict[str, list[np.ndarray]] = {"grad_norm": [], "weight_norm": [], "update_ratio": []}
        self._losses: list[float] = []

    def zero_grad(self, set_to_none: bool = True) -> None:
        if "set_to_none" in inspect.signature(self.optimizer.zero_grad).parameters:
            self.optimizer.zero_grad(set_to_none=set_to_none)
        else:
            self.optimizer.zero_grad()

    @torch.no_grad()
    def step(self) -> None:
        tensors = list(self.weights.values())
        gradients = [0.0 if w.grad is None else float(w.grad.norm()) for w in tensors]
        before = [w.detach().clone() for w in tensors]
        self.optimizer.step()
        norms = np.array([float(w.norm()) for w in before])
        changes = np.array([float((w.detach() - old).norm()) for w, old in zip(tensors, before, strict=True)])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = np.where(norms > 0, changes / norms, np.inf)
        self._rows["grad_norm"].append(np.array(gradients))
        self._rows["weight_norm"].append(norms)
        self._rows["update_ratio"].append(ratios)

    def log_loss(self, loss) -> None:
        """Add the minibatch loss of the current step (a number or a one-element tensor)."""
        self._losses.append(float(loss))

    def record(self) -> MonitorRecord:
        """Everything recorded so far; arrays are cut to the steps that have both a loss and statistics."""
        count = min(len(self._losses), len(self._rows["grad_norm"]))
        width = len(self.weights)

        def stacked(key: str) -> np.ndarray:
            rows = self._rows[key][:count]
            return np.vstack(rows) if rows else np.empty((0, width))

        return MonitorRecord(tuple(self.weights), np.array(self._losses[:count], dtype=float),
                             stacked("grad_norm"), stacked("weight_norm"), stacked("update_ratio"))
