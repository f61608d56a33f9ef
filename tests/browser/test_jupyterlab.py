"""What a student sees: every student notebook run in JupyterLab in a real browser.

For each notebook: no error output (in cells or inside widget outputs), widgets rendered as widgets,
every demo with a slider shows a plot that the keyboard alone changes (Tab to the slider, an arrow
key, the redrawn plot keeps its text alternative), and axe-core finds no WCAG A/AA violation in the
output areas that site_src/A11Y.md does not list; the number of slider demos must be the one the
notebook has (``SLIDER_DEMOS``). Screenshots go to
``test-artifacts/browser/``. Fixtures with deliberately broken widgets prove the inspection can fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .lab_driver import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LabServer,
    copy_notebooks,
    inspect_notebook,
    require_browser,
    shutdown_kernels,
)

REPO = Path(__file__).resolve().parents[2]
STUDENT_NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
FIXTURES = REPO / "tests" / "fixtures" / "browser"
ARTIFACTS = REPO / "test-artifacts" / "browser"

# Demos with a slider and a plot, per student notebook (from notebooks/*.py and course_lib/widgets/):
# 01 weight_decay_demo; 02 init_explorer; 03 momentum_demo, surface_demo, overparameterization_demo;
# 04 compare_optimizers_demo (computation_cost_demo has a dropdown only, minibatch_demo text boxes);
# 05 schedule_demo, adamw_demo, clipping_demo, normalization_demo.
# A notebook missing here, or a count that changed, fails the test: update this table with the notebook.
SLIDER_DEMOS = {
    "01_training_loop.ipynb": 1,
    "02_initialization.ipynb": 1,
    "03_optimizers.ipynb": 3,
    "04_minibatch_and_training.ipynb": 1,
    "05_schedules_and_practice.ipynb": 4,
}

# How long the inspection waits on the broken fixtures for a plot, a redraw or a widget to render: their
# faults are permanent, so each wait runs out in full; a short one finds them as surely as a long one.
FIXTURE_WAIT_S = 2.0

pytestmark = [pytest.mark.browser, pytest.mark.slow]


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


def inspect(lab, name: str, slider_timeout_s: float = 45.0, settle_s: float = 30.0) -> dict:
    server, browser = lab
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(120_000)
    try:
        return inspect_notebook(page, server, name, ARTIFACTS, slider_timeout_s, settle_s)
    finally:
        page.close()
        shutdown_kernels(server)


@pytest.mark.parametrize("notebook", [path.name for path in STUDENT_NOTEBOOKS])
def test_student_notebook_runs_and_its_widgets_respond(lab, notebook):
    report = inspect(lab, notebook)
    assert report["executed"] == report["cells"], report
    assert not report["problems"], f"{notebook}: " + "; ".join(report["problems"])
    assert not report["axe"], f"{notebook}: axe-core, not listed in site_src/A11Y.md:\n" + "\n".join(report["axe"])
    assert notebook in SLIDER_DEMOS, f"add {notebook} to SLIDER_DEMOS"
    assert report["slider_demos"] == SLIDER_DEMOS[notebook], report
    assert report["sliders_checked"] == report["slider_demos"], report


def test_a_working_widget_passes(lab):
    """The same inspection passes a fixture whose slider redraws its plot."""
    report = inspect(lab, "working_widget.ipynb")
    assert report["slider_demos"] == report["sliders_checked"] == 1 and not report["problems"], report


def test_a_plot_without_a_text_alternative_is_caught(lab):
    """The same slider demo drawn by plain matplotlib (no course description): its redrawn plot has no alt."""
    report = inspect(lab, "undescribed_widget.ipynb", slider_timeout_s=FIXTURE_WAIT_S, settle_s=FIXTURE_WAIT_S)
    assert report["sliders_checked"] == 1
    assert "demo #1: the redrawn plot has no text alternative" in report["problems"], report
    assert any(violation.startswith("image-alt") for violation in report["axe"]), report


def test_a_broken_widget_is_caught(lab):
    report = inspect(lab, "broken_widget.ipynb", slider_timeout_s=FIXTURE_WAIT_S, settle_s=FIXTURE_WAIT_S)
    assert report["sliders_checked"] == 1
    assert any("did not change the plot" in problem for problem in report["problems"]), report


def test_unrenderable_widgets_and_tracebacks_in_widget_outputs_are_caught(lab):
    """A widget view whose model is missing, and a demo whose callback raises (traceback in its output)."""
    report = inspect(lab, "widget_errors.ipynb", slider_timeout_s=FIXTURE_WAIT_S, settle_s=FIXTURE_WAIT_S)
    problems = "; ".join(report["problems"])
    assert "a widget was not rendered as a widget" in problems and "Error displaying widget" in problems, report
    assert any("traceback inside a widget output" in error and "ValueError: no plot for frequency" in error
               for error in report["widget_errors"]), report
    assert report["slider_demos"] == 1 and report["sliders_checked"] == 0, report
    assert "demo #1 has a slider but shows no plot" in problems, report
