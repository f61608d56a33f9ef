"""Demos, widget callbacks and self-checks never change the global random state of torch, NumPy or
``random``, so playing with a slider or running a check cannot change what later cells compute.

1. In process: run every check on a right and a wrong answer; the three global states must be exactly
   as before. (Every demo is built and every control pushed through its values, extremes and nonsense
   included, by ``tests/test_widget_fuzz.py``, which asserts the same of the demos in the same pass.)
2. In a notebook: execute notebook 04 twice in quick mode, once as it is and once with every
   control of every demo moved to another value and back right after the demo is shown; the global
   random states afterwards and every later cell's printed numbers (those that are not timings)
   must be the same.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pytest
import torch
from nbclient import NotebookClient

from course_lib import checks
from tests.test_widget_fuzz import global_states, random_state_changes

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
REFERENCES = {exercise.check.__name__: exercise.reference for exercise in checks.EXERCISES.values()}


def assert_unchanged(before: tuple, what: str) -> None:
    moved = random_state_changes(before)
    assert not moved, f"{what} changed the global random state of {', '.join(moved)}"


def wrong_answer(*args, **kwargs):
    """An answer that is wrong for every exercise and draws from all three global generators first."""
    torch.rand(3), np.random.rand(3), random.random()
    raise ValueError("a wrong answer")


@pytest.mark.parametrize("name", sorted(checks.__all__))
def test_a_check_leaves_the_random_state_alone_whether_the_answer_is_right_or_wrong(name, capsys):
    assert name in REFERENCES, f"add the reference answer of {name} to REFERENCES"
    check = getattr(checks, name)
    torch.manual_seed(11), np.random.seed(11), random.seed(11)
    before = global_states()
    assert check(REFERENCES[name]) is True, capsys.readouterr().out
    assert_unchanged(before, f"{name} on the reference")
    assert check(wrong_answer) is False
    assert_unchanged(before, f"{name} on a wrong answer")


# --- a notebook, run twice -----------------------------------------------------------------------------

NOTEBOOK = ROOT / "solutions" / "04_minibatch_and_training.ipynb"
DEMO_CALL = re.compile(r"^(?:\w+\s*=\s*)?\w*(?:_demo|init_explorer)\(", re.MULTILINE)
PROBE = ("import random as _random, numpy as _np, torch as _torch\n"
         "print('random state:', int(_torch.random.get_rng_state().sum()), int(_np.random.get_state()[1].sum()), "
         "sum(_random.getstate()[1]))")
MOVE_CONTROLS = '''_ui = _
for _control in _ui.kwargs_widgets:
    _default = _control.value
    if hasattr(_control, "_options_full"):
        _values = [v for _, v in _control._options_full]
        _control.value = _values[(_values.index(_default) + 1) % len(_values)]
    elif hasattr(_control, "max"):
        _control.value = _control.max
    _ui.update()
    _control.value = _default
'''
CACHE_FLAG = re.compile(r"\b(True|False)\s*$")  # a results table's "from cache" column: the second run reuses
TIMING = re.compile(r"\b(ms|µs|seconds?|per second|from cache|\d+(\.\d+)?\s?s\b)|\w/s\b|s/\w|\d+%\|", re.IGNORECASE)


def with_probes(notebook, move_controls: bool):
    """A copy of ``notebook`` with a probe cell after every demo cell (and a slider-moving cell before it)."""
    copy = nbformat.from_dict(nbformat.reads(nbformat.writes(notebook), as_version=4))
    cells = []
    for cell in copy.cells:
        cells.append(cell)
        if cell.cell_type == "code" and DEMO_CALL.search(cell.source):
            if move_controls:
                cells.append(nbformat.v4.new_code_cell(MOVE_CONTROLS))
            cells.append(nbformat.v4.new_code_cell(PROBE))
    copy.cells = cells
    return copy


def printed_numbers(executed) -> list[str]:
    """Every printed line that holds a number and is not a timing, cell by cell, from the first demo on
    (a trailing True/False, the "from cache" column of a results table, is dropped)."""
    lines, started, index = [], False, 0
    for cell in executed.cells:
        if cell.cell_type != "code" or cell.source == MOVE_CONTROLS:
            continue
        index += cell.source != PROBE
        started = started or bool(DEMO_CALL.search(cell.source))
        if not started:
            continue
        for text in output_texts(cell):
            lines += [f"cell {index}: {' '.join(CACHE_FLAG.sub('', line).split())}" for line in text.splitlines()
                      if re.search(r"\d", line) and not TIMING.search(line)]
    return lines


def output_texts(cell) -> list[str]:
    """The cell's printed and displayed texts, consecutive pieces of one stream joined: the kernel flushes
    stdout on a timer, so one ``print("label:", value)`` may reach the client as two stream messages in
    one run and as one in the next."""
    texts, last_stream = [], None
    for output in cell.get("outputs", []):
        stream = output.get("name") if output.get("output_type") == "stream" else None
        text = output.get("text", "") or output.get("data", {}).get("text/plain", "")
        if stream is not None and stream == last_stream:
            texts[-1] += text
        else:
            texts.append(text)
        last_stream = stream
    return texts


def execute(notebook, tmp_path: Path):
    """Run ``notebook`` in quick mode; both runs of a test share one checkpoint folder, so the second run
    reuses the first one's trained models unless its initial weights differ (the cache key holds them).

    nbclient normally mimics a front end for Output widgets: it routes their outputs into widget state
    and sends state updates back to the kernel while a cell runs. With a cell that moves sliders (each
    move redraws into an Output widget) that now and then left the client waiting forever for a cell
    that had finished (the kernel idle, seen twice in four suite runs; jupyter/nbclient#312 reports the
    same). Only printed text is compared here, so no widget is mimicked and no widget state is kept:
    what a demo draws lands in its cell's outputs, in both runs alike.
    """
    work = tmp_path / "saved_models"
    work.mkdir(exist_ok=True)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", store_widget_state=False,
                            resources={"metadata": {"path": str(ROOT)}})
    client.comm_open_handlers = {"jupyter.widget": lambda message: None}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_QUICK", "1")
        patch.setenv("COURSE_CHECKPOINT_DIR", str(work))
        patch.setenv("MPLBACKEND", "Agg")
        return client.execute()


@pytest.mark.slow
def test_moving_sliders_does_not_change_what_later_cells_print(tmp_path):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    plain = execute(with_probes(notebook, move_controls=False), tmp_path)
    played = execute(with_probes(notebook, move_controls=True), tmp_path)
    plain_numbers, played_numbers = printed_numbers(plain), printed_numbers(played)
    assert any(line.split(": ", 1)[1].startswith("random state:") for line in plain_numbers)
    moved = [cell for cell in played.cells if cell.source == MOVE_CONTROLS]
    assert moved and all(not any(o.get("output_type") == "error" for o in cell.outputs) for cell in moved)
    assert plain_numbers == played_numbers


PLANTED = [
    "import ipywidgets as widgets, matplotlib.pyplot as plt, torch\n"
    "from course_lib.seeding import set_seed\n"
    "from course_lib.widgets.common import demo_interactive\n"
    "set_seed(0)\n\n\n"
    "def careless_demo():\n"
    "    def draw(x):\n"
    "        torch.rand(x)  # the planted fault: a callback drawing from the global generator\n"
    "        return plt.figure()\n"
    "    return demo_interactive(draw, x=widgets.IntSlider(value=1, min=1, max=3))",
    "careless_demo()",
    "print(f'next draw: {torch.rand(1).item():.6f}')",
]


@pytest.mark.slow
def test_the_notebook_comparison_catches_a_demo_that_draws_from_the_global_generator(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in PLANTED])
    plain = printed_numbers(execute(with_probes(notebook, move_controls=False), tmp_path))
    played = printed_numbers(execute(with_probes(notebook, move_controls=True), tmp_path))
    assert len(plain) == len(played) and plain != played


def test_a_print_split_across_two_stream_messages_reads_as_one_line():
    split = nbformat.v4.new_code_cell("print('spread (points):', {'lr': 16.1})", outputs=[
        nbformat.v4.new_output("stream", name="stdout", text="spread (points):"),
        nbformat.v4.new_output("stream", name="stdout", text=" {'lr': 16.1}\n")])
    whole = nbformat.v4.new_code_cell(split.source, outputs=[
        nbformat.v4.new_output("stream", name="stdout", text="spread (points): {'lr': 16.1}\n")])
    first = nbformat.v4.new_code_cell("lr_demo()")
    as_split, as_whole = (printed_numbers(nbformat.v4.new_notebook(cells=[first, cell])) for cell in (split, whole))
    assert as_split == as_whole == ["cell 2: spread (points): {'lr': 16.1}"]
