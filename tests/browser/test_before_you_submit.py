"""The "before you submit" cell in JupyterLab, as a student meets it: run an answer without saving → the
warning; save with Ctrl+S → the grade, the same points as the instructor's ``course-grade`` on that file.

A scratch copy of notebook 01 is served; only its set-up cells, one exercise cell and the last cell
run (no training). Autosave is switched off in the scratch JupyterLab settings, so the file on disk
changes only when the test presses Ctrl+S (JupyterLab's default autosaves every 120 s, which could save
the answer before the "unsaved" step and make the test depend on timing).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from course_lib import grade as grade_command

from .lab_driver import (
    CHROMIUM,
    CHROMIUM_ARGS,
    IDLE_STATUS,
    LabServer,
    copy_notebooks,
    open_notebook,
    require_browser,
)

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = "01_training_loop"
EXERCISE = "sgd_step"
ARTIFACTS = REPO / "test-artifacts" / "browser"
NO_AUTOSAVE = {"autosave": False}

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CELLS_JS = """
() => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  const found = [];
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    const course = cell.getMetadata('course') || {};
    found.push({type: cell.type, tags: cell.getMetadata('tags') || [], exercise: course.exercise || null});
  }
  return found;
}
"""

RUN_CELL_JS = """
async (index) => {
  const panel = window.jupyterapp.shell.currentWidget;
  panel.content.activeCellIndex = index;
  await window.jupyterapp.commands.execute('notebook:run-cell');
}
"""

SET_SOURCE_JS = """
([index, source]) => {
  window.jupyterapp.shell.currentWidget.content.model.cells.get(index).sharedModel.setSource(source);
}
"""

OUTPUT_TEXT_JS = """
(index) => {
  const cell = window.jupyterapp.shell.currentWidget.content.model.cells.get(index);
  const texts = [];
  for (let j = 0; j < cell.outputs.length; j++) {
    const output = cell.outputs.get(j).toJSON();
    if (output.output_type === 'error') texts.push(`ERROR ${output.ename}: ${output.evalue}`);
    else if (output.text) texts.push([].concat(output.text).join(''));
    else if (output.data && output.data['text/plain']) texts.push([].concat(output.data['text/plain']).join(''));
  }
  return texts.join('\\n');
}
"""

FOCUS_JS = "() => window.jupyterapp.shell.currentWidget.content.activate()"
OUTPUTS = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output"
DIRTY_JS = "() => window.jupyterapp.shell.currentWidget.context.model.dirty"


def run_cell(page, index: int, timeout_s: float = 120.0) -> None:
    """Run one cell and wait until the kernel is idle again."""
    page.evaluate(RUN_CELL_JS, index)
    page.get_by_text(IDLE_STATUS).first.wait_for(timeout=timeout_s * 1000)


def exercise_points(preview_text: str) -> dict[str, int]:
    """Exercise → points, from the preview's text lines ``   1/1  sgd_step: correct — …``."""
    return {match["exercise"]: int(match["points"])
            for match in re.finditer(r"^\s+(?P<points>\d+)/\d+(?:, [a-z ]+)?\s+(?P<exercise>\w+): ", preview_text,
                                     re.MULTILINE)}


def answer_source() -> str:
    """The solution notebook's cell for the exercise: a correct answer."""
    cells = json.loads((REPO / "solutions" / f"{NOTEBOOK}.ipynb").read_text(encoding="utf-8"))["cells"]
    (cell,) = [cell for cell in cells if cell.get("metadata", {}).get("course", {}).get("exercise") == EXERCISE]
    return "".join(cell["source"])


def test_unsaved_answer_is_warned_and_the_saved_one_gets_course_grades_points(tmp_path):
    require_browser()
    from playwright.sync_api import sync_playwright

    root = tmp_path / "root"
    copy_notebooks([REPO / "notebooks" / f"{NOTEBOOK}.ipynb"], root)
    settings = tmp_path / "lab-settings" / "@jupyterlab" / "docmanager-extension" / "plugin.jupyterlab-settings"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps(NO_AUTOSAVE))
    saved = root / f"{NOTEBOOK}.ipynb"
    with LabServer(root, tmp_path, extra_env={"COURSE_QUICK": "1"}) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(120_000)
            open_notebook(page, server, saved.name)
            cells = page.evaluate(CELLS_JS)
            setup = next(index for index, cell in enumerate(cells) if "grading-setup" in cell["tags"])
            exercise = next(index for index, cell in enumerate(cells) if cell["exercise"] == EXERCISE)
            last = len(cells) - 1
            assert cells[last]["type"] == "code"
            for index in range(setup + 1):
                if cells[index]["type"] == "code":
                    run_cell(page, index)
            page.evaluate(SET_SOURCE_JS, [exercise, answer_source()])
            run_cell(page, exercise)
            run_cell(page, last)
            unsaved = page.evaluate(OUTPUT_TEXT_JS, last)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "before-you-submit-unsaved.png"))
            assert unsaved.startswith(f"Warning: Your saved file is not what you ran: the cell of `{EXERCISE}` "
                                      "changed since you last saved. Save (Ctrl+S / Cmd+S)"), unsaved
            assert f"Grade of your saved file {saved.name} (not of what you ran)" in unsaved, unsaved
            assert exercise_points(unsaved)[EXERCISE] == 0, unsaved

            page.evaluate(FOCUS_JS)
            page.keyboard.press("Control+s")
            page.wait_for_function(f"() => !({DIRTY_JS})()", timeout=30_000)
            run_cell(page, last)
            graded = page.evaluate(OUTPUT_TEXT_JS, last)
            page.screenshot(path=str(ARTIFACTS / "before-you-submit-saved.png"))
            table = page.locator(f"{OUTPUTS} table[aria-labelledby]").last
            table_caption = page.locator(f"#{table.get_attribute('aria-labelledby')}").last.inner_text()
        finally:
            browser.close()
    assert "Warning" not in graded and graded.startswith(f"Grade of your saved file {saved.name}, as course-grade "
                                                         "will give it:"), graded
    assert table_caption == "Points per exercise in your saved file:"
    points = exercise_points(graded)
    assert points[EXERCISE] == 1, graded

    out = tmp_path / "grades"
    assert grade_command.main([str(saved), "--out", str(out), "-j", "1"]) == 0
    (row,) = json.loads((out / "grades.json").read_text(encoding="utf-8"))["rows"]
    assert points == {exercise: result["points"] for exercise, result in row["exercises"].items()}
    total = re.search(r"as course-grade will give it: (\d+)/(\d+) points", graded)
    assert (int(total[1]), int(total[2])) == (row["total"], row["max"])
