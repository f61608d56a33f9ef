"""Binder and Colab: the environments students open the course in without installing anything."""

from __future__ import annotations

import json
import os
import re
import shutil
import site
import subprocess
import sys
import types
from pathlib import Path

import pytest

from tools import links

REPO = Path(__file__).resolve().parents[1]
BINDER = REPO / "binder"
REPO_URL = f"https://github.com/{links.repository()}"
STUDENT_NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
ALL_NOTEBOOKS = STUDENT_NOTEBOOKS + sorted((REPO / "solutions").glob("*.ipynb"))


def pinned_packages(path: Path) -> dict[str, str]:
    """{normalized name: version} for the ``name==version`` lines of a requirements file."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*==\s*([^\s;]+)", line)
        if match:
            pins[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return pins


def public_version(version: str) -> str:
    """'2.14.1+cpu' -> '2.14.1': a local build tag does not change the release."""
    return version.split("+", 1)[0]


def test_binder_installs_the_same_packages_at_compatible_versions():
    course = pinned_packages(REPO / "requirements.txt")
    binder = pinned_packages(BINDER / "requirements.txt")
    assert sorted(binder) == sorted(course), "binder/requirements.txt and requirements.txt list different packages"
    for name, version in course.items():
        assert public_version(binder[name]) == version, f"{name}: binder has {binder[name]}, course has {version}"


def test_binder_uses_cpu_torch_and_installs_course_lib_from_the_repo():
    text = (BINDER / "requirements.txt").read_text()
    assert "download.pytorch.org/whl/cpu" in text
    assert pinned_packages(BINDER / "requirements.txt")["torch"].endswith("+cpu")
    assert re.search(r"^-e \.$", text, re.MULTILINE), "course_lib must be installed from the repository"
    assert re.fullmatch(r"python-3\.\d+\s*", (BINDER / "runtime.txt").read_text())
    post_build = (BINDER / "postBuild").read_text()
    assert post_build.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in post_build
    assert os.access(BINDER / "postBuild", os.X_OK)


@pytest.mark.slow
def test_postbuild_runs_in_a_scratch_venv_with_the_data_present(tmp_path):
    """postBuild succeeds in a fresh venv (seeing the project's packages), leaves paired notebooks, and fills the
    cache with the reference runs the result store lacks (in quick mode here: notebook 04's three optimizer runs)."""
    from course_lib.data import prepare_fashion_mnist

    assert STUDENT_NOTEBOOKS, "notebooks/ holds no student notebook: run make notebooks"
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    venv_site = next((venv / "lib").glob("python3*/site-packages"))
    project_site = site.getsitepackages()[0]
    (venv_site / "course_env.pth").write_text(f"import site; site.addsitedir({project_site!r})\n")

    checkout = tmp_path / "checkout"
    shutil.copytree(REPO / "binder", checkout / "binder")
    shutil.copytree(REPO / "notebooks", checkout / "notebooks")
    shutil.copytree(REPO / "tools", checkout / "tools")
    data, cache = tmp_path / "data", tmp_path / "saved_models"
    prepare_fashion_mnist(root=data)
    env = dict(os.environ, COURSE_DATA_DIR=str(data), COURSE_CHECKPOINT_DIR=str(cache), COURSE_QUICK="1",
               PATH=f"{venv / 'bin'}:{os.environ['PATH']}")
    result = subprocess.run(
        ["bash", "binder/postBuild"], cwd=checkout, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for notebook in sorted((checkout / "notebooks").glob("*.ipynb")):
        formats = json.loads(notebook.read_text())["metadata"].get("jupytext", {}).get("formats", "")
        assert "py:percent" in formats, f"{notebook.name} is not paired with a .py file"
    assert sorted(path.name for path in cache.glob("*.json")) == [
        "nb04_Adam_quick.json", "nb04_SGD_momentum_quick.json", "nb04_SGD_quick.json"]


def colab_cell(notebook: Path) -> str:
    cells = json.loads(notebook.read_text())["cells"]
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    return "".join(code[0]["source"]) if code else ""


@pytest.mark.parametrize("notebook", ALL_NOTEBOOKS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_each_notebook_opens_in_colab_and_starts_with_the_install_cell(notebook):
    cells = json.loads(notebook.read_text())["cells"]
    first = "".join(cells[0]["source"])
    link = f"colab.research.google.com/github/{REPO_URL.split('github.com/')[1]}/blob/main/notebooks/{notebook.name}"
    assert cells[0]["cell_type"] == "markdown" and link in first, f"{notebook.name}: no Open-in-Colab link to itself"
    assert "google.colab" in colab_cell(notebook), f"{notebook.name}: the first code cell is not the Colab set-up"


def test_every_notebook_uses_the_same_install_cell():
    assert ALL_NOTEBOOKS, "no notebooks: run make notebooks"
    assert len({colab_cell(notebook) for notebook in ALL_NOTEBOOKS}) == 1


def run_install_cell(source: str, monkeypatch, on_colab: bool):
    """Execute the install cell with subprocess.run and Colab's output module replaced by recorders."""
    calls = {"pip": [], "widget_manager": 0}

    def fake_run(command, **kwargs):
        calls["pip"].append(command)
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(subprocess, "run", fake_run)
    if on_colab:
        colab = types.ModuleType("google.colab")
        colab.output = types.SimpleNamespace(
            enable_custom_widget_manager=lambda: calls.__setitem__("widget_manager", calls["widget_manager"] + 1)
        )
        google = types.ModuleType("google")
        google.colab = colab
        monkeypatch.setitem(sys.modules, "google", google)
        monkeypatch.setitem(sys.modules, "google.colab", colab)
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(source, "<colab-cell>", "exec"), {})
    return calls


def test_install_cell_does_nothing_outside_colab(monkeypatch):
    assert ALL_NOTEBOOKS, "no notebooks: run make notebooks"
    calls = run_install_cell(colab_cell(ALL_NOTEBOOKS[0]), monkeypatch, on_colab=False)
    assert calls == {"pip": [], "widget_manager": 0}


def test_install_cell_on_colab_installs_course_lib_and_enables_widgets(monkeypatch):
    assert ALL_NOTEBOOKS, "no notebooks: run make notebooks"
    calls = run_install_cell(colab_cell(ALL_NOTEBOOKS[0]), monkeypatch, on_colab=True)
    assert len(calls["pip"]) == 1 and "install" in calls["pip"][0]
    assert any(REPO_URL in str(part) and "course_lib" in str(part) for part in calls["pip"][0])
    assert calls["widget_manager"] == 1


def test_jupyterlab_asks_no_news_question_in_the_course_environment():
    """make lab and Binder install binder/overrides.json, which turns the news prompt off."""
    overrides = json.loads((BINDER / "overrides.json").read_text())
    notification = overrides["@jupyterlab/apputils-extension:notification"]
    assert notification["fetchNews"] == "false" and notification["checkForUpdates"] is False
    installed = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    assert installed.is_file(), f"make setup did not install {installed}"
    assert json.loads(installed.read_text()) == overrides
    assert "binder/overrides.json" in (BINDER / "postBuild").read_text()
