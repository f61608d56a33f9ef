"""Reading a notebook, the course's or a student's, into plain cells: no execution, no validation.

``.ipynb`` files are parsed as JSON (nbformat 4; an nbformat 3 file is upgraded with nbformat), so
that a 2 MB notebook with stored figures costs milliseconds; ``.py`` files are read with jupytext
(percent or light format). What the grader needs from a notebook: its cells (type, source, metadata),
its course id (``metadata["course"]["notebook"]``, written by the notebook generator), its title
(the first markdown heading), each cell's exercise id (``cell.metadata["course"]["exercise"]``) and,
for the "before you submit" preview, each cell's nbformat id.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field

COURSE_KEY = "course"
SETUP_TAG = "grading-setup"
HEADING = re.compile(r"^\s*#\s+(?P<title>\S.*?)\s*$")


class Unreadable(Exception):
    """The file is not a notebook we can read; ``str(error)`` says why in one line."""


@dataclass(frozen=True)
class Cell:
    cell_type: str
    source: str
    metadata: dict = field(default_factory=dict)
    id: str = ""  # the cell's nbformat id (JupyterLab sends it with each execution), "" if it has none

    @property
    def exercise(self) -> str | None:
        """The exercise id the generator wrote on this cell, if any."""
        course = self.metadata.get(COURSE_KEY)
        exercise = course.get("exercise") if isinstance(course, dict) else None
        return exercise if isinstance(exercise, str) and exercise else None

    @property
    def tags(self) -> list[str]:
        tags = self.metadata.get("tags")
        return [tag for tag in tags if isinstance(tag, str)] if isinstance(tags, list) else []


@dataclass(frozen=True)
class Notebook:
    cells: list[Cell]
    metadata: dict

    @property
    def course_id(self) -> str | None:
        """``metadata["course"]["notebook"]``, e.g. ``03_optimizers``, if present."""
        course = self.metadata.get(COURSE_KEY)
        notebook = course.get("notebook") if isinstance(course, dict) else None
        return notebook if isinstance(notebook, str) and notebook else None

    @property
    def exercise_ids(self) -> list[str] | None:
        """``metadata["course"]["exercises"]``: the exercises of the handout this file was made from
        (None for a handout generated before the list was written)."""
        course = self.metadata.get(COURSE_KEY)
        exercises = course.get("exercises") if isinstance(course, dict) else None
        if not isinstance(exercises, list) or not all(isinstance(item, str) for item in exercises):
            return None
        return exercises

    @property
    def title(self) -> str | None:
        """The first markdown heading (``# 03 · Optimizers`` → ``03 · Optimizers``), if any."""
        for cell in self.cells:
            if cell.cell_type != "markdown":
                continue
            for line in cell.source.splitlines():
                match = HEADING.match(line)
                if match:
                    return match["title"]
        return None

    def code_cells(self) -> list[Cell]:
        return [cell for cell in self.cells if cell.cell_type == "code"]


def normalized_title(title: str | None) -> str:
    """A title compared case- and spacing-insensitively."""
    return " ".join((title or "").casefold().split())


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return "".join(value)
    raise Unreadable("a cell's source is neither text nor a list of lines")


def _cells_from_json(cells: object) -> list[Cell]:
    if not isinstance(cells, list):
        raise Unreadable("its 'cells' is not a list")
    parsed = []
    for cell in cells:
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise Unreadable("a cell has no cell_type")
        metadata = cell.get("metadata")
        cell_id = cell.get("id")
        parsed.append(Cell(cell["cell_type"], _text(cell.get("source", "")), metadata if isinstance(metadata, dict) else {},
                           cell_id if isinstance(cell_id, str) else ""))
    return parsed


def parse_ipynb(data: bytes) -> Notebook:
    """A notebook from the bytes of an .ipynb file; Unreadable (one line) when it is not one."""
    try:
        content = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise Unreadable("not text (UTF-8): is it really a notebook?") from None
    except json.JSONDecodeError as error:
        raise Unreadable(f"not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})") from None
    if not isinstance(content, dict) or "nbformat" not in content:
        raise Unreadable("valid JSON but not a Jupyter notebook (no 'nbformat')")
    if content.get("nbformat") != 4:
        content = _upgrade(content)
    metadata = content.get("metadata")
    return Notebook(_cells_from_json(content.get("cells")), metadata if isinstance(metadata, dict) else {})


def _upgrade(content: dict) -> dict:
    import nbformat

    try:
        return nbformat.convert(nbformat.from_dict(content), 4)
    except Exception as error:  # nbformat raises many kinds on malformed input
        raise Unreadable(f"an nbformat {content.get('nbformat')} notebook that cannot be upgraded ({error})") from None


def parse_py(data: bytes) -> Notebook:
    """A notebook from a jupytext .py file (percent or light format)."""
    import jupytext

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable("not text (UTF-8)") from None
    try:
        notebook = jupytext.reads(text, fmt="py")
    except Exception as error:  # jupytext raises many kinds on malformed input
        raise Unreadable(f"jupytext cannot read it ({type(error).__name__}: {error})") from None
    cells = [Cell(cell.cell_type, cell.source, dict(cell.metadata)) for cell in notebook.cells]
    return Notebook(cells, dict(notebook.metadata))


def parse_notebook(name: str, data: bytes) -> Notebook:
    """Dispatch on the file name's suffix (.ipynb or .py)."""
    if name.lower().endswith(".py"):
        return parse_py(data)
    return parse_ipynb(data)


def runnable(source: str) -> str:
    """A cell's source as plain Python: IPython magics and shell lines (``%…``, ``!…``) become ``pass``,
    and a cell magic line (``%%time``) is dropped, so its body runs as ordinary code."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        lines = lines[1:]
    kept = []
    for line in lines:
        stripped = line.lstrip()
        kept.append(line[: len(line) - len(stripped)] + "pass" if stripped[:1] in {"%", "!"} else line)
    return "\n".join(kept) + "\n"


def defines(source: str, name: str) -> bool:
    """True when the cell defines ``name`` at top level with ``def`` or ``class``."""
    try:
        tree = ast.parse(runnable(source))
    except (SyntaxError, ValueError):
        return False
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == name
        for node in tree.body
    )
