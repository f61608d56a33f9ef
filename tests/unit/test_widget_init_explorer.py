"""Init explorer: every control works over its whole range, bad input gives a message, and figures are
cached by settings."""

import matplotlib
import numpy as np
import pytest
import torch

import course_lib.widgets.initialization as explorer_module
from course_lib.experiments.initialization import MAX_DEPTH, layer_statistics
from course_lib.widgets.initialization import init_explorer

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
    assert ui.kwargs_widgets[DEPTH].value == MAX_DEPTH
    assert ui.last_error is None


def test_overflowing_variances_give_a_message_not_a_crash(batch):
    x, y = batch
    ui = init_explorer(x * 1e15, y)
    ui.f(scheme="normal", std=1.0, activation="identity", depth=12, width=512)
    assert ui.last_error is not None
    assert "NaN or infinite" in ui.last_error


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
