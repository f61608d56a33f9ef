"""Compare-optimizers demo: every slider over its range, divergence as a message, one minibatch stream
and one initial model for all four optimizers, and repeated settings answered from the cache."""

import matplotlib
import numpy as np
import pytest
import torch

from course_lib.widgets.compare_optimizers import (
    OPTIMIZER_NAMES,
    OptimizerComparison,
    compare_optimizers_demo,
    minibatch_stream,
)

matplotlib.use("Agg")

BATCH, LR, MOMENTUM, STEPS = range(4)


@pytest.fixture
def ui(small_fashion):
    return compare_optimizers_demo(small_fashion.train_x, small_fashion.train_y, hidden_sizes=(32,))


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


def test_diverged_run_is_labelled_in_the_figure(small_fashion):
    comparison = OptimizerComparison(small_fashion.train_x, small_fashion.train_y, hidden_sizes=(32,))
    curves = comparison.losses(32, 10.0, 0.9, 50)
    assert np.isnan(curves["SGD"]).any()
    from course_lib.widgets.compare_optimizers import plot_comparison

    labels = [line.get_label() for line in plot_comparison(curves, "t").axes[0].lines]
    assert any(label.startswith("SGD: diverged at step") for label in labels)


def test_repeated_setting_is_answered_from_the_cache(ui):
    runs_after_default = ui.comparison.runs
    render(ui, STEPS, 40)
    render(ui, STEPS, 100)
    render(ui, STEPS, 40)
    render(ui, STEPS, 100)
    assert ui.comparison.runs == runs_after_default + 1
    assert ui.last_error is None and ui.last_figure is not None


def test_all_optimizers_share_the_initial_model_and_the_minibatches(small_fashion):
    comparison = OptimizerComparison(small_fashion.train_x, small_fashion.train_y, hidden_sizes=(32,))
    curves = comparison.losses(64, 1e-2, 0.9, 30)
    first_losses = {name: curve[0] for name, curve in curves.items()}
    assert len(set(first_losses.values())) == 1, first_losses
    assert all(np.isfinite(curve).all() for curve in curves.values())
    assert curves["Adam"][-10:].mean() < curves["Adam"][:3].mean()


def test_minibatch_stream_is_reproducible_and_in_range():
    a, b = minibatch_stream(100, 16, 5, seed=3), minibatch_stream(100, 16, 5, seed=3)
    assert a.shape == (5, 16) and torch.equal(a, b)
    assert int(a.min()) >= 0 and int(a.max()) < 100


def test_batch_larger_than_dataset_gives_a_message(small_fashion):
    ui = compare_optimizers_demo(small_fashion.train_x[:100], small_fashion.train_y[:100], hidden_sizes=(8,))
    render(ui, BATCH, 256)
    assert ui.last_error is not None and "larger than" in ui.last_error
    render(ui, BATCH, 64)
    assert ui.last_error is None and ui.last_figure is not None


def test_final_losses_average_the_last_steps_of_the_demos_starting_settings(ui):
    comparison = ui.comparison
    curves = comparison.losses(64, 0.01, 0.9, 100)
    finals = comparison.final_losses(0.01, last=10)
    assert list(finals) == list(OPTIMIZER_NAMES)
    for name in OPTIMIZER_NAMES:
        assert finals[name] == pytest.approx(float(curves[name][-10:].mean()))
    assert [control.value for control in ui.kwargs_widgets] == [64, pytest.approx(0.01), 0.9, 100]


def test_learning_rate_scan_has_one_column_per_rate_and_nan_where_a_run_diverged(ui):
    scan = ui.comparison.learning_rate_scan([1e-3, 1e-2, 10.0])
    assert list(scan.columns) == ["0.001", "0.01", "10"] and list(scan.index) == list(OPTIMIZER_NAMES)
    assert scan["0.01"].notna().all()
    assert scan["10"].isna().any(), "a learning rate of 10 should make some optimizer diverge"
