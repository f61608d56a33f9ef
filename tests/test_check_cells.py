"""The self-check cells as the notebooks show them: a pass in the solutions, "not implemented yet" for students.

- ``solutions/*.ipynb`` hold the outputs stored by ``make solutions``: every check cell must have printed
  ``<name>: correct — …`` (and nothing that says otherwise).
- ``notebooks/*.ipynb``: every check cell follows the exercise's ``NotImplementedError`` stub; the test
  runs just that stub cell and the check cell (after the notebook's own import statements) and expects
  the one line ``<name>: not implemented yet — …``. No data, no training: a few seconds in all.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
from pathlib import Path

import nbformat
import pytest

import course_lib.checks

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((REPO / "solutions").glob("[0-9][0-9]_*.ipynb"))
STUDENT_NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CHECK_CALL = re.compile(r"\b(" + "|".join(map(re.escape, course_lib.checks.__all__)) + r")\(")
PASS_LINE = re.compile(r"^[\w.]+: correct — \S")
NOT_IMPLEMENTED_LINE = re.compile(r"^[\w.]+: not implemented yet — fill in the exercise cell above")
STUB = 'raise NotImplementedError("Exercise:'


def code_cells(path: Path) -> list[nbformat.NotebookNode]:
    return [cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]


def check_cell_positions(cells: list[nbformat.NotebookNode]) -> list[int]:
    """Indices (among code cells) of the cells that call a course_lib check."""
    return [index for index, cell in enumerate(cells) if CHECK_CALL.search(cell.source)]


def printed_stdout(cell: nbformat.NotebookNode) -> str:
    return "".join(
        output.get("text", "") for output in cell.get("outputs", [])
        if output.get("output_type") == "stream" and output.get("name") == "stdout"
    )


def import_statements(cells: list[nbformat.NotebookNode]) -> str:
    """Every top-level ``import``/``from … import`` of these cells, as code (magics and shell lines skipped)."""
    statements = []
    for cell in cells:
        code = "\n".join(line for line in cell.source.splitlines() if line.lstrip()[:1] not in {"%", "!"})
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        statements += [ast.unparse(node) for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    return "\n".join(statements)


def checks_called(path: Path) -> list[str]:
    cells = code_cells(path)
    return [name for index in check_cell_positions(cells) for name in CHECK_CALL.findall(cells[index].source)]


def test_solutions_and_student_notebooks_have_the_same_check_cells():
    assert SOLUTIONS and [path.name for path in SOLUTIONS] == [path.name for path in STUDENT_NOTEBOOKS]
    for solution, student in zip(SOLUTIONS, STUDENT_NOTEBOOKS, strict=True):
        assert checks_called(solution) == checks_called(student), solution.name


def test_every_registered_exercise_has_one_check_cell_in_the_solutions():
    """Notebook 04 has no exercise of its own (it reuses 01's sampler and step, 03's Adam), so the guard that
    the pattern finds the check cells at all is course-wide: each registered check is called exactly once."""
    called = [name for solution in SOLUTIONS for name in checks_called(solution)]
    expected = [exercise.check.__name__ for exercise in course_lib.checks.EXERCISES.values()]
    assert sorted(called) == sorted(expected)


@pytest.mark.parametrize("notebook", SOLUTIONS, ids=lambda path: path.name)
def test_solution_check_cells_stored_a_pass(notebook):
    cells = code_cells(notebook)
    for index in check_cell_positions(cells):
        printed = printed_stdout(cells[index]).strip()
        where = f"{notebook.name}, code cell {index + 1} ({cells[index].source.strip().splitlines()[0]})"
        assert printed, f"{where}: no stored output; run make solutions"
        lines = printed.splitlines()
        assert len(lines) == 1 and PASS_LINE.match(lines[0]), f"{where} printed: {printed[:300]}"


@pytest.mark.parametrize("notebook", STUDENT_NOTEBOOKS, ids=lambda path: path.name)
def test_student_check_cells_say_not_implemented_yet(notebook):
    cells = code_cells(notebook)
    for index in check_cell_positions(cells):
        stub, check = cells[index - 1], cells[index]
        where = f"{notebook.name}, code cell {index + 1} ({check.source.strip().splitlines()[0]})"
        assert index > 0 and STUB in stub.source, f"{where} does not follow an exercise stub"
        namespace: dict = {}
        exec(compile(import_statements(cells[:index]), f"{notebook.name}:imports", "exec"), namespace)
        exec(compile(stub.source, f"{notebook.name}:cell {index}", "exec"), namespace)
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            exec(compile(check.source, f"{notebook.name}:cell {index + 1}", "exec"), namespace)
        lines = output.getvalue().strip().splitlines()
        assert len(lines) == 1 and NOT_IMPLEMENTED_LINE.match(lines[0]), f"{where} printed: {lines}"
