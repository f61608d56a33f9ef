"""Batch size against wall-clock time: text boxes for the runs, and loss against seconds.

The runs come from ``course_lib.experiments.minibatch.MinibatchRace`` (cached by batch size,
learning rate and time budget). ``parse_run_settings`` turns the typed lists into numbers;
``plot_loss_against_time`` draws one curve per run; ``minibatch_demo`` wires the text boxes to them.
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch

from course_lib.errors import CourseInputError
from course_lib.experiments.minibatch import MAX_LEARNING_RATE, MAX_SECONDS, MinibatchRace, Sampler
from course_lib.training import has_diverged
from course_lib.validation import parse_number, parse_number_list
from course_lib.widgets.common import demo_interactive, show_figure

MAX_RUNS = 5
TIME_BUDGETS = (0.1, 0.25, 0.5)


def parse_run_settings(batch_text: str, lr_text: str, num_examples: int) -> tuple[list[int], list[float]]:
    """'20, 250, 1000' and '0.05' → ([20, 250, 1000], [0.05, 0.05, 0.05]); CourseInputError when invalid.

    One learning rate applies to every run; otherwise there must be one per batch size.
    """
    batch_sizes = [int(size) for size in parse_number_list(batch_text, "batch sizes", minimum=1,
                                                           integer=True)]
    too_big = [size for size in batch_sizes if size > num_examples]
    if too_big:
        raise CourseInputError(f"batch sizes: {too_big[0]} is larger than the training set "
                               f"({num_examples} examples).")
    if len(batch_sizes) > MAX_RUNS:
        raise CourseInputError(f"batch sizes: at most {MAX_RUNS} runs at a time, got {len(batch_sizes)}.")
    lrs = parse_number_list(lr_text, "learning rates", maximum=MAX_LEARNING_RATE)
    if any(lr <= 0 for lr in lrs):
        raise CourseInputError("learning rates: every learning rate must be positive.")
    if len(lrs) == 1:
        lrs = lrs * len(batch_sizes)
    if len(lrs) != len(batch_sizes):
        raise CourseInputError(f"learning rates: give one learning rate, or one per batch size "
                             f"({len(batch_sizes)}), not {len(lrs)}.")
    return batch_sizes, lrs


def draw_gradient_noise(batch_sizes: Sequence[int], noise: np.ndarray, slope: float) -> plt.Figure:
    """Mean ‖g_B − ∇J‖² against the batch size B on log-log axes, with the 1/B line through the first point."""
    sizes = np.asarray(batch_sizes, dtype=float)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.loglog(sizes, noise, marker="o", label=f"measured (slope {slope:.2f})")
    ax.loglog(sizes, noise[0] * sizes[0] / sizes, "--", label="∝ 1/B")
    ax.set_xlabel("batch size B")
    ax.set_ylabel(r"mean $\|g_B - \nabla J\|^2$")
    ax.set_title("How noisy is a minibatch gradient?")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_loss_against_time(runs: Sequence[tuple[int, float, np.ndarray]], seconds: float) -> plt.Figure:
    """Minibatch loss against wall-clock seconds; runs: (batch_size, lr, (steps, 2) record) each."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for batch_size, lr, record in runs:
        times, losses = record[:, 0], record[:, 1]
        diverged = len(losses) > 0 and has_diverged(losses[-1])
        status = "diverged" if diverged else f"{len(losses)} steps"
        ax.plot(times, losses, alpha=0.8, label=f"batch {batch_size}, lr {lr:g}: {status}")
    ax.set_xlim(0, seconds)
    ax.set_ylim(0, 3.0)
    ax.set_xlabel("wall-clock seconds")
    ax.set_ylabel("minibatch loss")
    ax.set_title(f"Same time budget ({seconds:g} s) for every batch size")
    ax.legend()
    fig.tight_layout()
    return fig


def minibatch_demo(sample_fn: Sampler | None = None, x: torch.Tensor | None = None,
                   y: torch.Tensor | None = None, time_budgets: Sequence[float] = TIME_BUDGETS,
                   time_budget: float | None = None, hidden_sizes=(100, 100),
                   seed: int = 42, race: MinibatchRace | None = None) -> widgets.interactive:
    """Text boxes for batch sizes and learning rates plus a time budget → loss against seconds.

    ``race``: the ``MinibatchRace`` to draw from (share the notebook's, so its cells and the demo use
    one cache); otherwise one is built on x: (N, 1, 28, 28), y: (N,) (by default the FashionMNIST
    training set) with ``sample_fn(x, y, num_points)`` (the result of ``student_or_reference``;
    course_lib's ``sample_minibatch`` when None). ``time_budget`` is the starting budget per run
    (added to ``time_budgets`` if missing). With at most ``MAX_RUNS`` runs of at most 0.5 s each,
    an update takes under 3 s; a setting tried before is answered from the cache.
    """
    if race is None:
        if x is None or y is None:
            from course_lib.data import load_fashion_mnist

            data = load_fashion_mnist()
            x, y = data.train_x, data.train_y
        race = MinibatchRace(x, y, **({"sampler": sample_fn} if sample_fn is not None else {}),
                             hidden_sizes=hidden_sizes, seed=seed)
    num_examples = len(race.x)

    def show(batch_sizes, learning_rates, seconds):
        sizes, lrs = parse_run_settings(batch_sizes, learning_rates, num_examples)
        seconds = parse_number(seconds, "seconds per run", minimum=0.0, maximum=MAX_SECONDS)
        runs = [(size, lr, race.run(size, lr, seconds)) for size, lr in zip(sizes, lrs, strict=True)]
        fig = plot_loss_against_time(runs, seconds)
        diverged = [f"batch {size} (lr {lr:g})" for size, lr, record in runs if has_diverged(record[-1, 1])]
        if diverged:
            show_figure(fig)
            raise CourseInputError(f"{', '.join(diverged)} diverged (the loss exploded or became NaN): "
                                   "try a smaller learning rate.")
        return fig

    budgets = sorted({float(budget) for budget in time_budgets} | ({float(time_budget)} if time_budget else set()))
    controls = {
        "batch_sizes": widgets.Text(value="20, 250, 1000", description="batch sizes", continuous_update=False),
        "learning_rates": widgets.Text(value="0.05", description="learning rates", continuous_update=False),
        "seconds": widgets.Dropdown(options=budgets, value=budgets[0] if time_budget is None else time_budget,
                                    description="seconds per run"),
    }
    return demo_interactive(show, **controls)
