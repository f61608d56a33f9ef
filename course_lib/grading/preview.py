"""Before you submit: the grade ``course-grade`` will give the notebook file you saved, shown in the notebook.

The last cell of every student notebook calls ``before_you_submit("03_optimizers")``. Pipeline (one
function per step):

1. ``watch``           (at import, from the notebook's ``grading-setup`` cell) an IPython ``post_run_cell``
                       hook that records, per execution count, when the cell finished and the cell's id
                       (JupyterLab and Notebook 7 send it with each execution; nbclient does not);
2. ``find_saved_file`` the saved .ipynb: the ``path`` given, else ``JPY_SESSION_NAME`` (jupyter_server sets it
                       in the kernel to the notebook's path when it starts the kernel), else a notebook in the
                       current folder whose ``metadata["course"]["notebook"]`` is the id (the most recently
                       saved if several), each only if it is that course notebook; none (Colab keeps the
                       notebook in Google Drive): one sentence on how to save or download it;
3. ``read_saved``      the file parsed as the grader parses it; unreadable: one sentence;
4. ``unsaved_work``    what the kernel ran against the saved file (rule below): the warnings;
5. ``grade_saved``     the file graded by ``course-grade``'s own pipeline (``pipeline.grade_on`` on a
                       ``ForkServer``, one submission, the same sandbox and the same default limits: 60 s,
                       2048 MB), against the course's own copy of the notebook (``notebooks/`` of the
                       checkout, as ``course-grade`` uses). Where that copy is the saved file itself (the
                       student works in ``notebooks/``) or is missing, the saved file's own setup cells and
                       exercise list are used and its stubs are unknown: every exercise cell runs, and an
                       unchanged stub scores 0 when its ``NotImplementedError`` reaches the check ("not
                       attempted — the exercise still raises NotImplementedError") instead of being decided
                       without running; the points are the same;
6. ``Preview``         the warnings first, then points per exercise with each check's sentence, as text
                       and as an HTML table (words, never colour alone, carry the meaning).

Rule for "the saved file is not what you ran", per exercise of the course notebook: the kernel's runs of
that exercise are the inputs in IPython's history (``history_manager.input_hist_raw``, i.e. ``In``) that
either came from the saved file's cell for it (same cell id) or define it at top level (``def``/``class``
with its name: front ends that send no cell id, runs before the hook, an answer written in another
cell). The last of them (highest execution count) is what the kernel ran for the exercise. Warned:

- *differs*: its code is not the saved cell's (blank lines and trailing spaces aside, as the grader
  compares), or the saved file has no cell for the exercise;
- *older*: the file was last modified before that run finished (times from the hook): the file may lack
  later work, answers to questions included.

Any failure becomes one sentence in the preview, never a traceback.
"""

from __future__ import annotations

import contextlib
import html
import io
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from course_lib.grading.course import (
    Course,
    CourseError,
    CourseExercise,
    CourseNotebook,
    course_notebook,
    load_course,
)
from course_lib.grading.identify import exercise_cell, same_code
from course_lib.grading.notebooks import Notebook, Unreadable, defines, parse_ipynb
from course_lib.grading.records import GRADED, Row
from course_lib.grading.runner import one_line

if TYPE_CHECKING:
    from course_lib.grading.sandbox import Limits

SAVE_KEYS = "Ctrl+S / Cmd+S"
NOT_WHAT_YOU_RAN = "Your saved file is not what you ran"
UNKNOWN_STUB = "# the course's stub is not known here: the cell is run"
COLAB_SENTENCE = ("On Colab your notebook is kept in Google Drive, not on this machine, so it cannot be previewed "
                  "here: save it and download it (File → Download → Download .ipynb), and hand in that file.")

# execution count → (time the cell finished, the cell's id or None), filled by the post_run_cell hook
_RUNS: dict[int, tuple[float, str | None]] = {}


class PreviewProblem(Exception):
    """Nothing can be graded; ``str(error)`` is the one sentence to show."""


# 1. watch ----------------------------------------------------------------------------------------------


def _record(result) -> None:
    """post_run_cell hook: when the cell with this execution count finished, and its cell id."""
    count = getattr(result, "execution_count", None)
    if count is not None:
        _RUNS[count] = (time.time(), getattr(getattr(result, "info", None), "cell_id", None))


def watch(shell) -> None:
    """Record every cell ``shell`` runs from now on (once per shell)."""
    callbacks = shell.events.callbacks.get("post_run_cell", [])
    if not any(getattr(callback, "__name__", "") == _record.__name__
               and getattr(callback, "__module__", "") == __name__ for callback in callbacks):
        shell.events.register("post_run_cell", _record)


def _current_shell():
    """The running IPython shell, or None (plain Python: the grader's own processes import this module)."""
    if "IPython" not in sys.modules:
        return None
    return sys.modules["IPython"].get_ipython()


def _watch_the_running_shell() -> None:
    shell = _current_shell()
    if shell is not None:
        watch(shell)


_watch_the_running_shell()


@dataclass(frozen=True)
class Ran:
    """One input the kernel ran: its execution count, code, when it finished and its cell id (if known)."""

    count: int
    source: str
    finished_at: float | None = None
    cell_id: str | None = None


def kernel_runs(shell) -> list[Ran]:
    """Every input in ``shell``'s history, with the time and cell id the hook recorded for it."""
    if shell is None:
        return []
    sources = shell.history_manager.input_hist_raw
    return [Ran(count, sources[count], *_RUNS.get(count, (None, None))) for count in range(1, len(sources))]


# 2. find_saved_file -----------------------------------------------------------------------------------


def _is_saved_copy_of(path: Path, notebook: str) -> bool:
    """Its metadata names the notebook; or it cannot be read and is named like it (``read_saved`` says why)."""
    try:
        return parse_ipynb(path.read_bytes()).course_id == notebook
    except (OSError, Unreadable):
        return path.name == f"{notebook}.ipynb"


def find_saved_file(notebook: str, path: str | os.PathLike | None = None) -> tuple[Path, str]:
    """The saved notebook and a note on how it was found (see step 2); PreviewProblem when there is none."""
    if path is not None:
        given = Path(path).expanduser()
        if not given.is_file():
            raise PreviewProblem(f"There is no file {given}: give the path of your saved notebook, "
                                 f"e.g. before_you_submit({notebook!r}, path=\"{notebook}.ipynb\").")
        return given, ""
    session = os.environ.get("JPY_SESSION_NAME", "")
    if session.lower().endswith(".ipynb"):
        for candidate in (Path(session), Path(Path(session).name)):
            if candidate.is_file() and _is_saved_copy_of(candidate, notebook):
                return candidate, ""
    found = sorted((candidate for candidate in Path.cwd().glob("*.ipynb") if _is_saved_copy_of(candidate, notebook)),
                   key=lambda candidate: candidate.stat().st_mtime, reverse=True)
    if found:
        note = (f"{len(found)} files in this folder are {notebook}; the most recently saved one was graded"
                if len(found) > 1 else "")
        return found[0], note
    if "google.colab" in sys.modules:
        raise PreviewProblem(COLAB_SENTENCE)
    raise PreviewProblem(f"No saved copy of {notebook} is in {Path.cwd()}: save the notebook ({SAVE_KEYS}) "
                         f"and run this cell again, or give its path: before_you_submit({notebook!r}, path=...).")


# 3. read_saved ----------------------------------------------------------------------------------------


def read_saved(path: Path, notebook: str) -> Notebook:
    """The saved file parsed as the grader parses it; PreviewProblem (one sentence) when it cannot be."""
    try:
        parsed = parse_ipynb(path.read_bytes())
    except OSError as error:
        raise PreviewProblem(f"Your saved file {shown(path)} cannot be read ({error.strerror or error}).") from None
    except Unreadable as error:
        raise PreviewProblem(f"Your saved file {shown(path)} is not a notebook the grader can read ({error}): "
                             "open it in JupyterLab, fix or re-download it, and save it again.") from None
    if parsed.course_id != notebook:
        raise PreviewProblem(f"Your saved file {shown(path)} is not the course notebook {notebook}"
                             f" (its metadata says {parsed.course_id or 'nothing'}).")
    return parsed


# 4. unsaved_work --------------------------------------------------------------------------------------


def last_run_of(exercise_id: str, cell_id: str, runs: list[Ran]) -> Ran | None:
    """What the kernel last ran for an exercise: the latest run of its saved cell or defining it."""
    matching = [ran for ran in runs
                if (cell_id and ran.cell_id == cell_id) or defines(ran.source, exercise_id)]
    return max(matching, key=lambda ran: ran.count, default=None)


def _names(exercise_ids: list[str]) -> str:
    quoted = [f"`{exercise}`" for exercise in exercise_ids]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


def unsaved_work(saved: Notebook, saved_at: float, runs: list[Ran], exercise_ids: list[str]) -> list[str]:
    """The warnings (at most two sentences each) on what the kernel ran that the saved file lacks."""
    differs, older = [], []
    for exercise in exercise_ids:
        cell, _ = exercise_cell(saved, exercise)
        ran = last_run_of(exercise, cell.id if cell is not None else "", runs)
        if ran is None:
            continue
        if cell is None or not same_code(ran.source, cell.source):
            differs.append(exercise)
        elif ran.finished_at is not None and saved_at < ran.finished_at:
            older.append(exercise)
    warnings = []
    if differs:
        cells = "the cell of" if len(differs) == 1 else "the cells of"
        warnings.append(f"{NOT_WHAT_YOU_RAN}: {cells} {_names(differs)} changed since you last "
                        f"saved. Save ({SAVE_KEYS}) and run this cell again.")
    if older:
        cells = "the cell of" if len(older) == 1 else "the cells of"
        warnings.append(f"Your saved file is older than your last run of {cells} {_names(older)}: save "
                        f"({SAVE_KEYS}) so that it holds all your work, answers to questions included, and run "
                        "this cell again.")
    return warnings


# 5. grade_saved ---------------------------------------------------------------------------------------


def without_stubs(notebook: CourseNotebook) -> CourseNotebook:
    """The notebook with its stubs unknown: every exercise cell is run (see step 5)."""
    exercises = tuple(CourseExercise(exercise.id, UNKNOWN_STUB) for exercise in notebook.exercises)
    return CourseNotebook(notebook.id, notebook.title, notebook.setup, exercises)


def course_for(path: Path, saved: Notebook, notebook: str) -> Course:
    """The course copy to grade against: the checkout's, unless that copy is the saved file or missing."""
    with contextlib.suppress(CourseError):
        course = load_course()
        own_copy = course.folder / f"{notebook}.ipynb"
        if notebook in course.notebooks and own_copy.resolve() != path.resolve():
            return Course(course.folder, {notebook: course.notebooks[notebook]})
    return Course(path.parent, {notebook: without_stubs(course_notebook(path, saved))})


def grade_saved(path: Path, course: Course, limits: Limits | None = None) -> tuple[Row, list[str]]:
    """The saved file's row, graded by course-grade's pipeline (its default limits unless ``limits``), and
    what the grader printed as warnings. Imported here: the sandbox needs a POSIX system, and importing this
    module (the notebooks' setup cell does) must work everywhere."""
    from course_lib.grading.client import ForkServer, ServerError
    from course_lib.grading.pipeline import Found, grade_on
    from course_lib.grading.sandbox import Limits
    from course_lib.grading.submissions import InputError, collect

    printed = io.StringIO()
    try:
        with contextlib.redirect_stderr(printed):
            backend = ForkServer(course.setups(), limits or Limits(), workers=1)
            rows, _ = grade_on(backend, Found(collect([path])), course, progress=False)
    except (ServerError, InputError, OSError) as error:
        raise PreviewProblem(f"The grader could not run here ({error}); your file is not affected.") from None
    notes = [line.removeprefix("course-grade: warning: ") for line in printed.getvalue().splitlines() if line.strip()]
    return rows[0], notes


# 6. Preview -------------------------------------------------------------------------------------------


def _html(text: str) -> str:
    """Escaped text, with `code` in backticks as <code>."""
    return re.sub(r"`([^`<>]+)`", r"<code>\1</code>", html.escape(text, quote=False))


def _optional(passed: bool) -> str:
    return ", passed" if passed else ", not passed"


def shown(path: Path) -> str:
    """The path as the student knows it: relative to the current folder when inside it."""
    with contextlib.suppress(ValueError):
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    return str(path)


@dataclass
class Preview:
    """What ``before_you_submit`` found: warnings, then the saved file's row (or the one-sentence problem)."""

    notebook: str
    file: Path | None = None
    warnings: list[str] = field(default_factory=list)
    row: Row | None = None
    problem: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def headline(self) -> str:
        if self.row is None:
            return self.problem
        differs = any(warning.startswith(NOT_WHAT_YOU_RAN) for warning in self.warnings)
        label = f"Grade of your saved file {shown(self.file)}" + (" (not of what you ran)" if differs else "")
        line = f"{label}, as course-grade will give it: {self.row.total}/{self.row.max} points."
        if self.row.status != GRADED:
            line += f" Grading stopped ({self.row.status}): {self.row.note}; exercises judged before that keep " \
                    "their points."
        return line

    def lines(self) -> list[tuple[str, str, str]]:
        """(exercise, points, the check's sentence) per exercise."""
        if self.row is None:
            return []
        return [(exercise.id, f"{exercise.points}/{exercise.max}" + (_optional(exercise.passed) if not exercise.max else ""),
                 exercise.sentence) for exercise in self.row.exercises]

    def text(self) -> str:
        out = [f"Warning: {warning}" for warning in self.warnings] + [self.headline]
        out += [f"  {points:>4}  {sentence}" for _, points, sentence in self.lines()]
        out += [f"Note: {note}" for note in self.notes]
        return "\n".join(out)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        parts = [f'<p role="alert"><strong>Warning:</strong> {_html(warning)}</p>' for warning in self.warnings]
        parts.append(f"<p><strong>{_html(self.headline)}</strong></p>")
        if self.lines():
            rows = "".join(f"<tr><th scope=\"row\">{_html(exercise)}</th><td>{_html(points)}</td>"
                           f"<td>{_html(sentence)}</td></tr>" for exercise, points, sentence in self.lines())
            # a paragraph names the table (not <caption>: site themes draw captions in a muted grey that fails
            # WCAG contrast on the output area's background)
            parts.append("<p id=\"before-you-submit-points\">Points per exercise in your saved file:</p>"
                         "<table style=\"text-align: left\" aria-labelledby=\"before-you-submit-points\">"
                         "<thead><tr>"
                         "<th scope=\"col\">Exercise</th><th scope=\"col\">Points</th>"
                         f"<th scope=\"col\">What the check says</th></tr></thead><tbody>{rows}</tbody></table>")
        parts += [f"<p>Note: {_html(note)}</p>" for note in self.notes]
        return "<div>" + "".join(parts) + "</div>"


def before_you_submit(notebook: str, path: str | os.PathLike | None = None, *, shell=None,
                      limits: Limits | None = None) -> Preview:
    """Grade the saved file of course notebook ``notebook`` (e.g. ``"03_optimizers"``) as course-grade will,
    and warn when it is not what the kernel ran (module docstring); never raises."""
    preview = Preview(notebook)
    try:
        if shell is None:
            shell = _current_shell()
        preview.file, note = find_saved_file(notebook, path)
        preview.notes += [note] if note else []
        saved = read_saved(preview.file, notebook)
        course = course_for(preview.file, saved, notebook)
        exercises = [exercise.id for exercise in course.notebooks[notebook].exercises]
        if not exercises:
            raise PreviewProblem(f"Your saved file {shown(preview.file)} can be read; {notebook} has no graded "
                                 "exercises, so there are no points to preview.")
        preview.warnings = unsaved_work(saved, preview.file.stat().st_mtime, kernel_runs(shell), exercises)
        preview.row, notes = grade_saved(preview.file, course, limits)
        preview.notes += notes
    except PreviewProblem as problem:
        preview.problem = str(problem)
    except KeyboardInterrupt:
        preview.problem = "The preview was interrupted before it finished; run this cell again to see the grade."
    except Exception as error:  # the preview must never show a traceback wall
        preview.problem = (f"The preview failed ({one_line(error)}); your file is not affected: hand it in, and "
                           "tell your instructor.")
    return preview

