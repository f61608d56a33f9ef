"""MomentumExperiment: GD and heavy-ball runs on a slice, cached, measured against the Newton optimum;
bad settings and diverging runs are one sentence."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib.errors import CourseInputError
from course_lib.experiments.momentum import MomentumExperiment
from course_lib.experiments.surfaces import run_trajectory
from course_lib.optimizers import SGD
from tests.unit.fakes import QuadraticBowl, small_slice

MAX_STEPS = 120


@pytest.fixture
def experiment():
    return MomentumExperiment(small_slice(), resolution=20, max_steps=MAX_STEPS)


@pytest.mark.parametrize("settings", [{"lr": 1e9}, {"lr": 0.0}, {"lr": float("nan")}, {"beta": 1.5},
                                      {"beta": -0.1}, {"num_steps": 0}, {"num_steps": MAX_STEPS + 1}])
def test_out_of_range_settings_are_one_sentence(experiment, settings):
    values = {"lr": 0.5, "beta": 0.5, "num_steps": 50, **settings}
    with pytest.raises(CourseInputError) as error:
        experiment.paths(**values)
    assert "\n" not in str(error.value)


def test_a_diverging_run_names_the_stable_learning_rate():
    experiment = MomentumExperiment(QuadraticBowl(), resolution=10, max_steps=200)
    assert experiment.optimum.stable_lr == pytest.approx(2.0)
    assert experiment.paths(0.1, 0.0, 200).shape == (2, 200, 3)
    with pytest.raises(CourseInputError, match=r"GD diverged .* below 2/λ_max ≈ 2"):
        experiment.paths(2.5, 0.0, 200)


def test_runs_are_gd_and_heavy_ball_momentum_from_the_windows_start(experiment):
    problem = experiment.problem
    lr, beta = 0.3, 0.7
    runs = experiment.runs(lr, beta)
    assert experiment.init == experiment.window.start
    w, b = experiment.init
    velocity = np.zeros(2)
    for step in range(5):
        np.testing.assert_allclose(runs[1, step, :2], [w, b], rtol=1e-12)
        _, grad_w, grad_b = problem.loss_and_grad(w, b)
        velocity = beta * velocity - lr * np.array([float(grad_w), float(grad_b)])
        w, b = w + velocity[0], b + velocity[1]
    gd = run_trajectory(lambda params: SGD(params, lr=lr), problem.loss, init=experiment.init, num_steps=MAX_STEPS,
                        dtype=torch.float64)
    np.testing.assert_allclose(runs[0], gd, rtol=1e-9, atol=1e-12)


def test_a_run_is_computed_once_per_setting(experiment):
    experiment.paths(0.3, 0.5, 10)
    experiment.paths(0.3, 0.5, MAX_STEPS)
    experiment.distances(0.3, 0.5, 40)
    assert experiment.runs.cache_info().misses == 1


def test_steps_to_tolerance_finds_the_first_step_within_tolerance(experiment):
    lr, beta = 1.0, 0.5
    distances = experiment.distances(lr, beta, MAX_STEPS).max(axis=2)
    for method, step in zip(distances, experiment.steps_to_tolerance(lr, beta, tolerance=1e-3), strict=True):
        if step is None:
            assert (method >= 1e-3).all()
        else:
            assert method[step] < 1e-3 and (method[:step] >= 1e-3).all()
    assert experiment.steps_to_tolerance(1e-3, 0.0, tolerance=1e-6) == (None, None)


def test_distances_are_measured_from_the_newton_optimum(experiment):
    _, grad_w, grad_b = experiment.problem.loss_and_grad(*experiment.optimum.point)
    assert abs(float(grad_w)) <= experiment.optimum.tolerance[0]
    assert abs(float(grad_b)) <= experiment.optimum.tolerance[1]
    first = experiment.distances(0.3, 0.5, 1)[0, 0]
    np.testing.assert_allclose(first, np.abs(np.subtract(experiment.init, experiment.optimum.point)))
