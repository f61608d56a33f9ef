"""Learning-rate schedules: the curves, what they do to training, and the range test.

Views (numbers in, a Figure out; nothing is computed here):

- ``draw_schedule_shapes(curves)``      η_t of several schedules on one axis;
- ``draw_schedule_run(run, reference)`` one run's η_t, its minibatch and validation losses, and a grey
                                        reference run (the same settings without warmup);
- ``draw_warmup_comparison(runs)``      minibatch losses of several runs side by side;
- ``draw_range_test(results, ranges)``  loss against learning rate, with the read-offs.

``schedule_demo`` wires a schedule menu, a peak learning rate (log scale), a warmup length and the
network (with LayerNorm or plain) to ``ScheduleExperiment``; settings already trained redraw from a
figure cache, new ones train with a progress bar.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from course_lib.experiments.schedules import (
    START_NORM,
    START_PEAK_LR,
    START_WARMUP_STEPS,
    ScheduleExperiment,
    ScheduleRun,
)
from course_lib.schedules import SCHEDULES, WARMUP_SCHEDULES
from course_lib.validation import parse_number
from course_lib.widgets._views import FigureCache, progress_bar
from course_lib.widgets.common import demo_interactive

NETWORKS = {"MLP + LayerNorm": "layer", "plain MLP": "none"}
DEFAULT_SCHEDULE = "warmup + cosine"
COLORS = {"constant": "tab:gray", "step decay": "tab:green", "cosine": "tab:blue", "warmup + cosine": "tab:red",
          "one-cycle": "tab:purple"}


def smooth(values: np.ndarray, window: int = 9) -> np.ndarray:
    """A centred running mean of ``values`` (NaN stays NaN), for readable minibatch-loss curves."""
    values = np.asarray(values, dtype=float)
    if len(values) < window:
        return values
    kernel = np.ones(window) / window
    padded = np.pad(values, window // 2, mode="edge")
    return np.convolve(padded, kernel, mode="valid")[: len(values)]


def draw_schedule_shapes(curves: dict[str, np.ndarray], title: str = "") -> Figure:
    """η_t against step t for each named curve: {name: (T,) array}."""
    fig = Figure(figsize=(8, 3.2))
    ax = fig.subplots()
    for name, curve in curves.items():
        ax.plot(np.arange(len(curve)), curve, color=COLORS.get(name), label=name, lw=1.8)
    ax.set(xlabel="step t", ylabel="learning rate η_t", title=title)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    return fig


def _describe(run: ScheduleRun) -> str:
    if run.diverged:
        finite = np.isfinite(run.train_loss)
        return f"diverged at step {int(finite.sum())}"
    return f"val. acc {run.final_val_acc:.1%}"


def draw_schedule_run(run: ScheduleRun, reference: ScheduleRun | None = None) -> Figure:
    """Left: η_t. Right: minibatch loss (smoothed over 9 steps, log scale) and validation loss (dots) of ``run``
    and, in grey, of ``reference``."""
    fig = Figure(figsize=(11, 3.6))
    ax_lr, ax_loss = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.4]})
    color = COLORS.get(run.schedule, "tab:red")
    for current, shade, label in ((reference, "tab:gray", "without warmup"), (run, color, "this run")):
        if current is None:
            continue
        steps = np.arange(1, len(current.train_loss) + 1)
        ax_lr.plot(np.arange(len(current.lr)), current.lr, color=shade, lw=1.6, label=label)
        ax_loss.plot(steps, smooth(current.train_loss), color=shade, lw=1.2, alpha=0.9,
                     label=f"{label}: minibatch loss ({_describe(current)})")
        ax_loss.plot(current.eval_steps, current.val_loss, "o", color=shade, ms=4, label=f"{label}: validation loss")
    ax_lr.set(xlabel="step", ylabel="learning rate", title=f"{run.schedule}, peak {run.peak_lr:.3g}")
    ax_lr.legend(fontsize=8)
    finite = np.concatenate([r.train_loss[np.isfinite(r.train_loss)] for r in (run, reference) if r is not None])
    top = min(float(finite.max()) if finite.size else 10.0, 100.0)
    ax_loss.set(xlabel="step", ylabel="loss", yscale="log", ylim=(0.2, max(3.0, top * 1.2)),
                title=f"network: {'LayerNorm' if run.norm == 'layer' else run.norm}, warmup {run.warmup_steps} steps")
    ax_loss.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig


def draw_warmup_comparison(runs: dict[str, ScheduleRun], title: str = "") -> Figure:
    """Minibatch loss (smoothed, log scale) of each labelled run on one axis."""
    fig = Figure(figsize=(9, 3.6))
    ax = fig.subplots()
    for (label, run), color in zip(runs.items(), ("tab:red", "tab:blue", "tab:orange", "tab:green"), strict=False):
        steps = np.arange(1, len(run.train_loss) + 1)
        linestyle = "-" if run.warmup_steps else "--"
        ax.plot(steps, smooth(run.train_loss), linestyle, color=color, lw=1.4, label=f"{label} ({_describe(run)})")
    ax.set(xlabel="step", ylabel="minibatch loss", yscale="log", ylim=(0.2, 200), title=title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def draw_range_test(results, good_ranges: dict[str, tuple[float, float]] | None = None) -> Figure:
    """Smoothed loss against learning rate (log scale) for each RangeTestResult; a dot at the minimum, a
    triangle at the suggested learning rate, and a shaded band for the good range found elsewhere."""
    fig = Figure(figsize=(11, 3.6))
    axes = np.atleast_1d(fig.subplots(1, len(results), sharey=True))
    for ax, result in zip(axes, results, strict=True):
        ax.semilogx(result.lrs, result.losses, color="tab:gray", alpha=0.35, lw=0.8, label="minibatch loss")
        ax.semilogx(result.lrs, result.smoothed, color="tab:blue", lw=1.8, label="smoothed")
        lowest = int(np.argmin(result.smoothed))
        ax.plot(result.min_loss_lr, result.smoothed[lowest], "o", color="black", label=f"minimum at {result.min_loss_lr:.2g}")
        suggested = int(np.argmin(np.abs(result.lrs - result.suggested_lr)))
        ax.plot(result.suggested_lr, result.smoothed[suggested], "v", color="tab:red", ms=8,
                label=f"suggested {result.suggested_lr:.2g}")
        if good_ranges and result.name in good_ranges:
            low, high = good_ranges[result.name]
            ax.axvspan(low, high, color="tab:green", alpha=0.15, label="best in notebook 04's scan")
        ax.set(xlabel="learning rate", title=result.name, ylim=(0, 4))
        ax.legend(fontsize=7, loc="upper left")
    axes[0].set_ylabel("loss")
    fig.tight_layout()
    return fig


def schedule_demo(data=None, experiment: ScheduleExperiment | None = None, schedule: str = DEFAULT_SCHEDULE,
                  peak_lr: float = START_PEAK_LR, warmup_steps: int = START_WARMUP_STEPS,
                  norm: str = START_NORM) -> widgets.interactive:
    """Schedule, peak learning rate (log slider), warmup steps and network → η_t and the losses of that run.

    ``data`` defaults to ``load_fashion_mnist()``; the experiment (with its cache) is ``ui.experiment``.
    The warmup slider is greyed out for schedules that do not warm up.
    """
    if experiment is None:
        if data is None:
            from course_lib.data import load_fashion_mnist

            data = load_fashion_mnist()
        experiment = ScheduleExperiment(data)
    figures = FigureCache()

    def show(schedule, peak_lr, warmup_steps, network):
        warm = int(parse_number(warmup_steps, "warmup steps", minimum=0, integer=True)) if schedule in WARMUP_SCHEDULES else 0
        key = experiment.key(schedule, peak_lr, warm, network)
        reference_key = experiment.key(schedule, peak_lr, 0, network) if warm else None
        with progress_bar(f"training: {schedule}, peak {float(peak_lr):.3g}") as on_step:
            run = experiment.run(*key, on_step=on_step)
            reference = experiment.run(*reference_key, on_step=on_step) if reference_key else None
        return figures.get((key, reference_key), lambda: draw_schedule_run(run, reference))

    schedule_menu = widgets.Dropdown(options=list(SCHEDULES), value=schedule, description="schedule")
    peak = widgets.FloatLogSlider(value=peak_lr, base=10, min=-4, max=0.5, step=0.25, description="peak lr",
                                  continuous_update=False, readout_format=".2g")
    warmup = widgets.IntSlider(value=warmup_steps, min=0, max=max(10, experiment.total_steps // 2), step=10,
                               description="warmup steps", continuous_update=False)
    network = widgets.ToggleButtons(options=list(NETWORKS.items()), value=norm, description="network")

    def grey_out_warmup(_change=None):
        warmup.disabled = schedule_menu.value not in WARMUP_SCHEDULES

    schedule_menu.observe(grey_out_warmup, names="value")
    grey_out_warmup()
    ui = demo_interactive(show, schedule=schedule_menu, peak_lr=peak, warmup_steps=warmup, network=network)
    ui.experiment = experiment
    return ui
