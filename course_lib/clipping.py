"""Gradient clipping by the global norm (Pascanu et al., 2013), as ``torch.nn.utils.clip_grad_norm_`` does it.

- ``clip_grad_norm(params, max_norm)``: ‖g‖ = √(Σ_p ‖∇p‖²) over every parameter with a gradient; when
  ‖g‖ > max_norm, every gradient is scaled in place by max_norm / (‖g‖ + 10⁻⁶); returns ‖g‖ before clipping.
- ``GradientClipping(optimizer, params, max_norm)``: an optimizer whose ``step()`` clips first, so the
  course's one training step (``course_lib.training.train_step``) trains with clipping unchanged.

Convention: torch computes the factor as max_norm / (‖g‖ + 10⁻⁶) and clamps it at 1, so it also scales
(by less than 10⁻⁶ relative) when ‖g‖ lies within 10⁻⁶ below max_norm; here nothing changes unless
‖g‖ > max_norm. The 10⁻⁶ keeps the factor finite when every gradient is zero.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable

import torch

CLIP_EPSILON = 1e-6


def clip_grad_norm(params: Iterable[torch.Tensor], max_norm: float) -> float:
    """Scale all gradients together so that their joint L2 norm is at most ``max_norm``; return the norm before.

    ``params`` may be any iterable (a generator such as ``model.parameters()`` is read once); parameters
    whose ``.grad`` is None are skipped.
    """
    gradients = [p.grad for p in params if p.grad is not None]
    if not gradients:
        return 0.0
    total = math.sqrt(sum(float(g.detach().double().pow(2).sum()) for g in gradients))
    if total > max_norm:
        scale = max_norm / (total + CLIP_EPSILON)
        for g in gradients:
            g.detach().mul_(scale)
    return total


class GradientClipping:
    """An optimizer wrapper: ``step()`` clips the gradients of ``params`` to ``max_norm`` with ``clip``, then
    steps ``optimizer``. ``max_norm=None`` measures the norm without clipping.

    ``norms[t]`` is the gradient norm before clipping at step t; ``zero_grad`` is the wrapped optimizer's.
    """

    def __init__(self, optimizer, params: Iterable[torch.Tensor], max_norm: float | None,
                 clip: Callable[[Iterable[torch.Tensor], float], float] = clip_grad_norm):
        self.optimizer = optimizer
        self.params = list(params)
        self.max_norm = math.inf if max_norm is None else float(max_norm)
        self.clip = clip
        self.norms: list[float] = []

    def zero_grad(self, set_to_none: bool = True) -> None:
        if "set_to_none" in inspect.signature(self.optimizer.zero_grad).parameters:
            self.optimizer.zero_grad(set_to_none=set_to_none)
        else:
            self.optimizer.zero_grad()

    def step(self) -> None:
        self.norms.append(float(self.clip(self.params, self.max_norm)))
        self.optimizer.step()
