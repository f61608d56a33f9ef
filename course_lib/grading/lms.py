"""Grade-import files for learning platforms: Canvas and Moodle (``course-grade --format canvas|moodle``).

Each file holds one **assignment**: the course notebooks the graded submissions are copies of (one
notebook in a weekly run; several → the assignment is their sum, "the course"), named by
``--assignment NAME`` or else by the notebook's title. A student's grade is the sum of their rows'
``total`` over those notebooks (superseded files aside); out of ``points_possible``, the sum of the
registry points of those notebooks' exercises.

Students are the roster's rows (``--roster``), keyed by the LMS's own identifiers, read from the
roster's columns as each LMS names them in its own export (so that the export can be the roster):

- **Canvas** (gradebook import, ``canvas.csv``): header ``Student,ID,SIS User ID,SIS Login ID,Section,
  <assignment>``, then Canvas's ``    Points Possible`` row, then one row per roster student. Canvas
  matches students by ``ID`` (else ``SIS User ID``); a roster row with neither is left out (and named).
- **Moodle** (grade import from CSV, ``moodle.csv``): header ``Email address,<assignment>`` (else
  ``ID number,<assignment>`` when the roster has no email column), one row per roster student; in the
  import form, map the identifier column to the user field of that name and the other to the grade item.

A roster student with nothing graded for the assignment gets an empty grade ("no grade" in both
LMSs), or 0 with ``--missing-as-zero``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from course_lib.grading.course import Course
from course_lib.grading.records import Row
from course_lib.grading.submissions import POINTS_POSSIBLE, InputError, Roster

FORMATS = ("canvas", "moodle")
NOT_COUNTED_STATUSES = ("superseded",)  # a file replaced by another of the same student and notebook
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_KEYS = ("ID", "SIS User ID")
MOODLE_KEYS = (("Email address", "email"), ("ID number", "idnumber"))  # (Moodle's name, an alias)


@dataclass(frozen=True)
class Assignment:
    """What the LMS column holds: its name, the course notebooks summed, and the most points."""

    name: str
    notebooks: tuple[str, ...]
    points_possible: int


@dataclass
class Written:
    """One LMS file: where, how many students have a grade, and the roster rows it had to leave out."""

    path: Path
    graded: int
    empty: int
    left_out: list[str] = field(default_factory=list)


def _normal(column: str) -> str:
    return " ".join(column.casefold().split())


def _cell(cells: dict[str, str], *columns: str) -> str:
    """The first non-empty value among ``columns`` (matched case- and spacing-insensitively)."""
    by_name = {_normal(name): value for name, value in cells.items()}
    return next((by_name[_normal(name)] for name in columns if by_name.get(_normal(name))), "")


def _has_column(roster: Roster, *columns: str) -> bool:
    wanted = {_normal(name) for name in columns}
    return any(_normal(name) in wanted for cells in roster.cells for name in cells)


def check_roster(formats: list[str], roster: Roster | None) -> None:
    """InputError (one line) when a format is asked for without the roster columns it is keyed by."""
    if not formats:
        return
    if roster is None:
        raise InputError(f"--format {formats[0]} needs --roster CSV: the LMS files are keyed by the roster's "
                         "LMS identifiers (see the README)")
    if "canvas" in formats and not _has_column(roster, *CANVAS_KEYS):
        raise InputError("--format canvas needs a roster column 'ID' or 'SIS User ID' (Canvas's gradebook "
                         "export has both: it can be the roster)")
    if "moodle" in formats and not _has_column(roster, *(name for pair in MOODLE_KEYS for name in pair)):
        raise InputError("--format moodle needs a roster column 'Email address' or 'ID number' (as Moodle's "
                         "grade export names them)")


def counted_rows(rows: list[Row], course: Course) -> list[Row]:
    """Rows of course notebooks that count towards a grade (not superseded files, not unreadable ones)."""
    return [row for row in rows if row.notebook in course.notebooks and row.status not in NOT_COUNTED_STATUSES]


def assignment_of(rows: list[Row], course: Course, points: dict[str, int], name: str | None) -> Assignment:
    """The notebooks graded in this run (every course notebook when none was), their name and most points."""
    graded = {row.notebook for row in counted_rows(rows, course)}
    notebooks = tuple(notebook for notebook in course.notebooks if notebook in graded) or tuple(course.notebooks)
    possible = sum(points.get(exercise.id, 0) for notebook in notebooks
                   for exercise in course.notebooks[notebook].exercises)
    if name is None:
        name = course.notebooks[notebooks[0]].title if len(notebooks) == 1 else f"Notebooks {', '.join(notebooks)}"
    return Assignment(name, notebooks, possible)


def scores(rows: list[Row], course: Course, assignment: Assignment) -> dict[str, int]:
    """Student → points on the assignment, for every student with a counted row of its notebooks."""
    totals: dict[str, int] = {}
    for row in counted_rows(rows, course):
        if row.notebook in assignment.notebooks:
            totals[row.student] = totals.get(row.student, 0) + row.total
    return totals


def _grade(student: str, totals: dict[str, int], missing_as_zero: bool) -> str:
    if student in totals:
        return str(totals[student])
    return "0" if missing_as_zero else ""


def canvas_table(roster: Roster, totals: dict[str, int], assignment: Assignment,
                 missing_as_zero: bool) -> tuple[list[list[str]], list[str]]:
    """Canvas's gradebook import rows (header, Points Possible, students) and the roster names left out."""
    table = [[*CANVAS_COLUMNS, assignment.name],
             [f"    {POINTS_POSSIBLE}", *([""] * (len(CANVAS_COLUMNS) - 1)), str(assignment.points_possible)]]
    left_out = []
    for name, cells in zip(roster.names, roster.cells, strict=True):
        if not _cell(cells, *CANVAS_KEYS):
            left_out.append(name)
            continue
        table.append([_cell(cells, "Student") or name, *(_cell(cells, column) for column in CANVAS_COLUMNS[1:]),
                      _grade(name, totals, missing_as_zero)])
    return table, left_out


def moodle_table(roster: Roster, totals: dict[str, int], assignment: Assignment,
                 missing_as_zero: bool) -> tuple[list[list[str]], list[str]]:
    """Moodle's CSV grade import rows (identifier, grade item) and the roster names left out."""
    key = next(pair for pair in MOODLE_KEYS if _has_column(roster, *pair))
    table, left_out = [[key[0], assignment.name]], []
    for name, cells in zip(roster.names, roster.cells, strict=True):
        identifier = _cell(cells, *key)
        if not identifier:
            left_out.append(name)
            continue
        table.append([identifier, _grade(name, totals, missing_as_zero)])
    return table, left_out


TABLES = {"canvas": canvas_table, "moodle": moodle_table}


def write_lms_files(formats: list[str], rows: list[Row], course: Course, points: dict[str, int], roster: Roster,
                    out: Path, assignment_name: str | None, missing_as_zero: bool) -> tuple[Assignment, list[Written]]:
    """``out/<format>.csv`` for each format asked for (each once, in the order given)."""
    assignment = assignment_of(rows, course, points, assignment_name)
    totals = scores(rows, course, assignment)
    written = []
    for name in dict.fromkeys(formats):
        table, left_out = TABLES[name](roster, totals, assignment, missing_as_zero)
        stream = io.StringIO()
        csv.writer(stream, lineterminator="\n").writerows(table)
        path = out / f"{name}.csv"
        path.write_text(stream.getvalue(), encoding="utf-8")
        students = [row for row in table if row[0] != f"    {POINTS_POSSIBLE}"][1:]
        empty = sum(1 for row in students if row[-1] == "")
        written.append(Written(path, len(students) - empty, empty, left_out))
    return assignment, written


def summary_lines(assignment: Assignment, written: list[Written], rows: list[Row], roster: Roster) -> list[str]:
    """What the printed summary says about the LMS files."""
    lines = []
    for item in written:
        line = (f"Wrote {item.path} ({item.path.stem.capitalize()} import, {assignment.name!r} out of "
                f"{assignment.points_possible}: {item.graded} students with a grade, {item.empty} empty)")
        if item.left_out:
            line += f"; left out, no LMS identifier in the roster: {', '.join(item.left_out)}"
        lines.append(line)
    strangers = sorted({row.student for row in rows} - set(roster.names))
    if written and strangers:
        lines.append(f"  note: not in the LMS files (no roster row): {', '.join(strangers)}")
    return lines
