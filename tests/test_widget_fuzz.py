"""Fuzz every control of every demo: extremes, values past the slider's ends, garbage text, wrong types.

The values go straight to the demo's callback (``ui.f``, the guarded function ``demo_interactive``
wraps), bypassing the widgets' own clamping and validation, so a value the widget would refuse still
reaches the code that must refuse it. Pass = no exception other than ``CourseInputError`` escapes
(the message is shown in one short line), garbage text is refused, and the defaults render again
afterwards, down to the PNG a student would see. ``test_the_fuzz_reports_a_demo_that_lets_an_error_escape``
plants faulty demos to show that ``fuzz_demo`` catches them.

The same pass checks the random state: building a demo and pushing every value through it must leave the
global generators of torch, NumPy and ``random`` exactly as they were (a demo draws from its own
generator), so that playing with a slider cannot change what later cells compute. A planted demo that
draws from torch's global generator proves the comparison can fail.
"""

from __future__ import annotations

import random

import ipywidgets as widgets
import matplotlib
import numpy as np
import pytest
import torch

import course_lib.widgets as demos
from course_lib.errors import CourseInputError
from course_lib.widgets.common import demo_interactive

matplotlib.use("Agg")

NONSENSE = [None, True, "abc", "", float("nan"), float("inf"), -1e9, 1e9, [1, 2]]
GARBAGE_TEXT = ["", "   ", "abc", "1,,2", "-5", "1e999", "nan", "3.5.1", "💥"]
SELECTIONS = (widgets.Dropdown, widgets.ToggleButtons, widgets.RadioButtons, widgets.SelectionSlider, widgets.Select)


def small_demo(name: str) -> widgets.interactive:
    """Demos that train get a smaller experiment (fewer images, one or two epochs, a narrower network: each
    value pushed through them trains afresh); every other demo is built as a student would."""
    from course_lib.data import load_fashion_mnist

    if name == "weight_decay_demo":
        from course_lib.experiments.weight_decay import WeightDecayExperiment

        experiment = WeightDecayExperiment(load_fashion_mnist(device="cpu"), n_train=100, n_val=100, epochs=2)
        return demos.weight_decay_demo(experiment=experiment)
    if name == "schedule_demo":
        from course_lib.experiments.schedules import ScheduleExperiment

        return demos.schedule_demo(experiment=ScheduleExperiment(load_fashion_mnist(device="cpu"), n_train=1000,
                                                                 n_val=200, epochs=2))
    if name == "adamw_demo":
        from course_lib.experiments.decoupled_decay import DecayComparison

        return demos.adamw_demo(comparison=DecayComparison(load_fashion_mnist(device="cpu"), n_train=500, n_val=200,
                                                           epochs=1))
    if name == "clipping_demo":
        from course_lib.experiments.clipping import ClippingExperiment

        return demos.clipping_demo(experiment=ClippingExperiment(load_fashion_mnist(device="cpu"), n_train=500,
                                                                 n_val=200, epochs=1))
    if name == "compare_optimizers_demo":
        from course_lib.experiments.compare_optimizers import OptimizerComparison

        data = load_fashion_mnist(device="cpu")
        return demos.compare_optimizers_demo(comparison=OptimizerComparison(data.train_x[:2000], data.train_y[:2000],
                                                                            hidden_sizes=(16,)))
    if name == "overparameterization_demo":
        from course_lib.experiments.overparameterization import PerturbedInits, default_subset

        return demos.overparameterization_demo(experiment=PerturbedInits(*default_subset(50)))
    return getattr(demos, name)()


def global_states() -> tuple:
    """The global random states of torch, NumPy and ``random``."""
    return torch.random.get_rng_state().clone(), np.random.get_state()[1].copy(), random.getstate()


def random_state_changes(before: tuple) -> list[str]:
    """Which global generators moved since ``before`` (empty: none)."""
    torch_state, numpy_state, python_state = global_states()
    return [name for name, same in (("torch", torch.equal(torch_state, before[0])),
                                    ("NumPy", np.array_equal(numpy_state, before[1])),
                                    ("random", python_state == before[2])) if not same]


def fuzz_leaving_the_random_state_alone(build, name: str) -> list[str]:
    """``fuzz_demo`` on the demo ``build()`` returns, plus a problem when building or fuzzing it moved a
    global random generator."""
    torch.manual_seed(7), np.random.seed(7), random.seed(7)
    before = global_states()
    problems = fuzz_demo(build(), name)
    moved = random_state_changes(before)
    if moved:
        problems.append(f"{name}: building it and moving its controls changed the global random state of "
                        f"{', '.join(moved)}")
    return problems


def candidate_values(control) -> list:
    """Values a student or a script could push into ``control``, extremes and nonsense included."""
    values = list(NONSENSE)
    if isinstance(control, widgets.FloatLogSlider):
        low, high = control.base ** control.min, control.base ** control.max
        values += [low, high, low / 1e3, high * 1e3, 0.0, -low]
    elif isinstance(control, SELECTIONS):
        values += [value for _, value in control._options_full] + ["not-an-option"]
    elif hasattr(control, "min") and hasattr(control, "max"):
        span = control.max - control.min
        inside = range(control.min, control.max + 1, max(control.step, span // 4)) if isinstance(
            control, widgets.IntSlider) else [control.min + span * fraction for fraction in (0.25, 0.5, 0.75)]
        values += [control.min, *inside, control.max, control.min - span - 1, control.max + span + 1]
    if isinstance(control, widgets.Text | widgets.Textarea):
        values += GARBAGE_TEXT
    return values


def fuzz_demo(ui: widgets.interactive, name: str = "demo") -> list[str]:
    """Every problem the fuzz finds in one demo, as sentences (empty list: the demo passed)."""
    problems = []
    defaults = {control._kwarg: control.value for control in ui.kwargs_widgets}

    def render_defaults(after: str) -> None:
        ui.f(**defaults)
        if ui.last_error is not None or ui.last_png is None or not ui.last_png.startswith(b"\x89PNG"):
            problems.append(f"{name}: the defaults do not render after {after}: {ui.last_error}")

    render_defaults("building the demo")
    for control in ui.kwargs_widgets:
        for value in candidate_values(control):
            where = f"{name}: {control._kwarg} = {value!r}"
            try:
                ui.f(**{**defaults, control._kwarg: value})
            except Exception as error:  # demo_interactive must not let anything out
                problems.append(f"{where} escaped the guard: {type(error).__name__}: {error}")
                continue
            if ui.last_error is not None:
                if not isinstance(ui.last_exception, CourseInputError):
                    problems.append(f"{where} hit a bug: {ui.last_error}")
                elif "\n" in ui.last_error or len(ui.last_error) > 240:
                    problems.append(f"{where}: the message is not one short line: {ui.last_error!r}")
            elif value in GARBAGE_TEXT and isinstance(control, widgets.Text | widgets.Textarea):
                problems.append(f"{where}: garbage text was accepted")
        render_defaults(f"every value of {control._kwarg}")
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("name", demos.__all__)
def test_every_control_survives_bad_input_and_leaves_the_random_state_alone(name):
    problems = fuzz_leaving_the_random_state_alone(lambda: small_demo(name), name)
    assert not problems, "\n".join(problems)


def planted_demo(fault: str) -> widgets.interactive:
    """A one-slider demo with one planted fault, to prove the fuzz notices it."""
    import matplotlib.pyplot as plt

    state = {"broken": False}

    def draw(x):
        if fault == "bug inside the range" and x == 3:
            raise KeyError("planted")
        if fault == "bug past the end" and not isinstance(x, str | list) and x is not None and float(x) > 10:
            return {}["past the end"]
        if fault == "breaks after bad input":
            state["broken"] = state["broken"] or x is None
            if state["broken"]:
                raise CourseInputError("a bad value earlier left this demo unusable")
        if not isinstance(x, int | str) or isinstance(x, bool):
            raise CourseInputError(f"x must be a whole number, got {x!r}")
        if fault == "draws from the global generator":
            torch.rand(1)
        return plt.figure()

    control = widgets.Text(value="1") if fault == "accepts garbage text" else widgets.IntSlider(value=1, min=0, max=5)
    return demo_interactive(draw, x=control)


@pytest.mark.parametrize("fault", ["bug inside the range", "bug past the end", "accepts garbage text",
                                   "breaks after bad input"])
def test_the_fuzz_reports_a_demo_that_lets_an_error_escape(fault):
    problems = fuzz_demo(planted_demo(fault), fault)
    assert problems, f"the fuzz missed a planted fault: {fault}"


def test_the_fuzz_passes_a_demo_without_faults():
    assert fuzz_leaving_the_random_state_alone(lambda: planted_demo("none"), "clean") == []


def test_the_fuzz_reports_a_demo_that_draws_from_the_global_generator():
    problems = fuzz_leaving_the_random_state_alone(lambda: planted_demo("draws from the global generator"), "careless")
    assert problems == ["careless: building it and moving its controls changed the global random state of torch"]
