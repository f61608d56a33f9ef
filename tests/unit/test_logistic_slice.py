"""The logistic-regression slice, its Newton optimum and the vectorized momentum runs over it."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_lib.experiments.logistic_slice import LogisticSlice, SliceWindow
from course_lib.experiments.momentum import heavy_ball_paths
from course_lib.experiments.newton import ROUNDING_FACTOR, newton_optimum
from course_lib.experiments.surfaces import run_trajectory
from course_lib.optimizers import SGD, SGDMomentum

# --- on a synthetic problem ------------------------------------------------------------

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
    window = SliceWindow(center=(0.0, 1.0), half_width=2.0)
    w, b, z = window.grid(surface.loss, resolution=9)
    assert z.shape == (9, 9)
    assert z[4, 7] == pytest.approx(full_model_loss(surface, w[0, 7], b[4, 0]), rel=1e-12)
    monkeypatch.setattr(LogisticSlice, "_CHUNK_ELEMENTS", 100)
    np.testing.assert_allclose(window.grid(surface.loss, resolution=9)[2], z, rtol=1e-12)
    _, grad_w, _ = surface.loss_and_grad(w, b)
    assert grad_w[4, 7].item() == pytest.approx(surface.loss_and_grad(w[0, 7], b[4, 0])[1].item(), rel=1e-12)


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


@pytest.mark.parametrize("indices", [((2, 3), 1), ((0, 5), 0)], ids=["different classes", "same class"])
def test_newton_optimum_has_a_gradient_at_the_rounding_limit_and_is_a_minimum(indices):
    surface = synthetic_slice(*indices)
    optimum = newton_optimum(surface)
    w_star, b_star = optimum.point
    _, grad_w, grad_b = surface.loss_and_grad(w_star, b_star)
    scale = np.asarray(surface.gradient_scale(w_star, b_star))
    limit = ROUNDING_FACTOR * np.finfo(np.float64).eps * scale
    assert np.all(np.abs([grad_w.item(), grad_b.item()]) <= limit), "the stopping rule, nothing stricter"
    assert np.all(limit < 1e-12), "and that limit is tiny next to the gradient's scale"
    assert optimum.gradient == (grad_w.item(), grad_b.item())
    _, _, z = SliceWindow(optimum.point, half_width=1.0).grid(surface.loss, resolution=21)
    assert z.min() >= surface.loss(w_star, b_star).item() - 1e-12
    eigenvalues = np.linalg.eigvalsh(surface.hessian(w_star, b_star))
    assert optimum.curvatures == pytest.approx(tuple(eigenvalues), rel=1e-12)
    assert optimum.condition_number == pytest.approx(eigenvalues[1] / eigenvalues[0]) and eigenvalues[0] > 0


def test_newton_refuses_a_saddle_or_a_maximum():
    class Saddle:
        """J = w² − b²: gradient zero at the origin, not a minimum."""

        fitted_point = (0.3, 0.2)

        def loss_and_grad(self, w, b):
            return w**2 - b**2, 2 * w, -2 * b

        def hessian(self, w, b):
            return np.diag([2.0, -2.0])

        def gradient_scale(self, w, b):
            return (1.0, 1.0)

    with pytest.raises(ValueError, match="not a minimum"):
        newton_optimum(Saddle())


def test_heavy_ball_paths_match_the_optimizers_run_on_the_slice():
    surface = synthetic_slice()
    paths = heavy_ball_paths(surface, lr=0.5, betas=[0.0, 0.8], init=(1.0, -1.0), num_steps=40)
    assert paths.shape == (2, 40, 3)
    gd = run_trajectory(lambda ps: SGD(ps, lr=0.5), surface, init=(1.0, -1.0), num_steps=40, dtype=torch.float64)
    heavy_ball = run_trajectory(lambda ps: torch.optim.SGD(ps, lr=0.5, momentum=0.8), surface,
                                init=(1.0, -1.0), num_steps=40, dtype=torch.float64)
    ema = run_trajectory(lambda ps: SGDMomentum(ps, lr=0.5 / 0.2, momentum=0.8), surface,
                         init=(1.0, -1.0), num_steps=40, dtype=torch.float64)
    np.testing.assert_allclose(paths[0], gd, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(paths[1], heavy_ball, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(paths[1], ema, rtol=1e-9, atol=1e-12)


def test_heavy_ball_paths_mark_runs_that_diverge_with_nan():
    paths = heavy_ball_paths(synthetic_slice(), lr=[0.1, float("nan"), 1e7], betas=0.5, init=(0.0, 0.0),
                             num_steps=20)
    assert np.isfinite(paths[0]).all()
    for run in paths[1:]:
        finite = np.isfinite(run).all(axis=1)
        assert finite[0] and not finite[-1]
        assert np.all(finite[: finite.argmin()]) and not finite[finite.argmin():].any()


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
    optimum = newton_optimum(fashion_slice)
    hessian = fashion_slice.hessian(*optimum.point)
    assert hessian[0, 0] > 8 * hessian[1, 1], "the weight should be the steep direction"
    assert abs(hessian[0, 1]) < 0.05 * math.sqrt(hessian[0, 0] * hessian[1, 1]), "nearly axis-aligned"
    assert optimum.condition_number > 8
    window = SliceWindow(optimum.point)
    assert window.x_range[0] < window.start[0] < window.x_range[1]
    assert window.y_range[0] < window.start[1] < window.y_range[1]


def test_on_the_fashion_slice_tuned_momentum_beats_gd(fashion_slice):
    optimum = newton_optimum(fashion_slice)
    paths = heavy_ball_paths(fashion_slice, lr=15.0, betas=[0.0, 0.6], init=SliceWindow(optimum.point).start,
                             num_steps=100)
    distance = np.abs(paths[:, -1, :2] - np.array(optimum.point))
    assert distance[1].max() < 1e-6, "momentum reaches the optimum to 1e-6 in 100 steps"
    assert distance[0].max() > 1e-6, "gradient descent does not"
    assert distance[0, 1] > 10 * distance[0, 0], "GD is slow along the flat bias direction"
