"""Drive JupyterLab in Debian's Chromium the way a student does, and report what they would see.

Pipeline:

1. ``LabServer``: start ``jupyter lab`` from the project's venv on a free localhost port, with
   scratch config/data/runtime dirs and a scratch copy of the notebooks (JupyterLab autosaves
   outputs into the files it opens); stop it by PID when done, whatever happened.
2. ``open_notebook``: load ``/lab/tree/<name>`` and wait for the status bar's
   ``Python 3 (ipykernel) | Idle``.
3. ``run_all_and_wait``: run every cell and wait until no cell is queued or running.
4. ``inspect_notebook``: error outputs of cells and tracebacks inside widget output areas
   (``CELL_STATE_JS``), widgets shown as their text repr and messages our demos print for bad input
   (``widget_problems``), and for every demo with an enabled slider: a plot, which changes when a
   slider moves by keyboard (``slider_demo_problems``); then screenshots, the widget one taken once
   its plot is painted, and again in JupyterLab's dark theme; axe-core's WCAG A/AA rules on the output areas (``tests/browser/axe.py``).

``require_browser`` skips the browser tests loudly when Chromium or Playwright is missing, and fails
them under CI.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path

from .axe import run_axe

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IDLE_STATUS = "Python 3 (ipykernel) | Idle"
WIDGET_TEXT_REPRS = ("interactive(children=", "Error displaying widget", "Loading widget...")
QUIET_LAB_PAGE_CONFIG = {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}
LIGHT_THEME, DARK_THEME = "JupyterLab Light", "JupyterLab Dark"
OUTPUT_AREAS = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output"
DEMO_MESSAGE_COLOR = "rgb(176, 0, 32)"  # course_lib.widgets.common.MESSAGE_STYLE (#b00020)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LabServer:
    """A JupyterLab server on 127.0.0.1 serving ``root_dir``; use as a context manager."""

    def __init__(self, root_dir: Path, scratch: Path, extra_env: dict[str, str] | None = None):
        self.root_dir = Path(root_dir)
        self.scratch = Path(scratch)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.scratch / "jupyterlab.log"
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        for name in ("config", "data", "runtime"):
            path = self.scratch / f"jupyter-{name}"
            path.mkdir(parents=True, exist_ok=True)
            env[f"JUPYTER_{name.upper()}_DIR"] = str(path)
        labconfig = self.scratch / "jupyter-config" / "labconfig"
        labconfig.mkdir(parents=True, exist_ok=True)
        (labconfig / "page_config.json").write_text(json.dumps(QUIET_LAB_PAGE_CONFIG))
        env["JUPYTERLAB_SETTINGS_DIR"] = str(self.scratch / "lab-settings")
        env["JUPYTERLAB_WORKSPACES_DIR"] = str(self.scratch / "lab-workspaces")
        env["IPYTHONDIR"] = str(self.scratch / "ipython")
        env.pop("MPLBACKEND", None)
        env.update(self.extra_env)
        return env

    def start(self, timeout_s: float = 90.0) -> LabServer:
        jupyter = Path(sys.executable).with_name("jupyter")
        command = [
            str(jupyter), "lab", "--allow-root", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
            "--IdentityProvider.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
            "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=",
            f"--ServerApp.root_dir={self.root_dir}",
        ]
        self.scratch.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "w")  # noqa: SIM115 - closed with the process in stop()
        self.process = subprocess.Popen(
            command, env=self._environment(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._log = log
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited early; see {self.log_path}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"JupyterLab did not answer within {timeout_s:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Stop the server and its kernels by process group; escalate to SIGKILL after 10 s."""
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(timeout=10)
        self._log.close()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def copy_notebooks(sources: list[Path], destination: Path) -> list[str]:
    """Copy notebooks into a scratch dir (JupyterLab autosaves into what it opens); return their names."""
    destination.mkdir(parents=True, exist_ok=True)
    for source in sources:
        shutil.copy2(source, destination / source.name)
    return [source.name for source in sources]


def open_notebook(page, server: LabServer, name: str, timeout_s: float = 120.0) -> None:
    page.goto(f"{server.url}/lab/tree/{name}?reset", wait_until="domcontentloaded")
    page.get_by_text(IDLE_STATUS).first.wait_for(timeout=timeout_s * 1000)


def current_notebook(page):
    """The notebook in the visible main-area tab."""
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").first


def shutdown_kernels(server: LabServer) -> None:
    """Stop every kernel the server runs, so the next notebook has the CPU to itself."""
    with urllib.request.urlopen(f"{server.url}/api/kernels", timeout=10) as response:
        kernels = json.load(response)
    for kernel in kernels:
        request = urllib.request.Request(f"{server.url}/api/kernels/{kernel['id']}", method="DELETE")
        urllib.request.urlopen(request, timeout=30).close()


def require_browser() -> None:
    """Skip loudly (a skip plus a warning in pytest's summary) without Chromium or Playwright on a
    laptop; under CI (``CI`` = 1/true/yes) a missing browser is a failure."""
    import pytest

    missing = [] if Path(CHROMIUM).exists() else [f"Chromium at {CHROMIUM}"]
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the Python package playwright")
    if not missing:
        return
    reason = f"BROWSER TEST NOT RUN: missing {', '.join(missing)} (apt-get install chromium)"
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(reason + " -- required under CI", pytrace=False)
    warnings.warn(reason, UserWarning, stacklevel=2)
    pytest.skip(reason)


CELL_STATE_JS = """
() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const cells = panel.content.model.cells;
  const state = {code: 0, executed: 0, errors: [], stderr: [], widget_errors: []};
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code') continue;
    state.code += 1;
    if (cell.executionCount !== null) state.executed += 1;
    for (let j = 0; j < cell.outputs.length; j++) {
      const output = cell.outputs.get(j).toJSON();
      if (output.output_type === 'error') {
        state.errors.push(`cell ${i}: ${output.ename}: ${output.evalue}`.slice(0, 300));
      } else if (output.output_type === 'stream' && output.name === 'stderr' && /Traceback/.test(output.text)) {
        state.stderr.push(`cell ${i}: ${String(output.text).slice(0, 300)}`);
      }
    }
  }
  // A widget's own output area (ipywidgets Output, e.g. inside interact) is not in the cell model:
  // read what it shows. An error there renders as stderr text with the traceback.
  const notebook = panel.content.node;
  const domCells = Array.from(notebook.querySelectorAll('.jp-Cell'));
  notebook.querySelectorAll('.widget-interact .jp-OutputArea-output, .widget-output .jp-OutputArea-output')
    .forEach(output => {
      const text = output.textContent || '';
      const stderr = output.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr';
      if (/Traceback/.test(text) || (stderr && /\\b\\w+(Error|Exception): /.test(text))) {
        const cell = domCells.indexOf(output.closest('.jp-Cell'));
        const last = text.trim().split('\\n').filter(line => line.trim()).pop() || '';
        const entry = `cell ${cell}: traceback inside a widget output: ${last}`.slice(0, 300);
        if (!state.widget_errors.includes(entry)) state.widget_errors.push(entry);
      }
    });
  state.busy = document.querySelectorAll('.jp-InputArea-prompt').length > 0 &&
    Array.from(document.querySelectorAll('.jp-InputArea-prompt')).some(p => p.textContent.includes('*'));
  return state;
}
"""


def run_all_and_wait(page, timeout_s: float = 300.0) -> dict:
    """Run every cell (not awaited, as a student clicking the menu) and wait until all have run."""
    page.evaluate("() => { void window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    deadline = time.monotonic() + timeout_s
    state = page.evaluate(CELL_STATE_JS)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        state = page.evaluate(CELL_STATE_JS)
        if state["errors"]:
            break
        if state["executed"] == state["code"] and not state["busy"]:
            if page.get_by_text(IDLE_STATUS).count() > 0:
                break
    else:
        state["errors"].append(
            f"timed out after {timeout_s:.0f} s with {state['executed']}/{state['code']} cells run"
        )
    return state


UNRENDERED_WIDGETS_JS = """
(markers) => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
  const found = [];
  panel.querySelectorAll('.jp-Cell').forEach((cell, index) => {
    const outputs = cell.querySelector('.jp-OutputArea');
    if (!outputs) return;
    for (const marker of markers) {
      if (outputs.innerText.includes(marker)) {
        const source = (cell.querySelector('.jp-InputArea') || cell).innerText.trim().split('\\n')[0];
        found.push(`cell ${index} (${source.slice(0, 60)}): '${marker}'`);
      }
    }
  });
  return found;
}
"""


def widget_problems(page, settle_s: float = 30.0) -> list[str]:
    """Widgets shown as text instead of rendered, and demo error messages on screen.

    A widget view says 'Loading widget...' for a moment while it is created, so a marker only
    counts when it is still there after ``settle_s`` seconds.
    """
    deadline = time.monotonic() + settle_s
    unrendered = page.evaluate(UNRENDERED_WIDGETS_JS, list(WIDGET_TEXT_REPRS))
    while unrendered and time.monotonic() < deadline:
        time.sleep(1.0)
        unrendered = page.evaluate(UNRENDERED_WIDGETS_JS, list(WIDGET_TEXT_REPRS))
    problems = [f"a widget was not rendered as a widget: {where}" for where in unrendered]
    for message in current_notebook(page).locator(".widget-interact .jp-RenderedHTMLCommon p").all():
        if message.evaluate("el => getComputedStyle(el).color") == DEMO_MESSAGE_COLOR:
            problems.append(f"a demo shows an error message: {message.inner_text()[:200]}")
    return problems


TAB_START_JS = """
(demo) => {
  const start = document.createElement('span');
  start.tabIndex = 0;
  start.className = 'course-tab-start';
  demo.parentElement.insertBefore(start, demo);
  start.focus();
}
"""


def tab_to(page, demo, handle, max_presses: int = 20) -> bool:
    """Keyboard only: focus a stop placed just before the demo, press Tab until ``handle`` has the focus;
    False when it never gets it. The stop is removed afterwards."""
    demo.evaluate(TAB_START_JS)
    try:
        for _ in range(max_presses):
            page.keyboard.press("Tab")
            if handle.evaluate("element => element === document.activeElement"):
                return True
        return False
    finally:
        page.evaluate("() => document.querySelectorAll('.course-tab-start').forEach(stop => stop.remove())")


def slider_demo_problems(page, timeout_s: float = 60.0) -> tuple[int, int, list[str]]:
    """Every interactive demo with an enabled slider must show a plot that a keyboard move redraws: the
    slider is reached with Tab from just before the demo, moved with an arrow key, and the redrawn plot
    keeps a text alternative.

    Returns (slider demos found, slider demos checked, problems); a slider demo without a plot is a
    problem, not a skip, so the two counts differ only when something is wrong.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    problems = []
    demos = current_notebook(page).locator(".widget-interact")
    found = checked = 0
    for index in range(demos.count()):
        demo = demos.nth(index)
        handles = demo.locator(".noUi-target:not([disabled]) .noUi-handle")
        if handles.count() == 0:
            continue
        found += 1
        demo.scroll_into_view_if_needed()
        images = demo.locator("img")
        try:
            images.first.wait_for(state="attached", timeout=timeout_s * 1000)
        except PlaywrightTimeout:
            problems.append(f"demo #{index + 1} has a slider but shows no plot")
            continue
        checked += 1
        before = images.first.get_attribute("src")
        handle = handles.first
        at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
        if not tab_to(page, demo, handle):
            problems.append(f"demo #{index + 1}: its first slider cannot be reached with the Tab key")
            continue
        page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
        deadline = time.monotonic() + timeout_s
        changed = False
        while time.monotonic() < deadline:
            current = images.first.get_attribute("src") if images.count() else None
            if current and current != before:
                changed = True
                break
            time.sleep(0.25)
        if not changed:
            problems.append(f"demo #{index + 1}: moving its first slider did not change the plot")
        elif len((images.first.get_attribute("alt") or "").strip()) < 8:
            problems.append(f"demo #{index + 1}: the redrawn plot has no text alternative")
    return found, checked, problems


PAINTED_JS = """
async (image) => {
  if (!image.complete || image.naturalWidth === 0) {
    try { await image.decode(); } catch (error) { return false; }
  }
  const box = image.getBoundingClientRect();
  if (box.width === 0 || box.height === 0 || box.bottom <= 0 || box.top >= window.innerHeight) return false;
  await new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  return true;
}
"""


def screenshot_first_widget(page, path: Path, timeout_s: float = 30.0) -> str | None:
    """Scroll the first demo with a plot into view and screenshot it once the plot is decoded and painted.

    After scrolling, JupyterLab needs a few frames to lay out and paint the cells it brings into
    view; a screenshot taken at once is sometimes blank. Demos without a plot get two frames.
    Returns a problem when the plot is still not painted after ``timeout_s`` (the screenshot is taken anyway).
    """
    notebook = current_notebook(page)
    with_plot = notebook.locator(".widget-interact:has(img)")
    demo = with_plot.first if with_plot.count() else notebook.locator(".widget-interact").first
    demo.scroll_into_view_if_needed()
    image = demo.locator("img").first
    problem = None
    if with_plot.count():
        deadline = time.monotonic() + timeout_s
        while True:
            image.scroll_into_view_if_needed()
            if image.is_visible() and image.evaluate(PAINTED_JS):
                break
            if time.monotonic() > deadline:
                problem = f"the first demo's plot was not painted within {timeout_s:.0f} s of scrolling to it"
                break
            time.sleep(0.25)
    else:
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.screenshot(path=str(path))
    return problem


@contextlib.contextmanager
def lab_theme(page, theme: str):
    """JupyterLab in ``theme`` (its own theme command) for the duration; the light theme again afterwards."""
    def switch(name: str) -> None:
        page.evaluate("name => window.jupyterapp.commands.execute('apputils:change-theme', {theme: name})", name)
        page.wait_for_function("name => document.body.dataset.jpThemeName === name", arg=name, timeout=30_000)

    switch(theme)
    try:
        yield
    finally:
        switch(LIGHT_THEME)


def inspect_notebook(page, server: LabServer, name: str, screenshot_dir: Path, slider_timeout_s: float = 45.0,
                     settle_s: float = 30.0) -> dict:
    """Open, run and inspect one notebook; returns counts and the list of problems found.

    ``axe`` lists axe-core's WCAG A/AA violations inside the notebook's output areas that
    site_src/A11Y.md does not list. ``slider_demos`` counts the demos with an enabled slider, ``sliders_checked`` those of them that
    showed a plot and were moved; tracebacks in widget outputs are read again after the slider moves.
    ``settle_s`` is how long a widget may still read 'Loading widget...' before it counts as unrendered.
    """
    open_notebook(page, server, name)
    state = run_all_and_wait(page)
    problems = state["errors"] + state["stderr"]
    problems += widget_problems(page, settle_s)
    widget_count = current_notebook(page).locator(".widget-interact").count()
    slider_demos, sliders_checked, slider_problems = slider_demo_problems(page, slider_timeout_s)
    problems += slider_problems
    widget_errors = list(dict.fromkeys(state["widget_errors"] + page.evaluate(CELL_STATE_JS)["widget_errors"]))
    problems += widget_errors
    axe = [str(violation) for violation in run_axe(page, "jupyterlab", include=OUTPUT_AREAS)]
    screenshot_dir.mkdir(parents=True, exist_ok=True)
    stem = Path(name).stem
    page.screenshot(path=str(screenshot_dir / f"{stem}.png"))
    if widget_count:
        painted_problem = screenshot_first_widget(page, screenshot_dir / f"{stem}-widget.png")
        problems += [painted_problem] if painted_problem else []
        with lab_theme(page, DARK_THEME):
            screenshot_first_widget(page, screenshot_dir / f"{stem}-dark-widget.png")
    return {"problems": problems, "axe": axe, "widgets": widget_count, "slider_demos": slider_demos,
            "sliders_checked": sliders_checked, "widget_errors": widget_errors,
            "cells": state["code"], "executed": state["executed"]}
