"""course-grade on one planted class: every fault gets its documented status, every other row stays intact.

One grader run (a session fixture: ``course_lib.grade.main`` in this process, the submissions in the
fork server's children, ``-j 2``) grades a class folder built from the course's own notebooks:

- the four solution notebooks (full marks) and the four student notebooks ("not attempted");
- per exercise, the solution with one planted mistake (0 on that exercise only, the check's sentence);
- each delegation of ``planted.DELEGATIONS`` (an exercise handed to course_lib's reference or to the
  torch function it re-implements): 0 on that exercise only, with the "delegated" sentence, the same
  sentence the notebook's self-check prints;
- one submission per fault: an infinite loop, a segfault, ``sys.exit()``, ``os._exit``, a 20 GB
  allocation (in a cell, and inside a function under its check), a gigabyte of output, deleted and
  edited check cells, a missing and a duplicated exercise cell, an exception in one exercise cell,
  files deleted in its working directory, a look at the instructor's environment, corrupt JSON, a
  broken zip, a notebook that is not the course's, a renamed file, a notebook that lost its
  metadata, a zip with nested folders (with a jupytext .py inside), a bulk-download zip given on the
  command line, and two identical submissions (grading is deterministic);
- no submission vanishes: one student with two files for one notebook (one graded, the other a row
  ``superseded`` that names the graded file), and a student ``sam`` in this class folder and in a second
  section folder given on the command line (two students, ``sam (class)`` and ``sam (section_b)``).

The table ``CASES`` states what each row must be; each case is one test.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from course_lib import grade as grade_command
from course_lib.checks import EXERCISES
from course_lib.grading.records import STATUSES

pytestmark = pytest.mark.slow  # a grader run: several seconds (make test runs it, make check does not)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "grading"
sys.path.insert(0, str(FIXTURES))
import planted  # noqa: E402  (tests/fixtures/grading/planted.py)

SECRET = "COURSE_GRADE_TEST_SECRET"
SECTION_B = "section_b"  # a second class folder given on the command line
TIMEOUT_S = 3
FULL = {notebook: {exercise: EXERCISES[exercise].points for exercise, home in planted.EXERCISE_NOTEBOOK.items()
                   if home == notebook} for notebook in planted.NOTEBOOKS}  # the registry's points
LAST_OF_03 = list(FULL["03_optimizers"])[-1]


@dataclass
class Case:
    """One submission: how to make it, and the row it must get."""

    student: str
    notebook: str
    make: object  # () -> (relative path, writer, content) or a callable writing into the class folder
    status: str = "graded"
    points: dict[str, int] | None = None
    sentences: dict[str, str] = field(default_factory=dict)
    note: str = ""
    not_counted: tuple[str, ...] = ()  # exercises the submission's handout did not have


def _file(path: str, content_of, writer=planted.write_ipynb):
    def make(folder: Path) -> None:
        writer(content_of(), folder / path)

    return make


def _zip(path: str, members: dict[str, object]):
    def make(folder: Path) -> None:
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w") as archive:
            for name, content_of in members.items():
                if name.endswith(".py"):
                    scratch = folder.parent / "zip-scratch.py"
                    planted.write_py(content_of(), scratch)
                    archive.writestr(name, scratch.read_text())
                else:
                    archive.writestr(name, json.dumps(content_of()))

    return make


def _raw(path: str, data: bytes):
    def make(folder: Path) -> None:
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)

    return make


def _with_points(notebook: str, **changes: int) -> dict[str, int]:
    return {**FULL[notebook], **changes}


def _stopped_at(notebook: str, exercise: str) -> dict[str, int]:
    """Points when the submission stopped in ``exercise``'s cell: the ones before it keep theirs, the rest 0."""
    names = list(FULL[notebook])
    return {name: FULL[notebook][name] if names.index(name) < names.index(exercise) else 0 for name in names}


def _not_course() -> dict:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
            "cells": [{"cell_type": "markdown", "metadata": {}, "source": "# My own experiments"},
                      {"cell_type": "code", "metadata": {}, "source": "print(1 + 1)", "outputs": [],
                       "execution_count": None}]}


def _cases() -> list[Case]:
    cases = []
    for notebook in planted.NOTEBOOKS:
        cases.append(Case("solutions", notebook, _file(f"solutions/{notebook}.ipynb", lambda n=notebook: planted.solution(n)),
                          points=FULL[notebook]))
        cases.append(Case("blanks", notebook, _file(f"blanks/{notebook}.ipynb", lambda n=notebook: planted.blank(n)),
                          points=dict.fromkeys(FULL[notebook], 0),
                          sentences=dict.fromkeys(FULL[notebook], "not attempted — the exercise cell is unchanged")))
    for exercise, notebook in planted.EXERCISE_NOTEBOOK.items():
        cases.append(Case(f"wrong_{exercise}", notebook,
                          _file(f"wrong_{exercise}.ipynb", lambda e=exercise: planted.with_wrong_answer(e)),
                          points=_with_points(notebook, **{exercise: 0}),
                          sentences={exercise: planted.EXPECTED_SENTENCE[exercise]}))
    for name, (exercise, _, _, sentence) in planted.DELEGATIONS.items():
        notebook = planted.EXERCISE_NOTEBOOK[exercise]
        cases.append(Case(f"delegates_{name}", notebook,
                          _file(f"delegates_{name}.ipynb", lambda n=name: planted.with_delegation(n)),
                          points=_with_points(notebook, **{exercise: 0}),
                          sentences={exercise: f"{exercise}: delegated, not accepted — {sentence}"}))
    sol = planted.solution
    cases += [
        Case("timeout", "03_optimizers",
             _file("timeout.ipynb", lambda: planted.append_to_cell(sol("03_optimizers"), "rmsprop_update",
                                                                    "while True:\n    pass")),
             status="timed out", points=_stopped_at("03_optimizers", "rmsprop_update"),
             sentences={exercise: "not graded" for exercise, points in _stopped_at("03_optimizers", "rmsprop_update").items()
                        if not points and exercise != "rmsprop_update"}
             | {"rmsprop_update": "not graded — the submission was stopped after"},
             note=f"the submission was stopped after {TIMEOUT_S} s (wall clock) while running the exercise cell for rmsprop_update"),
        Case("segfault", "01_training_loop",
             _file("segfault.ipynb", lambda: planted.append_to_cell(sol("01_training_loop"), "sgd_step",
                                                                     "import ctypes\nctypes.string_at(0)")),
             status="crashed", points=_stopped_at("01_training_loop", "sgd_step"),
             note="the submission's process was killed by SIGSEGV while running the exercise cell for sgd_step"),
        Case("sys_exit", "03_optimizers",
             _file("sys_exit.ipynb", lambda: planted.append_to_cell(sol("03_optimizers"), "momentum_update",
                                                                     "import sys\nsys.exit(3)")),
             points=_with_points("03_optimizers", momentum_update=0),
             sentences={"momentum_update": "the exercise cell called sys.exit(3)"}),
        Case("os_exit", "05_schedules_and_practice",
             _file("os_exit.ipynb", lambda: planted.append_to_cell(sol("05_schedules_and_practice"),
                                                                    "clip_grad_norm", "import os\nos._exit(0)")),
             status="crashed", points=_stopped_at("05_schedules_and_practice", "clip_grad_norm"),
             note="the submission's process exited (status 0)"),
        Case("memory_in_cell", "02_initialization",
             _file("memory_in_cell.ipynb", lambda: planted.append_to_cell(sol("02_initialization"), "xavier_init",
                                                                          "hog = torch.empty(5 * 10**9)  # 20 GB")),
             status="memory limit", points=_with_points("02_initialization", xavier_init=0),
             sentences={"xavier_init": "the exercise cell raised RuntimeError"}, note="the submission needed more memory than the limit (2048 MB)"),
        Case("memory_in_check", "01_training_loop",
             _file("memory_in_check.ipynb", lambda: planted.replace_body(sol("01_training_loop"), "sgd_step",
                                                                         "hog = bytearray(20 * 10**9)")),
             status="memory limit", points=_with_points("01_training_loop", sgd_step=0),
             sentences={"sgd_step": "your code raised MemoryError"}),
        Case("flood", "01_training_loop",
             _file("flood.ipynb", lambda: planted.append_to_cell(sol("01_training_loop"), "sgd_step", """
                 import os
                 for _ in range(1000):
                     print("x" * 10**6)
                 os.write(1, b"y" * 10**8)
                 """)), points=FULL["01_training_loop"]),
        Case("deleted_checks", "03_optimizers",
             _file("deleted_checks.ipynb",
                   lambda: planted.drop_cells(sol("03_optimizers"), lambda cell: not planted.is_check_cell(cell))),
             points=FULL["03_optimizers"]),
        Case("edited_check", "03_optimizers", _file("edited_check.ipynb", _edited_check),
             points=_with_points("03_optimizers", Adam=0), sentences={"Adam": "there is no bias correction"}),
        Case("missing_cell", "03_optimizers",
             _file("missing_cell.ipynb", lambda: planted.drop_cells(
                 sol("03_optimizers"), lambda cell: cell.get("metadata", {}).get("course", {}).get("exercise") != "Adam")),
             points=_with_points("03_optimizers", Adam=0), sentences={"Adam": "exercise cell missing"}),
        Case("duplicated", "03_optimizers", _file("duplicated.ipynb", _duplicated),
             points=_with_points("03_optimizers", momentum_update=0),
             sentences={"momentum_update": "2 cells carry this exercise's id; the last one was graded"}),
        Case("exception", "02_initialization",
             _file("exception.ipynb", lambda: planted.append_to_cell(sol("02_initialization"), "xavier_init",
                                                                      "raise ValueError('oops')")),
             points=_with_points("02_initialization", xavier_init=0),
             sentences={"xavier_init": "the exercise cell raised ValueError: oops"}),
        Case("deleter", "01_training_loop",
             _file("deleter.ipynb", lambda: planted.append_to_cell(sol("01_training_loop"), "sgd_step", """
                 import os, shutil
                 open("scratch.txt", "w").write("x")
                 for name in os.listdir("."):
                     shutil.rmtree(name) if os.path.isdir(name) else os.remove(name)
                 shutil.rmtree(os.getcwd())
                 """)), points=FULL["01_training_loop"]),
        Case("environment", "01_training_loop",
             _file("environment.ipynb", lambda: planted.append_to_cell(sol("01_training_loop"), "sgd_step", f"""
                 import os
                 assert "{SECRET}" not in os.environ, "the instructor's environment leaked"
                 assert b"{SECRET}" not in open("/proc/self/environ", "rb").read(), "leaked at start-up"
                 assert os.environ["HOME"] == os.getcwd()
                 """)), points=FULL["01_training_loop"]),
        Case("corrupt", "corrupt.ipynb", _raw("corrupt.ipynb", json.dumps(planted.blank("01_training_loop")).encode()[:300]),
             status="unreadable", note="not valid JSON"),
        Case("broken_zip", "broken_zip.zip", _raw("broken_zip.zip", b"PK\x03\x04 this is not really a zip"),
             status="unreadable", note="not a readable zip file"),
        Case("not_course", "not_course.ipynb", _file("not_course.ipynb", _not_course), status="not a course notebook",
             note="no course notebook is titled 'My own experiments'"),
        Case("homework final (1)", "02_initialization",
             _file("homework final (1).ipynb", lambda: sol("02_initialization")), points=FULL["02_initialization"]),
        Case("lost_metadata", "05_schedules_and_practice",
             _file("lost_metadata.ipynb", lambda: planted.strip_course_metadata(sol("05_schedules_and_practice"))),
             points=FULL["05_schedules_and_practice"], note="identified by its title",
             sentences={"warmup_cosine_lr": "the cell had lost its exercise id"}),
        Case("zipped", "03_optimizers", _zip("zipped.zip", {
            "zipped/week 3/final/03_optimizers.ipynb": lambda: sol("03_optimizers"),
            "zipped/week 1/01_training_loop.py": lambda: sol("01_training_loop"),
            "zipped/week 1/notes.txt": lambda: {}}), points=FULL["03_optimizers"]),
        Case("zipped", "01_training_loop", lambda folder: None, points=FULL["01_training_loop"]),
        Case("twin_a", "05_schedules_and_practice", _file("twin_a.ipynb", lambda: sol("05_schedules_and_practice")),
             points=FULL["05_schedules_and_practice"]),
        Case("twin_b", "05_schedules_and_practice", _file("twin_b.ipynb", lambda: sol("05_schedules_and_practice")),
             points=FULL["05_schedules_and_practice"]),
        Case("old_handout", "03_optimizers", _file("old_handout.ipynb", _older_handout),
             points=_with_points("03_optimizers", **{LAST_OF_03: 0}), not_counted=(LAST_OF_03,),
             sentences={LAST_OF_03: "not in your version of the notebook"}),
        Case("twice", "03_optimizers", _two_files, points=FULL["03_optimizers"],
             note="also submitted, not graded: "),
        Case("twice", "a_first.ipynb", lambda folder: None, status="superseded",
             note="not graded: superseded by "),
        Case("sam (class)", "01_training_loop", _file("sam.ipynb", lambda: planted.blank("01_training_loop")),
             points=dict.fromkeys(FULL["01_training_loop"], 0)),
        Case("sam (section_b)", "01_training_loop",
             _file(f"../{SECTION_B}/sam.ipynb", lambda: sol("01_training_loop")), points=FULL["01_training_loop"]),
    ]
    return cases


def _older_handout() -> dict:
    """Notebook 03 as handed out before its last exercise was added: no cell for it, not in the list."""
    content = planted.solution("03_optimizers")
    content["metadata"]["course"]["exercises"].remove(LAST_OF_03)
    return planted.drop_cells(content,
                              lambda cell: cell.get("metadata", {}).get("course", {}).get("exercise") != LAST_OF_03)


def _two_files(folder: Path) -> None:
    planted.write_ipynb(planted.with_wrong_answer("momentum_update"), folder / "twice" / "a_first.ipynb")
    planted.write_ipynb(planted.solution("03_optimizers"), folder / "twice" / "b_final.ipynb")


def _edited_check() -> dict:
    content = planted.with_wrong_answer("Adam")
    for cell in content["cells"]:
        if planted.is_check_cell(cell) and "check_adam(" in planted.source(cell):
            cell["source"] = "check_adam = lambda c: True\nadam_works = check_adam(Adam)"
    return content


def _duplicated() -> dict:
    content = planted.solution("03_optimizers")
    wrong = planted.exercise_cell(planted.with_wrong_answer("momentum_update"), "momentum_update")
    position = content["cells"].index(planted.exercise_cell(content, "momentum_update"))
    content["cells"].insert(position + 2, {**wrong, "id": "duplicate"})
    return content


CASES = _cases()
BULK_STUDENT = "Dave Smith_2291_assignsubmission_file_"


@dataclass
class Graded:
    rows: dict[tuple[str, str], dict]
    out: Path
    printed: str
    exit_code: int


@pytest.fixture(scope="session")
def graded(tmp_path_factory) -> Graded:
    folder = tmp_path_factory.mktemp("class") / "class"
    folder.mkdir()
    for case in CASES:
        case.make(folder)
    bulk = folder.parent / "bulk.zip"
    with zipfile.ZipFile(bulk, "w") as archive:
        archive.writestr(f"{BULK_STUDENT}/nested/deeper/03_optimizers.ipynb", json.dumps(planted.solution("03_optimizers")))
    out = folder.parent / "grades"
    printed = io.StringIO()
    os.environ[SECRET] = "the instructor's token"
    try:
        with contextlib.redirect_stdout(printed):
            code = grade_command.main([str(folder), str(bulk), str(folder.parent / SECTION_B), "--out", str(out), "-j", "2",
                                       "--timeout", str(TIMEOUT_S)])
    finally:
        del os.environ[SECRET]
    document = json.loads((out / "grades.json").read_text())
    rows = {(row["student"], row["notebook"]): row for row in document["rows"]}
    return Graded(rows, out, printed.getvalue(), code)


def test_the_run_succeeds_and_writes_exactly_one_row_per_submission(graded):
    assert graded.exit_code == 0
    expected = {(case.student, case.notebook) for case in CASES} | {(BULK_STUDENT, "03_optimizers")}
    assert set(graded.rows) == expected


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.student}-{case.notebook}")
def test_each_submission_gets_its_documented_row(graded, case):
    row = graded.rows[(case.student, case.notebook)]
    assert row["status"] == case.status, row
    if case.points is not None:
        assert {key: value["points"] for key, value in row["exercises"].items()} == case.points, row
        assert row["total"] == sum(case.points.values())
        assert row["max"] == sum(EXERCISES[exercise].points for exercise in case.points
                                 if exercise not in case.not_counted)
    else:
        assert row["exercises"] == {} and row["total"] == 0 and row["max"] is None
    for exercise, piece in case.sentences.items():
        assert piece in row["exercises"][exercise]["sentence"], row["exercises"][exercise]
    assert case.note in row["note"], row["note"]
    if case.status == "graded" and case.points and all(case.points.values()):
        assert all(": correct — " in value["sentence"] for value in row["exercises"].values()), row


def test_no_file_vanishes_the_superseded_one_is_named_with_both_paths_in_the_summary(graded):
    superseded = graded.rows[("twice", "a_first.ipynb")]
    graded_file = graded.rows[("twice", "03_optimizers")]["file"]
    assert superseded["file"].endswith("twice/a_first.ipynb") and graded_file.endswith("twice/b_final.ipynb")
    assert superseded["note"].startswith(f"not graded: superseded by {graded_file}")
    assert f"  superseded: {superseded['file']} — not graded: superseded by {graded_file}" in graded.printed
    sheet = pd.read_csv(graded.out / "grades.csv")
    assert ((sheet["student"] == "twice") & (sheet["status"] == "superseded")).sum() == 1


def test_a_bulk_download_zip_names_students_by_its_top_level_folders(graded):
    row = graded.rows[(BULK_STUDENT, "03_optimizers")]
    assert row["status"] == "graded" and row["total"] == sum(FULL["03_optimizers"].values())
    assert row["file"].endswith("bulk.zip/Dave Smith_2291_assignsubmission_file_/nested/deeper/03_optimizers.ipynb")


def test_grading_the_same_submission_twice_gives_the_same_points_and_sentences(graded):
    first = graded.rows[("twin_a", "05_schedules_and_practice")]
    second = graded.rows[("twin_b", "05_schedules_and_practice")]
    assert first["exercises"] == second["exercises"]


def test_grades_csv_loads_in_pandas_with_the_documented_columns(graded):
    sheet = pd.read_csv(graded.out / "grades.csv")
    exercises = list(planted.EXERCISE_NOTEBOOK)  # every exercise of the course, in course order
    assert set(exercises) == set(EXERCISES)
    assert list(sheet.columns) == ["student", "notebook", *exercises, "total", "max", "status", "seconds"]
    assert len(sheet) == len(graded.rows)
    assert set(sheet["status"]) <= set(STATUSES)
    solutions = sheet[sheet["student"] == "solutions"].set_index("notebook")
    assert solutions.loc["03_optimizers", list(FULL["03_optimizers"])].tolist() == list(FULL["03_optimizers"].values())
    assert pd.isna(solutions.loc["03_optimizers", "sgd_step"])
    assert (sheet["total"] <= sheet["max"].fillna(0)).all() and (sheet["seconds"] >= 0).all()


def test_feedback_gives_each_exercise_its_points_and_sentence(graded):
    text = (graded.out / "feedback" / "wrong_Adam" / "03_optimizers.md").read_text()
    full, adam, momentum = sum(FULL["03_optimizers"].values()), EXERCISES["Adam"].points, EXERCISES["momentum_update"].points
    assert text.startswith(f"# 03_optimizers: {full - adam}/{full} points")
    assert f"- **Adam** 0/{adam}: Adam: not right yet — there is no bias correction" in text
    assert f"- **momentum_update** {momentum}/{momentum}: momentum_update: correct — " in text
    unreadable = (graded.out / "feedback" / "corrupt" / "corrupt.ipynb.md").read_text()
    assert "unreadable" in unreadable and "not valid JSON" in unreadable
    assert len(list((graded.out / "feedback").rglob("*.md"))) == len(graded.rows)


def test_the_summary_counts_statuses_and_names_the_slowest(graded):
    assert f"Graded {len(graded.rows)} submissions" in graded.printed
    assert "timed out 1" in graded.printed and "crashed 2" in graded.printed and "memory limit 2" in graded.printed
    assert "mean points: sgd_step " in graded.printed
    assert "slowest: timeout/03_optimizers" in graded.printed


def test_the_notebook_self_check_says_what_the_grader_says_about_each_delegation(graded):
    """The same planted cells run in an IPython shell (as in a notebook), each followed by its check cell."""
    names = sorted(planted.DELEGATIONS)
    completed = subprocess.run([sys.executable, str(FIXTURES / "self_check_in_a_shell.py"), *names],
                               capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stderr[-2000:]
    printed = json.loads(completed.stdout.strip().splitlines()[-1])
    for name in names:
        exercise = planted.DELEGATIONS[name][0]
        row = graded.rows[(f"delegates_{name}", planted.EXERCISE_NOTEBOOK[exercise])]
        assert printed[name] == row["exercises"][exercise]["sentence"], name
        assert " delegated, not accepted — " in printed[name] and printed[name].endswith("scores 0.")
