"""The momentum-vs-GD demo: every control renders over its range, runs are cached, bad input gives a message."""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib
import numpy as np
import pytest

from course_lib.errors import CourseInputError
from course_lib.experiments.momentum import MomentumExperiment
from course_lib.widgets.momentum import momentum_demo
from tests.unit.fakes import QuadraticBowl, small_slice

matplotlib.use("Agg")

MAX_STEPS = 120


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
    for value in slider_values(control):
        demo.last_figure = None
        control.value = value
        demo.update()
        assert demo.last_error is None, f"{description}={value!r}: {demo.last_error}"
        assert demo.last_figure is not None


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
