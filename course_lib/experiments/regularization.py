"""What an L1 penalty does to one weight under plain SGD, and under a proximal step.

For J(w) = ½(w − target)² + λ|w| with |target| < λ the minimizer is exactly w* = 0. Two ways to
step with learning rate η:

1. ``subgradient_path``: w ← w − η((w − target) + λ·sign(w)), what autograd and plain SGD do with
   ``λ * w.abs().sum()`` in the loss: near 0 the sign flips every step or two, and w keeps
   jumping across 0 by about ηλ, never landing on it;
2. ``proximal_path``: w ← soft(w − η(w − target), ηλ), with soft(u, τ) = sign(u)·max(|u| − τ, 0): the
   data step, then the L1 term's proximal step (soft thresholding), which sets w to exactly 0.
"""

from __future__ import annotations

import numpy as np

from course_lib.errors import CourseInputError


def _check(target: float, lam: float, lr: float, steps: int) -> None:
    if not (lam > 0 and 0 < lr < 1 and steps >= 1):
        raise CourseInputError("λ must be positive, the learning rate in (0, 1), and steps at least 1.")


def subgradient_path(start: float, target: float, lam: float, lr: float, steps: int) -> np.ndarray:
    """(steps + 1,) values of w under w ← w − η((w − target) + λ·sign(w)), from ``start``."""
    _check(target, lam, lr, steps)
    path = np.empty(steps + 1)
    path[0] = w = float(start)
    for step in range(1, steps + 1):
        w = w - lr * ((w - target) + lam * np.sign(w))
        path[step] = w
    return path


def proximal_path(start: float, target: float, lam: float, lr: float, steps: int) -> np.ndarray:
    """(steps + 1,) values of w under w ← soft(w − η(w − target), ηλ), from ``start``."""
    _check(target, lam, lr, steps)
    path = np.empty(steps + 1)
    path[0] = w = float(start)
    for step in range(1, steps + 1):
        u = w - lr * (w - target)
        w = float(np.sign(u) * max(abs(u) - lr * lam, 0.0))
        path[step] = w
    return path
