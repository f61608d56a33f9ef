"""course-grade: from a folder of submitted notebooks to a grade sheet and per-student feedback.

    course-grade SUBMISSION... --out DIR [-j N] [--timeout SECONDS] [--memory MB] [--roster CSV]
                 [--dask ADDRESS] [--course DIR]
                 [--format canvas|moodle ...] [--assignment NAME] [--missing-as-zero]
    course-grade bundle NOTEBOOK --out autograder.zip [--timeout SECONDS] [--memory MB]
    python -m course_lib.grade ...        (the same)

``bundle`` builds a Gradescope autograder for one notebook (``course_lib.grading.gradescope``); to grade
a folder named ``bundle``, write it ``./bundle``.

Grading runs each submission's exercise cells (after the course's own ``grading-setup`` cells) and
course_lib's check for each exercise (``course_lib.checks.EXERCISES``), never the student's check
cells and never the rest of the notebook: no training runs while grading. Each exercise is worth
its registry ``points`` (1 by default): all of them when the check passes, 0 otherwise.

Pipeline (one function per step; the parts live in ``course_lib.grading``):

1. ``parse_arguments``       the command line;
2. ``load_course``           the course's trusted copy of each notebook (``notebooks/`` of this checkout);
3. ``collect_submissions``   notebook files in files, folders and zips; students named by the roster
                             or by the top-level file or folder name;
4. ``start_backend``         a warm fork server (or the Dask workers' ones): it imports torch and
                             course_lib while the next step reads the submissions;
5. ``read_submissions``      (``course_lib.grading.pipeline``, as 6-7) parse and identify each file (metadata, else title): a course notebook, or a
                             row ``unreadable`` / ``not a course notebook``;
6. ``make_jobs``             one job per (student, notebook); missing and unchanged exercise cells are
                             decided here, without running anything; every other file of the same
                             student and notebook gets a ``superseded`` row naming the one graded;
7. ``run_jobs``              each job in a fresh process forked from the warm server, isolated and
                             limited (``course_lib.grading.sandbox``), with a progress bar;
8. ``write_reports``         grades.csv, grades.json, feedback/<student>/<notebook>.md; with ``--format``,
                             canvas.csv / moodle.csv (``course_lib.grading.lms``);
9. ``print_summary``         counts per status, mean points per exercise, slowest submissions.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

from course_lib.grading import lms
from course_lib.grading.client import ForkServer, ServerError
from course_lib.grading.course import Course, CourseError, load_course
from course_lib.grading.pipeline import Found, grade_on
from course_lib.grading.records import Row
from course_lib.grading.report import summary, write_reports
from course_lib.grading.sandbox import Limits
from course_lib.grading.submissions import InputError, apply_roster, collect, read_roster


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# 1. parse_arguments ------------------------------------------------------------------------------------


def _positive(kind):
    def parse(text: str):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value

    return parse


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="course-grade",
        description="Grade submitted course notebooks with course_lib's self-checks: grades.csv, grades.json "
                    "and feedback/<student>/<notebook>.md in --out.")
    parser.add_argument("submissions", nargs="+", type=Path, metavar="SUBMISSION",
                        help=".ipynb or jupytext .py files, folders (searched recursively) and .zip downloads; "
                             "in a folder or zip each top-level entry is one student")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="where to write the grades")
    parser.add_argument("-j", "--jobs", type=_positive(int), default=default_workers(), metavar="N",
                        help="submissions graded at once (default: the number of cores, here %(default)s)")
    parser.add_argument("--timeout", type=_positive(float), default=60.0, metavar="SECONDS",
                        help="wall-clock limit per submission (default %(default)g)")
    parser.add_argument("--memory", type=_positive(int), default=2048, metavar="MB",
                        help="memory a submission may allocate beyond the grader's own (default %(default)s)")
    parser.add_argument("--roster", type=Path, metavar="CSV",
                        help="students: a CSV with a header; any column is matched against file and folder names, "
                             "the 'student' column (else the first) names the student")
    parser.add_argument("--dask", metavar="ADDRESS", help="grade on this Dask cluster (e.g. tcp://host:8786)")
    parser.add_argument("--course", type=Path, metavar="DIR",
                        help="the course's generated student notebooks (default: notebooks/ of this checkout)")
    platform = parser.add_argument_group("grade-import files for a learning platform (keyed by --roster's LMS columns)")
    platform.add_argument("--format", action="append", choices=lms.FORMATS, default=[], dest="formats",
                          help="also write DIR/canvas.csv or DIR/moodle.csv; repeat for both")
    platform.add_argument("--assignment", metavar="NAME",
                          help="the assignment's column name in those files (default: the notebook's title)")
    platform.add_argument("--missing-as-zero", action="store_true",
                          help="give 0 to roster students with nothing graded (default: an empty grade)")
    return parser.parse_args(argv)


# 2. load_course: course_lib.grading.course.load_course ------------------------------------------------


# 3. collect_submissions -------------------------------------------------------------------------------


def collect_submissions(args: argparse.Namespace) -> Found:
    """Every notebook file to grade, with its student's name (see course_lib.grading.submissions)."""
    found = Found(collect(args.submissions))
    if args.roster:
        found.roster = read_roster(args.roster)
        unmatched, absent = apply_roster(found.collection, found.roster)
        if unmatched:
            found.notes.append(f"not in the roster (named by their file or folder): {', '.join(unmatched)}")
        if absent:
            found.notes.append(f"in the roster but nothing submitted: {', '.join(absent)}")
    if found.collection.ignored:
        count = len(found.collection.ignored)
        found.notes.append(f"ignored {count} {'file that is not a notebook' if count == 1 else 'files that are not notebooks'}")
    return found


# 4. start_backend -------------------------------------------------------------------------------------


def start_backend(args: argparse.Namespace, course: Course):
    """The warm fork server (local) or the Dask workers; both warm up in the background."""
    limits = Limits(timeout_s=args.timeout, memory_mb=args.memory)
    if args.dask:
        from course_lib.grading.dask_backend import DaskBackend

        return DaskBackend(args.dask, course.setups(), limits)
    return ForkServer(course.setups(), limits, workers=args.jobs)


# 8. write_reports: course_lib.grading.report.write_reports --------------------------------------------


def clear_feedback(out: Path) -> None:
    """Remove the feedback of an earlier run in ``out`` (only if it holds nothing but our .md files)."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a folder")
    folder = out / "feedback"
    if not folder.exists():
        return
    strangers = [path for path in folder.rglob("*") if path.is_file() and path.suffix != ".md"]
    if strangers:
        raise InputError(f"{folder} holds files that are not feedback ({strangers[0]}); choose another --out")
    shutil.rmtree(folder)


# 9. print_summary -------------------------------------------------------------------------------------


def print_summary(rows: list[Row], exercise_ids: list[str], seconds: float, args: argparse.Namespace,
                  notes: list[str], feedback_files: int) -> None:
    workers = f"Dask cluster {args.dask}" if args.dask else f"{args.jobs} processes"
    lines = summary(rows, exercise_ids, seconds, workers)
    lines += [f"  note: {note}" for note in notes]
    lines.append(f"Wrote {args.out / 'grades.csv'}, {args.out / 'grades.json'} and {feedback_files} feedback files "
                 f"in {args.out / 'feedback'}")
    print("\n".join(lines), flush=True)


def grade(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    course = load_course(args.course)
    found = collect_submissions(args)
    lms.check_roster(args.formats, found.roster)
    clear_feedback(args.out)
    rows, hello = grade_on(start_backend(args, course), found, course)
    exercise_ids = [exercise for exercise in course.exercise_ids() if exercise in hello["exercises"]]
    try:
        feedback_files = write_reports(rows, exercise_ids, args.out)
        lms_lines = lms.summary_lines(*lms.write_lms_files(args.formats, rows, course, hello["exercises"],
                                                           found.roster, args.out, args.assignment,
                                                           args.missing_as_zero),
                                      rows, found.roster) if args.formats else []
    except OSError as error:
        raise InputError(f"cannot write the grades to {args.out}: {error}") from None
    print_summary(rows, exercise_ids, time.perf_counter() - started, args, found.notes, feedback_files)
    if lms_lines:
        print("\n".join(lms_lines), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bundle"]:
        from course_lib.grading.gradescope import bundle_main

        return bundle_main(argv[1:])
    args = parse_arguments(argv)
    try:
        return grade(args)
    except (InputError, CourseError, ServerError) as error:
        print(f"course-grade: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("course-grade: interrupted; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
