"""The "before you submit" preview, graded for real: the same points as ``course-grade`` on the saved file.

Each test writes a saved notebook (from tests/fixtures/grading/planted.py), tells the preview what the
kernel ran (a stand-in shell whose history holds the exercise sources, and the hook's times), and runs
``before_you_submit``, which starts course-grade's fork server for the one file (a few seconds each).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from course_lib import grade as grade_command
from course_lib.grading import preview
from course_lib.grading.course import load_course
from course_lib.grading.preview import before_you_submit
from course_lib.grading.sandbox import Limits

pytestmark = pytest.mark.slow  # each test starts a fork server (make test runs them)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "grading"
sys.path.insert(0, str(FIXTURES))
import planted  # noqa: E402

NOTEBOOK = "03_optimizers"
EXERCISE_IDS = [exercise for exercise, home in planted.EXERCISE_NOTEBOOK.items() if home == NOTEBOOK]


def kernel_that_ran(content: dict, monkeypatch, finished_at: float) -> SimpleNamespace:
    """A shell whose history holds each exercise cell of ``content``, run (by cell id) at ``finished_at``."""
    cells = [planted.exercise_cell(content, exercise) for exercise in EXERCISE_IDS]
    for count, cell in enumerate(cells, start=1):
        monkeypatch.setitem(preview._RUNS, count, (finished_at, cell["id"]))
    return SimpleNamespace(history_manager=SimpleNamespace(input_hist_raw=[""] + [planted.source(cell) for cell in cells]))


def course_grade_points(path: Path, out: Path) -> dict[str, int]:
    """Exercise → points in grades.json of course-grade run on ``path`` alone."""
    assert grade_command.main([str(path), "--out", str(out), "-j", "1"]) == 0
    (row,) = json.loads((out / "grades.json").read_text(encoding="utf-8"))["rows"]
    return {exercise: result["points"] for exercise, result in row["exercises"].items()}


def test_a_file_saved_as_ran_gets_course_grades_points_and_no_warning(tmp_path, monkeypatch):
    content = planted.with_wrong_answer(EXERCISE_IDS[1])
    saved = planted.write_ipynb(content, tmp_path / "mine.ipynb")
    shell = kernel_that_ran(content, monkeypatch, finished_at=saved.stat().st_mtime - 60)
    result = before_you_submit(NOTEBOOK, path=saved, shell=shell)
    assert result.problem == "" and result.warnings == [], result.text()
    points = {exercise.id: exercise.points for exercise in result.row.exercises}
    assert points == course_grade_points(saved, tmp_path / "grades")
    assert points[EXERCISE_IDS[1]] == 0 and points[EXERCISE_IDS[0]] == 1
    assert result.text().splitlines()[0].startswith(f"Grade of your saved file {saved}, as course-grade will give "
                                                    f"it: {result.row.total}/{result.row.max} points.")
    assert planted.EXPECTED_SENTENCE[EXERCISE_IDS[1]] in result.text()


def test_unsaved_edits_are_warned_first_and_the_saved_file_still_graded(tmp_path, monkeypatch):
    ran = planted.solution(NOTEBOOK)
    saved = planted.write_ipynb(planted.blank(NOTEBOOK), tmp_path / "mine.ipynb")
    shell = kernel_that_ran(ran, monkeypatch, finished_at=saved.stat().st_mtime - 60)
    result = before_you_submit(NOTEBOOK, path=saved, shell=shell)
    first, second = result.text().splitlines()[:2]
    names = " and ".join(f"`{exercise}`" for exercise in EXERCISE_IDS[1:])
    assert first.startswith(f"Warning: Your saved file is not what you ran: the cells of `{EXERCISE_IDS[0]}`, {names} "
                            "changed since you last saved.")
    assert second.startswith(f"Grade of your saved file {saved} (not of what you ran), as course-grade will give it")
    assert result.row.total == 0 and "not attempted — the exercise cell is unchanged" in result.text()


def test_working_in_the_course_folder_grades_with_the_saved_files_own_setup(tmp_path, monkeypatch):
    """The saved file is the course's own copy (the student edits notebooks/ in place): its stubs are
    unknown, every exercise cell runs, and an untouched stub scores 0 through its NotImplementedError."""
    course_folder = tmp_path / "notebooks"
    content = planted.blank(NOTEBOOK)
    answered = planted.exercise_cell(planted.solution(NOTEBOOK), EXERCISE_IDS[0])
    planted.exercise_cell(content, EXERCISE_IDS[0])["source"] = planted.source(answered)
    saved = planted.write_ipynb(content, course_folder / f"{NOTEBOOK}.ipynb")
    monkeypatch.setattr(preview, "load_course", lambda: load_course(course_folder))
    result = before_you_submit(NOTEBOOK, path=saved, shell=None)
    points = {exercise.id: exercise.points for exercise in result.row.exercises}
    assert points == {EXERCISE_IDS[0]: 1, **{exercise: 0 for exercise in EXERCISE_IDS[1:]}}, result.text()
    assert f"{EXERCISE_IDS[1]}: not attempted — the exercise still raises NotImplementedError." in result.text()


def test_a_submission_past_the_time_limit_is_one_sentence_with_the_points_reached(tmp_path, monkeypatch):
    content = planted.append_to_cell(planted.solution(NOTEBOOK), EXERCISE_IDS[1],
                                     "import time\nwhile True:\n    time.sleep(1)")
    saved = planted.write_ipynb(content, tmp_path / "mine.ipynb")
    result = before_you_submit(NOTEBOOK, path=saved, shell=None, limits=Limits(timeout_s=3))
    headline = result.text().splitlines()[0]
    assert headline.startswith(f"Grade of your saved file {saved}, as course-grade will give it: 1/")
    assert "Grading stopped (timed out): the submission was stopped after 3 s" in headline, headline
    assert "Traceback" not in result.text()
