"""Non-convexity and overparameterization: one loss curve per nearby initialization, and the controls.

The curves come from ``course_lib.experiments.overparameterization.PerturbedInits`` (cached per
hidden sizes, learning rate and number of initializations). ``draw_loss_curves`` plots them;
``overparameterization_demo`` adds hidden sizes, learning rate, steps and number of initializations,
with a progress bar while it trains.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from course_lib.errors import CourseInputError
from course_lib.experiments.overparameterization import (
    MAX_INITS,
    MAX_STEPS,
    PerturbedInits,
    count_parameters,
    default_subset,
)
from course_lib.widgets.common import demo_interactive, in_ipython_kernel

HIDDEN_CHOICES = ("10", "20, 20", "100, 100")


def parse_hidden_sizes(text: str) -> tuple[int, ...]:
    """'20, 20' → (20, 20); CourseInputError for anything that is not a list of positive whole numbers."""
    parts = [part.strip() for part in str(text).split(",")]
    if not all(part.isdigit() and 0 < int(part) <= 4096 for part in parts):
        raise CourseInputError(f"hidden sizes: {text!r} should look like '10' or '100, 100' (whole numbers ≤ 4096).")
    return tuple(int(part) for part in parts)


def draw_loss_curves(curves: np.ndarray, hidden_sizes: tuple[int, ...], lr: float, input_size: int = 784) -> Figure:
    """One training-loss curve per initialization; the title gives the spread of the final losses."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    steps = np.arange(curves.shape[1])
    for index, curve in enumerate(curves):
        ax.plot(steps, curve, lw=1.2, alpha=0.85, label=f"init {index + 1}" if index < 3 else None)
    final = curves[:, -1]
    ax.set_xlabel("gradient-descent step")
    ax.set_ylabel("training loss")
    ax.set_ylim(0, 3)
    hidden = ", ".join(map(str, hidden_sizes))
    ax.set_title(f"hidden sizes {hidden}: {count_parameters(hidden_sizes, input_size):,} parameters, lr = {lr:.3g}\n"
                 f"final loss {final.mean():.3f} ± {final.std():.3f} (spread over {len(final)} inits)", fontsize=10)
    fig.tight_layout()
    return fig


def overparameterization_demo(experiment: PerturbedInits | None = None, hidden: str = "10", lr: float = 0.05,
                              num_steps: int = 150, num_inits: int = 7) -> widgets.interactive:
    """Controls: hidden sizes, learning rate (log scale), steps, number of perturbed initializations."""
    experiment = experiment or PerturbedInits(*default_subset())

    def show(hidden, lr, num_steps, num_inits):
        hidden_sizes = parse_hidden_sizes(hidden)
        curves = experiment.loss_curves(hidden_sizes, lr, num_steps, num_inits, progress=in_ipython_kernel())
        return draw_loss_curves(curves, hidden_sizes, float(lr), input_size=experiment.x.shape[1])

    style = {"description_width": "initial"}
    return demo_interactive(
        show,
        hidden=widgets.Dropdown(options=list(HIDDEN_CHOICES), value=hidden, description="hidden sizes"),
        lr=widgets.FloatLogSlider(value=lr, base=10, min=-3, max=0, step=0.1, description="learning rate",
                                  readout_format=".3g", continuous_update=False, style=style),
        num_steps=widgets.IntSlider(value=num_steps, min=10, max=MAX_STEPS, step=10, description="steps",
                                    continuous_update=False),
        num_inits=widgets.IntSlider(value=num_inits, min=2, max=MAX_INITS, step=1, description="initializations",
                                    continuous_update=False, style=style),
    )
