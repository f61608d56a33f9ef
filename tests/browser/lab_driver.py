"""Drive JupyterLab in Debian's Chromium the way a student does, and report what they would see.

Pipeline:

1. ``LabServer``: start ``jupyter lab`` from the project's venv on a free localhost port, with
   scratch config/data/runtime dirs and a scratch copy of the notebooks (JupyterLab autosaves
   outputs into the files it opens); stop it by PID when done, whatever happened.
2. ``open_notebook``: load ``/lab/tree/<name>`` and wait for the status bar's
   ``Python 3 (ipykernel) | Idle``.
3. ``run_all_and_wait``: run every cell and wait until no cell is queued or running.
4. ``find_problems``: error outputs, widgets shown as their text repr, messages our demos print
   for bad input, and slider demos whose plot does not change when a slider moves by keyboard.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

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


CELL_STATE_JS = """
() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const cells = panel.content.model.cells;
  const state = {code: 0, executed: 0, errors: [], stderr: []};
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


def slider_demo_problems(page, timeout_s: float = 60.0) -> tuple[int, list[str]]:
    """For each interactive demo with a slider and a plot: move a slider by keyboard, expect a new plot."""
    problems = []
    demos = current_notebook(page).locator(".widget-interact")
    checked = 0
    for index in range(demos.count()):
        demo = demos.nth(index)
        handles = demo.locator(".noUi-target:not([disabled]) .noUi-handle")
        images = demo.locator("img")
        if handles.count() == 0 or images.count() == 0:
            continue
        checked += 1
        demo.scroll_into_view_if_needed()
        before = images.first.get_attribute("src")
        handle = handles.first
        at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
        handle.focus()
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
    return checked, problems


def inspect_notebook(page, server: LabServer, name: str, screenshot_dir: Path, slider_timeout_s: float = 45.0) -> dict:
    """Open, run and inspect one notebook; returns counts and the list of problems found."""
    open_notebook(page, server, name)
    state = run_all_and_wait(page)
    problems = state["errors"] + state["stderr"]
    problems += widget_problems(page)
    widget_count = current_notebook(page).locator(".widget-interact").count()
    sliders_checked, slider_problems = slider_demo_problems(page, slider_timeout_s)
    problems += slider_problems
    screenshot_dir.mkdir(parents=True, exist_ok=True)
    stem = Path(name).stem
    page.screenshot(path=str(screenshot_dir / f"{stem}.png"))
    first_widget = current_notebook(page).locator(".widget-interact").first
    if widget_count:
        first_widget.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot_dir / f"{stem}-widget.png"))
    return {"problems": problems, "widgets": widget_count, "sliders_checked": sliders_checked,
            "cells": state["code"], "executed": state["executed"]}
