"""Weight decay on a small training subset: the picture and the controls.

The runs come from ``course_lib.experiments.weight_decay.WeightDecayExperiment`` (one cached run
per λ). ``draw_weight_decay`` plots train and validation curves for the chosen λ and a reference λ,
and the size of the weights; ``weight_decay_demo`` trains every λ of its slider up front, so a
slider move never waits for training.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from course_lib.experiments.weight_decay import (
    MAX_LAMBDA,
    WeightDecayExperiment,
    WeightDecayRun,
    slider_lambdas,
)
from course_lib.validation import parse_choice, parse_number
from course_lib.widgets.common import demo_interactive, in_ipython_kernel
from course_lib.widgets.frames import SiteFrames

METRICS = {"accuracy": ("train_acc", "val_acc"), "loss": ("train_loss", "val_loss")}


def draw_weight_decay(run: WeightDecayRun, reference: WeightDecayRun, metric: str = "accuracy"):
    """Left: train (dashed) and validation (solid) curves for λ and the reference λ; right: ‖W‖ per epoch."""
    train_key, val_key = METRICS[parse_choice(metric, list(METRICS), "show")]
    fig, (ax_curves, ax_norm) = plt.subplots(1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": [2, 1]})
    epochs = np.arange(len(run.train_acc))
    for current, color in ((reference, "tab:gray"), (run, "tab:blue")):
        label = f"λ = {current.lam:g}"
        ax_curves.plot(epochs, getattr(current, train_key), "--", color=color, label=f"train, {label}")
        ax_curves.plot(epochs, getattr(current, val_key), "-", color=color, label=f"validation, {label}")
        ax_norm.plot(epochs, current.weight_norm, color=color, label=label)
    ax_curves.set(xlabel="epoch", ylabel=metric, yscale="log" if metric == "loss" else "linear",
                  title=f"λ = {run.lam:g}: train − validation accuracy = {run.generalization_gap:.1%}")
    ax_curves.legend(fontsize=8)
    ax_norm.set(xlabel="epoch", ylabel="‖W‖", title="size of the weights")
    ax_norm.legend(fontsize=8)
    fig.tight_layout()
    return fig


def weight_decay_demo(data=None, lambdas=None, experiment: WeightDecayExperiment | None = None,
                      lam: float = 2e-2, reference_lam: float = 0.0):
    """A λ slider over ``lambdas`` (default ``slider_lambdas()``: 7 values, 4 in quick mode), starting at
    the entry closest to ``lam``, a reference-λ text box and a metric toggle.

    Every λ of the slider is trained when the demo is built (a progress bar in a notebook), so moving
    the slider only redraws; a reference λ typed in the box trains once, then is cached too.
    On the course website λ and the metric respond (``SiteFrames``: 14 frames, 8 in quick mode); the
    reference λ stays at the notebook's value.
    ``data`` defaults to ``load_fashion_mnist()``.
    """
    if experiment is None:
        if data is None:
            from course_lib.data import load_fashion_mnist

            data = load_fashion_mnist()
        experiment = WeightDecayExperiment(data)
    options = [(f"{value:g}", float(value)) for value in (slider_lambdas() if lambdas is None else lambdas)]
    experiment.train_all([value for _, value in options] + [float(reference_lam)], progress=in_ipython_kernel())

    def update(lam, reference_lam, metric):
        reference = parse_number(reference_lam, "reference λ", minimum=0.0, maximum=MAX_LAMBDA)
        return draw_weight_decay(experiment.run(lam), experiment.run(reference), metric)

    start = min((value for _, value in options), key=lambda value: abs(value - lam))
    lam_slider = widgets.SelectionSlider(options=options, value=start, description="λ", continuous_update=False)
    reference_box = widgets.Text(value=f"{reference_lam:g}", description="reference λ", continuous_update=False)
    metric_toggle = widgets.ToggleButtons(options=list(METRICS), value="accuracy", description="show")
    return demo_interactive(update, site_frames=SiteFrames(fixed=("reference_lam",)), lam=lam_slider,
                            reference_lam=reference_box, metric=metric_toggle)
