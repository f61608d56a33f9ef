"""The suite's xdist scheduler: the website files share a worker, the slowest units go out first."""

from __future__ import annotations

from pathlib import Path

from tests.xdist_schedule import SLOWEST_FIRST, WEBSITE_FILES, WEBSITE_UNIT, CourseScheduling, unit_rank

REPO = Path(__file__).resolve().parents[2]


def test_every_unit_named_slowest_exists():
    named = [unit for unit in SLOWEST_FIRST if unit != WEBSITE_UNIT] + sorted(WEBSITE_FILES)
    assert [unit for unit in named if not (REPO / unit).is_file()] == []


def test_the_website_files_are_one_unit_and_other_files_their_own():
    split = CourseScheduling._split_scope
    assert {split(None, f"{path}::test_x") for path in WEBSITE_FILES} == {WEBSITE_UNIT}
    assert split(None, "tests/test_links.py::test_x") == "tests/test_links.py"


def test_slowest_units_then_notebooks_then_the_rest():
    units = ["tests/unit/test_data.py", "solutions/02_initialization.ipynb", "tests/test_random_state.py",
             "tests/browser/test_jupyterlab.py"]
    assert sorted(units, key=unit_rank) == ["tests/browser/test_jupyterlab.py", "tests/test_random_state.py",
                                            "solutions/02_initialization.ipynb", "tests/unit/test_data.py"]
