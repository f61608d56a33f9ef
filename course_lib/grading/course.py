"""The course's own copy of each notebook: the only source of code the grader trusts.

From each generated student notebook (``notebooks/NN_name.ipynb`` of this checkout, or ``--course
DIR``) the grader takes:

- the notebook's id (``metadata["course"]["notebook"]``) and title (its first heading, the fallback
  for a submission that lost its metadata);
- its **setup**: the cells tagged ``grading-setup`` in ``solutions/NN_name.py`` (the import cell:
  imports, ``set_seed``, ``device``), run before the student's exercise cells. Never the student's
  copy of them, and never any other cell: no data loading, no training;
- its **exercises**, in notebook order: each exercise cell's id and the stub the student started
  from (an unchanged stub is "not attempted" without running anything).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from course_lib.grading.notebooks import SETUP_TAG, Notebook, Unreadable, normalized_title, parse_ipynb

NOTEBOOK_PATTERN = "[0-9][0-9]_*.ipynb"


class CourseError(Exception):
    """The course's own notebooks cannot be used; ``str(error)`` says why and what to do, in one line."""


@dataclass(frozen=True)
class CourseExercise:
    id: str
    stub: str


@dataclass(frozen=True)
class CourseNotebook:
    id: str
    title: str
    setup: tuple[str, ...]
    exercises: tuple[CourseExercise, ...]


@dataclass(frozen=True)
class Course:
    folder: Path
    notebooks: dict[str, CourseNotebook]

    def by_title(self, title: str | None) -> CourseNotebook | None:
        wanted = normalized_title(title)
        matches = [notebook for notebook in self.notebooks.values() if normalized_title(notebook.title) == wanted]
        return matches[0] if wanted and len(matches) == 1 else None

    def exercise_ids(self) -> list[str]:
        """Every exercise id, notebook by notebook, in course order."""
        return [exercise.id for notebook in self.notebooks.values() for exercise in notebook.exercises]

    def setups(self) -> dict[str, list[str]]:
        """Notebook id → its setup cells (what the fork server runs once to warm up)."""
        return {notebook.id: list(notebook.setup) for notebook in self.notebooks.values()}


def default_folder() -> Path:
    """``notebooks/`` of the checkout course_lib is installed from (or of the working directory)."""
    from course_lib.config import project_root

    return project_root() / "notebooks"


def course_notebook(path: Path, notebook: Notebook) -> CourseNotebook:
    """One course notebook's id, title, setup cells and exercises (see the module docstring)."""
    if notebook.course_id is None:
        raise CourseError(f"{path} has no course metadata: run `make notebooks` to regenerate the notebooks")
    setup = tuple(cell.source for cell in notebook.code_cells() if SETUP_TAG in cell.tags)
    exercises: dict[str, CourseExercise] = {}
    for cell in notebook.code_cells():
        if cell.exercise is not None and cell.exercise not in exercises:
            exercises[cell.exercise] = CourseExercise(cell.exercise, cell.source)
    return CourseNotebook(notebook.course_id, notebook.title or notebook.course_id, setup, tuple(exercises.values()))


def load_course(folder: Path | None = None) -> Course:
    """Every course notebook in ``folder`` (default: ``default_folder()``), sorted by name."""
    folder = Path(folder) if folder is not None else default_folder()
    paths = sorted(folder.glob(NOTEBOOK_PATTERN))
    if not paths:
        raise CourseError(f"no course notebooks (NN_name.ipynb) in {folder}: pass --course DIR, the folder "
                          "holding the course's generated student notebooks")
    notebooks: dict[str, CourseNotebook] = {}
    for path in paths:
        try:
            parsed = course_notebook(path, parse_ipynb(path.read_bytes()))
        except (OSError, Unreadable) as error:
            raise CourseError(f"cannot read the course notebook {path}: {error}") from None
        if parsed.id in notebooks:
            raise CourseError(f"two course notebooks have the id {parsed.id!r} ({path})")
        notebooks[parsed.id] = parsed
    return Course(folder, notebooks)
