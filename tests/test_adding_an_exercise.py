"""Adding an exercise is what the README says: follow its recipe in a scratch copy of the course and nothing else.

In a copy of the repository's files (tmp_path), a throwaway exercise ``nesterov_lookahead`` (w + βv) is added
to notebook 03 exactly as the README's "Adding an exercise" recipe lists, one edit per step:

1. the reference, in its own course_lib module;
2. its check, in course_lib/checks/, built on the shared runner;
3. its line in ``course_lib.checks.EXERCISES`` (with the check's import);
4. the exercise between markers in the solution (before its closing "Before you submit" section), its
   check cell after it, and the check imported in the notebook's import cell (tagged ``grading-setup``);
5. a planted wrong answer in tests/fixtures/grading/planted.py;
6. ``make exercise-sync`` (here ``python -m tools.exercise_sync --quick``: the solution notebook runs in
   quick mode to keep the test short).

Then the copy's own generator check, check-cell test, grading unit tests, grader run and example-class
test must all pass, and the grader must have graded the new exercise: no other file was edited.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a solution notebook run and a grader run in a scratch copy: minutes

REPO = Path(__file__).resolve().parents[1]
EXERCISE = "nesterov_lookahead"

REFERENCE = '''"""A throwaway exercise's reference: Nesterov's look-ahead point w + βv."""

import torch


def nesterov_lookahead(w: torch.Tensor, v: torch.Tensor, beta: float) -> torch.Tensor:
    """The point where Nesterov momentum evaluates the gradient: w + βv (same shape as w)."""
    return w + beta * v
'''

CHECK = '''"""Self-check for the throwaway look-ahead exercise: w + βv."""

import torch

from course_lib.checks._runner import Wrong, call_student, require_callable, require_tensor, self_check
from course_lib.nesterov import nesterov_lookahead as reference

SIGNATURE = "nesterov_lookahead(w, v, beta)"


@self_check("nesterov_lookahead")
def check_nesterov_lookahead(nesterov_lookahead: object) -> str:
    """Check ``nesterov_lookahead(w, v, beta)`` = w + βv on three seeded cases."""
    require_callable(nesterov_lookahead, "nesterov_lookahead")
    generator = torch.Generator().manual_seed(3)
    for beta in (0.0, 0.5, 0.9):
        w, v = torch.randn(4, 3, generator=generator), torch.randn(4, 3, generator=generator)
        got = call_student(nesterov_lookahead, w.clone(), v.clone(), beta, hint="return w + beta * v",
                           signature=SIGNATURE)
        require_tensor(got, "the returned point", shape=w.shape)
        if not torch.allclose(got, reference(w, v, beta)):
            raise Wrong("the look-ahead point is w + βv: move from w along the velocity, scaled by β")
    return "matches w + βv on 3 cases"
'''

SOLUTION_CELLS = '''

# %% [markdown]
# ### Exercise: Nesterov's look-ahead point
#
# - **What to write:** `nesterov_lookahead(w, v, beta)`, the point $w + \\beta v$.

# %%
def nesterov_lookahead(w, v, beta):
    """The look-ahead point w + βv."""
    # BEGIN SOLUTION
    return w + beta * v
    # END SOLUTION


# %%
nesterov_works = check_nesterov_lookahead(nesterov_lookahead)
'''

BEFORE_YOU_SUBMIT = "# %% [markdown]\n# ## Before you submit\n"  # the notebook's last section stays last

WRONG_BODY = '''WRONG_BODIES = {
    "nesterov_lookahead": """
        return w - beta * v
        """,'''


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path}: the recipe's anchor {old!r} is not there exactly once"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _copy_repository(target: Path) -> None:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file() and not source.is_symlink():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _follow_the_recipe(root: Path) -> None:
    (root / "course_lib" / "nesterov.py").write_text(REFERENCE, encoding="utf-8")
    (root / "course_lib" / "checks" / "nesterov.py").write_text(CHECK, encoding="utf-8")
    checks = root / "course_lib" / "checks" / "__init__.py"
    _edit(checks, "from course_lib.checks.momentum import check_momentum_update\n",
          "from course_lib.checks.momentum import check_momentum_update\n"
          "from course_lib.checks.nesterov import check_nesterov_lookahead\n"
          "from course_lib.nesterov import nesterov_lookahead\n")
    _edit(checks, "EXERCISES = registry(\n",
          "EXERCISES = registry(\n    Exercise(check_nesterov_lookahead, reference=nesterov_lookahead),\n")
    solution = root / "solutions" / "03_optimizers.py"
    _edit(solution, "from course_lib.checks import check_adam,",
          "from course_lib.checks import check_nesterov_lookahead\nfrom course_lib.checks import check_adam,")
    _edit(solution, BEFORE_YOU_SUBMIT, SOLUTION_CELLS.lstrip("\n") + "\n" + BEFORE_YOU_SUBMIT)
    _edit(root / "tests" / "fixtures" / "grading" / "planted.py", "WRONG_BODIES = {", WRONG_BODY)
    _edit(root / "tests" / "fixtures" / "grading" / "planted.py", "EXPECTED_SENTENCE = {",
          'EXPECTED_SENTENCE = {\n    "nesterov_lookahead": "the look-ahead point is w + βv",')


def _run(root: Path, *arguments: str, timeout: int = 900) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(root), "COURSE_QUICK": "1", "OMP_NUM_THREADS": "1",
                   "COURSE_CHECKPOINT_DIR": str(root / "saved_models")}
    return subprocess.run([sys.executable, *arguments], cwd=root, env=environment, capture_output=True, text=True,
                          timeout=timeout, check=False)


def test_a_throwaway_exercise_added_by_the_readme_recipe_is_followed_everywhere(tmp_path):
    root = tmp_path / "course"
    _copy_repository(root)
    _follow_the_recipe(root)

    synced = _run(root, "-m", "tools.exercise_sync", "--quick")
    assert synced.returncode == 0, synced.stdout[-3000:] + synced.stderr[-3000:]
    assert "re-running 03_optimizers" in synced.stdout

    tested = _run(root, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", "-x",
                  "tests/test_notebook_sync.py", "tests/test_check_cells.py", "tests/unit/test_grading_parts.py",
                  "tests/unit/test_checks_runner.py", "tests/test_grading.py", "tests/test_grading_example.py",
                  timeout=1800)
    assert tested.returncode == 0, tested.stdout[-5000:] + tested.stderr[-2000:]

    readme = (root / "README.md").read_text(encoding="utf-8")
    header = next(line for line in readme.splitlines() if line.startswith("student,notebook,"))
    assert f",Adam,{EXERCISE}," in header, "the README's example grade sheet has the new column"
    generated = (root / "notebooks" / "03_optimizers.ipynb").read_text(encoding="utf-8")
    assert f'"exercise": "{EXERCISE}"' in generated and 'raise NotImplementedError(\\"Exercise: ' in generated
