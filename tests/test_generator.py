"""The notebook generator on small fixture notebooks: every authoring error, the student stubs, outputs.

Fixtures live in tests/fixtures/generator/: `01_fixture.py` is a complete tiny course notebook,
`errors/*.py` each hold one authoring mistake the generator must refuse with `file:line: reason`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools import notebook_generator as generator

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "generator"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}



# error fixture → (line in the file, words the one-line reason must contain)
ERROR_CASES = {
    "near_miss_typo": (3, "near-miss solution marker '# BEGIN SOLUTON'"),
    "near_miss_hyphen": (3, "near-miss solution marker '#BEGIN-SOLUTION'"),
    "near_miss_lowercase": (3, "near-miss solution marker '# begin solution'"),
    "near_miss_end_typo": (5, "near-miss solution marker '# END SOLUTON'"),
    "near_miss_to_remove": (3, "near-miss solution marker '# to_remove'"),
    "near_miss_to_remove_solution": (3, "near-miss solution marker '# to remove solution'"),
    "near_miss_inline": (3, "on a line of its own"),
    "end_without_begin": (4, "END SOLUTION without a BEGIN SOLUTION"),
    "nested_begin": (5, "nested BEGIN SOLUTION: the region opened at line 3"),
    "unterminated": (3, "unterminated region"),
    "marker_in_markdown": (4, "solution marker in a markdown cell"),
    "marker_in_raw": (3, "solution marker in a raw cell ('# BEGIN SOLUTION')"),
    "near_miss_in_raw": (5, "solution marker in a raw cell ('BEGIN SOLUTON')"),
    "solution_tagged_code_cell": (4, "a code cell is tagged 'solution'"),
    "invalid_stub": (3, "the student stub would be invalid Python"),
    "two_exercises_in_one_cell": (3, "one exercise per code cell: this cell's regions belong to 'first', 'second'"),
    "template_placeholder": (4, "unfilled template placeholder '{UVA}' in a markdown cell"),
}


def make_root(tmp_path: Path, *sources: Path, name: str | None = None) -> Path:
    """A throw-away repository with the given files as solutions/ sources."""
    (tmp_path / "solutions").mkdir(parents=True, exist_ok=True)
    for source in sources:
        shutil.copy(source, tmp_path / "solutions" / (name or source.name))
    return tmp_path


def generate(root: Path, *extra: str) -> int:
    return generator.main(["--root", str(root), *extra])


def test_every_error_fixture_has_an_expectation():
    assert {path.stem for path in (FIXTURES / "errors").glob("*.py")} == set(ERROR_CASES)


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_authoring_error_is_reported_with_file_line_and_reason(case, tmp_path, capsys):
    root = make_root(tmp_path, FIXTURES / "errors" / f"{case}.py", name="01_case.py")
    line, reason = ERROR_CASES[case]

    assert generate(root) == 1

    message = capsys.readouterr().err.strip()
    assert len(message.splitlines()) == 1
    assert f"01_case.py:{line}: " in message
    assert reason in message
    assert not (root / "notebooks").exists(), "nothing may be written when a source has an error"


@pytest.mark.parametrize(
    "comment",
    ["# BEGIN SOLUTON", "#BEGIN-SOLUTION", "# begin solution", "## BEGIN SOLUTION", "# BEGINSOLUTION",
     "# END SOLUTIONS", "# end_solution", "# to_remove", "# TO-REMOVE explanation", "# remove solution",
     "# BEGN SOLUTION", "# start solution"],
)
def test_near_miss_comments_look_like_markers(comment):
    assert generator.looks_like_marker(comment)


@pytest.mark.parametrize(
    "comment",
    ["# compare with the solution notebook", "# end of the training loop", "# remove the outliers",
     "# start the timer", "# the answer is in the solutions folder"],
)
def test_ordinary_comments_are_not_markers(comment):
    assert not generator.looks_like_marker(comment)


def test_prose_about_solutions_in_markdown_is_allowed():
    assert not generator.looks_like_marker("At the end, compare with the solution.", anchored=True)
    assert generator.looks_like_marker("BEGIN SOLUTION", anchored=True)


@pytest.fixture
def fixture_root(tmp_path) -> Path:
    root = make_root(tmp_path, FIXTURES / "01_fixture.py")
    assert generate(root) == 0
    return root


def test_student_stub_keeps_indentation_and_scaffold(fixture_root):
    student = (fixture_root / "notebooks" / "01_fixture.py").read_text()

    assert 'def double(x):\n    """Return 2x."""\n    raise NotImplementedError("Exercise: double")\n' in student
    assert (
        "    def increment(self):\n        if True:\n"
        '            raise NotImplementedError("Exercise: counter step")\n'
    ) in student
    assert "check_double(double)" in student and "scaffold_total = sum(range(4))" in student
    assert "doubled_value" not in student and "self.count += 1" not in student
    assert "SOLUTION" not in student


def test_solution_answer_is_replaced_by_a_prompt(fixture_root):
    student = nbformat.read(fixture_root / "notebooks" / "01_fixture.ipynb", as_version=4)
    sources = [cell.source for cell in student.cells]

    assert not any("two copies of x" in source for source in sources)
    assert generator.ANSWER_PROMPT in sources
    assert not any("solution" in cell.metadata.get("tags", []) for cell in student.cells)


def test_generated_notebooks_have_kernelspec_pairing_and_no_outputs(fixture_root):
    for path in (fixture_root / "notebooks" / "01_fixture.ipynb", fixture_root / "solutions" / "01_fixture.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        assert notebook.metadata.kernelspec == KERNELSPEC
        assert notebook.metadata.jupytext["formats"] == "ipynb,py:percent"
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert code and all(cell.outputs == [] and cell.execution_count is None for cell in code)


def test_both_notebooks_carry_the_grading_metadata(fixture_root):
    for path in (fixture_root / "notebooks" / "01_fixture.ipynb", fixture_root / "solutions" / "01_fixture.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        exercises = [cell.metadata.course["exercise"] for cell in notebook.cells if "course" in cell.metadata]
        # `double` is named by its def; the region inside Counter.increment by its BEGIN SOLUTION name
        assert exercises == ["double", "counter step"], path
        # the notebook lists its exercises, so that the grader can tell an older handout from a deleted cell
        assert notebook.metadata.course == {"notebook": "01_fixture", "exercises": exercises}


def test_exercise_id_is_the_outermost_def_or_class_around_an_unnamed_region(tmp_path):
    source = tmp_path / "01_class.py"
    source.write_text("# %%\nclass Adam:\n    def update(self, p, grad, state, group):\n        # BEGIN SOLUTION\n"
                      "        return p\n        # END SOLUTION\n")
    root = make_root(tmp_path / "repo", source)
    assert generate(root) == 0

    (cell,) = nbformat.read(root / "notebooks" / "01_class.ipynb", as_version=4).cells
    assert cell.metadata.course == {"exercise": "Adam"}
    assert cell.source.endswith('raise NotImplementedError("Exercise: Adam.update")')


def test_student_py_keeps_the_grading_metadata_and_the_solution_py_pair_does_not(fixture_root):
    import jupytext

    student = jupytext.read(fixture_root / "notebooks" / "01_fixture.py")
    assert student.metadata["course"] == {"notebook": "01_fixture", "exercises": ["double", "counter step"]}
    assert [cell.metadata["course"]["exercise"] for cell in student.cells if "course" in cell.metadata] == [
        "double", "counter step"]
    solution = nbformat.read(fixture_root / "solutions" / "01_fixture.ipynb", as_version=4)
    paired_text = jupytext.writes(solution, fmt="py:percent")
    assert "course=" not in paired_text and "notebook: 01_fixture" not in paired_text, "saving the solution notebook in JupyterLab must not edit its source"


def test_solution_notebook_keeps_every_source_cell(fixture_root):
    solution = nbformat.read(fixture_root / "solutions" / "01_fixture.ipynb", as_version=4)
    text = "\n".join(cell.source for cell in solution.cells)

    assert "# BEGIN SOLUTION\n    doubled_value = x + x" in text
    assert "two copies of x" in text


def test_generation_is_idempotent_and_check_passes(fixture_root, capsys):
    generated = sorted([*(fixture_root / "notebooks").iterdir(), fixture_root / "solutions" / "01_fixture.ipynb"])
    before = {path: path.read_bytes() for path in generated}
    capsys.readouterr()

    assert generate(fixture_root) == 0
    assert "wrote" not in capsys.readouterr().out
    assert {path: path.read_bytes() for path in generated} == before
    assert generate(fixture_root, "--check") == 0


def test_check_fails_on_an_unregenerated_edit_and_names_the_files(fixture_root, capsys):
    source = fixture_root / "solutions" / "01_fixture.py"
    source.write_text(source.read_text() + "\n# %%\nprint('one more cell')\n")

    assert generate(fixture_root, "--check") == 1

    err = capsys.readouterr().err
    assert "notebooks/01_fixture.ipynb" in err and "solutions/01_fixture.ipynb" in err
    assert "run make notebooks" in err


def test_stale_student_notebook_fails_check_and_is_removed_on_generate(fixture_root, capsys):
    stale = fixture_root / "notebooks" / "02_renamed.ipynb"
    stale.write_text("{}")

    assert generate(fixture_root, "--check") == 1
    assert "notebooks/02_renamed.ipynb: no source solutions/02_renamed.py" in capsys.readouterr().err
    assert generate(fixture_root) == 0
    assert not stale.exists()


def test_orphan_solution_notebook_fails_check_but_is_kept(fixture_root, capsys):
    orphan = fixture_root / "solutions" / "02_draft.ipynb"
    orphan.write_text("{}")

    assert generate(fixture_root, "--check") == 1
    assert "solutions/02_draft.ipynb: no source solutions/02_draft.py" in capsys.readouterr().err
    assert generate(fixture_root) == 0
    assert orphan.exists()


def test_a_broken_source_does_not_block_the_others(fixture_root, capsys):
    broken = fixture_root / "solutions" / "02_broken.py"
    shutil.copy(FIXTURES / "errors" / "near_miss_typo.py", broken)
    (fixture_root / "notebooks" / "01_fixture.py").unlink()

    assert generate(fixture_root) == 1

    assert "solutions/02_broken.py:3: near-miss" in capsys.readouterr().err
    assert (fixture_root / "notebooks" / "01_fixture.py").exists()
    assert not (fixture_root / "notebooks" / "02_broken.py").exists()


def test_named_notebooks_only_are_generated(fixture_root, capsys):
    shutil.copy(FIXTURES / "01_fixture.py", fixture_root / "solutions" / "02_copy.py")

    assert generate(fixture_root, "01_fixture") == 0
    assert not (fixture_root / "notebooks" / "02_copy.py").exists()
    assert generate(fixture_root, "02_copy.py") == 0
    assert (fixture_root / "notebooks" / "02_copy.py").exists()
    with pytest.raises(SystemExit, match="no solutions/<name>.py for: 03_missing"):
        generate(fixture_root, "03_missing")


def test_top_level_region_is_named_by_counter_and_tagged_to_raise(tmp_path):
    source = tmp_path / "01_top.py"
    source.write_text(
        "# %%\ndef f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION\n\n\n"
        "# %%\n# BEGIN SOLUTION\nanswer = f() + 1\n# END SOLUTION\n"
    )
    root = make_root(tmp_path / "repo", source)
    assert generate(root) == 0

    cells = nbformat.read(root / "notebooks" / "01_top.ipynb", as_version=4).cells
    assert cells[0].source.endswith('raise NotImplementedError("Exercise: f")')
    assert "raises-exception" not in cells[0].metadata.get("tags", [])
    assert cells[1].source == 'raise NotImplementedError("Exercise: 2")'
    assert cells[1].metadata["tags"] == ["raises-exception"]


def _store_fake_outputs(root: Path) -> None:
    """Give every code cell of the solution notebook an output, as `make solutions` would."""
    path = root / "solutions" / "01_fixture.ipynb"
    notebook = nbformat.read(path, as_version=4)
    for count, cell in enumerate((cell for cell in notebook.cells if cell.cell_type == "code"), start=1):
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"output {count}\n")]
        cell.execution_count = count
    notebook.metadata["language_info"] = {"name": "python"}
    path.write_text(generator.notebook_text(notebook))


def _stored_outputs(root: Path) -> list[str]:
    notebook = nbformat.read(root / "solutions" / "01_fixture.ipynb", as_version=4)
    return ["".join(o.get("text", "") for o in cell.outputs) for cell in notebook.cells if cell.cell_type == "code"]


def test_stored_outputs_are_allowed_and_kept_while_code_is_unchanged(fixture_root):
    _store_fake_outputs(fixture_root)
    kept = _stored_outputs(fixture_root)
    source = fixture_root / "solutions" / "01_fixture.py"
    source.write_text(source.read_text().replace("A tiny notebook", "A small notebook"))

    assert generate(fixture_root) == 0

    assert _stored_outputs(fixture_root) == kept
    assert generate(fixture_root, "--check") == 0
    notebook = nbformat.read(fixture_root / "solutions" / "01_fixture.ipynb", as_version=4)
    assert notebook.metadata.language_info == {"name": "python"}


def test_outputs_from_the_first_edited_code_cell_on_are_dropped(fixture_root):
    _store_fake_outputs(fixture_root)
    source = fixture_root / "solutions" / "01_fixture.py"
    source.write_text(source.read_text().replace("check_double(double)", "print(check_double(double))"))

    assert generate(fixture_root) == 0

    outputs = _stored_outputs(fixture_root)
    assert outputs[:2] == ["output 1\n", "output 2\n"]
    assert outputs[2:] == [""] * (len(outputs) - 2)


def test_magics_and_shell_lines_do_not_fail_the_syntax_check(tmp_path):
    source = tmp_path / "01_magic.py"
    source.write_text("# %%\n# %time total = 1\n# !ls\ndef f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION\n")
    root = make_root(tmp_path / "repo", source)

    assert generate(root) == 0
    assert "%time total = 1" in nbformat.read(root / "notebooks" / "01_magic.ipynb", as_version=4).cells[0].source


def _run_notebook(path: Path) -> str:
    """Execute a notebook in a fresh kernel; return all its stream output."""
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return "".join(output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", []))


@pytest.mark.slow
def test_student_notebook_runs_and_reports_not_implemented(fixture_root):
    printed = _run_notebook(fixture_root / "notebooks" / "01_fixture.ipynb")

    assert "double is not implemented yet." in printed
    assert "Counter.increment is not implemented yet." in printed


@pytest.mark.slow
def test_run_solutions_stores_passing_outputs_that_check_accepts(fixture_root):
    completed = subprocess.run(
        [sys.executable, "-m", "tools.run_solutions", "--root", str(fixture_root)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr

    printed = "".join(_stored_outputs(fixture_root))
    assert "double passed." in printed and "Counter passed." in printed
    assert generate(fixture_root, "--check") == 0


@pytest.mark.slow
def test_run_solutions_names_the_failing_cell_and_exits_nonzero(fixture_root):
    source = fixture_root / "solutions" / "01_fixture.py"
    source.write_text(source.read_text().replace("assert scaffold_total == 6", "assert scaffold_total == 7, 'off'"))

    completed = subprocess.run(
        [sys.executable, "-m", "tools.run_solutions", "--root", str(fixture_root), "01_fixture"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )

    assert completed.returncode == 1
    assert "FAILED 01_fixture.ipynb: cell 9 (solutions/01_fixture.py line 69" in completed.stderr
    assert "AssertionError: off" in completed.stderr


@pytest.mark.slow
def test_both_fixture_notebooks_pass_nbval_lax(fixture_root):
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax", "--nbval-current-env",
         "notebooks/01_fixture.ipynb", "solutions/01_fixture.ipynb"],
        cwd=fixture_root, capture_output=True, text=True, timeout=300,
    )

    assert completed.returncode == 0, completed.stdout[-3000:]
    code_cells = sum(
        cell.cell_type == "code"
        for name in ("notebooks", "solutions")
        for cell in nbformat.read(fixture_root / name / "01_fixture.ipynb", as_version=4).cells
    )
    assert f"{code_cells} passed" in completed.stdout


@pytest.mark.parametrize(
    "text, found",
    [("{UVA}", "{UVA}"), ("see {NMA_W1D5} here", "{NMA_W1D5}"), ("{{ title }}", "{{ title }}"),
     (r"$\mathrm{KL}$", None), ("$x^{T}$", None), ("$W_{IN}$", None), ("$\\frac{1}{2}$", None),
     ("a set {a, b}", None)],
)
def test_placeholder_pattern_finds_template_names_and_leaves_latex(text, found):
    match = generator.PLACEHOLDER_RE.search(text)
    assert (match.group() if match else None) == found


def test_no_template_placeholder_survives_in_any_generated_notebook():
    """Every markdown cell the course ships (student and solution notebooks) is free of `{NAME}` slots."""
    paths = sorted((REPO / "notebooks").glob("*.ipynb")) + sorted((REPO / "solutions").glob("*.ipynb"))
    assert paths
    leftovers = [
        f"{path.relative_to(REPO)}: {match.group()}"
        for path in paths
        for cell in nbformat.read(path, as_version=4).cells
        if cell.cell_type == "markdown"
        for match in generator.PLACEHOLDER_RE.finditer(cell.source)
    ]
    assert not leftovers, leftovers
