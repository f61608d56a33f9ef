"""Init explorer: every control works over its whole range, bad input gives a message, the numbers match
the notebook's findings, and results are cached by settings."""

import statistics
import sys
import time
import types

import matplotlib
import numpy as np
import pytest
import torch

import course_lib.widgets.initialization as explorer_module
from course_lib.widgets.initialization import explorer_batch, init_explorer, layer_statistics

matplotlib.use("Agg")

SCHEME, STD, ACTIVATION, DEPTH, WIDTH = range(5)


@pytest.fixture(scope="module")
def batch():
    generator = torch.Generator().manual_seed(2024)
    x = torch.randn(64, 784, generator=generator)
    y = torch.randint(0, 10, (64,), generator=generator)
    return x, y


@pytest.fixture
def ui(batch):
    return init_explorer(*batch)


def control_values(control):
    """Every value a control can take: dropdown options, or the slider's grid from min to max."""
    if hasattr(control, "options"):
        return [value for _, value in control.options]
    if hasattr(control, "base"):
        exponents = np.arange(control.min, control.max + control.step / 2, control.step)
        return [float(control.base ** exponent) for exponent in exponents]
    return list(range(control.min, control.max + 1, control.step))


def test_first_render_is_clean(ui):
    assert ui.last_error is None
    assert ui.last_figure is not None
    assert [control.description for control in ui.kwargs_widgets] == [
        "scheme", "std (normal)", "activation", "hidden layers", "width"]


def drive(ui, index, values):
    if index == STD:
        ui.kwargs_widgets[SCHEME].value = "normal"
    for value in values:
        ui.kwargs_widgets[index].value = value
        ui.last_figure = None
        ui.update()
        assert ui.last_error is None, f"{ui.kwargs_widgets[index].description}={value}: {ui.last_error}"
        assert ui.last_figure is not None
        assert len(ui.last_figure.axes) == 3


@pytest.mark.parametrize("index", [SCHEME, STD, ACTIVATION, DEPTH, WIDTH])
def test_every_control_at_both_ends_and_the_middle(ui, index):
    values = control_values(ui.kwargs_widgets[index])
    drive(ui, index, [values[0], values[len(values) // 2], values[-1]])


@pytest.mark.slow
@pytest.mark.parametrize("index", [SCHEME, STD, ACTIVATION, DEPTH, WIDTH])
def test_every_control_over_its_whole_range(ui, index):
    values = control_values(ui.kwargs_widgets[index])
    assert len(values) >= 4
    drive(ui, index, values)


@pytest.mark.parametrize("bad, expected", [
    ({"scheme": "orthogonal"}, "scheme"),
    ({"activation": "softplus"}, "activation"),
    ({"depth": "abc"}, "depth"),
    ({"depth": 0}, "depth"),
    ({"depth": 99}, "depth"),
    ({"depth": 2.5}, "depth"),
    ({"width": 3}, "width"),
    ({"width": 100_000}, "width"),
    ({"scheme": "normal", "std": -0.1}, "std"),
    ({"scheme": "normal", "std": "nan"}, "std"),
])
def test_bad_values_give_one_line_message(ui, bad, expected):
    values = {"scheme": "kaiming", "std": 0.01, "activation": "relu", "depth": 3, "width": 64, **bad}
    assert ui.f(**values) is None
    assert ui.last_error is not None
    assert expected in ui.last_error
    assert "\n" not in ui.last_error
    ui.f(scheme="kaiming", std=0.01, activation="relu", depth=3, width=64)
    assert ui.last_error is None


def test_out_of_range_slider_values_are_clamped(ui):
    ui.kwargs_widgets[WIDTH].value = 16
    ui.kwargs_widgets[DEPTH].value = 1000
    ui.update()
    assert ui.kwargs_widgets[DEPTH].value == explorer_module.MAX_DEPTH
    assert ui.last_error is None


def test_overflowing_variances_give_a_message_not_a_crash(batch):
    x, y = batch
    ui = init_explorer(x * 1e15, y)
    ui.f(scheme="normal", std=1.0, activation="identity", depth=12, width=512)
    assert ui.last_error is not None
    assert "NaN or infinite" in ui.last_error


def last_over_first(stats, depth):
    return stats.activation_variance[depth - 1] / stats.activation_variance[0]


def test_variances_reproduce_the_notebook_findings(batch):
    x, y = batch
    depth = 4
    small = layer_statistics(x, y, "normal", "identity", depth, 256, std=0.01)
    large = layer_statistics(x, y, "normal", "identity", depth, 256, std=0.1)
    equal = layer_statistics(x, y, "equal_variance", "identity", depth, 256)
    xavier_tanh = layer_statistics(x, y, "xavier", "tanh", depth, 256)
    kaiming_relu = layer_statistics(x, y, "kaiming", "relu", depth, 256)
    xavier_relu = layer_statistics(x, y, "xavier", "relu", depth, 256)
    assert last_over_first(small, depth) < 1e-3
    assert last_over_first(large, depth) > 10
    assert np.all((equal.activation_variance[:depth] > 0.8) & (equal.activation_variance[:depth] < 1.25))
    assert xavier_tanh.activation_variance[0] > 1.0
    assert last_over_first(xavier_tanh, depth) < 0.4
    assert np.all((kaiming_relu.activation_variance[:depth] > 0.6) & (kaiming_relu.activation_variance[:depth] < 1.6))
    assert last_over_first(xavier_relu, depth) < 0.6 * last_over_first(kaiming_relu, depth)
    assert np.all(kaiming_relu.gradient_variance > 0)


@pytest.mark.slow
def test_backward_signal_is_flat_for_kaiming_relu_and_vanishes_for_small_weights(batch):
    x, y = batch
    depth = 4
    kaiming_relu = layer_statistics(x, y, "kaiming", "relu", depth, 256).backward_variance[:depth]
    xavier_relu = layer_statistics(x, y, "xavier", "relu", depth, 256).backward_variance[:depth]
    small = layer_statistics(x, y, "normal", "identity", depth, 256, std=0.01).backward_variance[:depth]
    assert kaiming_relu.max() / kaiming_relu.min() < 1.5
    assert xavier_relu[0] / xavier_relu[-1] < 0.3
    assert small[0] < 1e-3 * small[-1]


def test_same_settings_give_the_same_numbers_and_leave_the_global_rng_alone(batch):
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    first = layer_statistics(*batch, "xavier", "tanh", 3, 64)
    assert torch.equal(torch.rand(3), expected_next)
    second = layer_statistics(*batch, "xavier", "tanh", 3, 64)
    np.testing.assert_array_equal(first.activation_variance, second.activation_variance)
    np.testing.assert_array_equal(first.gradient_variance, second.gradient_variance)
    np.testing.assert_array_equal(first.backward_variance, second.backward_variance)
    assert first.activation_variance.shape == first.gradient_variance.shape == first.backward_variance.shape == (4,)


def test_results_are_cached_by_settings(batch, monkeypatch):
    calls = []

    def counting(*args, **kwargs):
        calls.append(args[2:])
        return layer_statistics(*args, **kwargs)

    monkeypatch.setattr(explorer_module, "layer_statistics", counting)
    ui = init_explorer(*batch)
    ui.kwargs_widgets[DEPTH].value = 2
    ui.kwargs_widgets[DEPTH].value = 4
    ui.update()
    assert len(calls) == 2
    assert ui.last_error is None


def test_missing_dataset_falls_back_to_noise_with_one_line(monkeypatch, capsys):
    def unavailable(**kwargs):
        raise RuntimeError("FashionMNIST not found under /nowhere; run `make data`")

    monkeypatch.setitem(sys.modules, "course_lib.data", types.SimpleNamespace(load_fashion_mnist=unavailable))
    x, y, source = explorer_batch(batch_size=32)
    assert x.shape == (32, 784) and y.shape == (32,)
    assert source == "standard-normal noise"
    printed = capsys.readouterr().out.strip()
    assert "make data" in printed and "\n" not in printed


@pytest.mark.slow
def test_median_update_time_is_reported():
    """Not a timing assertion: prints the median time of an uncached update (run with -s to see it)."""
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(explorer_module.BATCH_SIZE, 784, generator=generator)
    ui = init_explorer(x, torch.randint(0, 10, (len(x),), generator=generator))
    durations = []
    for depth in range(1, 9):
        ui.kwargs_widgets[DEPTH].value = depth
        start = time.perf_counter()
        ui.update()
        durations.append(time.perf_counter() - start)
        assert ui.last_error is None
    print(f"init explorer: median uncached update {1000 * statistics.median(durations):.0f} ms")
