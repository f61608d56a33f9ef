"""The committed notebooks match their sources, and no solution leaks into a student notebook.

Leak rule: a *solution line* is a line inside a `# BEGIN SOLUTION` region or a markdown cell tagged
`solution` that has at least 12 non-space characters, is not a comment, and appears nowhere in the
scaffold (the rest of any solution source). No student file (notebooks/*.py, notebooks/*.ipynb) may
contain a solution line.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from tools import notebook_generator as generator

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "generator" / "01_fixture.py"
MIN_CHARS = 12


REPO_SOURCES = generator.find_sources(REPO)


def _normalized(line: str) -> str:
    return line.strip().lstrip("#").strip()


def _non_trivial(line: str) -> bool:
    return len(re.sub(r"\s", "", line)) >= MIN_CHARS


def split_source(path: Path) -> tuple[set[str], set[str]]:
    """(solution lines, scaffold lines) of one source, each normalized (stripped of spaces and `#`)."""
    source = generator.find_regions(generator.read_source(path))
    solution: set[str] = set()
    scaffold: set[str] = set()
    for index, cell in enumerate(source.notebook.cells):
        lines = cell.source.splitlines()
        if cell.cell_type == "markdown" and generator.SOLUTION_TAG in cell.metadata.get("tags", []):
            solution.update(_normalized(line) for line in lines)
            continue
        inside = {n for region in source.regions.get(index, []) for n in range(region.begin + 1, region.end)}
        for number, line in enumerate(lines):
            if number in inside and not line.strip().startswith("#"):
                solution.add(_normalized(line))
            else:
                scaffold.add(_normalized(line))
    return solution, scaffold


def student_lines(path: Path) -> list[str]:
    """Every line of a student file; for a notebook, every line of every cell."""
    if path.suffix == ".ipynb":
        cells = nbformat.read(path, as_version=4).cells
        return [line for cell in cells for line in cell.source.splitlines()]
    return path.read_text(encoding="utf-8").splitlines()


def find_leaks(root: Path) -> list[str]:
    """`student file: leaked line` for every solution line found in a student file under `root`."""
    solution: set[str] = set()
    scaffold: set[str] = set()
    for path in generator.find_sources(root):
        source_solution, source_scaffold = split_source(path)
        solution |= source_solution
        scaffold |= source_scaffold
    secret = {line for line in solution - scaffold if _non_trivial(line)}
    leaks = []
    for path in sorted([*(root / "notebooks").glob("*.py"), *(root / "notebooks").glob("*.ipynb")]):
        leaks += [f"{path.relative_to(root)}: {line.strip()}" for line in student_lines(path) if _normalized(line) in secret]
    return leaks


@pytest.fixture
def fixture_root(tmp_path) -> Path:
    (tmp_path / "solutions").mkdir()
    shutil.copy(FIXTURE, tmp_path / "solutions")
    assert generator.main(["--root", str(tmp_path)]) == 0
    return tmp_path


def test_committed_notebooks_match_their_sources(capsys):
    status = generator.main(["--check"])

    assert status == 0, capsys.readouterr().err


def test_check_fails_when_a_source_is_edited_without_regenerating(tmp_path, capsys):
    """On a copy of the repository's sources and generated files (the fixture when there are none yet)."""
    for folder in ("solutions", "notebooks"):
        (tmp_path / folder).mkdir()
        for path in (REPO / folder).glob("*"):
            if path.is_file() and path.suffix in {".py", ".ipynb"}:
                shutil.copy(path, tmp_path / folder)
    if not REPO_SOURCES:
        shutil.copy(FIXTURE, tmp_path / "solutions")
        assert generator.main(["--root", str(tmp_path)]) == 0
    assert generator.main(["--root", str(tmp_path), "--check"]) == 0
    edited = generator.find_sources(tmp_path)[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\n# %%\nprint('edited')\n", encoding="utf-8")
    capsys.readouterr()

    assert generator.main(["--root", str(tmp_path), "--check"]) == 1

    err = capsys.readouterr().err
    assert f"notebooks/{edited.stem}.ipynb" in err
    assert "run make notebooks" in err


def test_no_solution_line_leaks_into_a_student_notebook():
    assert find_leaks(REPO) == []


def test_generated_fixture_does_not_leak(fixture_root):
    assert find_leaks(fixture_root) == []


def test_leak_check_catches_a_solution_line_in_a_student_file(fixture_root):
    student = fixture_root / "notebooks" / "01_fixture.py"
    student.write_text(student.read_text() + "\n# %%\ndoubled_value = x + x\n")
    answer = fixture_root / "notebooks" / "01_fixture.ipynb"
    notebook = nbformat.read(answer, as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell("Because x + x is two copies of x, which is the definition of 2x."))
    nbformat.write(notebook, answer)

    assert find_leaks(fixture_root) == [
        "notebooks/01_fixture.ipynb: Because x + x is two copies of x, which is the definition of 2x.",
        "notebooks/01_fixture.py: doubled_value = x + x",
    ]


def test_the_course_has_notebook_sources():
    assert REPO_SOURCES, "solutions/ holds no NN_name.py, so there is no course content to check"
