"""The example class that ships with the tests, graded by the command as the README's instructor section runs it.

tests/fixtures/grading/example_class/ (written by make_example_class.py next to it) holds seven
students as a platform download would: folders, a renamed file, a zip with nested folders and a
jupytext .py, a submission that never ends, a cut-off file, a notebook of a student's own, and one
that allocates 20 GB; example_roster.csv names them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slow  # a grader run: several seconds (make test runs it, make check does not)

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "grading"
COMMAND = ("course-grade tests/fixtures/grading/example_class --roster tests/fixtures/grading/example_roster.csv "
           "--out grades --timeout 3")
sys.path.insert(0, str(FIXTURES))
import planted  # noqa: E402

from course_lib.checks import EXERCISES  # noqa: E402


def _points(notebook: str, without: tuple[str, ...] = (), before: str | None = None) -> int:
    """The points of ``notebook``'s exercises (the registry's), less ``without``, or only those before ``before``."""
    names = [exercise for exercise, home in planted.EXERCISE_NOTEBOOK.items() if home == notebook]
    if before is not None:
        names = names[: names.index(before)]
    return sum(EXERCISES[name].points for name in names if name not in without)


EXPECTED = {  # (student, notebook) → (status, total, max), from make_example_class.py's plan
    ("Alice Martin", "01_training_loop"): ("graded", _points("01_training_loop"), _points("01_training_loop")),
    ("Alice Martin", "03_optimizers"): ("graded", _points("03_optimizers"), _points("03_optimizers")),
    ("Bob Chen", "03_optimizers"): ("graded", 0, _points("03_optimizers")),
    ("Carol Diaz", "02_initialization"): ("graded", _points("02_initialization"), _points("02_initialization")),
    ("Carol Diaz", "03_optimizers"): ("graded", _points("03_optimizers", without=("Adam",)), _points("03_optimizers")),
    ("Dave Smith", "01_training_loop"): ("timed out", _points("01_training_loop", before="sample_minibatch"),
                                         _points("01_training_loop")),
    ("Erin Ng", "03_optimizers.ipynb"): ("unreadable", 0, None),
    ("Frank Osei", "scratch.ipynb"): ("not a course notebook", 0, None),
    ("Gina Rossi", "02_initialization"): ("memory limit", _points("02_initialization", without=("xavier_init",)),
                                          _points("02_initialization")),
}


def test_the_example_class_is_graded_as_the_readme_shows(tmp_path):
    arguments = COMMAND.replace("course-grade ", "").replace("--out grades", f"--out {tmp_path / 'grades'}").split()
    completed = subprocess.run([sys.executable, "-m", "course_lib.grade", *arguments, "-j", "2"], cwd=REPO,
                               capture_output=True, text=True, timeout=600, check=False)

    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    sheet = pd.read_csv(tmp_path / "grades" / "grades.csv")
    rows = {(row.student, row.notebook): (row.status, row.total, None if pd.isna(row.max) else int(row.max))
            for row in sheet.itertuples()}
    assert rows == EXPECTED
    assert "in the roster but nothing submitted: Hugo Blanc" in completed.stdout
    feedback = (tmp_path / "grades" / "feedback" / "Carol Diaz" / "03_optimizers.md").read_text()
    assert f"- **Adam** 0/{EXERCISES['Adam'].points}: Adam: not right yet — there is no bias correction" in feedback

    readme = (REPO / "README.md").read_text()
    assert COMMAND in readme, "the README's instructor section shows this command"
    status_line = re.search(r"^  status: .*$", completed.stdout, re.MULTILINE).group(0)
    assert status_line in readme, "the README shows the summary of this run"

