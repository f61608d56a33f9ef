"""Canvas and Moodle grade-import files (course_lib.grading.lms), from rows made by hand: no grading run.

Layouts followed (checked by the lead against each LMS's documentation):

- Canvas gradebook import: header ``Student,ID,SIS User ID,SIS Login ID,Section,<Assignment>``, an optional
  ``    Points Possible`` row, then one row per student keyed by ``ID`` (and ``SIS User ID``);
- Moodle CSV grade import: an identifier column (``Email address`` or ``ID number``) and one column per
  grade item, named as the item; numeric values, empty = no grade.

The command's wiring (``--format``, the roster, the printed lines) is tested on the example class in
tests/test_grading_lms_command.py.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from course_lib import grade as grade_command
from course_lib.checks import EXERCISES
from course_lib.grading.course import load_course
from course_lib.grading.lms import assignment_of, check_roster, summary_lines, write_lms_files
from course_lib.grading.records import GRADED, NOT_COURSE, TIMED_OUT, UNREADABLE, ExerciseResult, Row
from course_lib.grading.submissions import InputError, read_roster

POINTS = {exercise.id: exercise.points for exercise in EXERCISES.values()}
CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,Email address
    Points Possible,,,,,
Alice Martin,48213,1001,alice,Section A,alice.martin@uni.example
Bob Chen,48214,1002,bob,Section A,bob.chen@uni.example
Carol Diaz,48215,1003,carol,Section B,carol.diaz@uni.example
Erin Ng,48217,1005,erin,Section B,erin.ng@uni.example
Hugo Blanc,48220,1008,hugo,Section B,hugo.blanc@uni.example
"""


@pytest.fixture(scope="module")
def course():
    return load_course()


def row(student: str, notebook: str, points: dict[str, int] | None = None, status: str = GRADED) -> Row:
    """A row of ``notebook`` with the given points per exercise (the notebook's other exercises 0)."""
    if points is None:
        return Row(student, notebook, f"class/{student}/{notebook}", status, 0.0)
    exercises = [ExerciseResult(exercise, points.get(exercise, 0), POINTS[exercise], "sentence")
                 for exercise in NOTEBOOK_EXERCISES[notebook]]
    return Row(student, notebook, f"class/{student}/{notebook}.ipynb", status, 0.1, exercises)


NOTEBOOK_EXERCISES = {notebook.id: [e.id for e in notebook.exercises if e.id in POINTS]
                      for notebook in load_course().notebooks.values()}


def optimizers_rows() -> list[Row]:
    """A week of notebook 03: Alice full marks, Bob one exercise, Carol timed out after one, Erin's file
    unreadable, a stranger not in the roster; Hugo submitted nothing."""
    full = {exercise: POINTS[exercise] for exercise in NOTEBOOK_EXERCISES["03_optimizers"]}
    return [row("Alice Martin", "03_optimizers", full),
            row("Bob Chen", "03_optimizers", {"momentum_update": 1}),
            row("Carol Diaz", "03_optimizers", {"momentum_update": 1}, status=TIMED_OUT),
            row("Erin Ng", "03_optimizers.ipynb", status=UNREADABLE),
            row("Zed Unknown", "03_optimizers", {})]


def read(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.reader(stream))


def write(tmp_path, course, rows, formats=("canvas", "moodle"), name=None, missing_as_zero=False, roster=ROSTER):
    (tmp_path / "roster.csv").write_text(roster, encoding="utf-8")
    roster = read_roster(tmp_path / "roster.csv")
    return roster, *write_lms_files(list(formats), rows, course, POINTS, roster, tmp_path, name, missing_as_zero)


def test_the_canvas_file_has_canvas_header_points_possible_and_one_row_per_roster_student(tmp_path, course):
    _, assignment, _ = write(tmp_path, course, optimizers_rows())
    table = read(tmp_path / "canvas.csv")
    title = course.notebooks["03_optimizers"].title
    possible = sum(POINTS[exercise] for exercise in NOTEBOOK_EXERCISES["03_optimizers"])

    assert table[0] == [*CANVAS_HEADER, title]
    assert table[1] == ["    Points Possible", "", "", "", "", str(possible)]
    assert assignment.notebooks == ("03_optimizers",) and assignment.points_possible == possible
    assert table[2:] == [
        ["Alice Martin", "48213", "1001", "alice", "Section A", str(possible)],
        ["Bob Chen", "48214", "1002", "bob", "Section A", "1"],
        ["Carol Diaz", "48215", "1003", "carol", "Section B", "1"],  # timed out: the points it reached
        ["Erin Ng", "48217", "1005", "erin", "Section B", ""],  # her file was unreadable: nothing graded
        ["Hugo Blanc", "48220", "1008", "hugo", "Section B", ""],  # submitted nothing
    ]


def test_the_moodle_file_has_the_identifier_and_the_grade_item_and_one_row_per_roster_student(tmp_path, course):
    write(tmp_path, course, optimizers_rows(), name="Week 3: optimizers")
    table = read(tmp_path / "moodle.csv")

    assert table[0] == ["Email address", "Week 3: optimizers"]
    assert [line[0] for line in table[1:]] == ["alice.martin@uni.example", "bob.chen@uni.example",
                                              "carol.diaz@uni.example", "erin.ng@uni.example",
                                              "hugo.blanc@uni.example"]
    assert [line[1] for line in table[1:]] == ["3", "1", "1", "", ""]
    assert all(value == "" or value.isdigit() for _, value in table[1:])


def test_missing_as_zero_gives_zero_to_students_with_nothing_graded_only(tmp_path, course):
    write(tmp_path, course, optimizers_rows(), missing_as_zero=True)

    assert [line[-1] for line in read(tmp_path / "canvas.csv")[2:]] == ["3", "1", "1", "0", "0"]
    assert [line[-1] for line in read(tmp_path / "moodle.csv")[1:]] == ["3", "1", "1", "0", "0"]


def test_moodle_falls_back_to_the_id_number_and_canvas_leaves_out_rows_without_an_lms_id(tmp_path, course):
    roster = "student,ID number,ID\nAlice Martin,S-01,48213\nBob Chen,,\n"
    _, assignment, written = write(tmp_path, course, optimizers_rows(), roster=roster)

    assert read(tmp_path / "moodle.csv") == [["ID number", assignment.name], ["S-01", "3"]]
    assert read(tmp_path / "canvas.csv")[2:] == [["Alice Martin", "48213", "", "", "", "3"]]
    assert [item.left_out for item in written] == [["Bob Chen"], ["Bob Chen"]]


def test_several_notebooks_make_one_course_assignment_and_superseded_files_do_not_count(tmp_path, course):
    rows = [row("Alice Martin", "01_training_loop", {"sgd_step": 1}),
            row("Alice Martin", "03_optimizers", {"Adam": 1}),
            row("Bob Chen", "03_optimizers", {"Adam": 1}),
            row("Bob Chen", "03_optimizers", {"Adam": 1, "momentum_update": 1}, status="superseded"),
            row("Carol Diaz", "scratch.ipynb", status=NOT_COURSE)]
    roster, assignment, written = write(tmp_path, course, rows, formats=("moodle", "moodle"))

    assert assignment.notebooks == ("01_training_loop", "03_optimizers")
    assert assignment.points_possible == sum(POINTS[e] for nb in assignment.notebooks for e in NOTEBOOK_EXERCISES[nb])
    assert [line[1] for line in read(tmp_path / "moodle.csv")[1:]] == ["2", "1", "", "", ""]
    assert len(written) == 1 and not (tmp_path / "canvas.csv").exists()
    lines = summary_lines(assignment, written, rows, roster)
    assert lines[0].startswith(f"Wrote {tmp_path / 'moodle.csv'} (Moodle import, 'Notebooks 01_training_loop, "
                               f"03_optimizers' out of {assignment.points_possible}: 2 students with a grade, 3 empty)")


def test_with_nothing_graded_the_assignment_is_the_whole_course(course):
    assignment = assignment_of([row("Erin Ng", "x.ipynb", status=UNREADABLE)], course, POINTS, None)

    assert assignment.notebooks == tuple(course.notebooks)
    assert assignment.points_possible == sum(POINTS[e] for ids in NOTEBOOK_EXERCISES.values() for e in ids)


def test_a_format_without_its_roster_columns_is_a_one_line_error_before_grading(tmp_path, capsys):
    (tmp_path / "a.ipynb").write_text("{}")
    (tmp_path / "plain.csv").write_text("student,login\nAlice Martin,alice\n")
    with pytest.raises(InputError, match="needs --roster"):
        check_roster(["canvas"], None)
    check_roster([], None)

    for arguments, message in [([], "--format canvas needs --roster CSV"),
                               (["--roster", str(tmp_path / "plain.csv")], "a roster column 'ID' or 'SIS User ID'")]:
        code = grade_command.main([str(tmp_path / "a.ipynb"), "--out", str(tmp_path / "out"), "--format", "canvas",
                                   *arguments])
        error = capsys.readouterr().err
        assert code == 2 and message in error and "Traceback" not in error and len(error.splitlines()) == 1
    code = grade_command.main([str(tmp_path / "a.ipynb"), "--out", str(tmp_path / "out"), "--format", "moodle",
                               "--roster", str(tmp_path / "plain.csv")])
    assert code == 2 and "'Email address' or 'ID number'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_roster_skips_canvas_points_possible_row_and_keeps_each_row_cells(tmp_path):
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    roster = read_roster(tmp_path / "roster.csv")

    assert "Points Possible" not in roster.names and len(roster.names) == len(roster.cells) == 5
    assert roster.cells[0]["SIS User ID"] == "1001"
