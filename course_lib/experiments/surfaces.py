"""Two-parameter loss surfaces, and the paths optimizers take over them.

- ``pathological_curvature``: a ravine, steep across (w1) and gently sloped along (w2);
- ``steep_optima``: three narrow Gaussian wells on an almost flat plain;
- ``surface_grid``: a whole grid of loss values in one vectorized call;
- ``run_trajectory``: the points an optimizer visits, as an array (num_steps, 3) of [w1, w2, loss];
- ``SurfaceRuns``: those paths for the surface demo, one optimizer and learning rate at a time, cached.

The logistic-regression slice, a real-data 2-D surface, is in ``course_lib.experiments.logistic_slice``.

Every loss function takes two tensors w1, w2 of any (broadcastable) shape and returns the loss
elementwise, so the same function draws a surface and trains two scalar parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import torch
from torch import Tensor

from course_lib.errors import CourseInputError
from course_lib.training import has_diverged, optimizer_step
from course_lib.validation import parse_choice, parse_number

__all__ = [
    "pathological_curvature",
    "bivariate_gaussian",
    "steep_optima",
    "STEEP_OPTIMA_CENTERS",
    "Surface",
    "SURFACES",
    "surface_grid",
    "run_trajectory",
    "SurfaceRuns",
    "default_optimizers",
]

LossFn = Callable[[Tensor, Tensor], Tensor]


def pathological_curvature(w1: Tensor, w2: Tensor) -> Tensor:
    """A ravine along w1 = 0: J = tanh(w1)² + 0.01·|w1| + sigmoid(w2); w1, w2 broadcast together."""
    return torch.tanh(w1) ** 2 + 0.01 * torch.abs(w1) + torch.sigmoid(w2)


def bivariate_gaussian(w1: Tensor, w2: Tensor, mean: Sequence[float] = (0.0, 0.0),
                       std: Sequence[float] = (1.0, 1.0)) -> Tensor:
    """Density of an axis-aligned 2-D normal: exp(−(w1−μ1)²/2σ1² − (w2−μ2)²/2σ2²) / (2π·σ1·σ2)."""
    (mean1, mean2), (std1, std2) = mean, std
    exponent = -((w1 - mean1) ** 2) / (2 * std1**2) - ((w2 - mean2) ** 2) / (2 * std2**2)
    return torch.exp(exponent) / (2 * math.pi * std1 * std2)


STEEP_OPTIMA_CENTERS = ((1.0, -0.5), (-1.0, 0.5), (-0.5, -0.8))
STEEP_OPTIMA_STD = 0.2


def steep_optima(w1: Tensor, w2: Tensor) -> Tensor:
    """Three narrow wells: J = −Σ_k N((w1, w2); μ_k, 0.2²·I) with μ_k in ``STEEP_OPTIMA_CENTERS``."""
    std = (STEEP_OPTIMA_STD, STEEP_OPTIMA_STD)
    return -sum(bivariate_gaussian(w1, w2, mean=center, std=std) for center in STEEP_OPTIMA_CENTERS)


@dataclass(frozen=True)
class Surface:
    """A named 2-D loss with the plotting ranges, start point and optimizer settings used in the course.

    ``optimizer_settings`` maps a name in ``course_lib.optimizers.OPTIMIZERS`` to its keyword arguments.
    """

    name: str
    loss_fn: LossFn
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    init: tuple[float, float]
    optimizer_settings: dict[str, dict[str, float]] = field(default_factory=dict)

    def __call__(self, w1: Tensor, w2: Tensor) -> Tensor:
        return self.loss_fn(w1, w2)


SURFACES = {
    "pathological curvature": Surface(
        name="pathological curvature",
        loss_fn=pathological_curvature,
        x_range=(-5.0, 5.0),
        y_range=(-5.0, 5.0),
        init=(5.0, 5.0),
        optimizer_settings={"SGD": {"lr": 10.0}, "Momentum": {"lr": 10.0, "momentum": 0.9},
                            "Adam": {"lr": 1.0}},
    ),
    "steep optima": Surface(
        name="steep optima",
        loss_fn=steep_optima,
        x_range=(-2.0, 2.0),
        y_range=(-2.0, 2.0),
        init=(0.0, 0.0),
        optimizer_settings={"SGD": {"lr": 0.5}, "Momentum": {"lr": 1.0, "momentum": 0.9},
                            "Adam": {"lr": 0.2}},
    ),
}


def surface_grid(loss_fn: LossFn, x_range: Sequence[float], y_range: Sequence[float],
                 resolution: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Loss on a resolution × resolution grid in one call: W1, W2, Z each (resolution, resolution).

    Rows follow w2 and columns follow w1 (``meshgrid`` "xy" order), so ``Z[i, j] = J(W1[0, j], W2[i, 0])``
    and ``contourf(W1, W2, Z)`` / ``plot_surface(W1, W2, Z)`` draw it directly. Ranges include both ends.
    """
    resolution = int(resolution)
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2, got {resolution}")
    w1 = torch.linspace(float(x_range[0]), float(x_range[1]), resolution, dtype=torch.float64)
    w2 = torch.linspace(float(y_range[0]), float(y_range[1]), resolution, dtype=torch.float64)
    grid1, grid2 = torch.meshgrid(w1, w2, indexing="xy")
    with torch.no_grad():
        z = torch.as_tensor(loss_fn(grid1, grid2))
    if z.shape != grid1.shape:
        raise ValueError(f"the loss function returned shape {tuple(z.shape)} for a grid of shape "
                         f"{tuple(grid1.shape)}: it must work elementwise on tensors")
    return grid1.numpy(), grid2.numpy(), z.detach().cpu().double().numpy()


def run_trajectory(make_optimizer: Callable, loss_fn: LossFn, init: Sequence[float] = (5.0, 5.0),
                   num_steps: int = 100, dtype: torch.dtype = torch.float32) -> np.ndarray:
    """Optimize (w1, w2) from ``init``; returns (num_steps, 3) rows [w1, w2, J(w1, w2)] before each step.

    ``make_optimizer(params)`` builds the optimizer (course_lib or torch.optim) for ``[w]`` with
    ``w = (w1, w2)`` a single parameter of shape (2,). Once the run diverges (``has_diverged``:
    learning rate too large), the remaining rows are NaN.
    """
    num_steps = int(num_steps)
    weights = torch.nn.Parameter(torch.tensor([float(v) for v in init], dtype=dtype))
    if weights.shape != (2,):
        raise ValueError(f"init must hold two numbers (w1, w2), got {list(init)}")
    optimizer = make_optimizer([weights])
    points = torch.full((num_steps, 3), float("nan"), dtype=torch.float64)
    for step in range(num_steps):
        loss = loss_fn(weights[0], weights[1])
        if has_diverged(loss):
            break
        points[step, :2] = weights.detach()
        points[step, 2] = loss.detach()
        optimizer_step(optimizer, loss)
    return points.numpy()


OPTIMIZER_NAMES = ("SGD", "Momentum", "Adam")
SURFACE_MOMENTUM = 0.9
LR_EXPONENTS = (-3.0, 2.0)


def default_optimizers() -> dict[str, Callable]:
    """name → make(params, lr): course_lib's SGD, SGDMomentum (β = 0.9, EMA form) and Adam."""
    from course_lib.optimizers import SGD, Adam, SGDMomentum

    return {
        "SGD": lambda params, lr: SGD(params, lr=lr),
        "Momentum": lambda params, lr: SGDMomentum(params, lr=lr, momentum=SURFACE_MOMENTUM),
        "Adam": lambda params, lr: Adam(params, lr=lr),
    }


class SurfaceRuns:
    """Cached optimizer paths on the surfaces of ``SURFACES``, for up to ``max_steps`` steps.

    ``optimizers``: name → make(params, lr), by default ``default_optimizers()`` (a student's Adam
    class can be passed as ``{"Adam": lambda params, lr: Adam(params, lr=lr)}``). A path is cached
    by (surface, optimizer, lr): a shorter run is a slice of it, and changing one learning rate
    recomputes one optimizer, not three.
    """

    def __init__(self, optimizers: Mapping[str, Callable] | None = None, max_steps: int = 300,
                 cache_size: int = 256):
        self.surfaces = SURFACES
        self.optimizers = dict(default_optimizers(), **(optimizers or {}))
        self.max_steps = int(max_steps)
        self.path = lru_cache(maxsize=cache_size)(self._path)

    def _path(self, surface_name: str, optimizer_name: str, lr: float) -> np.ndarray:
        """(max_steps, 3) rows [w1, w2, J] before each step; NaN from where the run diverged."""
        surface, make = self.surfaces[surface_name], self.optimizers[optimizer_name]
        return run_trajectory(lambda params: make(params, lr), surface.loss_fn, init=surface.init,
                              num_steps=self.max_steps)

    def default_lrs(self, surface_name: str) -> dict[str, float]:
        """The UvA tutorial's learning rate of each optimizer for this surface."""
        settings = self.surfaces[surface_name].optimizer_settings
        return {name: float(settings[name]["lr"]) for name in OPTIMIZER_NAMES}

    def paths(self, surface_name: str, lrs: Mapping[str, float], num_steps: int) -> dict[str, np.ndarray]:
        """{optimizer: (num_steps, 3)} for the given learning rates; CourseInputError for a bad setting
        or a run that diverged."""
        surface_name = parse_choice(surface_name, list(self.surfaces), "surface")
        num_steps = int(parse_number(num_steps, "steps", minimum=1, maximum=self.max_steps, integer=True))
        low, high = (10**e for e in LR_EXPONENTS)
        result = {}
        for name in OPTIMIZER_NAMES:
            lr = parse_number(lrs[name], f"{name} learning rate", minimum=low, maximum=high)
            path = self.path(surface_name, name, lr)[:num_steps]
            if not np.all(np.isfinite(path)):
                raise CourseInputError(f"{name} diverged (its loss exploded or became NaN): lower its learning rate.")
            result[name] = path
        return result
