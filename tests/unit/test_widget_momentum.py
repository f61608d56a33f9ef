"""The momentum-vs-GD demo: every control renders over its range, runs are cached, bad input gives a message."""

from __future__ import annotations

import math
import time

import ipywidgets as widgets
import matplotlib
import numpy as np
import pytest
import torch

from course_lib.surfaces import LogisticSlice
from course_lib.errors import CourseInputError
from course_lib.widgets.momentum import MomentumExperiment, draw_momentum, momentum_demo

matplotlib.use("Agg")

MAX_STEPS = 120


def small_slice(seed: int = 0) -> LogisticSlice:
    """A softmax regression on 60 random 8-feature points with 4 classes: a slice in milliseconds."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(60, 8, generator=generator, dtype=torch.float64)
    y = torch.randint(0, 4, (60,), generator=generator)
    weight = 0.3 * torch.randn(4, 8, generator=generator, dtype=torch.float64)
    bias = 0.1 * torch.randn(4, generator=generator, dtype=torch.float64)
    return LogisticSlice(x, y, weight, bias, weight_index=(2, 3), bias_index=1)


@pytest.fixture
def experiment():
    return MomentumExperiment(small_slice(), resolution=20, max_steps=MAX_STEPS)


@pytest.fixture
def demo(experiment):
    return momentum_demo(experiment=experiment)


def controls(ui):
    return {control.description: control for control in ui.kwargs_widgets}


def slider_values(control):
    if isinstance(control, widgets.FloatLogSlider):
        return list(np.logspace(control.min, control.max, 7, base=control.base))
    return list(np.linspace(control.min, control.max, 6).astype(type(control.value)))


def test_demo_has_the_three_controls_and_renders_its_default_view(demo):
    assert isinstance(demo, widgets.interactive)
    assert set(controls(demo)) == {"learning rate", "momentum β", "steps"}
    assert isinstance(controls(demo)["learning rate"], widgets.FloatLogSlider)
    assert demo.last_error is None and demo.last_figure is not None


@pytest.mark.parametrize("description", ["learning rate", "momentum β", "steps"])
def test_every_control_renders_over_its_whole_range(demo, description):
    control = controls(demo)[description]
    latencies = []
    for value in slider_values(control):
        demo.last_figure = None
        start = time.perf_counter()
        control.value = value
        demo.update()
        latencies.append(time.perf_counter() - start)
        assert demo.last_error is None, f"{description}={value!r}: {demo.last_error}"
        assert demo.last_figure is not None
    print(f"momentum_demo {description}: median update {1000 * np.median(latencies):.1f} ms")


@pytest.mark.parametrize("description", ["learning rate", "momentum β"])
def test_nan_gives_a_one_line_message_and_the_next_value_renders(demo, description):
    control = controls(demo)[description]
    default = control.value
    control.value = float("nan")
    demo.update()
    assert isinstance(demo.last_exception, CourseInputError)
    assert demo.last_error and "\n" not in demo.last_error
    control.value = default
    demo.update()
    assert demo.last_error is None and demo.last_figure is not None


@pytest.mark.parametrize("settings", [{"lr": 1e9}, {"lr": 0.0}, {"beta": 1.5}, {"beta": -0.1},
                                      {"num_steps": 0}, {"num_steps": MAX_STEPS + 1}])
def test_out_of_range_settings_are_rejected_with_a_message(experiment, settings):
    values = {"lr": 0.5, "beta": 0.5, "num_steps": 50, **settings}
    with pytest.raises(CourseInputError):
        draw_momentum(experiment, **values)


class QuadraticBowl:
    """J = ½(a·w² + c·b²): the interface MomentumExperiment needs, with GD diverging for lr > 2/max(a, c)."""

    def __init__(self, a: float = 1.0, c: float = 0.1):
        self.a, self.c = a, c
        self.default_init, self.x_range, self.y_range = (2.0, 3.0), (-4.0, 4.0), (-4.0, 4.0)

    def optimum(self):
        return 0.0, 0.0

    def curvatures(self):
        return min(self.a, self.c), max(self.a, self.c)

    def grid(self, resolution):
        w, b = np.meshgrid(np.linspace(-4, 4, resolution), np.linspace(-4, 4, resolution))
        return w, b, 0.5 * (self.a * w**2 + self.c * b**2)

    def momentum_paths(self, lr, betas, init, num_steps):
        lr, betas = np.broadcast_arrays(np.asarray(lr, float), np.asarray(betas, float))
        point = np.tile(np.asarray(init, float), (len(lr), 1))
        velocity = np.zeros_like(point)
        paths = np.empty((len(lr), num_steps, 3))
        with np.errstate(over="ignore", invalid="ignore"):
            for step in range(num_steps):
                loss = 0.5 * (self.a * point[:, 0] ** 2 + self.c * point[:, 1] ** 2)
                paths[:, step] = np.column_stack([point, loss])
                gradient = point * [self.a, self.c]
                velocity = betas[:, None] * velocity - lr[:, None] * gradient
                point = point + velocity
        paths[~np.isfinite(paths).all(axis=2).cumprod(axis=1).astype(bool)] = np.nan
        return paths


def test_a_diverging_run_is_reported_in_one_line_and_valid_settings_render_again():
    experiment = MomentumExperiment(QuadraticBowl(), resolution=10, max_steps=500)
    ui = momentum_demo(experiment=experiment, lr=0.1, beta=0.0, num_steps=500)
    assert ui.last_error is None
    controls(ui)["learning rate"].value = 10**1.5
    ui.update()
    assert isinstance(ui.last_exception, CourseInputError)
    assert "diverged" in ui.last_error and "\n" not in ui.last_error
    controls(ui)["learning rate"].value = 0.1
    ui.update()
    assert ui.last_error is None and ui.last_figure is not None


def test_moving_the_steps_slider_reuses_the_cached_run(demo, experiment):
    misses = experiment.runs.cache_info().misses
    for steps in (10, 50, MAX_STEPS):
        controls(demo)["steps"].value = steps
        demo.update()
    assert experiment.runs.cache_info().misses == misses


def test_runs_are_gd_and_heavy_ball_momentum(experiment):
    problem = experiment.problem
    lr, beta = 0.3, 0.7
    runs = experiment.runs(lr, beta)
    w, b = experiment.init
    velocity = np.zeros(2)
    for step in range(5):
        assert np.allclose(runs[1, step, :2], [w, b])
        _, grad_w, grad_b = problem.loss_and_grad(w, b)
        velocity = beta * velocity - lr * np.array([float(grad_w), float(grad_b)])
        w, b = w + velocity[0], b + velocity[1]
    gd = problem.momentum_paths(lr, 0.0, init=experiment.init, num_steps=MAX_STEPS)[0]
    assert np.allclose(runs[0], gd)


def test_steps_to_tolerance_finds_the_first_step_within_tolerance(experiment):
    lr, beta = 1.0, 0.5
    distances = experiment.distances(lr, beta, MAX_STEPS).max(axis=2)
    for method, step in zip(distances, experiment.steps_to_tolerance(lr, beta, tolerance=1e-3), strict=True):
        if step is None:
            assert (method >= 1e-3).all()
        else:
            assert method[step] < 1e-3 and (method[:step] >= 1e-3).all()
    assert experiment.steps_to_tolerance(1e-3, 0.0, tolerance=1e-6) == (None, None)


def test_optimum_is_where_the_gradient_vanishes(experiment):
    _, grad_w, grad_b = experiment.problem.loss_and_grad(*experiment.optimum)
    assert math.hypot(float(grad_w), float(grad_b)) < 1e-9
