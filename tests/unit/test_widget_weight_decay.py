"""The weight-decay demo: every control renders over its range, slider moves only redraw, bad input gives a message."""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib
import pytest

from course_lib.errors import CourseInputError
from course_lib.experiments.weight_decay import LAMBDA_GRID, QUICK_LAMBDA_GRID, WeightDecayExperiment
from course_lib.widgets.weight_decay import weight_decay_demo
from tests.unit.fakes import separable_data

matplotlib.use("Agg")

LAMBDAS = (0.0, 1e-3, 3e-2)


@pytest.fixture
def experiment():
    return WeightDecayExperiment(separable_data(), n_train=60, n_val=40, hidden_sizes=(16,), epochs=4, lr=0.1,
                                 batch_size=20)


@pytest.fixture
def demo(experiment):
    return weight_decay_demo(lambdas=LAMBDAS, experiment=experiment)


def controls(ui):
    return {control.description: control for control in ui.kwargs_widgets}


def test_demo_renders_its_default_view(demo):
    assert isinstance(demo, widgets.interactive)
    assert demo.last_error is None
    assert demo.last_figure is not None


@pytest.mark.slow
@pytest.mark.parametrize("description", ["λ", "show"])
def test_every_option_of_each_selection_control_renders(demo, description):
    control = controls(demo)[description]
    for value in [option[1] if isinstance(option, tuple) else option for option in control.options]:
        demo.last_figure = None
        control.value = value
        demo.update()
        assert demo.last_error is None, f"{description}={value!r}: {demo.last_error}"
        assert demo.last_figure is not None


@pytest.mark.parametrize("text", ["0", "1e-3", "0.05", " 1 "])
def test_reference_lambda_accepts_numbers_in_range(demo, text):
    controls(demo)["reference λ"].value = text
    demo.update()
    assert demo.last_error is None
    assert demo.last_figure is not None


@pytest.mark.parametrize("text", ["", "abc", "-0.1", "5", "nan", "1e999"])
def test_bad_reference_lambda_shows_one_line_message(demo, text):
    controls(demo)["reference λ"].value = text
    demo.update()
    assert isinstance(demo.last_exception, CourseInputError)
    assert demo.last_error and "\n" not in demo.last_error and "λ" in demo.last_error


def test_the_demo_trains_every_slider_lambda_up_front_so_slider_moves_only_redraw(experiment):
    ui = weight_decay_demo(lambdas=LAMBDAS, experiment=experiment)
    trained = len(experiment.runs)
    assert trained == len(LAMBDAS)  # the reference λ = 0 is one of them
    for option in controls(ui)["λ"].options:
        controls(ui)["λ"].value = option[1]
        assert ui.last_error is None
    assert len(experiment.runs) == trained


@pytest.mark.parametrize(("quick", "grid"), [("1", QUICK_LAMBDA_GRID), ("0", LAMBDA_GRID)])
def test_the_default_slider_is_the_full_grid_and_its_ends_and_middle_in_quick_mode(monkeypatch, experiment, quick,
                                                                                    grid):
    monkeypatch.setenv("COURSE_QUICK", quick)
    ui = weight_decay_demo(experiment=experiment)
    assert [value for _, value in controls(ui)["λ"].options] == list(grid)
    assert set(QUICK_LAMBDA_GRID) <= set(LAMBDA_GRID)
    assert min(QUICK_LAMBDA_GRID) == min(LAMBDA_GRID) and max(QUICK_LAMBDA_GRID) == max(LAMBDA_GRID)
