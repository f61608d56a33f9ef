"""A Gradescope autograder for one course notebook: ``course-grade bundle NOTEBOOK --out autograder.zip``.

The zip (Gradescope unpacks it into ``/autograder/source``) holds, at its root:

- ``setup.sh``: run once by Gradescope when it builds the image; installs Python and ``requirements.txt``;
- ``requirements.txt``: course_lib's dependencies, pinned to the versions the bundle was built with;
- ``run_autograder``: Gradescope copies it to ``/autograder/run_autograder`` and runs it per submission;
  it runs ``python3 -m course_lib.grading.gradescope run`` with the bundled course_lib first on the path;
- ``course_lib/``: the course's package (its checks are the grading code), as in this checkout;
- ``notebooks/NN_name.ipynb``: the course's own copy of the notebook (its setup cells and stubs);
- ``gradescope.json``: the notebook's id and the per-submission limits (``--timeout``, ``--memory``).

Per submission (``run``) the same code as ``course-grade`` runs: the files in ``/autograder/submission/``
are one student's (folders and zips inside are searched); the one graded is picked as course-grade
picks it, and graded in a fresh, limited process forked from a warm server. The result goes to
``/autograder/results/results.json`` in Gradescope's layout: ``score``, ``output`` (the row's status
and note, or why nothing was graded), ``visibility`` and ``stdout_visibility``, and ``tests``: one per
exercise, in the notebook's order, with ``name`` (the exercise id), ``number``, ``score``,
``max_score``, ``output`` (the check's sentence), ``status`` (``passed``/``failed``) and ``visibility``.
``AUTOGRADER_ROOT`` (default ``/autograder``) moves the whole layout, for tests.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import zipfile
from importlib import metadata
from pathlib import Path

from course_lib.grading.client import ServerError
from course_lib.grading.course import Course, CourseError, load_course
from course_lib.grading.records import GRADED, Row
from course_lib.grading.sandbox import Limits
from course_lib.grading.submissions import Collection, InputError, collect

CONFIG = "gradescope.json"
STUDENT = "submission"
VISIBLE = "visible"
PYTORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
SKIPPED_IN_BUNDLE = ("__pycache__",)

SETUP_SH = f"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (this zip is /autograder/source).
set -euo pipefail
apt-get update
apt-get install -y python3 python3-pip
pip3 install --no-cache-dir --extra-index-url {PYTORCH_CPU_INDEX} -r /autograder/source/requirements.txt
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this (copied to /autograder/run_autograder) once per submission: it grades
# /autograder/submission/ with the bundled course_lib and writes /autograder/results/results.json.
set -u
ROOT="${AUTOGRADER_ROOT:-/autograder}"
cd "$ROOT/source"
export PYTHONPATH="$ROOT/source"
exec "${AUTOGRADER_PYTHON:-python3}" -m course_lib.grading.gradescope run --root "$ROOT"
"""


# Building the bundle ---------------------------------------------------------------------------------


def _requirement(requirement: str) -> str:
    """``torch>=2.2`` → ``torch==2.5.1`` (the installed version, without a local tag such as ``+cpu``)."""
    name = requirement.split(";")[0]
    for separator in "<>=!~[ ":
        name = name.split(separator)[0]
    try:
        return f"{name}=={metadata.version(name).split('+')[0]}"
    except metadata.PackageNotFoundError:
        return requirement


def requirements() -> str:
    """course_lib's own dependencies (not its extras), pinned to this environment's versions."""
    try:
        declared = metadata.requires("course_lib") or []
    except metadata.PackageNotFoundError:
        raise InputError("course_lib is not installed here (run `make setup`, or `pip install -e .`): the "
                         "bundle's requirements.txt is made from its installed dependencies") from None
    pinned = [_requirement(requirement) for requirement in declared if "extra ==" not in requirement]
    return "\n".join(pinned) + "\n"


def find_notebook(argument: str, course: Course) -> str:
    """The course notebook's id from ``03_optimizers``, ``03_optimizers.ipynb`` or a path to it."""
    wanted = Path(argument).stem
    if wanted in course.notebooks:
        return wanted
    raise InputError(f"{argument} is not a notebook of the course in {course.folder} "
                     f"(one of: {', '.join(course.notebooks)})")


def _package_files(package: Path):
    for path in sorted(package.rglob("*")):
        if path.is_file() and not any(part in SKIPPED_IN_BUNDLE for part in path.parts) and path.suffix != ".pyc":
            yield path


def _add_text(archive: zipfile.ZipFile, name: str, text: str, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text)


def build_bundle(notebook_argument: str, out: Path, limits: Limits, course_folder: Path | None = None) -> str:
    """Write the autograder zip (layout in the module docstring); return the notebook's id."""
    import course_lib

    course = load_course(course_folder)
    notebook = find_notebook(notebook_argument, course)
    package = Path(course_lib.__file__).resolve().parent
    config = {"notebook": notebook, "timeout_s": limits.timeout_s, "memory_mb": limits.memory_mb}
    pinned = requirements()
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as archive:
        _add_text(archive, "setup.sh", SETUP_SH, executable=True)
        _add_text(archive, "run_autograder", RUN_AUTOGRADER, executable=True)
        _add_text(archive, "requirements.txt", pinned)
        _add_text(archive, CONFIG, json.dumps(config, indent=1) + "\n")
        notebook_path = course.folder / f"{notebook}.ipynb"
        _add_text(archive, f"notebooks/{notebook}.ipynb", notebook_path.read_text(encoding="utf-8"))
        for path in _package_files(package):
            archive.write(path, f"course_lib/{path.relative_to(package).as_posix()}", zipfile.ZIP_DEFLATED)
    return notebook


def bundle_main(argv: list[str]) -> int:
    """``course-grade bundle NOTEBOOK --out autograder.zip [--timeout S] [--memory MB] [--course DIR]``."""
    parser = argparse.ArgumentParser(prog="course-grade bundle",
                                     description="Build a Gradescope autograder zip for one course notebook.")
    parser.add_argument("notebook", metavar="NOTEBOOK", help="the notebook: 03_optimizers, or its path")
    parser.add_argument("--out", type=Path, required=True, metavar="ZIP", help="the zip to write")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help="wall-clock limit per submission (default %(default)g); keep it under Gradescope's own")
    parser.add_argument("--memory", type=int, default=2048, metavar="MB",
                        help="memory a submission may allocate beyond the grader's own (default %(default)s)")
    parser.add_argument("--course", type=Path, metavar="DIR", help="the course's notebooks (default: notebooks/)")
    args = parser.parse_args(argv)
    if args.timeout <= 0 or args.memory <= 0:
        parser.error("--timeout and --memory must be positive")
    try:
        notebook = build_bundle(args.notebook, args.out, Limits(args.timeout, args.memory), args.course)
    except (InputError, CourseError, OSError) as error:
        print(f"course-grade bundle: error: {error}", file=sys.stderr)
        return 2
    print(f"Wrote {args.out}: a Gradescope autograder for {notebook} (timeout {args.timeout:g} s per submission). "
          "Upload it as the assignment's autograder (Configure Autograder → Zip file upload).")
    return 0


# Running it on Gradescope ----------------------------------------------------------------------------


def _test(number: int, exercise) -> dict:
    """One exercise as a Gradescope test (an exercise not counted for this handout is worth 0 here).
    Passed: full points, or for an optional exercise (0 points) its check's verdict."""
    passed = exercise.points == exercise.max if exercise.max > 0 else getattr(exercise, "passed", False)
    maximum = exercise.max if getattr(exercise, "counted", True) else 0
    return {"name": exercise.id, "number": str(number), "score": exercise.points, "max_score": maximum,
            "output": exercise.sentence, "status": "passed" if passed else "failed", "visibility": VISIBLE}


def results_of(row: Row | None, notebook: str, exercise_points: list[tuple[str, int]], why: str = "") -> dict:
    """Gradescope's results JSON for the graded row, or for no row (``why`` says what was submitted)."""
    if row is None or not row.exercises:
        reason = why if row is None else f"{row.file}: {row.status} — {row.note}"
        output = (f"Nothing was graded: {reason}. Upload the course notebook {notebook}.ipynb, with your answers "
                  "in its exercise cells.")
        tests = [{"name": exercise, "number": str(number), "score": 0, "max_score": points,
                  "output": f"{exercise}: not graded — {reason}.", "status": "failed", "visibility": VISIBLE}
                 for number, (exercise, points) in enumerate(exercise_points, start=1)]
        return {"score": 0, "output": output, "visibility": VISIBLE, "stdout_visibility": "hidden", "tests": tests}
    output = f"{row.notebook}: {row.total}/{row.max} points ({row.status})."
    if row.status != GRADED:
        output += f" {row.note[:1].upper()}{row.note[1:]}; exercises judged before that keep their points, the " \
                  "others score 0."
    elif row.note:
        output += f" Note: {row.note}."
    tests = [_test(number, exercise) for number, exercise in enumerate(row.exercises, start=1)]
    return {"score": row.total, "output": output, "visibility": VISIBLE, "stdout_visibility": "hidden",
            "tests": tests}


def _one_student(collection: Collection) -> Collection:
    """Every file in the submission folder is the one student's (not one student per top-level entry)."""
    return Collection([dataclasses.replace(file, student=STUDENT) for file in collection.files], collection.ignored)


def grade_submission(root: Path) -> dict:
    """Grade ``root/submission`` with the bundle in ``root/source``; the results JSON."""
    from course_lib.grading.client import ForkServer
    from course_lib.grading.pipeline import Found, grade_on

    config = json.loads((root / "source" / CONFIG).read_text(encoding="utf-8"))
    notebook = config["notebook"]
    course = load_course(root / "source" / "notebooks")
    submitted = root / "submission"
    found = Found(_one_student(collect([submitted])) if submitted.is_dir() else Collection())
    backend = ForkServer(course.setups(), Limits(config["timeout_s"], config["memory_mb"]), workers=1)
    rows, hello = grade_on(backend, found, course)
    exercise_points = [(exercise.id, hello["exercises"][exercise.id])
                       for exercise in course.notebooks[notebook].exercises if exercise.id in hello["exercises"]]
    graded = [row for row in rows if row.notebook == notebook and row.exercises]
    if graded:
        return results_of(graded[0], notebook, exercise_points)
    if rows:
        return results_of(rows[0], notebook, exercise_points)
    files = sorted(found.collection.ignored)
    why = f"no notebook file (.ipynb or .py) was submitted{' (only: ' + ', '.join(files) + ')' if files else ''}"
    return results_of(None, notebook, exercise_points, why)


def run_main(argv: list[str]) -> int:
    """``python -m course_lib.grading.gradescope run [--root /autograder]``: grade, write results.json."""
    parser = argparse.ArgumentParser(prog="course_lib.grading.gradescope run")
    parser.add_argument("--root", type=Path, default=Path(os.environ.get("AUTOGRADER_ROOT", "/autograder")))
    args = parser.parse_args(argv)
    results_path = args.root / "results" / "results.json"
    results_path.parent.mkdir(parents=True, exist_ok=True)
    code = 0
    try:
        results = grade_submission(args.root)
    except (InputError, CourseError, ServerError, OSError, KeyError, ValueError) as error:
        results = {"score": 0, "output": f"The autograder itself failed ({type(error).__name__}: {error}); "
                                          "this is not your fault: tell your instructor.",
                   "visibility": VISIBLE, "stdout_visibility": "visible", "tests": []}
        print(f"course_lib.grading.gradescope: error: {error}", file=sys.stderr)
        code = 1
    results_path.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return code


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["run"]:
        return run_main(argv[1:])
    print("usage: python -m course_lib.grading.gradescope run [--root DIR]  (what run_autograder calls); "
          "build a bundle with: course-grade bundle NOTEBOOK --out autograder.zip", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
