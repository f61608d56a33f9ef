"""The README's list of papers is generated from the notebooks' References cells and kept current."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tools import references

REPO = Path(__file__).resolve().parent.parent

SOURCE = """# %% [markdown]
# # 07 · A fixture

# %%
x = 1

# %% [markdown]
# ## References
#
# * Polyak, B. T. (1964). Some methods of speeding up the convergence of iteration methods. *USSR
#   Computational Mathematics and Mathematical Physics* 4(5).
# - Cochran, W. G. (1977). *Sampling Techniques*, Wiley.
#
# The README lists all sources.
"""


def make_root(tmp_path: Path, readme: str) -> Path:
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "07_fixture.py").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "README.md").write_text(readme, encoding="utf-8")
    return tmp_path


def test_the_readme_lists_exactly_the_notebooks_references():
    assert references.update_readme(REPO, check=True), "run python -m tools.references"


def test_every_paper_the_issue_found_missing_is_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split(references.START)[1].split(references.END)[0]
    for name in ("LeCun", "Bottou", "Polyak", "Sutskever", "Tieleman", "Nocedal", "Dinh", "Parikh", "Cochran"):
        assert name in section, name
    notebook_04 = section.split("### 04")[1].split("### 05")[0]
    assert "Goyal" in notebook_04 and "Neuromatch" in notebook_04
    notebook_01 = section.split("### 01")[1].split("### 02")[0]
    assert "Neuromatch" in notebook_01 and "Loshchilov" in notebook_01


def test_bullets_are_joined_and_the_paragraph_after_the_list_is_left_out(tmp_path):
    root = make_root(tmp_path, "")
    entries = references.notebook_references(root / "solutions" / "07_fixture.py")
    assert entries == [
        "Polyak, B. T. (1964). Some methods of speeding up the convergence of iteration methods. *USSR "
        "Computational Mathematics and Mathematical Physics* 4(5).",
        "Cochran, W. G. (1977). *Sampling Techniques*, Wiley.",
    ]


def test_a_stale_readme_is_found_and_then_rewritten(tmp_path, capsys):
    root = make_root(tmp_path, f"# Course\n\n{references.START}\n- an old entry\n{references.END}\n\nLicence.\n")
    assert references.main(["--root", str(root), "--check"]) == 1
    assert "out of date" in capsys.readouterr().err
    assert references.main(["--root", str(root)]) == 0
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "an old entry" not in readme and "### 07 · A fixture\n\n- Polyak" in readme
    assert readme.endswith(f"{references.END}\n\nLicence.\n")
    assert references.main(["--root", str(root), "--check"]) == 0


@pytest.mark.parametrize("readme", ["# no markers\n", f"{references.END}\n{references.START}\n"])
def test_a_readme_without_the_markers_gets_one_line(tmp_path, capsys, readme):
    root = make_root(tmp_path, readme)
    assert references.main(["--root", str(root), "--check"]) == 1
    message = capsys.readouterr().err.strip()
    assert len(message.splitlines()) == 1 and "must hold one line" in message


def test_a_source_without_references_is_named(tmp_path, capsys):
    root = make_root(tmp_path, f"{references.START}\n{references.END}\n")
    shutil.copy(root / "solutions" / "07_fixture.py", root / "solutions" / "08_other.py")
    (root / "solutions" / "08_other.py").write_text("# %% [markdown]\n# # 08 · Other\n", encoding="utf-8")
    assert references.main(["--root", str(root)]) == 1
    assert "08_other.py: no markdown cell with a '## References' heading" in capsys.readouterr().err
