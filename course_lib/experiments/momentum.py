"""Gradient descent and heavy-ball momentum on the logistic-regression slice, many runs at once.

1. ``heavy_ball_paths``: v ← βv − η∇J; (w, b) ← (w, b) + v for M settings (η, β) in one vectorized
   loop over steps, with the slice's closed-form gradient (β = 0 is plain gradient descent);
2. ``MomentumExperiment``: the slice, its optimum and window, and GD/momentum runs cached by (η, β),
   so moving the demo's steps slider only slices a cached run;
3. ``distances`` and ``steps_to_tolerance``: how far each parameter is from the optimum, per step.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from course_lib.errors import CourseInputError
from course_lib.experiments.logistic_slice import SliceWindow
from course_lib.experiments.newton import newton_optimum
from course_lib.training import has_diverged
from course_lib.validation import parse_number

MAX_STEPS = 500
TOLERANCE = 1e-6


def heavy_ball_paths(problem, lr, betas, init, num_steps: int = 300) -> np.ndarray:
    """Heavy-ball runs v ← βv − η∇J; (w, b) ← (w, b) + v for several (η, β) at once, from ``init`` = (w, b).

    ``problem``: anything with ``loss_and_grad_flat(w, b)`` on NumPy arrays (M,) (a ``LogisticSlice``).
    ``lr`` and ``betas``: numbers or sequences, broadcast to M runs. Returns (M, num_steps, 3) rows
    [w, b, J] before each step; once a run diverges (``has_diverged``) the rest of it is NaN.
    """
    lrs, betas = np.broadcast_arrays(np.atleast_1d(np.asarray(lr, dtype=np.float64)),
                                     np.atleast_1d(np.asarray(betas, dtype=np.float64)))
    w, b = np.full(lrs.shape, float(init[0])), np.full(lrs.shape, float(init[1]))
    velocity_w, velocity_b = np.zeros_like(w), np.zeros_like(b)
    paths = np.empty((len(lrs), int(num_steps), 3))
    with np.errstate(all="ignore"):
        for step in range(int(num_steps)):
            loss, grad_w, grad_b = problem.loss_and_grad_flat(w, b)
            paths[:, step, 0], paths[:, step, 1], paths[:, step, 2] = w, b, loss
            velocity_w = betas * velocity_w - lrs * grad_w
            velocity_b = betas * velocity_b - lrs * grad_b
            w, b = w + velocity_w, b + velocity_b
    still_running = np.logical_and.accumulate(~has_diverged(paths[:, :, 2]), axis=1)
    paths[~still_running] = np.nan
    return paths


class MomentumExperiment:
    """GD (β = 0) and heavy-ball momentum (β) on a ``LogisticSlice``, for ``max_steps`` steps, cached by (η, β).

    ``optimum``: the slice's ``newton_optimum``; ``window``: a ``SliceWindow`` around it, whose
    ``start`` is where every run begins (unless ``init`` is given); ``surface``: (W, B, Z) over the
    window at ``resolution`` points a side.
    """

    def __init__(self, problem, init=None, resolution: int = 80, max_steps: int = MAX_STEPS,
                 cache_size: int = 256):
        self.problem = problem
        self.optimum = newton_optimum(problem)
        self.window = SliceWindow(self.optimum.point)
        self.init = tuple(float(v) for v in (self.window.start if init is None else init))
        self.max_steps = int(max_steps)
        self.surface = self.window.grid(problem.loss, resolution)
        self.runs = lru_cache(maxsize=cache_size)(self._runs)

    def _runs(self, lr: float, beta: float) -> np.ndarray:
        """(2, max_steps, 3): rows [w, b, J] before each step, for GD (η, 0) and momentum (η, β)."""
        return heavy_ball_paths(self.problem, [lr, lr], [0.0, beta], init=self.init, num_steps=self.max_steps)

    def paths(self, lr: float, beta: float, num_steps: int) -> np.ndarray:
        """(2, num_steps, 3) for GD and momentum; CourseInputError for values out of range or a run that diverged."""
        lr = parse_number(lr, "learning rate", minimum=1e-6, maximum=1e3)
        beta = parse_number(beta, "β", minimum=0.0, maximum=0.999)
        num_steps = int(parse_number(num_steps, "steps", minimum=1, maximum=self.max_steps, integer=True))
        paths = self.runs(lr, beta)[:, :num_steps]
        for name, path in zip(("GD", "Momentum"), paths, strict=True):
            if not np.all(np.isfinite(path)):
                raise CourseInputError(f"{name} diverged (its loss exploded or became NaN): try a learning rate "
                                       f"below 2/λ_max ≈ {self.optimum.stable_lr:.3g} or a smaller β.")
        return paths

    def distances(self, lr: float, beta: float, num_steps: int) -> np.ndarray:
        """|w − w*| and |b − b*| per step: (2 methods, num_steps, 2 parameters)."""
        paths = self.runs(float(lr), float(beta))[:, : int(num_steps), :2]
        return np.abs(paths - np.asarray(self.optimum.point))

    def steps_to_tolerance(self, lr: float, beta: float, tolerance: float = TOLERANCE,
                           num_steps: int | None = None) -> tuple[int | None, int | None]:
        """First step at which both parameters are within ``tolerance`` of the optimum, for (GD, momentum).

        None where a method does not get there within ``num_steps`` (default: ``max_steps``).
        """
        distances = self.distances(lr, beta, num_steps or self.max_steps).max(axis=2)
        result = []
        for method in distances:
            reached = np.flatnonzero(method < tolerance)
            result.append(int(reached[0]) if reached.size else None)
        return result[0], result[1]
