"""Compare-optimizers demo: every slider over its range, divergence as a message and a label, and the
demo answering from the comparison it was given."""

import matplotlib
import numpy as np
import pytest

from course_lib.experiments.compare_optimizers import OPTIMIZER_NAMES, OptimizerComparison
from course_lib.widgets.compare_optimizers import compare_optimizers_demo, plot_comparison

matplotlib.use("Agg")

BATCH, LR, MOMENTUM, STEPS = range(4)


@pytest.fixture
def comparison(small_fashion):
    return OptimizerComparison(small_fashion.train_x, small_fashion.train_y, hidden_sizes=(32,))


@pytest.fixture
def ui(comparison):
    return compare_optimizers_demo(comparison)


def slider_values(control):
    if hasattr(control, "base"):
        exponents = np.arange(control.min, control.max + control.step / 2, 4 * control.step)
        return [float(control.base**exponent) for exponent in exponents]
    return [control.min, (control.min + control.max) / 2, control.max]


def render(ui, index, value):
    """Set a control like a student would; changing the value re-renders, an unchanged value needs update()."""
    ui.last_figure = None
    control = ui.kwargs_widgets[index]
    if control.value == value:
        ui.update()
    else:
        control.value = value


def test_default_settings_render_four_curves(ui):
    assert ui.last_error is None
    assert [line.get_label().split()[0].rstrip(":") for line in ui.last_figure.axes[0].lines] == list(
        OPTIMIZER_NAMES)


@pytest.mark.slow
@pytest.mark.parametrize("index", [BATCH, LR, MOMENTUM, STEPS])
def test_every_slider_over_its_range(ui, index):
    for value in slider_values(ui.kwargs_widgets[index]):
        render(ui, index, value)
        if ui.last_error is not None:
            assert index == LR and value >= 0.05 and "diverged" in ui.last_error
            continue
        assert ui.last_figure is not None, f"no figure for {value}"


def test_huge_learning_rate_reports_divergence_in_one_line_then_recovers(ui):
    render(ui, LR, 10.0)
    assert ui.last_error is not None and "diverged" in ui.last_error and "\n" not in ui.last_error
    assert "SGD" in ui.last_error
    render(ui, LR, 1e-2)
    assert ui.last_error is None and ui.last_figure is not None


def test_diverged_run_is_labelled_in_the_figure(comparison):
    curves = comparison.curves(32, 10.0, 0.9, 50)
    assert np.isnan(curves["SGD"]).any()
    labels = [line.get_label() for line in plot_comparison(curves, "t").axes[0].lines]
    assert any(label.startswith("SGD: diverged at step") for label in labels)


def test_the_demo_answers_repeated_settings_from_its_comparisons_cache(ui, comparison):
    runs_after_default = comparison.runs
    render(ui, STEPS, 40)
    render(ui, STEPS, 100)
    render(ui, STEPS, 40)
    render(ui, STEPS, 100)
    assert comparison.runs == runs_after_default + 1
    assert ui.last_error is None and ui.last_figure is not None


def test_batch_larger_than_dataset_gives_a_message(small_fashion):
    small = OptimizerComparison(small_fashion.train_x[:100], small_fashion.train_y[:100], hidden_sizes=(8,))
    ui = compare_optimizers_demo(small)
    render(ui, BATCH, 256)
    assert ui.last_error is not None and "100 training examples" in ui.last_error
    render(ui, BATCH, 64)
    assert ui.last_error is None and ui.last_figure is not None
