"""One setting holds the repository address: every badge and install line agrees with it, and
``make links REPO=owner/name`` (tools.links) moves all of them, without touching the stored outputs."""

from __future__ import annotations

import runpy
import shutil
import sys
from pathlib import Path

import nbformat

from tools import links
from tools import notebook_generator as generator

ROOT = Path(__file__).resolve().parent.parent


def test_every_repository_link_agrees_with_the_setting():
    expected = links.repository(ROOT)
    found = links.find_links(ROOT)
    kinds = {file.split("/")[0] for file, _, _ in found}
    assert {"README.md", "solutions", "notebooks"} <= kinds, kinds
    assert [(file, line, repo) for file, line, repo in found if repo != expected] == []


def copy_course(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    for name in ("solutions", "notebooks", "binder", "tools"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("README.md", "pyproject.toml"):
        shutil.copy(ROOT / name, root / name)
    return root


def test_rewriting_moves_every_link_and_keeps_the_notebooks_in_sync(tmp_path):
    root = copy_course(tmp_path)
    before = links.find_links(root)
    changed = links.rewrite_links(root, "a-teacher/their-fork")
    assert links.repository(root) == "a-teacher/their-fork"
    after = links.find_links(root)
    assert len(after) == len(before) and {repo for _, _, repo in after} == {"a-teacher/their-fork"}
    assert root / "pyproject.toml" in changed and root / "README.md" in changed
    assert generator.main(["--root", str(root)]) == 0
    assert generator.main(["--check", "--root", str(root)]) == 0
    stored = nbformat.read(root / "solutions" / "01_training_loop.ipynb", as_version=4)
    original = nbformat.read(ROOT / "solutions" / "01_training_loop.ipynb", as_version=4)
    outputs = [[cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"]
               for notebook in (stored, original)]
    assert outputs[0] == outputs[1], "regenerating after the rewrite dropped stored outputs"


def test_the_site_configuration_reads_the_setting_when_the_build_passes_none(tmp_path, monkeypatch):
    """A plain sphinx-build (no COURSE_SITE_REPOSITORY) links the fork's repository, not a hard-coded one."""
    root = copy_course(tmp_path)
    shutil.copytree(ROOT / "site_src", root / "site_src", ignore=shutil.ignore_patterns("node_modules", "__pycache__"))
    links.rewrite_links(root, "a-teacher/their-fork")
    monkeypatch.delenv("COURSE_SITE_REPOSITORY", raising=False)
    monkeypatch.setattr(sys, "path", list(sys.path))
    conf = runpy.run_path(str(root / "site_src" / "conf.py"))
    assert conf["html_theme_options"]["repository_url"] == "https://github.com/a-teacher/their-fork"
    old = links.repository(ROOT)
    assert not [path for path in (root / "site_src").rglob("*") if path.is_file() and old in path.read_text()]


def test_a_stale_link_is_reported(tmp_path, capsys, monkeypatch):
    root = copy_course(tmp_path)
    readme = root / "README.md"
    readme.write_text(readme.read_text() + "\n[Colab](https://colab.research.google.com/github/old/place/blob/main/x)\n")
    monkeypatch.setattr(links, "ROOT", root)
    assert links.main([]) == 1
    assert "links to old/place, the setting says" in capsys.readouterr().err


def test_links_to_other_repositories_are_left_alone(tmp_path):
    root = copy_course(tmp_path)
    readme = root / "README.md"
    readme.write_text(readme.read_text() + "\nSource: https://github.com/phlippe/uvadlc_notebooks\n")
    links.rewrite_links(root, "a-teacher/their-fork")
    assert "https://github.com/phlippe/uvadlc_notebooks" in readme.read_text()


def test_installed_javascript_packages_are_neither_checked_nor_rewritten(tmp_path):
    root = copy_course(tmp_path)
    package_readme = root / "site_src" / "node_modules" / "@jupyter" / "react-components" / "README.md"
    package_readme.parent.mkdir(parents=True)
    text = "[Binder](https://mybinder.org/v2/gh/jupyterlab-contrib/jupyter-ui-toolkit/main)\n"
    package_readme.write_text(text)
    assert not [file for file, _, _ in links.find_links(root) if "node_modules" in file]
    links.rewrite_links(root, "a-teacher/their-fork")
    assert package_readme.read_text() == text
