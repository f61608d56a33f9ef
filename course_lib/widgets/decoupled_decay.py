"""Adam + L2 against AdamW: which weights a weight decay λ shrinks, and what it does to validation accuracy.

``draw_decay_comparison(comparison, runs)`` draws three panels from a ``DecayComparison`` and one run per
method: the shrink ‖W_k‖/‖W_k without decay‖ of each layer, the same ratio for the first layer's weights
grouped by how large their gradients were (deciles of √v̂ in the run without decay), and the validation
accuracy per epoch. ``adamw_demo`` puts λ on a slider; the run without decay is trained when the demo
is built, each λ the first time it is chosen (with a progress bar), then redrawn from a cache.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from course_lib.experiments.decoupled_decay import METHODS, DecayComparison, DecayRun
from course_lib.widgets._views import FigureCache, progress_bar
from course_lib.widgets.common import demo_interactive
from course_lib.widgets.frames import SiteFrames

WEIGHT_DECAYS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)
START_WEIGHT_DECAY = 1e-2
COLORS = {"Adam + L2": "tab:orange", "AdamW": "tab:blue", "no decay": "tab:gray"}


def draw_decay_comparison(comparison: DecayComparison, runs: dict[str, DecayRun], title: str = "") -> Figure:
    """Three panels for {method: DecayRun}: per-layer shrink, shrink by gradient-history decile, validation accuracy."""
    fig = Figure(figsize=(12, 3.6))
    ax_layers, ax_history, ax_accuracy = fig.subplots(1, 3)
    baseline = comparison.baseline()
    layers = np.arange(1, len(baseline.layer_norms) + 1)
    width = 0.8 / max(1, len(runs))
    for offset, (method, run) in enumerate(runs.items()):
        color = COLORS.get(method)
        label = f"{method}, λ = {run.weight_decay:g}"
        ax_layers.bar(layers + (offset - (len(runs) - 1) / 2) * width, comparison.layer_shrink(run), width,
                      color=color, label=label)
        deciles = comparison.shrink_by_gradient_history(run)
        ax_history.plot(np.arange(1, len(deciles) + 1), deciles, "o-", color=color, label=label)
        ax_accuracy.plot(np.arange(len(run.val_acc)), run.val_acc, "o-", color=color,
                         label=f"{label}: {run.val_acc[-1]:.1%}")
    ax_accuracy.plot(np.arange(len(baseline.val_acc)), baseline.val_acc, "o--", color=COLORS["no decay"],
                     label=f"no decay: {baseline.val_acc[-1]:.1%}")
    ax_layers.axhline(1.0, color="black", lw=0.8)
    ax_layers.set(xticks=layers, xlabel="Linear layer (last = logits)", ylabel="‖W‖ / ‖W without decay‖",
                  ylim=(0, 1.15), title="shrink per layer")
    ax_history.axhline(1.0, color="black", lw=0.8)
    ax_history.set(xlabel="layer-1 weights by decile of √v̂ (small → large gradients)",
                   ylabel="‖w‖ / ‖w without decay‖", ylim=(0, 1.15), title="shrink by gradient history")
    ax_accuracy.set(xlabel="epoch", ylabel="validation accuracy", ylim=(0, 1), title="validation accuracy")
    for ax in (ax_layers, ax_history, ax_accuracy):
        ax.legend(fontsize=7, loc="lower right")
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def adamw_demo(data=None, comparison: DecayComparison | None = None,
               weight_decay: float = START_WEIGHT_DECAY) -> widgets.interactive:
    """A λ slider (log-spaced values) → Adam + L2 and AdamW trained with that λ, side by side.

    ``data`` defaults to ``load_fashion_mnist()``; the comparison (with its cache) is ``ui.comparison``.
    On the course website the slider responds (``SiteFrames``: one frame per λ, 9).
    """
    if comparison is None:
        if data is None:
            from course_lib.data import load_fashion_mnist

            data = load_fashion_mnist()
        comparison = DecayComparison(data)
    with progress_bar("training without decay") as on_step:
        comparison.baseline(on_step=on_step)
    figures = FigureCache()

    def show(weight_decay):
        keys = [comparison.key(method, weight_decay) for method in METHODS]
        with progress_bar(f"training with λ = {float(weight_decay):g}") as on_step:
            runs = {method: comparison.run(*key, on_step=on_step) for method, key in zip(METHODS, keys, strict=True)}
        title = (f"the same λ = {float(weight_decay):g}: Adam + L2 divides the decay by √v̂ + ε, "
                 "AdamW shrinks every weight by (1 − η·λ) per step")
        return figures.get(tuple(keys), lambda: draw_decay_comparison(comparison, runs, title))

    start = min(WEIGHT_DECAYS, key=lambda value: abs(np.log10(value) - np.log10(weight_decay)))
    slider = widgets.SelectionSlider(options=[(f"{value:g}", value) for value in WEIGHT_DECAYS], value=start,
                                     description="λ", continuous_update=False)
    ui = demo_interactive(show, site_frames=SiteFrames(), weight_decay=slider)
    ui.comparison = comparison
    return ui
