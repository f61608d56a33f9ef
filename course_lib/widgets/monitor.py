"""Watching training live: per-layer gradient norm, weight norm and update ratio, redrawn while a run trains.

- ``draw_monitor(record, title)``: four panels from a ``MonitorRecord`` (loss; ‖∇W_k‖; ‖W_k‖; ‖ΔW_k‖/‖W_k‖
  with the 10⁻³ rule of thumb shaded);
- ``LiveMonitorView``: the ``on_step`` callback of a training loop; it shows a tqdm progress bar and one
  image that it replaces (an IPython display handle) at most every ``refresh_s`` seconds, the first
  ``refresh_s`` after the run starts (a run that ends sooner is drawn once, when it ends), so a run of
  hundreds of steps leaves one figure and one bar in the notebook, never a stream of outputs. Outside a
  kernel (a script, a test) it draws nothing;
- ``watch_training(experiment, name, title)``: train one run of a ``MonitoringExperiment`` with a live view.
"""

from __future__ import annotations

import time

import numpy as np
from matplotlib.figure import Figure
from tqdm.auto import tqdm

from course_lib.figure_text import describe_figure
from course_lib.monitor import MonitorRecord
from course_lib.widgets.common import figure_png, in_ipython_kernel, png_bundle

RULE_OF_THUMB = 1e-3
REFRESH_S = 0.5


def draw_monitor(record: MonitorRecord, title: str = "", total_steps: int | None = None) -> Figure:
    """Loss, then one line per layer for gradient norm, weight norm and update ratio, against step (log scales)."""
    fig = Figure(figsize=(12, 3.0))
    axes = fig.subplots(1, 4)
    steps = np.arange(1, record.steps + 1)
    axes[0].plot(steps, record.loss, color="black", lw=1.0)
    axes[0].set(title="minibatch loss", yscale="log")
    panels = ((axes[1], record.grad_norm, "gradient norm ‖∇W_k‖"), (axes[2], record.weight_norm, "weight norm ‖W_k‖"),
              (axes[3], record.update_ratio, "update ratio ‖ΔW_k‖/‖W_k‖"))
    for ax, values, name in panels:
        for column, layer in enumerate(record.layer_names):
            ax.plot(steps, values[:, column] if len(values) else [], lw=1.0, label=layer)
        ax.set(title=name, yscale="log")
    axes[3].axhspan(RULE_OF_THUMB / 3, RULE_OF_THUMB * 3, color="tab:green", alpha=0.15, label="≈ 1e-3")
    axes[3].legend(fontsize=6, loc="upper left")
    for ax in axes:
        ax.set_xlabel("step")
        if total_steps:
            ax.set_xlim(0, total_steps)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.subplots_adjust(left=0.05, right=0.99, bottom=0.17, top=0.8, wspace=0.3)
    return fig


class LiveMonitorView:
    """``view(monitor, step, total)`` during training, ``view.close(record)`` after; see the module docstring."""

    def __init__(self, title: str, refresh_s: float = REFRESH_S, enabled: bool | None = None):
        self.title = title
        self.refresh_s = float(refresh_s)
        self.enabled = in_ipython_kernel() if enabled is None else enabled
        self.bar = None
        self.handle = None
        self.last_draw = -np.inf
        self.draws = 0

    def _show(self, record: MonitorRecord, total: int | None) -> None:
        from IPython.display import display

        fig = draw_monitor(record, self.title, total)
        data, metadata = png_bundle(figure_png(fig), describe_figure(fig))
        if self.handle is None:
            self.handle = display(data, metadata=metadata, raw=True, display_id=True)
        else:
            self.handle.update(data, metadata=metadata, raw=True)
        self.draws += 1
        self.last_draw = time.monotonic()

    def __call__(self, monitor, step: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            self.bar = tqdm(total=total, desc=self.title, unit="step", leave=True, mininterval=0.25)
            self.last_draw = time.monotonic()  # first picture after refresh_s: a shorter run shows only its final one
        self.bar.n = step
        self.bar.update(0)
        if time.monotonic() - self.last_draw >= self.refresh_s:
            self._show(monitor.record(), total)

    def close(self, record: MonitorRecord, total: int | None = None) -> None:
        """Draw the final state once (also when every step came from a cache) and close the progress bar."""
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.n = record.steps
            self.bar.close()
        self._show(record, total)


def watch_training(experiment, name: str, title: str | None = None, refresh_s: float = REFRESH_S) -> MonitorRecord:
    """Train run ``name`` of a ``MonitoringExperiment`` while a ``LiveMonitorView`` shows it; return its record."""
    view = LiveMonitorView(title or name, refresh_s)
    record = experiment.run(name, on_step=view)
    view.close(record, experiment.steps)
    return record
