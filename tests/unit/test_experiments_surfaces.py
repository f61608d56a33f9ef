"""The analytic loss surfaces and the trajectory runner; the UvA tutorial's findings hold on them."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from course_lib.errors import CourseInputError
from course_lib.experiments.surfaces import (
    STEEP_OPTIMA_CENTERS,
    SURFACES,
    SurfaceRuns,
    bivariate_gaussian,
    pathological_curvature,
    run_trajectory,
    steep_optima,
    surface_grid,
)
from course_lib.optimizers import OPTIMIZERS, SGD, Adam


def run_course_optimizer(surface_name: str, optimizer_name: str) -> np.ndarray:
    surface = SURFACES[surface_name]
    settings = surface.optimizer_settings[optimizer_name]
    return run_trajectory(lambda ps: OPTIMIZERS[optimizer_name](ps, **settings), surface,
                          init=surface.init, num_steps=100)


def distance_to_nearest_well(point) -> float:
    return min(math.dist(point, center) for center in STEEP_OPTIMA_CENTERS)


# --- the analytic surfaces -------------------------------------------------------------------------

def test_pathological_curvature_is_a_ravine_along_w1_equal_zero():
    w1, w2, z = surface_grid(pathological_curvature, (-5, 5), (-5, 5), resolution=101)
    assert np.allclose(w1[0, z.argmin(axis=1)], 0.0)
    assert np.all(np.diff(z[:, 50]) > 0), "along the ravine floor the loss falls towards w2 → −∞"
    point = torch.zeros(2, dtype=torch.float64)
    hessian = torch.autograd.functional.hessian(lambda p: pathological_curvature(p[0], p[1] - 3), point)
    assert hessian[0, 0] > 20 * hessian[1, 1].abs(), "steep across, gentle along"


def test_steep_optima_has_three_narrow_wells_on_a_flat_plain():
    peak = 1 / (2 * math.pi * 0.2**2)
    for center in STEEP_OPTIMA_CENTERS:
        w1, w2, z = surface_grid(steep_optima, (center[0] - 0.1, center[0] + 0.1),
                                 (center[1] - 0.1, center[1] + 0.1), resolution=41)
        row, col = np.unravel_index(z.argmin(), z.shape)
        assert (w1[row, col], w2[row, col]) == pytest.approx(center, abs=1e-9)
        assert z.min() == pytest.approx(-peak, rel=1e-3)
    origin = torch.zeros(2, requires_grad=True)
    rim = torch.tensor([1.2, -0.5], requires_grad=True)
    steep_optima(origin[0], origin[1]).backward()
    steep_optima(rim[0], rim[1]).backward()
    assert origin.grad.norm() < 1e-3 * rim.grad.norm(), "the start (0, 0) is almost flat"


def test_bivariate_gaussian_is_a_density():
    w1, w2, z = surface_grid(lambda a, b: bivariate_gaussian(a, b, mean=(0.5, -1.0), std=(0.5, 2.0)),
                             (-4, 5), (-13, 11), resolution=400)
    cell = (w1[0, 1] - w1[0, 0]) * (w2[1, 0] - w2[0, 0])
    assert z.sum() * cell == pytest.approx(1.0, abs=1e-3)


def test_surface_grid_equals_pointwise_evaluation_in_xy_order():
    w1, w2, z = surface_grid(steep_optima, (-2, 1), (-1.5, 2), resolution=7)
    assert w1.shape == w2.shape == z.shape == (7, 7)
    assert w1[0, 0] == -2 and w1[0, -1] == 1 and w2[0, 0] == -1.5 and w2[-1, 0] == 2
    for i, j in [(0, 0), (2, 5), (6, 1)]:
        expected = steep_optima(torch.tensor(w1[0, j]), torch.tensor(w2[i, 0])).item()
        assert z[i, j] == pytest.approx(expected, rel=1e-12)


def test_surface_grid_rejects_functions_that_are_not_elementwise():
    with pytest.raises(ValueError, match="elementwise"):
        surface_grid(lambda a, b: (a + b).sum(), (0, 1), (0, 1), resolution=5)


# --- run_trajectory ---------------------------------------------------------------------------------

def test_run_trajectory_records_points_before_each_step():
    points = run_trajectory(lambda ps: SGD(ps, lr=0.1), pathological_curvature, init=(1.0, 2.0), num_steps=20)
    assert points.shape == (20, 3)
    assert tuple(points[0, :2]) == (1.0, 2.0)
    recomputed = pathological_curvature(torch.tensor(points[:, 0]), torch.tensor(points[:, 1])).numpy()
    np.testing.assert_allclose(points[:, 2], recomputed, rtol=1e-6)


def test_run_trajectory_accepts_torch_optimizers_and_agrees_with_ours():
    ours = run_trajectory(lambda ps: Adam(ps, lr=0.2), steep_optima, init=(0.0, 0.0), num_steps=50)
    theirs = run_trajectory(lambda ps: torch.optim.Adam(ps, lr=0.2), steep_optima, init=(0.0, 0.0), num_steps=50)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_run_trajectory_fills_nan_once_the_run_diverges():
    points = run_trajectory(lambda ps: SGD(ps, lr=3.0), lambda a, b: a**2 + b**2, init=(1.0, 1.0),
                            num_steps=300)
    finite = np.isfinite(points).all(axis=1)
    assert finite[0] and not finite[-1]
    last = np.flatnonzero(finite)[-1]
    assert not finite[last + 1:].any(), "nothing is recorded after the divergence"
    assert points[last, 2] <= 1e3 < (1 - 2 * 3.0) ** 2 * points[last, 2], "it stops at the first loss above 1000"


# --- the seed's findings ------------------------------------------------------------------------------

def test_on_pathological_curvature_sgd_oscillates_while_momentum_and_adam_converge():
    sgd = run_course_optimizer("pathological curvature", "SGD")
    sign_changes = np.count_nonzero(np.diff(np.sign(sgd[:, 0])))
    assert sign_changes >= 3 and np.abs(sgd[-20:, 0]).mean() > 1.0
    for name in ("Momentum", "Adam"):
        points = run_course_optimizer("pathological curvature", name)
        assert np.abs(points[-10:, 0]).max() < 0.1, name
        assert points[-1, 1] < -5, name
        assert points[-1, 2] < sgd[-1, 2], name


def test_on_steep_optima_only_adam_reaches_an_optimum():
    final = {name: run_course_optimizer("steep optima", name)[-1] for name in ("SGD", "Momentum", "Adam")}
    assert distance_to_nearest_well(final["Adam"][:2]) < 0.05
    assert distance_to_nearest_well(final["SGD"][:2]) > 0.3
    assert distance_to_nearest_well(final["Momentum"][:2]) > 0.3


# --- SurfaceRuns: the surface demo's cached paths ---------------------------------------------------------

MAX_STEPS = 40
FINDING_STEPS = 100


@pytest.fixture(scope="module")
def runs():
    return SurfaceRuns(max_steps=MAX_STEPS)


@pytest.fixture(scope="module")
def tutorial_runs():
    return SurfaceRuns(max_steps=FINDING_STEPS)


def test_a_diverging_optimizer_is_one_sentence():
    class Exploding(SGD):
        """A broken update that multiplies the weights instead of stepping: w ← 1e10·w."""

        def update(self, p, grad, state, group):
            p.mul_(1e10)

    runs = SurfaceRuns(optimizers={"Adam": lambda params, lr: Exploding(params, lr=lr)}, max_steps=20)
    with pytest.raises(CourseInputError, match="Adam diverged"):
        runs.paths("pathological curvature", runs.default_lrs("pathological curvature"), 20)


@pytest.mark.parametrize("lrs, steps", [({"SGD": 1e6}, 20), ({"Adam": -1.0}, 20), ({"Momentum": float("inf")}, 20), ({}, 0), ({}, MAX_STEPS + 1)])
def test_out_of_range_settings_are_rejected(runs, lrs, steps):
    with pytest.raises(CourseInputError):
        runs.paths("steep optima", {"SGD": 0.5, "Momentum": 1.0, "Adam": 0.2, **lrs}, steps)
    with pytest.raises(CourseInputError, match="surface: .saddle. is not one of"):
        runs.paths("saddle", {"SGD": 0.5, "Momentum": 1.0, "Adam": 0.2}, 10)


def test_a_student_optimizer_replaces_the_reference():
    calls = []

    def counting_adam(params, lr):
        calls.append(lr)
        return Adam(params, lr=lr)

    runs = SurfaceRuns(optimizers={"Adam": counting_adam}, max_steps=10)
    runs.paths("steep optima", {"SGD": 0.5, "Momentum": 1.0, "Adam": 0.2}, 10)
    assert calls == [0.2]


@pytest.mark.slow
def test_on_pathological_curvature_sgd_bounces_while_momentum_and_adam_settle(tutorial_runs):
    runs = tutorial_runs
    paths = runs.paths("pathological curvature", runs.default_lrs("pathological curvature"), FINDING_STEPS)
    assert np.abs(paths["SGD"][-20:, 0]).max() > 1.0 and paths["SGD"][-1, 2] > 0.5
    for name in ("Momentum", "Adam"):
        assert np.abs(paths[name][-20:, 0]).max() < 0.1 and paths[name][-1, 2] < 0.01, name


@pytest.mark.slow
def test_on_steep_optima_only_adam_reaches_a_well_from_the_origin(tutorial_runs):
    runs = tutorial_runs
    paths = runs.paths("steep optima", runs.default_lrs("steep optima"), FINDING_STEPS)

    def distance_to_nearest_well(point):
        return min(math.dist(point, center) for center in STEEP_OPTIMA_CENTERS)

    assert distance_to_nearest_well(paths["Adam"][-1, :2]) < 0.05
    for name in ("SGD", "Momentum"):
        assert distance_to_nearest_well(paths[name][-1, :2]) > 0.3, name
