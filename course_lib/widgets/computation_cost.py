"""Full gradients are expensive: the picture and the drop-down of the computation-cost demo.

``course_lib.experiments.computation_cost.measure_pass_times`` times the passes; ``plot_pass_times``
draws seconds against the number of examples; ``computation_cost_demo`` measures live on every change.
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch

from course_lib.experiments.computation_cost import (
    MODEL_SIZES,
    NUM_EXAMPLES,
    measure_pass_times,
    network_of_size,
)
from course_lib.widgets.common import demo_interactive
from course_lib.widgets.frames import SiteFrames


def plot_pass_times(num_examples: Sequence[int], times: np.ndarray, title: str) -> plt.Figure:
    """Seconds against number of examples for the forward and backward pass; times: (len(num_examples), 2)."""
    counts = np.asarray(num_examples, dtype=float)
    fig, ax = plt.subplots(figsize=(6, 4))
    for column, label in enumerate(("forward", "backward")):
        microseconds_per_example = 1e6 * times[-1, column] / counts[-1]
        ax.plot(counts, times[:, column], marker="o",
                label=f"{label} (≈ {microseconds_per_example:.1f} µs per example)")
    ax.set_xlabel("number of examples in the batch")
    ax.set_ylabel("seconds (median of repeated runs)")
    ax.set_title(title)
    ax.set_ylim(bottom=0)
    ax.legend()
    fig.tight_layout()
    return fig


def computation_cost_demo(x: torch.Tensor | None = None, y: torch.Tensor | None = None,
                          num_examples: Sequence[int] = NUM_EXAMPLES, repeats: int = 5,
                          seed: int = 42) -> widgets.interactive:
    """Drop-down of model sizes → live forward/backward timings against batch size.

    x: (N, 1, 28, 28) or (N, 784) inputs and y: (N,) labels; by default the FashionMNIST training set.
    On the course website the drop-down responds (``SiteFrames``: one frame per model, timed when the site
    was built).
    """
    if x is None or y is None:
        from course_lib.data import load_fashion_mnist

        data = load_fashion_mnist()
        x, y = data.train_x, data.train_y
    num_examples = tuple(count for count in num_examples if count <= len(x))
    if not num_examples:
        raise ValueError("computation_cost_demo needs at least one example.")

    def show(model_size):
        model = network_of_size(model_size, input_size=x[0].numel(), seed=seed).to(x.device)
        times = measure_pass_times(model, x, y, num_examples, repeats)
        return plot_pass_times(num_examples, times, f"MLP {model_size.split(' ')[0]} on {x.device.type}")

    size_control = widgets.Dropdown(options=list(MODEL_SIZES), value="784-100-10", description="model")
    return demo_interactive(show, site_frames=SiteFrames(), model_size=size_control)
