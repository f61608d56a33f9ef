"""The surface demo: every control renders, a new surface resets the learning rates, a slider move
recomputes one optimizer, and a diverging optimizer is a one-line message."""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib
import numpy as np
import pytest

from course_lib.errors import CourseInputError
from course_lib.experiments.surfaces import SurfaceRuns
from course_lib.optimizers import SGD
from course_lib.widgets.surfaces import draw_surface_runs, surface_demo

matplotlib.use("Agg")

MAX_STEPS = 40


@pytest.fixture(scope="module")
def runs():
    return SurfaceRuns(max_steps=MAX_STEPS)


@pytest.fixture
def demo(runs):
    return surface_demo(runs=runs, num_steps=MAX_STEPS)


def controls(ui):
    return {control.description: control for control in ui.kwargs_widgets}


def render(ui, description, value):
    ui.last_figure = None
    controls(ui)[description].value = value
    ui.update()


def test_demo_renders_its_default_view_with_the_tutorial_settings(demo, runs):
    assert isinstance(demo, widgets.interactive)
    assert demo.last_error is None and demo.last_figure is not None
    values = {c.description: c.value for c in demo.kwargs_widgets}
    assert values["surface"] == "pathological curvature"
    assert [values[f"{name} lr"] for name in ("SGD", "Momentum", "Adam")] == pytest.approx([10.0, 10.0, 1.0])


@pytest.mark.parametrize("description", ["surface", "view"])
def test_every_option_renders(demo, description):
    for value in controls(demo)[description].options:
        render(demo, description, value)
        assert demo.last_error is None, f"{description}={value!r}: {demo.last_error}"
        assert demo.last_figure is not None


@pytest.mark.parametrize("description", ["SGD lr", "Momentum lr", "Adam lr", "steps"])
def test_every_slider_renders_over_its_range(demo, description):
    control = controls(demo)[description]
    if isinstance(control, widgets.FloatLogSlider):
        values = list(np.logspace(control.min, control.max, 4, base=control.base))
    else:
        values = list(range(control.min, control.max + 1, 10))
    for value in values:
        render(demo, description, value)
        assert demo.last_error is None, f"{description}={value!r}: {demo.last_error}"
        assert demo.last_figure is not None


def test_choosing_a_surface_resets_the_learning_rates_to_its_settings(demo, runs):
    render(demo, "Adam lr", 0.01)
    render(demo, "surface", "steep optima")
    values = {c.description: c.value for c in demo.kwargs_widgets}
    assert [values[f"{name} lr"] for name in ("SGD", "Momentum", "Adam")] == pytest.approx([0.5, 1.0, 0.2])
    assert demo.last_error is None and demo.last_figure is not None


def test_nan_learning_rate_gives_a_one_line_message_and_the_next_value_renders(demo):
    render(demo, "SGD lr", float("nan"))
    assert isinstance(demo.last_exception, CourseInputError)
    assert "SGD" in demo.last_error and "\n" not in demo.last_error
    render(demo, "SGD lr", 1.0)
    assert demo.last_error is None and demo.last_figure is not None


def test_a_diverging_optimizer_is_reported_in_one_line():
    class Exploding(SGD):
        """A broken update that multiplies the weights instead of stepping: w ← 1e10·w."""

        def update(self, p, grad, state, group):
            p.mul_(1e10)

    ui = surface_demo(runs=SurfaceRuns(optimizers={"Adam": Exploding}, max_steps=20), num_steps=20)
    assert isinstance(ui.last_exception, CourseInputError)
    assert "Adam diverged" in ui.last_error and "\n" not in ui.last_error


def test_changing_one_learning_rate_recomputes_only_that_optimizer(demo, runs):
    render(demo, "surface", "pathological curvature")
    misses = runs.path.cache_info().misses
    render(demo, "Adam lr", 0.5)
    render(demo, "steps", 40)
    assert runs.path.cache_info().misses == misses + 1


def test_three_d_view_draws_on_a_3d_axes(runs):
    paths = runs.paths("steep optima", runs.default_lrs("steep optima"), 20)
    fig = draw_surface_runs(runs.surfaces["steep optima"], paths, plot_3d=True)
    assert fig.axes[0].name == "3d"


