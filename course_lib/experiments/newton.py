"""The exact minimizer of a smooth two-parameter loss, by Newton's method, and the curvatures there.

``newton_optimum(problem)`` works on anything with ``loss_and_grad(w, b)``, ``hessian(w, b)``,
``gradient_scale(w, b)`` and a start point (``fitted_point``), such as a ``LogisticSlice``:

1. Newton step δ = −H⁻¹∇J, with step halving while it would raise the gradient norm (near the
   optimum the loss itself changes by less than its rounding, so the gradient is the only reliable
   measure of progress);
2. stop when every gradient component is within ``ROUNDING_FACTOR`` · ε · (the size of the terms it
   sums): float64 cannot resolve a smaller gradient, so asking for less is asking for rounding luck;
3. the Hessian's eigenvalues at the point: curvatures, condition number, GD's stability limit 2/λ_max.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ROUNDING_FACTOR = 64.0


@dataclass(frozen=True)
class Optimum:
    """A minimizer (w*, b*) and what the course needs to know about it.

    ``gradient``: ∇J at the point (each |component| ≤ its ``tolerance``); ``curvatures``: the
    Hessian's eigenvalues (λ_min, λ_max) there; ``iterations``: Newton steps taken.
    """

    point: tuple[float, float]
    gradient: tuple[float, float]
    tolerance: tuple[float, float]
    curvatures: tuple[float, float]
    iterations: int

    @property
    def condition_number(self) -> float:
        """κ = λ_max / λ_min: how unequal the two curvatures are."""
        return self.curvatures[1] / self.curvatures[0]

    @property
    def stable_lr(self) -> float:
        """Gradient descent converges near the optimum only for a learning rate below 2/λ_max."""
        return 2.0 / self.curvatures[1]


def gradient_tolerance(problem, point) -> np.ndarray:
    """The smallest |∂J| float64 can resolve at ``point``, per component: ROUNDING_FACTOR · ε · scale."""
    return ROUNDING_FACTOR * np.finfo(np.float64).eps * np.asarray(problem.gradient_scale(*point))


def _gradient(problem, point) -> np.ndarray:
    _, grad_w, grad_b = problem.loss_and_grad(point[0], point[1])
    return np.array([float(grad_w), float(grad_b)])


def newton_optimum(problem, start=None, max_iter: int = 100) -> Optimum:
    """Damped Newton u ← u − t·H⁻¹∇J(u) from ``start`` (default ``problem.fitted_point``).

    Raises ValueError when the gradient is not within its rounding tolerance after ``max_iter``
    steps, or when the Hessian there is not positive definite (not a minimum).
    """
    point = np.array(problem.fitted_point if start is None else start, dtype=np.float64)
    gradient = _gradient(problem, point)
    iterations = 0
    while np.any(np.abs(gradient) > gradient_tolerance(problem, point)):
        if iterations == max_iter:
            raise ValueError(f"Newton's method did not converge in {max_iter} steps (gradient {gradient}).")
        direction = np.linalg.solve(problem.hessian(*point), gradient)
        step = 1.0
        candidate, candidate_gradient = point - direction, _gradient(problem, point - direction)
        while np.linalg.norm(candidate_gradient) > np.linalg.norm(gradient) and step > 1e-6:
            step /= 2
            candidate = point - step * direction
            candidate_gradient = _gradient(problem, candidate)
        point, gradient = candidate, candidate_gradient
        iterations += 1
    smallest, largest = np.linalg.eigvalsh(problem.hessian(*point))
    if smallest <= 0:
        raise ValueError(f"the point found is not a minimum: the Hessian has eigenvalue {smallest:.3g}.")
    return Optimum(point=(float(point[0]), float(point[1])), gradient=(float(gradient[0]), float(gradient[1])),
                   tolerance=tuple(float(t) for t in gradient_tolerance(problem, point)),
                   curvatures=(float(smallest), float(largest)), iterations=iterations)
