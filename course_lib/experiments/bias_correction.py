"""Why Adam corrects its moments' bias: the step it would take without and with the correction.

``bias_correction_steps(steps, beta1, beta2, gradient)`` gives, for a gradient that stays ``g``, the
ratio m_t/√v_t of the raw running averages (m_t = (1 − β₁ᵗ) g, v_t = (1 − β₂ᵗ) g², both started at 0)
and the corrected m̂_t/√v̂_t (m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ)), in units of the learning rate η.
The corrected ratio is exactly g/|g| from the first step; the raw one starts near (1 − β₁)/√(1 − β₂).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_lib.errors import CourseInputError


@dataclass(frozen=True)
class BiasCorrection:
    """``steps`` (T,) = 1..T; ``raw`` and ``corrected`` (T,): m_t/√v_t and m̂_t/√v̂_t, in units of η, for a
    gradient that stays ``gradient``."""

    steps: np.ndarray
    raw: np.ndarray
    corrected: np.ndarray
    beta1: float
    beta2: float
    gradient: float


def bias_correction_steps(steps: int = 30, beta1: float = 0.9, beta2: float = 0.999,
                          gradient: float = 1.0) -> BiasCorrection:
    """Adam's step size without and with bias correction over ``steps`` steps of a constant ``gradient``."""
    if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
        raise CourseInputError(f"β1 and β2 must lie in [0, 1), got {beta1} and {beta2}.")
    if int(steps) < 1 or gradient == 0:
        raise CourseInputError("Give at least one step and a non-zero gradient.")
    t = np.arange(1, int(steps) + 1)
    m = (1 - beta1**t) * gradient
    v = (1 - beta2**t) * gradient**2
    return BiasCorrection(steps=t, raw=m / np.sqrt(v), corrected=(m / (1 - beta1**t)) / np.sqrt(v / (1 - beta2**t)),
                          beta1=float(beta1), beta2=float(beta2), gradient=float(gradient))
