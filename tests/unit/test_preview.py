"""The "before you submit" preview without grading: which saved file, and what the kernel ran against it.

``unsaved_work`` compares the saved file's exercise cells with the kernel's runs (IPython's history plus
the times and cell ids its hook recorded); each rule has a case that must warn and one that must not,
and a planted fault (comparing with the kernel's first run of an exercise instead of its last) is shown
to be caught. The hook itself is tested in a real IPython shell, in a subprocess (so this test process
never becomes an IPython session). Finding and reading the saved file fail in one sentence.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from course_lib.grading import preview
from course_lib.grading.notebooks import Cell, Notebook
from course_lib.grading.preview import Preview, Ran, before_you_submit, find_saved_file, unsaved_work
from course_lib.grading.records import ExerciseResult, Row

STUB = 'def momentum_update(x):\n    raise NotImplementedError("Exercise: momentum_update")\n'
ANSWER = "def momentum_update(x):\n    return 2 * x\n"
EDITED = "def momentum_update(x):\n    return 3 * x\n"
OTHER = "def rmsprop_update(x):\n    return x\n"
SAVED_AT = 1_000.0


def saved(momentum: str = ANSWER, rmsprop: str = OTHER) -> Notebook:
    """A saved notebook with two exercise cells (ids "c-m" and "c-r") and a check cell."""
    return Notebook([
        Cell("code", "import torch"),
        Cell("code", momentum, {"course": {"exercise": "momentum_update"}}, "c-m"),
        Cell("code", "check_momentum_update(momentum_update)"),
        Cell("code", rmsprop, {"course": {"exercise": "rmsprop_update"}}, "c-r"),
    ], {"course": {"notebook": "03_optimizers"}})


EXERCISES = ["momentum_update", "rmsprop_update"]


def test_the_file_as_ran_gives_no_warning():
    runs = [Ran(1, "import torch", 900.0, "c-0"), Ran(2, ANSWER, 950.0, "c-m"), Ran(3, OTHER, 960.0, "c-r"),
            Ran(4, "check_momentum_update(momentum_update)", 970.0, "c-2")]
    assert unsaved_work(saved(), SAVED_AT, runs, EXERCISES) == []


def test_blank_lines_and_trailing_spaces_do_not_count_as_a_change():
    runs = [Ran(2, "def momentum_update(x):   \n\n    return 2 * x\n\n", 950.0, "c-m")]
    assert unsaved_work(saved(), SAVED_AT, runs, EXERCISES) == []


def test_an_exercise_changed_after_saving_is_named():
    runs = [Ran(2, ANSWER, 950.0, "c-m"), Ran(5, EDITED, 990.0, "c-m"), Ran(6, OTHER, 995.0, "c-r")]
    (warning,) = unsaved_work(saved(), SAVED_AT, runs, EXERCISES)
    assert warning == ("Your saved file is not what you ran: the cell of `momentum_update` changed since you last "
                       "saved. Save (Ctrl+S / Cmd+S) and run this cell again.")


def test_two_changed_exercises_are_both_named():
    runs = [Ran(2, EDITED, 950.0, "c-m"), Ran(3, "def rmsprop_update(x):\n    return -x\n", 960.0, "c-r")]
    (warning,) = unsaved_work(saved(), SAVED_AT, runs, EXERCISES)
    assert "the cells of `momentum_update` and `rmsprop_update` changed" in warning


def test_a_run_is_matched_by_its_cell_id_even_when_it_no_longer_defines_the_exercise():
    renamed = "def momentum(x):\n    return 2 * x\n"
    warnings = unsaved_work(saved(), SAVED_AT, [Ran(2, renamed, 950.0, "c-m")], EXERCISES)
    assert len(warnings) == 1 and "`momentum_update`" in warnings[0]


def test_without_cell_ids_a_run_is_matched_by_what_it_defines():
    """nbclient (and an answer written in a new cell) send no id of the saved cell: the definition counts."""
    warnings = unsaved_work(saved(), SAVED_AT, [Ran(2, ANSWER, 950.0), Ran(3, EDITED, 960.0)], EXERCISES)
    assert len(warnings) == 1 and "`momentum_update` changed" in warnings[0]


def test_a_file_older_than_the_last_run_of_an_exercise_is_warned():
    runs = [Ran(2, ANSWER, 950.0, "c-m"), Ran(3, OTHER, 1_005.0, "c-r")]
    (warning,) = unsaved_work(saved(), SAVED_AT, runs, EXERCISES)
    assert warning.startswith("Your saved file is older than your last run of the cell of `rmsprop_update`: save "
                              "(Ctrl+S / Cmd+S)")


def test_a_run_without_a_recorded_time_cannot_make_the_file_older():
    assert unsaved_work(saved(), SAVED_AT, [Ran(2, ANSWER, None, None)], EXERCISES) == []


def test_an_exercise_the_kernel_never_ran_gives_no_warning():
    assert unsaved_work(saved(momentum=STUB), SAVED_AT, [Ran(1, "import torch", 1_500.0)], EXERCISES) == []


def test_an_exercise_cell_missing_from_the_saved_file_is_warned():
    notebook = Notebook([Cell("code", OTHER, {"course": {"exercise": "rmsprop_update"}}, "c-r")], {})
    (warning,) = unsaved_work(notebook, SAVED_AT, [Ran(2, ANSWER, 950.0, "c-x")], EXERCISES)
    assert "`momentum_update`" in warning


def test_comparing_with_the_first_run_instead_of_the_last_is_caught(monkeypatch):
    """Planted fault: pick the kernel's first run of the exercise. The student ran the stub, then the
    answer, and saved before answering: the faulty rule compares stub with stub and stays silent."""
    runs = [Ran(2, STUB, 900.0, "c-m"), Ran(5, ANSWER, 950.0, "c-m")]
    assert len(unsaved_work(saved(momentum=STUB), SAVED_AT, runs, EXERCISES)) == 1

    def first_run_of(exercise_id, cell_id, runs):
        matching = [ran for ran in runs if ran.cell_id == cell_id or preview.defines(ran.source, exercise_id)]
        return min(matching, key=lambda ran: ran.count, default=None)

    monkeypatch.setattr(preview, "last_run_of", first_run_of)
    assert unsaved_work(saved(momentum=STUB), SAVED_AT, runs, EXERCISES) == []


# The hook, in a real IPython shell --------------------------------------------------------------------

HOOK_SCRIPT = textwrap.dedent("""
    import json, time
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    shell.run_cell("x = 1", store_history=True)
    shell.run_cell("from course_lib.grading import before_you_submit", store_history=True)
    started = time.time()
    shell.run_cell("def momentum_update(x):\\n    return 2 * x", store_history=True, cell_id="c-m")
    shell.run_cell("from course_lib.grading import before_you_submit", store_history=True)
    from course_lib.grading.preview import kernel_runs
    runs = [[ran.count, ran.source, ran.finished_at, ran.cell_id] for ran in kernel_runs(shell)]
    hooks = [hook.__name__ for hook in shell.events.callbacks["post_run_cell"]]
    print(json.dumps({"runs": runs, "started": started, "hooks": hooks}))
""")


def test_the_hook_records_each_run_after_the_setup_cell_imports_the_preview(tmp_path):
    env = {**os.environ, "IPYTHONDIR": str(tmp_path / "ipython"), "JPY_SESSION_NAME": ""}
    result = subprocess.run([sys.executable, "-c", HOOK_SCRIPT], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    runs = {count: (source, finished_at, cell_id) for count, source, finished_at, cell_id in report["runs"]}
    assert runs[1] == ("x = 1", None, None)  # before the import: in the history, no time
    assert runs[3][0] == "def momentum_update(x):\n    return 2 * x" and runs[3][2] == "c-m"
    assert runs[3][1] >= report["started"]
    assert report["hooks"].count("_record") == 1  # importing again registers nothing more


# Finding and reading the saved file -------------------------------------------------------------------


def write_notebook(path: Path, notebook_id: str) -> Path:
    content = {"nbformat": 4, "nbformat_minor": 5, "metadata": {"course": {"notebook": notebook_id}}, "cells": []}
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    return tmp_path


def test_the_session_path_is_used_when_it_is_that_notebook(folder, monkeypatch):
    elsewhere = folder / "work"
    elsewhere.mkdir()
    session = write_notebook(elsewhere / "mine.ipynb", "03_optimizers")
    write_notebook(folder / "03_optimizers.ipynb", "03_optimizers")
    monkeypatch.setenv("JPY_SESSION_NAME", str(session))
    assert find_saved_file("03_optimizers") == (session, "")


def test_a_session_path_of_another_notebook_is_ignored(folder, monkeypatch):
    """nbval run from a notebook's terminal inherits that notebook's JPY_SESSION_NAME: not this notebook."""
    monkeypatch.setenv("JPY_SESSION_NAME", str(write_notebook(folder / "01_training_loop.ipynb", "01_training_loop")))
    mine = write_notebook(folder / "renamed.ipynb", "03_optimizers")
    assert find_saved_file("03_optimizers") == (mine, "")


def test_of_several_copies_the_most_recently_saved_is_graded_and_said(folder):
    old = write_notebook(folder / "03_optimizers.ipynb", "03_optimizers")
    new = write_notebook(folder / "03_optimizers-Copy1.ipynb", "03_optimizers")
    os.utime(old, (SAVED_AT, SAVED_AT))
    path, note = find_saved_file("03_optimizers")
    assert path == new and note == "2 files in this folder are 03_optimizers; the most recently saved one was graded"


def test_no_saved_file_is_one_sentence(folder):
    write_notebook(folder / "01_training_loop.ipynb", "01_training_loop")
    result = before_you_submit("03_optimizers")
    assert result.row is None and result.problem.startswith("No saved copy of 03_optimizers is in ")
    assert result.text() == result.problem and "\n" not in result.text() and "Traceback" not in result.text()


def test_on_colab_the_sentence_says_how_to_download_the_notebook(folder, monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", object())
    assert before_you_submit("03_optimizers").problem == preview.COLAB_SENTENCE


def test_a_given_path_that_does_not_exist_is_one_sentence(folder):
    result = before_you_submit("03_optimizers", path="nowhere.ipynb")
    assert result.problem.startswith("There is no file nowhere.ipynb: give the path of your saved notebook")


@pytest.mark.parametrize("given", [None, "03_optimizers.ipynb"])
def test_a_corrupt_saved_file_is_one_sentence(folder, given):
    (folder / "03_optimizers.ipynb").write_text('{"nbformat": 4, "cells": [', encoding="utf-8")
    result = before_you_submit("03_optimizers", path=given)
    assert result.row is None
    assert result.problem.startswith("Your saved file 03_optimizers.ipynb is not a notebook the grader can read "
                                     "(not valid JSON"), result.problem
    assert "\n" not in result.text()


def test_an_unexpected_failure_is_one_sentence_too(folder, monkeypatch):
    write_notebook(folder / "03_optimizers.ipynb", "03_optimizers")

    def broken(*args):
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr(preview, "course_for", broken)
    result = before_you_submit("03_optimizers")
    assert result.problem == ("The preview failed (RuntimeError: disk on fire); your file is not affected: hand it "
                              "in, and tell your instructor.")


def test_a_notebook_without_exercises_says_so_without_grading(folder, monkeypatch):
    write_notebook(folder / "04_minibatch_and_training.ipynb", "04_minibatch_and_training")
    monkeypatch.setattr(preview, "grade_saved", None)  # grading it would raise: it must not be reached
    result = before_you_submit("04_minibatch_and_training")
    assert result.problem == ("Your saved file 04_minibatch_and_training.ipynb can be read; 04_minibatch_and_training "
                              "has no graded exercises, so there are no points to preview.")


# What the student sees ---------------------------------------------------------------------------------


def a_row(status: str = "graded", note: str = "") -> Row:
    return Row("mine", "03_optimizers", "mine.ipynb", status, 0.5, [
        ExerciseResult("momentum_update", 1, 1, "momentum_update: correct — matches the reference.", True),
        ExerciseResult("rmsprop_update", 0, 1, "rmsprop_update: not right yet — the average is not kept.", False),
        ExerciseResult("bonus", 0, 0, "bonus: correct — an optional exercise.", True),
    ], note)


def test_the_preview_reads_as_text_warnings_first_then_points_and_sentences(folder):
    shown = Preview("03_optimizers", folder / "mine.ipynb", ["Your saved file is older than your last run …"], a_row())
    assert shown.text().splitlines() == [
        "Warning: Your saved file is older than your last run …",
        "Grade of your saved file mine.ipynb, as course-grade will give it: 1/2 points.",
        "   1/1  momentum_update: correct — matches the reference.",
        "   0/1  rmsprop_update: not right yet — the average is not kept.",
        "  0/0, passed  bonus: correct — an optional exercise.",
    ]
    assert repr(shown) == shown.text()


def test_a_grade_of_a_file_that_is_not_what_ran_is_labelled_so(folder):
    warning = unsaved_work(saved(), SAVED_AT, [Ran(2, EDITED, 950.0, "c-m")], EXERCISES)[0]
    headline = Preview("03_optimizers", folder / "mine.ipynb", [warning], a_row()).headline
    assert headline.startswith("Grade of your saved file mine.ipynb (not of what you ran), as course-grade will")


def test_a_stopped_grading_says_why_in_the_headline(folder):
    row = a_row("timed out", "the submission was stopped after 60 s (wall clock) while running the check of Adam")
    assert Preview("03_optimizers", folder / "mine.ipynb", [], row).headline.endswith(
        "1/2 points. Grading stopped (timed out): the submission was stopped after 60 s (wall clock) while running "
        "the check of Adam; exercises judged before that keep their points.")


def test_the_html_has_a_labelled_table_and_says_warning_in_words(folder):
    shown = Preview("03_optimizers", folder / "mine.ipynb", ["the cell of `Adam` <changed>"], a_row())
    page = shown._repr_html_()
    assert '<p role="alert"><strong>Warning:</strong> the cell of <code>Adam</code> &lt;changed&gt;</p>' in page
    assert ('<p id="before-you-submit-points">Points per exercise in your saved file:</p><table style="text-align: '
            'left" aria-labelledby="before-you-submit-points">') in page
    assert page.count('<th scope="col">') == 3 and page.count('<th scope="row">') == 3
    assert "color" not in page
