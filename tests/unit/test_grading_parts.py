"""The grader's parts, without starting a process: registry, notebook reading, identification, file
collection and rosters, the outcome of a finished child, the grade sheet, and the command's one-line errors.

The whole command, with real processes and every fault, is tested in tests/test_grading.py.
"""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from course_lib import grade as grade_command
from course_lib.checks import EXERCISES, check_adam, check_sgd_step
from course_lib.checks.registry import Exercise, registry
from course_lib.grading.course import load_course
from course_lib.grading.identify import Identified, job_exercise, make_job, read_and_identify
from course_lib.grading.notebooks import Cell, Notebook, Unreadable, defines, parse_ipynb, parse_py, runnable
from course_lib.grading.records import (
    CRASHED,
    GRADED,
    MEMORY_LIMIT,
    NOT_COURSE,
    SUPERSEDED,
    TIMED_OUT,
    UNREADABLE,
    ExerciseResult,
    Job,
    JobExercise,
    Row,
    finish_row,
)
from course_lib.grading.report import columns, feedback_text, safe_name, summary, write_csv
from course_lib.grading.sandbox import Limits, Running, outcome
from course_lib.grading.submissions import InputError, apply_roster, collect, read_roster
from course_lib.optimizers import sgd_step

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "grading"
sys.path.insert(0, str(FIXTURES))
import planted  # noqa: E402


@pytest.fixture(scope="module")
def course():
    return load_course()


def notebook_bytes(content: dict) -> bytes:
    return json.dumps(content).encode()


# the registry --------------------------------------------------------------------------------------


def test_every_reference_passes_its_registered_check_and_judging_prints_nothing(capsys):
    for exercise in EXERCISES.values():
        passed, sentence = exercise.judge(exercise.reference)
        assert passed, sentence
        assert sentence.startswith(f"{exercise.id}: correct — ")
    assert capsys.readouterr().out == ""


def test_every_exercise_of_the_course_notebooks_has_a_check_and_a_planted_mistake(course):
    exercises = course.exercise_ids()
    assert exercises and len(exercises) == len(set(exercises))
    assert set(exercises) <= set(EXERCISES), "add the exercise's check to course_lib.checks.EXERCISES"
    assert set(planted.WRONG_BODIES) == set(EXERCISES), "plant a wrong answer in tests/fixtures/grading/planted.py"


def test_every_course_notebook_with_exercises_has_setup_cells_that_import_its_names(course):
    for notebook in course.notebooks.values():
        if notebook.exercises:
            assert notebook.setup, f"{notebook.id}: tag its import cell grading-setup in solutions/{notebook.id}.py"
            assert any("import" in cell for cell in notebook.setup)


def test_an_exercise_registered_twice_is_refused():
    with pytest.raises(ValueError, match="registered twice"):
        registry(Exercise(check_sgd_step, reference=sgd_step), Exercise(check_sgd_step, reference=sgd_step))
    assert registry(Exercise(check_adam, reference=None, points=3))["Adam"].points == 3


# reading notebooks ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "reason"), [
    (b'{"cells": [', "not valid JSON"),
    (b'{"hello": 1}', "not a Jupyter notebook"),
    (b"\xff\xfe\x00binary", "not text"),
    (b'{"nbformat": 4, "cells": [{"source": "x"}]}', "a cell has no cell_type"),
])
def test_unreadable_notebooks_say_why_in_one_line(data, reason):
    with pytest.raises(Unreadable, match=reason) as caught:
        parse_ipynb(data)
    assert "\n" not in str(caught.value)


def test_a_notebook_is_read_with_its_course_metadata_title_and_exercise_ids():
    parsed = parse_ipynb(notebook_bytes(planted.solution("03_optimizers")))
    assert parsed.course_id == "03_optimizers" and parsed.title == "03 · Optimizers"
    expected = [exercise for exercise, notebook in planted.EXERCISE_NOTEBOOK.items() if notebook == "03_optimizers"]
    assert expected and [cell.exercise for cell in parsed.code_cells() if cell.exercise] == expected
    assert parsed.exercise_ids == expected


def test_a_jupytext_py_keeps_the_course_metadata(tmp_path):
    path = planted.write_py(planted.solution("01_training_loop"), tmp_path / "anything.py")
    parsed = parse_py(path.read_bytes())
    assert parsed.course_id == "01_training_loop"
    expected = [exercise for exercise, notebook in planted.EXERCISE_NOTEBOOK.items() if notebook == "01_training_loop"]
    assert expected and [cell.exercise for cell in parsed.code_cells() if cell.exercise] == expected
    assert parsed.exercise_ids == expected


def test_magics_become_pass_and_definitions_are_found():
    assert runnable("%%time\nx = 1\n!ls\n    %timeit f()") == "x = 1\npass\n    pass\n"
    assert defines("import torch\n\nclass Adam(Base):\n    pass", "Adam")
    assert not defines("def helper():\n    def Adam(): pass", "Adam") and not defines("Adam = 1", "Adam")
    assert not defines("def broken(:", "broken")


# identifying a submission --------------------------------------------------------------------------


def _file(tmp_path: Path, name: str, content: dict | bytes):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else notebook_bytes(content))
    (found,) = collect([path]).files
    return found


def test_the_notebook_is_found_by_metadata_then_title_never_by_file_name(tmp_path, course):
    renamed = read_and_identify(_file(tmp_path, "04_minibatch_and_training.ipynb", planted.solution("02_initialization")),
                                course)
    assert isinstance(renamed, Identified) and renamed.notebook.id == "02_initialization" and not renamed.notes
    titled = read_and_identify(_file(tmp_path, "x.ipynb", planted.strip_course_metadata(planted.solution("03_optimizers"))),
                               course)
    assert isinstance(titled, Identified) and titled.notebook.id == "03_optimizers"
    assert "identified by its title" in titled.notes[0]
    foreign = planted.solution("03_optimizers")
    foreign["metadata"]["course"]["notebook"] = "99_unknown"
    foreign["cells"][0]["source"] = "# Something else"
    row = read_and_identify(_file(tmp_path, "03_optimizers.ipynb", foreign), course)
    assert isinstance(row, Row) and row.status == NOT_COURSE and "'99_unknown' is not a notebook" in row.note
    broken = read_and_identify(_file(tmp_path, "b.ipynb", b"{"), course)
    assert isinstance(broken, Row) and broken.status == UNREADABLE and broken.student == "b"


def test_exercise_cells_last_copy_definition_fallback_missing_and_stub(course):
    adam = next(exercise for exercise in course.notebooks["03_optimizers"].exercises if exercise.id == "Adam")
    tagged = Cell("code", "class Adam(CourseOptimizer):\n    pass", {"course": {"exercise": "Adam"}})
    second = Cell("code", "class Adam(CourseOptimizer):\n    x = 2", {"course": {"exercise": "Adam"}})
    untagged = Cell("code", "class Adam(CourseOptimizer):\n    y = 3")

    chosen = job_exercise(Notebook([tagged, untagged, second], {}), adam, 1)
    assert chosen.code == second.source and "2 cells carry this exercise's id" in chosen.note
    fallback = job_exercise(Notebook([untagged], {}), adam, 1)
    assert fallback.code == untagged.source and "lost its exercise id" in fallback.note
    missing = job_exercise(Notebook([Cell("code", "x = 1")], {}), adam, 1)
    assert missing.code is None and "exercise cell missing" in missing.verdict
    stub = Cell("code", adam.stub.replace("\n", "  \n") + "\n\n", {"course": {"exercise": "Adam"}})
    untouched = job_exercise(Notebook([stub], {}), adam, 1)
    assert untouched.code is None and "not attempted" in untouched.verdict


def test_an_older_handout_is_graded_on_the_exercises_it_has(course):
    """A handout listing its exercises without Adam was made before Adam was added: Adam is not counted.
    Without the list (a handout older than the list itself) a missing cell is still "exercise cell missing"."""
    adam = next(exercise for exercise in course.notebooks["03_optimizers"].exercises if exercise.id == "Adam")
    older = Notebook([Cell("code", "x = 1")], {"course": {"notebook": "03_optimizers",
                                                          "exercises": ["momentum_update", "rmsprop_update"]}})
    absent = job_exercise(older, adam, 1)
    assert absent.code is None and not absent.counted and absent.points == 0
    assert absent.verdict == ("Adam: not in your version of the notebook — the exercise was added after your copy "
                              "was handed out, so it is not counted.")
    current = Notebook([Cell("code", "x = 1")], {"course": {"notebook": "03_optimizers", "exercises": ["Adam"]}})
    assert "exercise cell missing" in job_exercise(current, adam, 1).verdict
    assert "exercise cell missing" in job_exercise(Notebook([Cell("code", "x = 1")], {}), adam, 1).verdict

    job = Job(0, "s", "03_optimizers", "f.ipynb", [], [JobExercise("momentum_update", 1, code="x"), absent])
    row = finish_row(job, {"momentum_update": (True, "momentum_update: correct — fine.")}, GRADED, 1.0)
    assert (row.total, row.max) == (1, 1), "the exercise the handout did not have costs nothing"
    assert [(e.id, e.counted) for e in row.exercises] == [("momentum_update", True), ("Adam", False)]


def test_the_generated_notebooks_list_their_exercises_in_order(course):
    for notebook in course.notebooks.values():
        path = course.folder / f"{notebook.id}.ipynb"
        listed = parse_ipynb(path.read_bytes()).exercise_ids
        assert listed == [exercise.id for exercise in notebook.exercises], notebook.id


def test_an_optional_exercise_is_reported_by_whether_it_passed_and_adds_no_points(tmp_path):
    rows = [Row("ann", "03_optimizers", "a.ipynb", GRADED, 1.0,
                [ExerciseResult("Adam", 1, 1, "Adam: correct — fine.", True),
                 ExerciseResult("Nesterov", 0, 0, "Nesterov: correct — fine.", True)]),
            Row("ben", "03_optimizers", "b.ipynb", GRADED, 1.0,
                [ExerciseResult("Adam", 0, 1, "Adam: not right yet — x.", False),
                 ExerciseResult("Nesterov", 0, 0, "Nesterov: not right yet — y.", False)])]
    assert [row.max for row in rows] == [1, 1]
    lines = summary(rows, ["Adam", "Nesterov"], 1.0, "2 processes")
    assert "  mean points: Adam 0.50/1 (n=2), Nesterov (optional) passed 1/2" in lines
    assert "- **Nesterov** optional, passed: Nesterov: correct — fine." in feedback_text(rows[0])


def test_a_job_skips_exercises_without_a_registered_check(tmp_path, course):
    identified = read_and_identify(_file(tmp_path, "s.ipynb", planted.solution("03_optimizers")), course)
    job = make_job(7, identified, {"Adam": 2, "momentum_update": 1})
    assert [(exercise.id, exercise.points) for exercise in job.exercises] == [("momentum_update", 1), ("Adam", 2)]
    assert job.setup == list(course.notebooks["03_optimizers"].setup) and job.needs_running()
    assert Job.from_dict(json.loads(json.dumps(job.to_dict()))) == job


# finding files and naming students ----------------------------------------------------------------


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_folders_and_zips_are_searched_and_top_level_entries_name_the_students(tmp_path):
    klass = tmp_path / "class"
    (klass / "alice" / "week 1" / ".ipynb_checkpoints").mkdir(parents=True)
    (klass / "alice" / "week 1" / "01.ipynb").write_text("{}")
    (klass / "alice" / "week 1" / ".ipynb_checkpoints" / "01-checkpoint.ipynb").write_text("{}")
    (klass / "alice" / "notes.txt").write_text("")
    (klass / "bob.ipynb").write_text("{}")
    inner = _zip_bytes({"deep/03.ipynb": b"{}"})
    (klass / "carol.zip").write_bytes(_zip_bytes({"carol/week 3/02.py": b"", "__MACOSX/carol/._02.py": b"",
                                                  "carol/old.zip": inner}))
    (klass / "dan.zip").write_bytes(b"not a zip")
    bulk = tmp_path / "bulk.zip"
    bulk.write_bytes(_zip_bytes({"Erin Ng_77_file_/sub/04.ipynb": b"{}", "frank.ipynb": b"{}"}))

    found = collect([klass, bulk])

    assert [(file.student, file.inner_path) for file in found.files] == [
        ("alice", "week 1/01.ipynb"), ("bob", "bob.ipynb"), ("carol", "carol/old.zip/deep/03.ipynb"),
        ("carol", "carol/week 3/02.py"), ("dan", "dan.zip"), ("Erin Ng_77_file_", "sub/04.ipynb"),
        ("frank", "frank.ipynb")]
    assert found.files[2].read() == b"{}"
    assert "not a readable zip file" in found.files[4].problem
    assert found.ignored == [f"{klass}/alice/notes.txt"]


def test_bad_paths_are_one_line_input_errors(tmp_path):
    with pytest.raises(InputError, match="no such file or folder: .*missing"):
        collect([tmp_path / "missing"])
    (tmp_path / "notes.txt").write_text("")
    with pytest.raises(InputError, match="not a notebook"):
        collect([tmp_path / "notes.txt"])


def test_the_roster_names_students_by_any_column_as_whole_words(tmp_path):
    roster_path = tmp_path / "roster.csv"
    roster_path.write_text("email,student,id\nalice@uni.edu,Alice Martin,1001\nbob@uni.edu,Bob Chen,1002\n"
                           "al@uni.edu,Al Chen,1003\ngrace@uni.edu,Grace Li,1007\n")
    roster = read_roster(roster_path)
    assert roster.match(("Alice Martin_55_assignsubmission_file_", "03.ipynb")) == "Alice Martin"
    assert roster.match(("submission_1002",)) == "Bob Chen"
    assert roster.match(("chen",)) is None, "two rows share the value 'chen': no guess"
    assert roster.match(("alicesmith",)) is None, "a value must match whole words"
    klass = tmp_path / "class"
    klass.mkdir()
    for name in ("1001.ipynb", "Bob Chen.ipynb", "stranger.ipynb"):
        (klass / name).write_text("{}")
    found = collect([klass])
    unmatched, absent = apply_roster(found, roster)
    assert sorted(file.student for file in found.files) == ["Alice Martin", "Bob Chen", "stranger"]
    assert unmatched == ["stranger"] and absent == ["Al Chen", "Grace Li"]


# the outcome of a finished child --------------------------------------------------------------------


def _running(**state) -> Running:
    job = Job(0, "s", "03_optimizers", "f.ipynb", [], [JobExercise("momentum_update", 1, code="x"),
                                                       JobExercise("Adam", 1, code="y")])
    running = Running(job, pid=1, report_fd=-1, exit_fd=None, scratch="", started=0.0, deadline=1.0)
    running.verdicts = {"momentum_update": (True, "momentum_update: correct — fine.")}
    for key, value in state.items():
        setattr(running, key, value)
    return running


@pytest.mark.parametrize(("state", "wait_status", "status", "note"), [
    ({"done": True}, 0, GRADED, ""),
    ({"done": True, "memory": True}, 0, MEMORY_LIMIT, "needed more memory than the limit (512 MB)"),
    ({"timed_out": True}, signal.SIGKILL, TIMED_OUT, "stopped after 3 s (wall clock) while running the check of Adam"),
    ({}, signal.SIGKILL, MEMORY_LIMIT, "was killed (SIGKILL)"),
    ({}, signal.SIGXCPU, TIMED_OUT, "used more than 8 s of CPU time"),
    ({}, signal.SIGSEGV, CRASHED, "killed by SIGSEGV while running the check of Adam"),
    ({}, 3 << 8, CRASHED, "exited (status 3)"),
])
def test_how_a_child_ended_decides_the_status_and_earlier_verdicts_are_kept(state, wait_status, status, note):
    row = outcome(_running(at="the check of Adam", **state), wait_status, Limits(timeout_s=3, memory_mb=512), 1.5)
    assert row.status == status and note in row.note
    points = {exercise.id: exercise.points for exercise in row.exercises}
    assert points == {"momentum_update": 1, "Adam": 0}
    if status != GRADED and not state.get("done"):
        assert row.exercises[1].sentence.startswith("Adam: not graded — the submission")


# the grade sheet ------------------------------------------------------------------------------------


def test_the_csv_has_the_documented_columns_and_blanks_for_other_notebooks(tmp_path):
    rows = [Row("bob", "x.ipynb", "x.ipynb", UNREADABLE, 0.0, note="not valid JSON"),
            outcome(_running(done=True), 0, Limits(), 0.25)]
    write_csv(rows, ["sgd_step", "momentum_update", "Adam"], tmp_path / "grades.csv")
    sheet = pd.read_csv(tmp_path / "grades.csv")
    assert list(sheet.columns) == columns(["sgd_step", "momentum_update", "Adam"])
    assert sheet.to_dict("list")["status"] == ["unreadable", "graded"]
    assert pd.isna(sheet.loc[1, "sgd_step"]) and sheet.loc[1, "momentum_update"] == 1 and pd.isna(sheet.loc[0, "max"])
    assert safe_name("../../etc/passwd") == "_.._etc_passwd" and safe_name("Ann Lee") == "Ann Lee"


# the command's errors -------------------------------------------------------------------------------


def test_bad_input_gets_one_clear_line_and_exit_status_2(tmp_path, capsys):
    assert grade_command.main([str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("course-grade: error: no such file or folder:") and len(err.strip().splitlines()) == 1
    (tmp_path / "roster.csv").write_text("only a header\n")
    (tmp_path / "a.ipynb").write_text("{}")
    assert grade_command.main([str(tmp_path / "a.ipynb"), "--out", str(tmp_path / "out"), "--roster",
                               str(tmp_path / "roster.csv")]) == 2
    assert "needs a header row and at least one student" in capsys.readouterr().err
    assert grade_command.main([str(tmp_path / "a.ipynb"), "--out", str(tmp_path / "out"), "--course",
                               str(tmp_path)]) == 2
    assert "no course notebooks" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    (tmp_path / "taken").write_text("")
    assert grade_command.main([str(tmp_path / "a.ipynb"), "--out", str(tmp_path / "taken")]) == 2
    assert "is a file; give a folder" in capsys.readouterr().err


# the fork server's client --------------------------------------------------------------------------


def test_a_submission_that_kills_the_server_gets_a_crashed_row_and_the_others_are_graded():
    from course_lib.grading.client import ForkServer

    jobs = [Job(number, student, "01_training_loop", f"{student}.ipynb", [], [JobExercise("sgd_step", 1, code="x")])
            for number, student in enumerate(["first", "killer", "last"])]
    server = ForkServer({}, Limits(), workers=1, command=(sys.executable, str(FIXTURES / "fake_server.py")))
    rows: list[Row] = []
    server.run(jobs, rows.append)
    server.close()

    by_student = {row.student: row for row in rows}
    assert sorted(by_student) == ["first", "killer", "last"] and len(rows) == 3
    assert by_student["first"].status == by_student["last"].status == GRADED
    assert by_student["killer"].status == CRASHED and "died twice" in by_student["killer"].note
    assert by_student["killer"].exercises[0].points == 0 and server.restarts == 2


def test_dask_missing_is_one_clear_line(monkeypatch):
    from course_lib.grading.client import ServerError
    from course_lib.grading.dask_backend import DaskBackend

    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ServerError, match="--dask needs the optional packages dask and distributed"):
        DaskBackend("tcp://127.0.0.1:1", {}, Limits())


def test_one_file_per_student_and_notebook_is_graded_the_others_are_named(tmp_path, course):
    from course_lib.grading.pipeline import make_jobs

    folder = tmp_path / "class" / "ann"
    planted.write_py(planted.solution("01_training_loop"), folder / "a.py")
    planted.write_ipynb(planted.blank("01_training_loop"), folder / "b" / "first.ipynb")
    planted.write_ipynb(planted.solution("01_training_loop"), folder / "c" / "second.ipynb")
    identified = [read_and_identify(file, course) for file in collect([tmp_path / "class"]).files]

    jobs, rows = make_jobs(identified, {"sgd_step": 1})

    (job,) = jobs
    assert job.file.endswith("c/second.ipynb")
    assert "also submitted, not graded:" in job.note and "a.py" in job.note and "first.ipynb" in job.note
    assert sorted((row.student, row.notebook, row.status) for row in rows) == [
        ("ann", "a.py", SUPERSEDED), ("ann", "b/first.ipynb", SUPERSEDED)]
    for row in rows:
        assert row.note.startswith(f"not graded: superseded by {job.file} (") and row.max is None
    lines = summary(rows, ["sgd_step"], 1.0, "2 processes")
    for row in rows:
        assert any(line.startswith(f"  superseded: {row.file} — not graded: superseded by {job.file} (")
                   for line in lines), lines


def test_namesakes_in_two_sections_stay_two_students(tmp_path):
    for section in ("section-a", "section-b"):
        (tmp_path / "fall" / section / "alice").mkdir(parents=True)
        (tmp_path / "fall" / section / "alice" / "03.ipynb").write_text("{}")
    (tmp_path / "fall" / "section-b" / "bob.ipynb").write_text("{}")
    (tmp_path / "spring" / "section-a").mkdir(parents=True)
    (tmp_path / "spring" / "section-a" / "alice.ipynb").write_text("{}")

    found = collect([tmp_path / "fall" / "section-a", tmp_path / "fall" / "section-b",
                     tmp_path / "spring" / "section-a"])

    assert [file.student for file in found.files] == [
        "alice (fall/section-a)", "alice (section-b)", "bob", "alice (spring/section-a)"]


def test_the_course_grade_script_is_installed():
    script = Path(sys.executable).parent / "course-grade"
    assert script.exists(), "reinstall course_lib (make setup) to get the course-grade command"
    completed = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 0 and completed.stdout.startswith("usage: course-grade")
