"""SGD, momentum, RMSprop and Adam side by side on FashionMNIST minibatches: the picture and the sliders.

The loss curves come from ``course_lib.experiments.compare_optimizers.OptimizerComparison`` (cached
by the settings). ``plot_comparison`` draws loss against step; ``compare_optimizers_demo`` adds
sliders for batch size, learning rate, momentum β and steps.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from course_lib.errors import CourseInputError
from course_lib.experiments.compare_optimizers import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_MOMENTUM,
    DEFAULT_STEPS,
    OptimizerComparison,
)
from course_lib.widgets.common import demo_interactive, show_figure

COLORS = {"SGD": "black", "Momentum": "tab:red", "RMSprop": "tab:purple", "Adam": "tab:blue"}


def divergence_message(curves: dict[str, np.ndarray], lr: float) -> str | None:
    """One line naming the optimizers that diverged (None when every run stayed finite)."""
    diverged = [name for name, losses in curves.items() if np.isnan(losses).any()]
    if not diverged:
        return None
    return (f"{' and '.join(diverged)} diverged at learning rate {lr:.3g} (the loss exploded or "
            "became NaN): try a smaller learning rate.")


def plot_comparison(curves: dict[str, np.ndarray], title: str) -> plt.Figure:
    """Minibatch loss against step, one line per optimizer; a diverged run is labelled as such."""
    fig, ax = plt.subplots(figsize=(7, 4))
    first_losses = [losses[0] for losses in curves.values() if np.isfinite(losses[0])]
    for name, losses in curves.items():
        finite = np.isfinite(losses)
        if finite.all():
            tail = losses[-max(1, len(losses) // 10):].mean()
            label = f"{name} (last steps ≈ {tail:.2f})"
        else:
            label = f"{name}: diverged at step {int(np.argmin(finite)) + 1}"
        ax.plot(np.arange(1, len(losses) + 1), losses, color=COLORS.get(name), alpha=0.85, label=label)
    top = 1.25 * max(first_losses) if first_losses else 3.0
    ax.set_ylim(0, top)
    ax.set_xlabel("step (one minibatch each)")
    ax.set_ylabel("minibatch loss")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


def compare_optimizers_demo(comparison: OptimizerComparison | None = None) -> widgets.interactive:
    """Sliders for batch size, learning rate (log scale), momentum β and steps → four loss curves.

    ``comparison`` defaults to an ``OptimizerComparison`` on the FashionMNIST training set; pass the
    notebook's own to share its cache with the cells that state findings from it.
    """
    if comparison is None:
        from course_lib.data import load_fashion_mnist

        data = load_fashion_mnist()
        comparison = OptimizerComparison(data.train_x, data.train_y)

    def show(batch_size, lr, momentum, steps):
        curves = comparison.curves(batch_size, lr, momentum, steps)
        batch_size, lr, momentum = int(batch_size), float(lr), float(momentum)
        fig = plot_comparison(curves, f"batch {batch_size}, learning rate {lr:.3g}, β = {momentum:.2f}")
        message = divergence_message(curves, lr)
        if message:
            show_figure(fig)
            raise CourseInputError(message)
        return fig

    controls = {
        "batch_size": widgets.IntSlider(value=DEFAULT_BATCH_SIZE, min=16, max=256, step=16, description="batch size",
                                        continuous_update=False),
        "lr": widgets.FloatLogSlider(value=1e-2, base=10, min=-4, max=1, step=0.25,
                                     description="learning rate", continuous_update=False),
        "momentum": widgets.FloatSlider(value=DEFAULT_MOMENTUM, min=0.0, max=0.99, step=0.01, description="β",
                                        continuous_update=False),
        "steps": widgets.IntSlider(value=DEFAULT_STEPS, min=20, max=200, step=20, description="steps",
                                   continuous_update=False),
    }
    return demo_interactive(show, **controls)
