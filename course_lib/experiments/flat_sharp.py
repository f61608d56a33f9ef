"""A one-dimensional caricature of flat and sharp minima (notebook 04, section 5; Keskar et al., 2017).

The training loss has two equally deep valleys, Gaussian wells of depth 0.8 on a plateau at 1:

    L(w) = 1 − 0.8·exp(−(w + 2)² / (2·0.8²)) − 0.8·exp(−(w − 2)² / (2·0.15²)),

a flat one at w = −2 (width 0.8) and a sharp one at w = 2 (width 0.15). A "test loss" is the same
curve moved by ``shift``: L(w − shift). ``shift_costs`` measures what that shift costs at each minimum,
L(w* − shift) − L(w*), which for a well of width s is about 0.8·(1 − exp(−shift²/(2s²))).
"""

from __future__ import annotations

import numpy as np

MINIMA = {"flat": -2.0, "sharp": 2.0}
SHIFT = 0.25


def two_valley_loss(w):
    """L(w) for a float or an array of any shape (returned with the same shape)."""
    w = np.asarray(w, dtype=float)
    return 1.0 - 0.8 * np.exp(-(w + 2) ** 2 / (2 * 0.8**2)) - 0.8 * np.exp(-(w - 2) ** 2 / (2 * 0.15**2))


def shift_costs(shift: float = SHIFT, minima=None) -> dict[str, float]:
    """{kind: L(w* − shift) − L(w*)} for each minimum of ``minima`` (default ``MINIMA``)."""
    return {kind: float(two_valley_loss(at - shift) - two_valley_loss(at)) for kind, at in (minima or MINIMA).items()}
