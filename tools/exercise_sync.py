"""``make exercise-sync``: after adding or changing an exercise, bring everything that shows it up to date.

Steps (one function each):

1. ``regenerate``      the notebooks from ``solutions/*.py`` (tools.notebook_generator): the student
                       notebooks, the exercise ids on the cells and each notebook's list of exercises;
2. ``affected``        the solution notebooks with a check cell that has no stored output (a new or
                       moved check cell), or the ones named on the command line;
3. ``rerun``           those solution notebooks (tools.run_solutions: full mode, outputs stored; ``--quick``
                       runs them in quick mode, for the tests);
4. ``example_class``   rewrite the example class (tests/fixtures/grading/make_example_class.py);
5. ``readme_example``  grade the example class with the command the README shows and write that run's
                       summary, grades.csv and Carol's feedback into the README's example block.

Usage: python -m tools.exercise_sync [--root DIR] [--quick] [NN_name ...]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
GRADE_COMMAND = ("course-grade tests/fixtures/grading/example_class --roster tests/fixtures/grading/example_roster.csv "
                 "--out grades --timeout 3")
FEEDBACK_SHOWN = "grades/feedback/Carol Diaz/03_optimizers.md"
README_BLOCK = re.compile(r"(?ms)^\$ \.venv/bin/course-grade tests/fixtures/grading/example_class .*?(?=^```$)")


def _python(root: Path, *arguments: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(root), **(env or {})}
    return subprocess.run([sys.executable, *arguments], cwd=root, env=environment, capture_output=True, text=True,
                          check=False)


def _require(completed: subprocess.CompletedProcess, step: str) -> str:
    if completed.returncode != 0:
        raise SystemExit(f"exercise-sync: {step} failed:\n{completed.stdout[-3000:]}{completed.stderr[-3000:]}")
    return completed.stdout


# 1. regenerate -----------------------------------------------------------------------------------------


def regenerate(root: Path) -> None:
    _require(_python(root, "-m", "tools.notebook_generator"), "the notebook generator")


# 2. affected -------------------------------------------------------------------------------------------


def _check_call(root: Path) -> re.Pattern:
    names = _require(_python(root, "-c", "import course_lib.checks as c; print(' '.join(c.__all__))"),
                     "reading course_lib.checks.__all__").split()
    return re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\(")


def affected(root: Path) -> list[str]:
    """Solution notebooks with a check cell that stored no output."""
    pattern = _check_call(root)
    names = []
    for path in sorted((root / "solutions").glob("[0-9][0-9]_*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        if any(cell.cell_type == "code" and pattern.search(cell.source) and not cell.get("outputs")
               and "import" not in cell.source for cell in cells):
            names.append(path.stem)
    return names


# 3. rerun ----------------------------------------------------------------------------------------------


def rerun(root: Path, names: list[str], quick: bool) -> None:
    if names:
        arguments = ["-m", "tools.run_solutions", "--root", str(root), *(["--quick"] if quick else []), *names]
        _require(_python(root, *arguments), f"running {', '.join(names)}")


# 4. example_class --------------------------------------------------------------------------------------


def example_class(root: Path) -> None:
    _require(_python(root, str(root / "tests" / "fixtures" / "grading" / "make_example_class.py")),
             "writing the example class")


# 5. readme_example -------------------------------------------------------------------------------------


def readme_example(root: Path) -> None:
    """Grade the example class as the README shows it and put that run's output in the README."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "grades"
        arguments = GRADE_COMMAND.replace("course-grade ", "").replace("--out grades", f"--out {out}").split()
        printed = _require(_python(root, "-m", "course_lib.grade", *arguments, "-j", "2"), "grading the example class")
        sheet = (out / "grades.csv").read_text(encoding="utf-8")
        feedback = (out / FEEDBACK_SHOWN.removeprefix("grades/")).read_text(encoding="utf-8")
    printed = printed.replace(str(out), "grades")
    block = (f"$ .venv/bin/{GRADE_COMMAND}\n{printed.rstrip()}\n$ cat grades/grades.csv\n{sheet.rstrip()}\n"
             f"$ cat \"{FEEDBACK_SHOWN}\"\n{feedback.rstrip()}\n")
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    if not README_BLOCK.search(text):
        raise SystemExit("exercise-sync: the README has no example block starting with "
                         "`$ .venv/bin/course-grade tests/fixtures/grading/example_class`")
    readme.write_text(README_BLOCK.sub(lambda _: block, text, count=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Bring the notebooks, stored outputs, example class and README "
                                                 "example up to date after adding or changing an exercise.")
    parser.add_argument("names", nargs="*", help="solution notebooks to re-run (default: those with a check cell "
                                                 "that stored no output)")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    parser.add_argument("--quick", action="store_true", help="run the solutions in quick mode (tests only)")
    args = parser.parse_args(argv)
    regenerate(args.root)
    names = args.names or affected(args.root)
    print(f"exercise-sync: re-running {', '.join(names) if names else 'no solution notebook'}", flush=True)
    rerun(args.root, names, args.quick)
    example_class(args.root)
    readme_example(args.root)
    print("exercise-sync: notebooks, stored outputs, example class and README example are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
