"""The overparameterization demo: every control renders, runs are batched and cached, bad input gives a message."""

from __future__ import annotations

import time

import ipywidgets as widgets
import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_lib.errors import CourseInputError
from course_lib.widgets.overparameterization import (
    MAX_INITS,
    PerturbedInits,
    count_parameters,
    overparameterization_demo,
    parse_hidden_sizes,
    perturbed_copies,
)

matplotlib.use("Agg")


def small_problem(n=40, d=12, seed=0, scale=1.0):
    generator = torch.Generator().manual_seed(seed)
    return scale * torch.randn(n, d, generator=generator), torch.randint(0, 10, (n,), generator=generator)


@pytest.fixture
def experiment():
    return PerturbedInits(*small_problem())


@pytest.fixture
def demo(experiment):
    return overparameterization_demo(experiment=experiment, num_steps=20, num_inits=3)


def controls(ui):
    return {control.description: control for control in ui.kwargs_widgets}


def render(ui, description, value):
    ui.last_figure = None
    start = time.perf_counter()
    controls(ui)[description].value = value
    ui.update()
    return time.perf_counter() - start


def test_demo_renders_its_default_view(demo):
    assert isinstance(demo, widgets.interactive)
    assert set(controls(demo)) == {"hidden sizes", "learning rate", "steps", "initializations"}
    assert demo.last_error is None and demo.last_figure is not None


@pytest.mark.slow
@pytest.mark.parametrize("description", ["hidden sizes", "learning rate", "steps", "initializations"])
def test_every_control_renders_over_its_range(demo, description):
    control = controls(demo)[description]
    if isinstance(control, widgets.Dropdown):
        values = list(control.options)
    elif isinstance(control, widgets.FloatLogSlider):
        values = list(np.logspace(control.min, control.max, 4, base=control.base))
    else:
        values = sorted({control.min, (control.min + control.max) // 2, control.max})
    latencies = [render(demo, description, value) for value in values]
    assert demo.last_error is None, demo.last_error
    assert demo.last_figure is not None
    print(f"overparameterization_demo {description}: median update {1000 * np.median(latencies):.0f} ms")


def test_nan_learning_rate_gives_a_one_line_message_and_the_next_value_renders(demo):
    render(demo, "learning rate", float("nan"))
    assert isinstance(demo.last_exception, CourseInputError)
    assert "\n" not in demo.last_error
    render(demo, "learning rate", 0.05)
    assert demo.last_error is None and demo.last_figure is not None


def test_a_diverging_run_is_reported_in_one_line():
    ui = overparameterization_demo(experiment=PerturbedInits(*small_problem(scale=1e6)), lr=1.0, num_steps=20,
                                   num_inits=2)
    assert isinstance(ui.last_exception, CourseInputError)
    assert "NaN" in ui.last_error and "\n" not in ui.last_error


@pytest.mark.parametrize("text", ["", "abc", "10,,10", "0", "-5", "1e3", "5000"])
def test_bad_hidden_sizes_are_rejected(text):
    with pytest.raises(CourseInputError, match="hidden sizes"):
        parse_hidden_sizes(text)


def test_hidden_sizes_parse_and_count():
    assert parse_hidden_sizes(" 20, 20 ") == (20, 20)
    assert count_parameters((10,)) == 785 * 10 + 11 * 10


@pytest.mark.parametrize("settings", [{"num_steps": 0}, {"num_steps": 10**6}, {"num_inits": MAX_INITS + 1},
                                      {"lr": -1.0}, {"lr": float("inf")}])
def test_out_of_range_settings_are_rejected(experiment, settings):
    values = {"hidden_sizes": (5,), "lr": 0.1, "num_steps": 5, "num_inits": 2, **settings}
    with pytest.raises(CourseInputError):
        experiment.loss_curves(**values)


def test_batched_training_matches_training_each_network_alone(experiment):
    lr, steps, count = 0.1, 6, 3
    curves = experiment.loss_curves((7, 5), lr, steps, count)
    nets = perturbed_copies(experiment._base_model((7, 5)), count, experiment.noise_scale,
                            torch.Generator().manual_seed(experiment.seed + 1))
    for index in range(count):
        params = [p[index].detach().clone().requires_grad_() for p in nets.parameters]
        weights, biases = params[:3], params[3:]
        for step in range(steps):
            h = experiment.x
            for layer, (w, b) in enumerate(zip(weights, biases, strict=True)):
                h = h @ w.T + b
                if layer < 2:
                    h = torch.relu(h)
            loss = F.cross_entropy(h, experiment.y)
            assert loss.item() == pytest.approx(curves[index, step], rel=1e-4)
            grads = torch.autograd.grad(loss, params)
            with torch.no_grad():
                for p, g in zip(params, grads, strict=True):
                    p -= lr * g


def test_nearby_initializations_start_close_but_not_equal(experiment):
    curves = experiment.loss_curves((8,), 0.1, 3, 4)
    assert len(np.unique(curves[:, 0])) == 4
    assert np.ptp(curves[:, 0]) < 0.5 * curves[:, 0].mean()


def test_a_shorter_run_is_a_slice_of_the_cached_longer_run(experiment, monkeypatch):
    long = experiment.loss_curves((6,), 0.05, 12, 2)

    def no_training(*args, **kwargs):
        raise AssertionError("a cached run was trained again")

    monkeypatch.setattr(experiment, "_train", no_training)
    assert np.array_equal(experiment.loss_curves((6,), 0.05, 5, 2), long[:, :5])


def test_training_leaves_the_thread_count_and_the_global_random_state_alone(experiment):
    threads, state = torch.get_num_threads(), torch.random.get_rng_state()
    experiment.loss_curves((4,), 0.05, 3, 2)
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.random.get_rng_state(), state)
