"""Fuzz every control of every demo: extremes, out-of-range values and garbage text.

Pass = no exception escapes the demo, anything it rejects shows a short one-line message (a
``CourseInputError``, never a bug's exception), and the next valid value renders normally again, down
to the PNG a student would see (the demos render it headlessly too).
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib
import pytest
from traitlets import TraitError

import course_lib.widgets as demos
from course_lib.errors import CourseInputError

matplotlib.use("Agg")

GARBAGE_TEXT = ["", "   ", "abc", "1,,2", "-5", "0", "1e999", "nan", "1e6", "10000000", "3.5.1", "💥"]
SELECTIONS = (widgets.Dropdown, widgets.ToggleButtons, widgets.RadioButtons, widgets.SelectionSlider, widgets.Select)


def candidate_values(control) -> list:
    """Values a student (or a script) could push into ``control``, extremes and nonsense included."""
    if isinstance(control, widgets.FloatLogSlider):
        low, high = control.base ** control.min, control.base ** control.max
        return [low, high, low / 1e3, high * 1e3, float("nan")]
    if isinstance(control, widgets.Checkbox | widgets.ToggleButton):
        return [True, False]
    if isinstance(control, SELECTIONS):
        return [*control.options, "not-an-option"]
    if isinstance(control, widgets.IntRangeSlider | widgets.FloatRangeSlider):
        return [(control.min, control.min), (control.min, control.max), (control.max, control.max)]
    if hasattr(control, "min") and hasattr(control, "max"):
        span = control.max - control.min
        return [control.min, control.max, control.min - span - 1, control.max + span + 1]
    if isinstance(control, widgets.IntText | widgets.FloatText):
        return [0, -5, 10**9]
    if isinstance(control, widgets.Text | widgets.Textarea):
        return GARBAGE_TEXT
    return []


def set_value(ui, control, value) -> bool:
    """Assign like a script would; False when the widget itself refuses the value (TraitError)."""
    try:
        control.value = value
    except (TraitError, ValueError, TypeError):
        return False
    ui.update()
    return True


def assert_handled(ui, demo: str, control, value) -> None:
    where = f"{demo}: {control.description or control.__class__.__name__} = {value!r}"
    if ui.last_error is None:
        return
    assert isinstance(ui.last_exception, CourseInputError), f"{where} hit a bug: {ui.last_error}"
    assert "\n" not in ui.last_error and len(ui.last_error) <= 240, f"{where}: message too long: {ui.last_error}"


def assert_renders(ui, demo: str, what: str) -> None:
    assert ui.last_error is None, f"{demo}: {what} should render but shows: {ui.last_error}"
    assert ui.last_figure is not None, f"{demo}: {what} drew no figure"
    assert ui.last_png is not None and ui.last_png.startswith(b"\x89PNG"), f"{demo}: {what} rendered no PNG"


@pytest.mark.slow
@pytest.mark.parametrize("demo", demos.__all__)
def test_every_control_survives_bad_input(demo):
    ui = getattr(demos, demo)()
    assert isinstance(ui, widgets.interactive)
    assert_renders(ui, demo, "the default settings")
    defaults = [control.value for control in ui.kwargs_widgets]
    for control, default in zip(ui.kwargs_widgets, defaults, strict=True):
        for value in candidate_values(control):
            if set_value(ui, control, value):
                assert_handled(ui, demo, control, value)
            set_value(ui, control, default)
            assert_renders(ui, demo, f"restoring {control.description or 'a control'} to {default!r}")


@pytest.mark.slow
@pytest.mark.parametrize("demo", demos.__all__)
def test_garbage_text_is_rejected_with_a_message(demo):
    ui = getattr(demos, demo)()
    texts = [control for control in ui.kwargs_widgets if isinstance(control, widgets.Text | widgets.Textarea)]
    if not texts:
        pytest.skip(f"{demo} has no free-text controls")
    for control in texts:
        default = control.value
        for value in ["", "abc", "1,,2", "-5", "1e999"]:
            set_value(ui, control, value)
            assert isinstance(ui.last_exception, CourseInputError), f"{demo}: {value!r} was not rejected"
            set_value(ui, control, default)
            assert_renders(ui, demo, f"restoring {control.description!r}")
