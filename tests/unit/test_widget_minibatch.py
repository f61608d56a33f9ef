"""Batch-size demo: typed settings are validated (one-line messages), every time budget renders, a
broken sampler is one line, and settings tried before are redrawn from the cache."""

import matplotlib
import numpy as np
import pytest

from course_lib.errors import CourseInputError
from course_lib.widgets.minibatch import minibatch_demo, parse_run_settings

matplotlib.use("Agg")

BATCHES, LRS, SECONDS = range(3)
BUDGETS = (0.05, 0.1)


@pytest.fixture
def data(small_fashion):
    return small_fashion.train_x, small_fashion.train_y


@pytest.fixture
def ui(data):
    return minibatch_demo(None, *data, time_budgets=BUDGETS, hidden_sizes=(32,))


def render(ui, index, value):
    """Set a control like a student would; changing the value re-renders, an unchanged value needs update()."""
    ui.last_figure = None
    control = ui.kwargs_widgets[index]
    if control.value == value:
        ui.update()
    else:
        control.value = value


def test_defaults_render_one_curve_per_batch_size(ui):
    assert ui.last_error is None
    labels = [line.get_label() for line in ui.last_figure.axes[0].lines]
    assert [label.split(",")[0] for label in labels] == ["batch 20", "batch 250", "batch 1000"]


@pytest.mark.slow
@pytest.mark.parametrize("index, values", [
    (BATCHES, ["1", "2000", "8, 64", " 16 ,32,64,128,256 "]),
    (LRS, ["0.001", "1e-1", "0.01, 0.1, 0.5"]),
    (SECONDS, list(BUDGETS)),
])
def test_every_control_over_its_range(ui, index, values):
    for value in values:
        render(ui, index, value)
        assert ui.last_error is None, f"{value!r}: {ui.last_error}"
        assert ui.last_figure is not None


@pytest.mark.slow
@pytest.mark.parametrize("index, bad", [
    (BATCHES, "abc"), (BATCHES, "1,,2"), (BATCHES, "-5"), (BATCHES, "1e999"), (BATCHES, ""),
    (BATCHES, "0"), (BATCHES, "2.5"), (BATCHES, "2001"), (BATCHES, "1, 2, 3, 4, 5, 6"),
    (LRS, "abc"), (LRS, "1,,2"), (LRS, "-5"), (LRS, "1e999"), (LRS, ""), (LRS, "0"), (LRS, "0.1, 0.2"),
])
def test_bad_text_gives_one_line_then_the_next_valid_value_renders(ui, index, bad):
    default = ui.kwargs_widgets[index].value
    render(ui, index, bad)
    assert ui.last_error is not None and "\n" not in ui.last_error
    assert isinstance(ui.last_exception, CourseInputError)
    render(ui, index, default)
    assert ui.last_error is None and ui.last_figure is not None


def test_batch_larger_than_the_dataset_names_the_size(ui):
    render(ui, BATCHES, "20, 5000")
    assert "5000 is larger than the training set (2000 examples)" in ui.last_error


def test_nan_producing_learning_rate_is_reported_as_diverged(ui):
    render(ui, SECONDS, BUDGETS[-1])
    render(ui, BATCHES, "256")
    render(ui, LRS, "100")
    assert ui.last_error is not None and "diverged" in ui.last_error and "\n" not in ui.last_error
    render(ui, LRS, "0.05")
    assert ui.last_error is None and ui.last_figure is not None


def test_one_learning_rate_applies_to_every_batch_size():
    assert parse_run_settings("8, 16", "0.1", 100) == ([8, 16], [0.1, 0.1])
    assert parse_run_settings("8, 16", "0.1, 0.2", 100) == ([8, 16], [0.1, 0.2])


def test_a_broken_student_sampler_is_one_line_and_draws_nothing(data):
    ui = minibatch_demo(lambda x, y, n: (x[:2], y), *data, time_budgets=BUDGETS, hidden_sizes=(32,))
    assert ui.last_error is not None and "must return two tensors" in ui.last_error and "\n" not in ui.last_error
    assert isinstance(ui.last_exception, CourseInputError)


def test_a_setting_tried_before_is_redrawn_from_the_cache_not_timed_again(ui):
    first = [line.get_xydata().copy() for line in ui.last_figure.axes[0].lines]
    render(ui, LRS, "0.1")
    render(ui, LRS, "0.05")
    again = [line.get_xydata() for line in ui.last_figure.axes[0].lines]
    assert len(again) == len(first) and all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))


def test_the_starting_budget_is_offered_even_when_not_among_the_choices(data):
    ui = minibatch_demo(None, *data, time_budgets=BUDGETS, time_budget=0.07, hidden_sizes=(32,))
    assert ui.kwargs_widgets[SECONDS].value == 0.07 and 0.07 in ui.kwargs_widgets[SECONDS].options
