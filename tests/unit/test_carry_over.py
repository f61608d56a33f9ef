"""course_lib.carry_over: an answer saved in one notebook is reloaded, re-checked and used in a later one.

Cells are simulated the way IPython runs them: the code is compiled under a made-up file name whose
lines are registered in ``linecache``, in a namespace called ``__main__`` with no file. One slow test
runs the real thing in two Jupyter kernels.
"""

from __future__ import annotations

import linecache
import textwrap

import nbformat
import pytest

from course_lib.carry_over import exercise_path, find_source, load_passed, save_passed
from course_lib.checks import check_adam
from course_lib.optimizers import Adam as ReferenceAdam
from tests.solution_source import class_source

NOTEBOOK_03_ADAM = ("import torch\nfrom course_lib.optimizers import CourseOptimizer\n\n"
                    + class_source("03_optimizers", "Adam"))


def run_cells(*cells: str) -> dict:
    """Run source cells like a kernel does: one fake file per cell in linecache, a namespace named __main__."""
    namespace: dict = {"__name__": "__main__"}
    for number, cell in enumerate(cells):
        text = textwrap.dedent(cell)
        filename = f"/tmp/ipykernel_0/cell-{id(namespace)}-{number}.py"
        linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
        exec(compile(text, filename, "exec"), namespace)
    return namespace


def check_double(function) -> bool:
    passed = all(function(x) == 2 * x for x in (-3, 0, 5))
    print("double: correct" if passed else "double: not right yet — it does not double")
    return passed


def reference_double(x):
    return 2 * x


def said(capsys) -> str:
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_a_class_from_a_cell_round_trips(tmp_checkpoint_dir, capsys):
    namespace = run_cells(NOTEBOOK_03_ADAM)
    student_adam = namespace["Adam"]
    assert check_adam(student_adam)
    capsys.readouterr()
    save_passed("Adam", student_adam, True)
    assert capsys.readouterr().out == ""
    saved = exercise_path("Adam").read_text()
    assert "from course_lib.optimizers import CourseOptimizer" in saved and "import torch" in saved
    loaded = load_passed("Adam", check_adam, ReferenceAdam, where="notebook 03")
    assert "Using your Adam from notebook 03" in said(capsys)
    assert loaded is not ReferenceAdam and loaded is not student_adam and loaded.__name__ == "Adam"


def test_a_function_with_its_helpers_and_constants_round_trips(tmp_checkpoint_dir, capsys):
    namespace = run_cells("""
        import numpy as np
        FACTOR = 2
        def scale(x):
            return np.multiply(x, FACTOR)
        """, """
        def double(x):
            return int(scale(x))
        """)
    save_passed("double", namespace["double"], True)
    saved = exercise_path("double").read_text()
    assert "import numpy as np" in saved and "FACTOR = 2" in saved and "def scale" in saved
    loaded = load_passed("double", check_double, reference_double)
    assert "Using your double" in said(capsys)
    assert loaded(21) == 42 and loaded is not reference_double


def test_the_class_block_is_the_one_that_defined_the_class(tmp_checkpoint_dir):
    namespace = run_cells("""
        class Thing:
            def value(self):
                return 1


        class Thing:
            def value(self):
                return 2
        """)
    source = find_source(namespace["Thing"])
    assert "return 2" in source and "return 1" not in source and source.startswith("class Thing")


def test_missing_file_gives_the_reference_and_says_why(tmp_checkpoint_dir, capsys):
    assert load_passed("double", check_double, reference_double) is reference_double
    line = said(capsys)
    assert "course_lib's reference_double" in line and "no saved answer" in line


def test_corrupt_file_gives_the_reference_and_says_why(tmp_checkpoint_dir, capsys):
    path = exercise_path("double")
    path.parent.mkdir(parents=True)
    path.write_text("def double(x:\n    return 2 * x\n")
    assert load_passed("double", check_double, reference_double) is reference_double
    assert "does not run (SyntaxError" in said(capsys)


def test_an_answer_that_no_longer_passes_gives_the_reference(tmp_checkpoint_dir, capsys):
    path = exercise_path("double")
    path.parent.mkdir(parents=True)
    path.write_text("def double(x):\n    return x + 2\n")
    assert load_passed("double", check_double, reference_double) is reference_double
    line = said(capsys)
    assert "no longer passes its check" in line and "does not double" in line


def test_a_file_without_the_name_or_a_broken_check_never_raises(tmp_checkpoint_dir, capsys):
    path = exercise_path("double")
    path.parent.mkdir(parents=True)
    path.write_text("def triple(x):\n    return 3 * x\n")
    assert load_passed("double", check_double, reference_double) is reference_double
    assert "defines no double" in said(capsys)
    path.write_text("def double(x):\n    return 2 * x\n")

    def broken_check(function):
        raise RuntimeError("the check itself is broken")

    assert load_passed("double", broken_check, reference_double) is reference_double
    assert "loading it failed (RuntimeError" in said(capsys)


def test_a_failed_check_removes_an_older_passing_answer(tmp_checkpoint_dir, capsys):
    namespace = run_cells("def double(x):\n    return 2 * x\n")
    save_passed("double", namespace["double"], True)
    assert exercise_path("double").exists()
    save_passed("double", namespace["double"], False)
    assert not exercise_path("double").exists()
    assert capsys.readouterr().out == ""


def test_saving_something_without_source_prints_one_line_and_never_raises(tmp_checkpoint_dir, capsys):
    save_passed("length", len, True)
    assert "Could not save your length" in said(capsys)
    assert not exercise_path("length").exists()


@pytest.mark.slow
def test_in_real_kernels_notebook_03_saves_and_notebook_05_loads(tmp_checkpoint_dir):
    from nbclient import NotebookClient

    def execute(cells: list[str]) -> list[str]:
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell) for cell in cells])
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        NotebookClient(notebook, kernel_name="python3", timeout=120).execute()
        return ["".join(output.get("text", "") for output in cell.outputs) for cell in notebook.cells]

    saving = execute([NOTEBOOK_03_ADAM,
                      "import inspect\ntry:\n    inspect.getsource(Adam)\n    print('getsource works')\n"
                      "except (OSError, TypeError):\n    print('getsource fails')",
                      "from course_lib.checks import check_adam\nfrom course_lib.carry_over import save_passed\n"
                      "adam_works = check_adam(Adam)\nsave_passed('Adam', Adam, adam_works)"])
    assert saving[2].startswith("Adam: correct") and saving[2].count("\n") == 1, saving
    loading = execute(["from course_lib.carry_over import load_passed\nfrom course_lib.checks import check_adam\n"
                       "from course_lib.optimizers import Adam as ReferenceAdam\n"
                       "Adam = load_passed('Adam', check_adam, ReferenceAdam, where='notebook 03')\n"
                       "print(Adam is ReferenceAdam)"])
    assert loading[0] == "Using your Adam from notebook 03 (it passes its check again).\nFalse\n", loading
