"""What a student sees: every student notebook run in JupyterLab in a real browser.

For each notebook: no error output, widgets rendered as widgets, and for every slider demo a
keyboard move of a slider changes the plot. Screenshots go to ``test-artifacts/browser/``.
A fixture with a deliberately broken widget proves the inspection can fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .lab_driver import CHROMIUM, CHROMIUM_ARGS, LabServer, copy_notebooks, inspect_notebook, shutdown_kernels

REPO = Path(__file__).resolve().parents[2]
STUDENT_NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
FIXTURES = REPO / "tests" / "fixtures" / "browser"
ARTIFACTS = REPO / "test-artifacts" / "browser"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def require_browser() -> None:
    """Skip loudly without Chromium on a laptop; under CI a missing browser is a failure."""
    missing = [what for what, ok in (("Chromium at " + CHROMIUM, Path(CHROMIUM).exists()),) if not ok]
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the Python package playwright")
    if not missing:
        return
    reason = f"BROWSER TEST NOT RUN: missing {', '.join(missing)} (apt-get install chromium)"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(reason + " -- required under CI")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    require_browser()
    from playwright.sync_api import sync_playwright

    scratch = tmp_path_factory.mktemp("lab")
    root = scratch / "root"
    copy_notebooks(STUDENT_NOTEBOOKS + sorted(FIXTURES.glob("*.ipynb")), root)
    env = {"COURSE_QUICK": "1", "COURSE_CHECKPOINT_DIR": str(scratch / "checkpoints")}
    server = LabServer(root, scratch, extra_env=env)
    try:
        server.start()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield server, browser
            finally:
                browser.close()
    finally:
        server.stop()


def inspect(lab, name: str, slider_timeout_s: float = 45.0) -> dict:
    server, browser = lab
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(120_000)
    try:
        return inspect_notebook(page, server, name, ARTIFACTS, slider_timeout_s)
    finally:
        page.close()
        shutdown_kernels(server)


@pytest.mark.parametrize("notebook", [path.name for path in STUDENT_NOTEBOOKS])
def test_student_notebook_runs_and_its_widgets_respond(lab, notebook):
    report = inspect(lab, notebook)
    assert report["executed"] == report["cells"], report
    assert not report["problems"], f"{notebook}: " + "; ".join(report["problems"])


def test_a_working_widget_passes(lab):
    """The same inspection passes a fixture whose slider redraws its plot."""
    report = inspect(lab, "working_widget.ipynb")
    assert report["sliders_checked"] == 1 and not report["problems"], report


def test_a_broken_widget_is_caught(lab):
    report = inspect(lab, "broken_widget.ipynb", slider_timeout_s=10.0)
    assert report["sliders_checked"] == 1
    assert any("did not change the plot" in problem for problem in report["problems"]), report
