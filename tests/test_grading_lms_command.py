"""``course-grade --format canvas --format moodle`` on the example class, as the README's LMS example runs it.

The roster (tests/fixtures/grading/example_roster_lms.csv) has Canvas's gradebook-export columns, its
``Points Possible`` row included, and Moodle's ``Email address``. The files must have each LMS's
header and one row per roster student, whose grade is the sum of that student's totals in grades.csv
(the class covers notebooks 01-03: the assignment is their sum), empty for students with nothing graded.
The files' layouts are tested in detail, without a grading run, in tests/unit/test_grading_lms.py.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slow  # a grader run of the example class (make test runs it, make check does not)

REPO = Path(__file__).resolve().parents[1]
ROSTER = REPO / "tests" / "fixtures" / "grading" / "example_roster_lms.csv"
COMMAND = ("course-grade tests/fixtures/grading/example_class --roster tests/fixtures/grading/example_roster_lms.csv "
           "--out grades --timeout 3 --format canvas --format moodle --assignment 'Weeks 1-3 (4127)'")
ASSIGNMENT = "Weeks 1-3 (4127)"


def read(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.reader(stream))


def test_the_example_class_lms_files_match_the_grade_sheet_and_the_readme(tmp_path):
    arguments = COMMAND.replace("course-grade ", "").replace("--out grades", f"--out {tmp_path / 'grades'}")
    arguments = arguments.replace(f"'{ASSIGNMENT}'", "ASSIGNMENT").split()
    arguments[arguments.index("ASSIGNMENT")] = ASSIGNMENT
    completed = subprocess.run([sys.executable, "-m", "course_lib.grade", *arguments, "-j", "2"], cwd=REPO,
                               capture_output=True, text=True, timeout=600, check=False)
    assert completed.returncode == 0, completed.stderr

    sheet = pd.read_csv(tmp_path / "grades" / "grades.csv")
    course_rows = sheet[sheet.notebook.str.fullmatch(r"\d\d_\w+")]
    totals = course_rows.groupby("student").total.sum().to_dict()
    roster = [line for line in read(ROSTER)[1:] if line[0].strip() != "Points Possible"]
    expected = [str(totals[line[0]]) if line[0] in totals else "" for line in roster]
    canvas, moodle = read(tmp_path / "grades" / "canvas.csv"), read(tmp_path / "grades" / "moodle.csv")

    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", ASSIGNMENT]
    assert canvas[1][0] == "    Points Possible" and int(canvas[1][-1]) > 0
    assert [line[:5] for line in canvas[2:]] == [line[:5] for line in roster]
    assert [line[-1] for line in canvas[2:]] == expected
    assert moodle == [["Email address", ASSIGNMENT], *([line[5], grade] for line, grade in zip(roster, expected,
                                                                                                strict=True))]
    assert "" in expected and any(grade not in {"", "0"} for grade in expected)  # both kinds of rows are there

    readme = (REPO / "README.md").read_text()
    assert COMMAND in readme, "the README's LMS example shows this command"
    for line in [*completed.stdout.splitlines()[-2:], *(",".join(row) for row in canvas[:4] + moodle[:3])]:
        line = line.replace(str(tmp_path / "grades"), "grades")
        assert line in readme, f"the README's LMS example shows {line!r}"
