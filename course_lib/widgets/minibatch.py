"""Batch size against wall-clock time: minibatch SGD runs that each get the same time budget.

Pipeline:

1. ``resolve_sampler``: use the student's ``sample_minibatch`` when it works, else course_lib's
   reference, with a one-line note saying why;
2. ``parse_run_settings``: turn the typed batch sizes and learning rates into checked numbers;
3. ``train_for_seconds``: plain SGD on minibatches until the time budget is spent, recording
   (seconds, minibatch loss) after every step;
4. ``plot_loss_against_time``: one curve per run; ``minibatch_demo`` wires text boxes to it.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from functools import lru_cache

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from course_lib.data import sample_minibatch as reference_sample_minibatch
from course_lib.device import single_cpu_thread
from course_lib.models import MLP
from course_lib.optimizers import SGD
from course_lib.widgets.common import (
    CourseInputError,
    demo_interactive,
    parse_number_list,
    show_figure,
)
from course_lib.widgets.compare_optimizers import has_diverged

MAX_RUNS = 5
TIME_BUDGETS = (0.1, 0.25, 0.5)
MAX_LEARNING_RATE = 100.0
Sampler = Callable[[torch.Tensor, torch.Tensor, int], tuple[torch.Tensor, torch.Tensor]]


def resolve_sampler(sample_fn: Sampler | None, x: torch.Tensor, y: torch.Tensor) -> tuple[Sampler, str | None]:
    """The sampler to use and a one-line note when falling back to course_lib's reference.

    ``sample_fn(x, y, num_points)`` must return (inputs: (num_points, ...), targets: (num_points,)).
    """
    if sample_fn is None:
        return reference_sample_minibatch, None
    fallback = "this demo uses course_lib's reference sampler instead."
    try:
        inputs, targets = sample_fn(x, y, 3)
    except NotImplementedError:
        return reference_sample_minibatch, f"Note: sample_minibatch is not implemented yet; {fallback}"
    except Exception as error:
        return reference_sample_minibatch, (f"Note: your sample_minibatch raised "
                                            f"{type(error).__name__}: {error}; {fallback}")
    shapes_ok = (isinstance(inputs, torch.Tensor) and isinstance(targets, torch.Tensor)
                 and inputs.shape == (3, *x.shape[1:]) and targets.shape == (3, *y.shape[1:]))
    if not shapes_ok:
        return reference_sample_minibatch, (f"Note: your sample_minibatch(x, y, 3) did not return two tensors "
                                            f"with 3 rows each; {fallback}")
    return sample_fn, None


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


def train_for_seconds(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int, lr: float,
                      seconds: float, sampler: Sampler = reference_sample_minibatch,
                      min_steps: int = 3) -> np.ndarray:
    """Plain SGD (w ← w − η∇J on one minibatch) until ``seconds`` of wall-clock time have passed.

    At least ``min_steps`` steps are taken, so that even a busy machine draws a curve. Runs on one
    CPU thread (see ``single_cpu_thread``).
    Returns (steps, 2): elapsed seconds after each step and that step's minibatch loss. A run whose
    loss diverges (NaN, inf or above 1000) stops there; its last row holds that loss.
    """
    loss_fn = nn.CrossEntropyLoss()
    optimizer = SGD(model.parameters(), lr=lr)
    record = []
    with single_cpu_thread():
        start = time.perf_counter()
        while time.perf_counter() - start < seconds or len(record) < min_steps:
            inputs, targets = sampler(x, y, batch_size)
            loss = loss_fn(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            value = loss.item()
            record.append((time.perf_counter() - start, value))
            if has_diverged(value):
                break
    return np.asarray(record, dtype=float).reshape(-1, 2)


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
                   seed: int = 42) -> widgets.interactive:
    """Text boxes for batch sizes and learning rates plus a time budget → loss against seconds.

    ``sample_fn(x, y, num_points)`` is the student's sampler (course_lib's reference when missing or
    broken, with a note). x: (N, 1, 28, 28), y: (N,); by default the FashionMNIST training set.
    ``time_budget`` is the starting budget per run (added to ``time_budgets`` if missing). With at
    most ``MAX_RUNS`` runs of at most 0.5 s each, an update takes under 3 s; a setting tried before
    (batch size, learning rate, budget) is answered from a cache instead of being trained again.
    """
    if x is None or y is None:
        from course_lib.data import load_fashion_mnist

        data = load_fashion_mnist()
        x, y = data.train_x, data.train_y
    sampler, note = resolve_sampler(sample_fn, x, y)
    torch.manual_seed(seed)
    initial_model = MLP(input_size=x[0].numel(), hidden_sizes=hidden_sizes).to(x.device)

    @lru_cache(maxsize=64)
    def timed_run(batch_size: int, lr: float, seconds: float) -> np.ndarray:
        return train_for_seconds(copy.deepcopy(initial_model), x, y, batch_size, lr, seconds, sampler)

    def show(batch_sizes, learning_rates, seconds):
        sizes, lrs = parse_run_settings(batch_sizes, learning_rates, len(x))
        if note:
            print(note)
        runs = [(size, lr, timed_run(size, lr, float(seconds))) for size, lr in zip(sizes, lrs, strict=True)]
        fig = plot_loss_against_time(runs, seconds)
        diverged = [f"batch {size} (lr {lr:g})" for size, lr, record in runs
                    if has_diverged(record[-1, 1])]
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
    ui = demo_interactive(show, **controls)
    ui.sampler_note = note
    return ui
