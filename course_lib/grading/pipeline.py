"""Steps 5-7 of ``course-grade`` on a started backend, shared by the command and the Gradescope autograder.

- ``read_submissions``: parse and identify each file (metadata, else title): a course notebook, or a row
  ``unreadable`` / ``not a course notebook``;
- ``make_jobs``: one job per (student, notebook); missing and unchanged exercise cells are decided here,
  without running anything; every other file of the same student and notebook gets a ``superseded`` row
  naming the one graded;
- ``run_jobs``: each job in a fresh process forked from the warm server, with a progress bar;
- ``grade_on``: the three in order, closing (or aborting) the backend.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from course_lib.grading.course import Course
from course_lib.grading.identify import Identified, make_job, read_and_identify
from course_lib.grading.records import SUPERSEDED, Job, Row, decided_row
from course_lib.grading.submissions import Collection, Roster


@dataclass
class Found:
    collection: Collection
    notes: list[str] = field(default_factory=list)
    roster: Roster | None = None


# read_submissions ----------------------------------------------------------------------------------


def read_submissions(found: Found, course: Course) -> tuple[list[Identified], list[Row]]:
    """Identified course notebooks, and rows for the files that are not (unreadable, not a course notebook)."""
    identified, rows = [], []
    for file in found.collection.files:
        result = read_and_identify(file, course)
        (rows if isinstance(result, Row) else identified).append(result)
    return identified, rows


# make_jobs -----------------------------------------------------------------------------------------


PICK_RULE = "one file per student and notebook is graded: an .ipynb before a .py, then the last in path order"


def _pick(candidates: list[Identified]) -> tuple[Identified, list[Row]]:
    """One file per (student, notebook): an .ipynb before a .py, then the last in path order; every other
    file gets its own row, ``superseded``, naming the file graded instead (no submission vanishes)."""
    chosen = max(candidates, key=lambda item: (item.file.name.lower().endswith(".ipynb"), item.file.path))
    others = [item for item in candidates if item is not chosen]
    if others:
        chosen.notes.append(f"also submitted, not graded: {', '.join(item.file.path for item in others)} "
                            f"({PICK_RULE})")
    superseded = [Row(item.file.student, item.file.inner_path, item.file.path, SUPERSEDED, 0.0,
                      note=f"not graded: superseded by {chosen.file.path} ({PICK_RULE})") for item in others]
    return chosen, superseded


def make_jobs(identified: list[Identified], points: dict[str, int]) -> tuple[list[Job], list[Row]]:
    """Jobs to run, and rows already decided (no student code to run: every exercise missing or a stub;
    files superseded by another of the same student and notebook)."""
    groups: dict[tuple[str, str], list[Identified]] = {}
    for item in identified:
        groups.setdefault((item.file.student, item.notebook.id), []).append(item)
    jobs, rows = [], []
    for number, candidates in enumerate(groups.values()):
        chosen, superseded = _pick(candidates)
        rows += superseded
        job = make_job(number, chosen, points)
        if job.needs_running():
            jobs.append(job)
        else:
            rows.append(decided_row(job))
    return jobs, rows


# run_jobs ------------------------------------------------------------------------------------------


def run_jobs(backend, jobs: list[Job], progress: bool = True) -> list[Row]:
    """Grade every job in its own process; a progress bar on stderr when it is a terminal (and ``progress``)."""
    from tqdm.auto import tqdm

    rows: list[Row] = []
    with tqdm(total=len(jobs), desc="grading", unit="submission", file=sys.stderr, disable=None if progress else True) as bar:
        def on_row(row: Row) -> None:
            rows.append(row)
            bar.update(1)

        backend.run(jobs, on_row)
    return rows


def grade_on(backend, found: Found, course: Course, progress: bool = True) -> tuple[list[Row], dict]:
    """Steps 5-7 on a started backend: every row, and the backend's hello (the registry's points);
    the backend is closed (or aborted, on an error) before this returns. ``progress=False``: no progress
    bar (the "before you submit" preview, in a notebook, where tqdm would draw one)."""
    try:
        identified, rows = read_submissions(found, course)
        hello = backend.hello()
        for warning in hello["warnings"]:
            print(f"course-grade: warning: {warning}", file=sys.stderr)
        unregistered = [exercise for exercise in course.exercise_ids() if exercise not in hello["exercises"]]
        if unregistered:
            print(f"course-grade: warning: no check in course_lib.checks.EXERCISES for {', '.join(unregistered)}; "
                  "not graded", file=sys.stderr)
        jobs, decided = make_jobs(identified, hello["exercises"])
        rows += decided + run_jobs(backend, jobs, progress)
    except BaseException:
        backend.abort()
        raise
    backend.close()
    return rows, hello
