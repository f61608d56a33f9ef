"""Loss surfaces, the trajectory runner, and the logistic-regression slice; the seed's findings hold."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_lib.optimizers import OPTIMIZERS, SGD, Adam, SGDMomentum
from course_lib.surfaces import (
    STEEP_OPTIMA_CENTERS,
    SURFACES,
    LogisticSlice,
    bivariate_gaussian,
    pathological_curvature,
    run_trajectory,
    steep_optima,
    surface_grid,
)


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


def test_run_trajectory_fills_nan_after_divergence():
    points = run_trajectory(lambda ps: SGD(ps, lr=3.0), lambda a, b: a**2 + b**2, init=(1.0, 1.0),
                            num_steps=300)
    assert np.isfinite(points[0]).all() and np.isnan(points[-1]).all()


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


# --- LogisticSlice on a synthetic problem ------------------------------------------------------------

def synthetic_slice(weight_index=(2, 3), bias_index=1, n=60, d=8, classes=4, seed=0) -> LogisticSlice:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=generator, dtype=torch.float64)
    y = torch.randint(0, classes, (n,), generator=generator)
    weight = 0.3 * torch.randn(classes, d, generator=generator, dtype=torch.float64)
    bias = 0.1 * torch.randn(classes, generator=generator, dtype=torch.float64)
    return LogisticSlice(x, y, weight, bias, weight_index, bias_index)


def full_model_loss(surface: LogisticSlice, w: float, b: float) -> float:
    weight, bias = surface.base_weight.clone(), surface.base_bias.clone()
    weight[surface.weight_class, surface.pixel] = w
    bias[surface.bias_class] = b
    return F.cross_entropy(surface.x @ weight.T + bias, surface.y).item()


@pytest.mark.parametrize("indices", [((2, 3), 1), ((2, 3), 2)], ids=["different classes", "same class"])
def test_slice_loss_equals_the_full_model_with_two_parameters_replaced(indices):
    surface = synthetic_slice(*indices)
    for w, b in [(0.0, 0.0), (1.5, -2.0), (-3.0, 0.7)]:
        assert surface.loss(w, b).item() == pytest.approx(full_model_loss(surface, w, b), rel=1e-12)


def test_slice_loss_is_vectorized_over_a_grid(monkeypatch):
    surface = synthetic_slice()
    w, b, z = surface.grid(resolution=9, x_range=(-2, 2), y_range=(-1, 3))
    assert z.shape == (9, 9)
    assert z[4, 7] == pytest.approx(full_model_loss(surface, w[0, 7], b[4, 0]), rel=1e-12)
    monkeypatch.setattr(LogisticSlice, "_CHUNK_ELEMENTS", 100)
    np.testing.assert_allclose(surface.grid(resolution=9, x_range=(-2, 2), y_range=(-1, 3))[2], z, rtol=1e-12)


@pytest.mark.parametrize("indices", [((2, 3), 1), ((0, 5), 0)], ids=["different classes", "same class"])
def test_slice_gradient_and_hessian_match_autograd(indices):
    surface = synthetic_slice(*indices)
    point = torch.tensor([0.8, -0.4], dtype=torch.float64, requires_grad=True)
    loss = surface.loss(point[0], point[1])
    (gradient,) = torch.autograd.grad(loss, point)
    value, grad_w, grad_b = surface.loss_and_grad(0.8, -0.4)
    assert value.item() == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose([grad_w.item(), grad_b.item()], gradient.numpy(), rtol=1e-9, atol=1e-14)
    hessian = torch.autograd.functional.hessian(lambda p: surface.loss(p[0], p[1]), point.detach())
    np.testing.assert_allclose(surface.hessian(0.8, -0.4), hessian.numpy(), rtol=1e-9, atol=1e-14)


def test_slice_loss_and_grad_broadcasts():
    surface = synthetic_slice()
    w = torch.linspace(-1, 1, 5)[:, None]
    b = torch.linspace(-2, 2, 3)[None, :]
    loss, grad_w, grad_b = surface.loss_and_grad(w, b)
    assert loss.shape == grad_w.shape == grad_b.shape == (5, 3)
    torch.testing.assert_close(loss, surface.loss(w, b))
    assert grad_w[1, 2].item() == pytest.approx(surface.loss_and_grad(-0.5, 2.0)[1].item(), rel=1e-12)


def test_newton_optimum_has_zero_gradient_and_is_a_minimum():
    surface = synthetic_slice()
    w_star, b_star = surface.optimum()
    _, grad_w, grad_b = surface.loss_and_grad(w_star, b_star)
    assert abs(grad_w.item()) < 1e-10 and abs(grad_b.item()) < 1e-10
    _, _, z = surface.grid(resolution=21, x_range=(w_star - 1, w_star + 1), y_range=(b_star - 1, b_star + 1))
    assert z.min() >= surface.loss(w_star, b_star).item() - 1e-12
    assert surface.condition_number() >= 1.0


def test_momentum_paths_match_the_optimizers_run_on_the_slice():
    surface = synthetic_slice()
    paths = surface.momentum_paths(lr=0.5, betas=[0.0, 0.8], init=(1.0, -1.0), num_steps=40)
    assert paths.shape == (2, 40, 3)
    gd = run_trajectory(lambda ps: SGD(ps, lr=0.5), surface, init=(1.0, -1.0), num_steps=40, dtype=torch.float64)
    heavy_ball = run_trajectory(lambda ps: torch.optim.SGD(ps, lr=0.5, momentum=0.8), surface,
                                init=(1.0, -1.0), num_steps=40, dtype=torch.float64)
    ema = run_trajectory(lambda ps: SGDMomentum(ps, lr=0.5 / 0.2, momentum=0.8), surface,
                         init=(1.0, -1.0), num_steps=40, dtype=torch.float64)
    np.testing.assert_allclose(paths[0], gd, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(paths[1], heavy_ball, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(paths[1], ema, rtol=1e-9, atol=1e-12)


def test_momentum_paths_mark_runs_that_stop_being_finite_with_nan():
    paths = synthetic_slice().momentum_paths(lr=[0.1, float("nan")], betas=0.5, init=(0.0, 0.0), num_steps=20)
    assert np.isfinite(paths[0]).all()
    assert np.isfinite(paths[1, 0]).all() and np.isnan(paths[1, 1:]).all()


def test_slice_keeps_the_fitted_parameters_whole():
    surface = synthetic_slice()
    assert surface.base_weight[2, 3].item() == surface.fitted_point[0] != 0.0
    assert surface.base_bias[1].item() == surface.fitted_point[1] != 0.0


def test_slice_rejects_indices_out_of_range():
    with pytest.raises(ValueError, match="out of range"):
        synthetic_slice(weight_index=(9, 0))


# --- LogisticSlice on real FashionMNIST images ----------------------------------------------------------

@pytest.fixture(scope="module")
def fashion_slice(fashion_data) -> LogisticSlice:
    return LogisticSlice.from_data(fashion_data)


def test_fashion_slice_is_poorly_conditioned_along_its_axes(fashion_slice):
    assert fashion_slice.n_images == 500
    hessian = fashion_slice.hessian(*fashion_slice.optimum())
    assert hessian[0, 0] > 8 * hessian[1, 1], "the weight should be the steep direction"
    assert abs(hessian[0, 1]) < 0.05 * math.sqrt(hessian[0, 0] * hessian[1, 1]), "nearly axis-aligned"
    assert fashion_slice.condition_number() > 8
    w_star, b_star = fashion_slice.optimum()
    assert fashion_slice.x_range[0] < fashion_slice.default_init[0] < fashion_slice.x_range[1]
    assert fashion_slice.y_range[0] < fashion_slice.default_init[1] < fashion_slice.y_range[1]
    assert fashion_slice.x_range[0] < w_star < fashion_slice.x_range[1]


def test_on_the_fashion_slice_tuned_momentum_beats_gd(fashion_slice):
    paths = fashion_slice.momentum_paths(lr=15.0, betas=[0.0, 0.6], num_steps=100)
    distance = np.abs(paths[:, -1, :2] - np.array(fashion_slice.optimum()))
    assert distance[1].max() < 1e-6, "momentum reaches the optimum to 1e-6 in 100 steps"
    assert distance[0].max() > 1e-6, "gradient descent does not"
    assert distance[0, 1] > 10 * distance[0, 0], "GD is slow along the flat bias direction"
