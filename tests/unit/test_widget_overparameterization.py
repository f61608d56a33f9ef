"""The overparameterization demo: every control renders, bad input and diverging runs give a message."""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib
import numpy as np
import pytest

from course_lib.errors import CourseInputError
from course_lib.experiments.overparameterization import PerturbedInits, count_parameters
from course_lib.widgets.overparameterization import overparameterization_demo, parse_hidden_sizes
from tests.unit.fakes import small_problem

matplotlib.use("Agg")


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
    controls(ui)[description].value = value
    ui.update()


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
    for value in values:
        render(demo, description, value)
        assert demo.last_error is None, f"{description}={value!r}: {demo.last_error}"
        assert demo.last_figure is not None


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
