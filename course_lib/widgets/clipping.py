"""Gradient clipping: the same overshooting run with and without clipping, a max-norm slider.

``draw_clipping(run, unclipped)`` draws the minibatch loss of both runs and their gradient norms (measured
before clipping) with the threshold; ``clipping_demo`` puts max_norm on a slider ("off" included). The run
without clipping is trained when the demo is built; each max_norm the first time it is chosen (with a
progress bar), then redrawn from a cache.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from course_lib.experiments.clipping import ClippingExperiment, ClipRun
from course_lib.widgets._views import FigureCache, progress_bar
from course_lib.widgets.common import demo_interactive
from course_lib.widgets.frames import SiteFrames

MAX_NORMS = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
START_MAX_NORM = 3.0


def _label(run: ClipRun) -> str:
    what = "no clipping" if run.max_norm is None else f"clipped at {run.max_norm:g}"
    if run.diverged:
        return f"{what}: diverged at step {run.diverged_at}"
    return f"{what}: val. acc {run.val_acc:.1%}"


def draw_clipping(run: ClipRun, unclipped: ClipRun) -> Figure:
    """Left: minibatch loss per step (log scale). Right: gradient norm before clipping, and max_norm."""
    fig = Figure(figsize=(11, 3.6))
    ax_loss, ax_norm = fig.subplots(1, 2)
    shown = ((unclipped, "tab:gray"),) if run.max_norm is None else ((unclipped, "tab:gray"), (run, "tab:red"))
    for current, color in shown:
        steps = np.arange(1, len(current.train_loss) + 1)
        ax_loss.plot(steps, current.train_loss, color=color, lw=1.0, label=_label(current))
        ax_norm.plot(steps, current.grad_norm, color=color, lw=1.0, label=_label(current))
    if run.max_norm is not None:
        ax_norm.axhline(run.max_norm, color="black", ls="--", lw=1.0,
                        label=f"max_norm = {run.max_norm:g} ({run.clipped_fraction():.0%} of steps clipped)")
    ax_loss.set(xlabel="step", ylabel="minibatch loss", yscale="log", ylim=(0.2, 2000),
                title="loss (a diverged run stops)")
    ax_norm.set(xlabel="step", ylabel="‖g‖ before clipping", yscale="log", title="gradient norm")
    ax_loss.legend(fontsize=8, loc="upper right")
    ax_norm.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig


def clipping_demo(data=None, experiment: ClippingExperiment | None = None,
                  max_norm: float | None = START_MAX_NORM) -> widgets.interactive:
    """A max_norm slider ("off", 0.1 … 100) → the run with that clipping next to the run without.

    ``data`` defaults to ``load_fashion_mnist()``; the experiment (with its cache) is ``ui.experiment``.
    On the course website the slider responds (``SiteFrames``: one frame per max_norm, 8).
    """
    if experiment is None:
        if data is None:
            from course_lib.data import load_fashion_mnist

            data = load_fashion_mnist()
        experiment = ClippingExperiment(data)
    with progress_bar("training without clipping") as on_step:
        unclipped = experiment.run(None, on_step=on_step)
    figures = FigureCache()

    def show(max_norm):
        key = experiment.key(None if max_norm == "off" else max_norm)
        with progress_bar(f"training with max_norm = {max_norm}") as on_step:
            run = experiment.run(key, on_step=on_step)
        return figures.get((key,), lambda: draw_clipping(run, unclipped))

    options = [("off", "off"), *[(f"{value:g}", value) for value in MAX_NORMS]]
    slider = widgets.SelectionSlider(options=options, value="off" if max_norm is None else float(max_norm),
                                     description="max_norm", continuous_update=False)
    ui = demo_interactive(show, site_frames=SiteFrames(), max_norm=slider)
    ui.experiment = experiment
    return ui
