"""Full gradients are expensive: time one forward and one backward pass against the number of examples.

Pipeline:

1. ``measure_pass_times``: run forward (loss) and backward on the first N examples, several times,
   and average the wall-clock seconds of each pass, for every N;
2. ``plot_pass_times``: seconds against N, forward and backward, with the cost per example;
3. ``computation_cost_demo``: a drop-down of model sizes, measured live on every change.

Nothing is cached on purpose: the demo times this machine, now, on one CPU thread (on a GPU, the GPU).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from course_lib.device import single_cpu_thread
from course_lib.models import MLP
from course_lib.widgets.common import CourseInputError, demo_interactive

MODEL_SIZES: dict[str, tuple[int, ...]] = {
    "784-10 (no hidden layer)": (),
    "784-100-10": (100,),
    "784-50-50-10": (50, 50),
    "784-512-256-256-128-10 (this notebook's network)": (512, 256, 256, 128),
}
NUM_EXAMPLES: tuple[int, ...] = (1, 10, 100, 250, 500, 1000, 1500, 2000)


def _synchronize(device: torch.device) -> None:
    """Wait for queued GPU work so that wall-clock time measures the pass itself."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def measure_pass_times(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                       num_examples: Sequence[int] = NUM_EXAMPLES, repeats: int = 5) -> np.ndarray:
    """Median seconds of the forward pass (logits and loss) and of the backward pass on x[:n], y[:n].

    x: (N, ...) inputs, y: (N,) class labels on the model's device. Returns (len(num_examples), 2):
    column 0 forward seconds, column 1 backward seconds, each the median of ``repeats`` runs (robust to
    another program briefly taking the CPU; on one
    CPU thread, so that a busy machine does not turn thread synchronization into the measurement).
    """
    if max(num_examples) > len(x):
        raise CourseInputError(f"Only {len(x)} examples available, {max(num_examples)} requested.")
    loss_fn = nn.CrossEntropyLoss()
    device = x.device
    times = np.zeros((repeats, len(num_examples), 2))
    with single_cpu_thread():
        for repeat in range(repeats):
            for column, count in enumerate(num_examples):
                model.zero_grad(set_to_none=True)
                _synchronize(device)
                start = time.perf_counter()
                loss = loss_fn(model(x[:count]), y[:count])
                _synchronize(device)
                forward_done = time.perf_counter()
                loss.backward()
                _synchronize(device)
                times[repeat, column] = (forward_done - start, time.perf_counter() - forward_done)
    model.zero_grad(set_to_none=True)
    return np.median(times, axis=0)


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
    """
    if x is None or y is None:
        from course_lib.data import load_fashion_mnist

        data = load_fashion_mnist()
        x, y = data.train_x, data.train_y
    num_examples = tuple(count for count in num_examples if count <= len(x))
    if not num_examples:
        raise ValueError("computation_cost_demo needs at least one example.")

    def show(model_size):
        if model_size not in MODEL_SIZES:
            raise CourseInputError(f"Unknown model size {model_size!r}.")
        torch.manual_seed(seed)
        model = MLP(input_size=x[0].numel(), hidden_sizes=MODEL_SIZES[model_size]).to(x.device)
        times = measure_pass_times(model, x, y, num_examples, repeats)
        return plot_pass_times(num_examples, times, f"MLP {model_size.split(' ')[0]} on {x.device.type}")

    size_control = widgets.Dropdown(options=list(MODEL_SIZES), value="784-100-10", description="model")
    return demo_interactive(show, model_size=size_control)
