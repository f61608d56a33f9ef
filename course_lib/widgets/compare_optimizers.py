"""SGD, momentum, RMSprop and Adam side by side on FashionMNIST minibatches.

Pipeline:

1. ``minibatch_stream``: draw the row indices of every minibatch once (IID, with replacement), so
   that all four optimizers see exactly the same examples in the same order;
2. ``FlatModel``: the network's parameters as views into one flat vector θ: (P,), so that an
   optimizer from ``course_lib.optimizers`` updates one tensor per step (fast) and every run starts
   from the same θ₀;
3. ``run_optimizers``: the minibatch losses of each optimizer, a run stopping when it diverges;
4. ``OptimizerComparison``: runs the four optimizers for one setting, cached by the settings;
5. ``plot_comparison``: loss against step; ``compare_optimizers_demo`` wires sliders to it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from torch import nn

from course_lib.device import single_cpu_thread
from course_lib.models import MLP
from course_lib.optimizers import OPTIMIZERS, SGDMomentum
from course_lib.widgets.common import CourseInputError, demo_interactive, show_figure

OPTIMIZER_NAMES = ("SGD", "Momentum", "RMSprop", "Adam")
COLORS = {"SGD": "black", "Momentum": "tab:red", "RMSprop": "tab:purple", "Adam": "tab:blue"}
DIVERGED_ABOVE = 1e3
DEFAULT_BATCH_SIZE, DEFAULT_MOMENTUM, DEFAULT_STEPS = 64, 0.9, 100  # where the demo's sliders start


def has_diverged(loss: float) -> bool:
    """A run has diverged once its loss is NaN, infinite or above 1000 (it starts near ln 10 ≈ 2.3)."""
    return not math.isfinite(loss) or loss > DIVERGED_ABOVE


def minibatch_stream(num_examples: int, batch_size: int, steps: int, seed: int = 42) -> torch.Tensor:
    """Row indices of ``steps`` IID minibatches drawn with replacement: (steps, batch_size) int64."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, num_examples, (steps, batch_size), generator=generator)


class FlatModel:
    """An MLP evaluated with its weights and biases taken from one flat vector θ: (P,).

    ``theta0`` holds the model's initial parameters (in ``model.parameters()`` order: W₁, b₁, W₂, …);
    ``loss(theta, x, y)`` runs the network with the matching slices of θ as views, so gradients reach θ.
    """

    def __init__(self, model: MLP):
        parameters = [p.detach() for p in model.parameters()]
        self.layers = list(model.layers)
        self.sizes = [p.numel() for p in parameters]
        self.theta0 = torch.cat([p.reshape(-1) for p in parameters]).clone()

    def loss(self, theta: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of the network with parameters θ on x: (B, ...), y: (B,)."""
        pieces = iter(torch.split(theta, self.sizes))
        h = x.reshape(len(x), -1)
        for layer in self.layers:
            if isinstance(layer, nn.Linear):
                weight = next(pieces).view(layer.out_features, layer.in_features)
                h = nn.functional.linear(h, weight, next(pieces))
            else:
                h = layer(h)
        return nn.functional.cross_entropy(h, y)


def run_optimizers(flat_model: FlatModel, makers: dict[str, Callable], x: torch.Tensor, y: torch.Tensor,
                   batches: torch.Tensor) -> dict[str, np.ndarray]:
    """Minibatch loss before each update for every optimizer, all starting from θ₀.

    makers: {name: callable(list_of_params) -> optimizer}; batches: (steps, B) row indices, each
    minibatch gathered once and shown to every optimizer. Returns {name: (steps,) floats}; once a
    run has diverged (``has_diverged``) it stops and the rest of its curve stays NaN.
    """
    thetas = {name: flat_model.theta0.clone().to(x.device).requires_grad_(True) for name in makers}
    optimizers = {name: make([thetas[name]]) for name, make in makers.items()}
    losses = {name: torch.full((len(batches),), float("nan")) for name in makers}
    running = set(makers)
    for step, rows in enumerate(batches.to(x.device)):
        xb, yb = x[rows], y[rows]
        for name in list(running):
            loss = flat_model.loss(thetas[name], xb, yb)
            if has_diverged(loss.item()):
                running.discard(name)
                continue
            losses[name][step] = loss.detach()
            optimizers[name].zero_grad()
            loss.backward()
            optimizers[name].step()
    return {name: curve.numpy() for name, curve in losses.items()}


def make_optimizers(lr: float, momentum: float) -> dict[str, Callable]:
    """The four optimizers of ``course_lib.optimizers`` at one learning rate; β only affects Momentum."""
    return {
        "SGD": lambda params: OPTIMIZERS["SGD"](params, lr=lr),
        "Momentum": lambda params: SGDMomentum(params, lr=lr, momentum=momentum),
        "RMSprop": lambda params: OPTIMIZERS["RMSprop"](params, lr=lr),
        "Adam": lambda params: OPTIMIZERS["Adam"](params, lr=lr),
    }


class OptimizerComparison:
    """Loss curves of the four optimizers for (batch_size, lr, momentum, steps), cached by those settings.

    x: (N, ...) inputs, y: (N,) labels. Every setting starts from the same initial network (seeded) and
    feeds all optimizers the same minibatches. ``runs`` counts the settings actually computed.
    """

    def __init__(self, x: torch.Tensor, y: torch.Tensor, hidden_sizes=(64, 64), seed: int = 42,
                 cache_size: int = 128):
        self.x, self.y, self.seed = x.reshape(len(x), -1), y, seed
        torch.manual_seed(seed)
        model = MLP(input_size=x[0].numel(), hidden_sizes=hidden_sizes).to(x.device)
        self.flat_model = FlatModel(model)
        self.runs = 0
        self.losses = functools.lru_cache(maxsize=cache_size)(self._compute)

    def _compute(self, batch_size: int, lr: float, momentum: float, steps: int) -> dict[str, np.ndarray]:
        self.runs += 1
        batches = minibatch_stream(len(self.x), batch_size, steps, self.seed)
        with single_cpu_thread():
            return run_optimizers(self.flat_model, make_optimizers(lr, momentum), self.x, self.y, batches)

    def final_losses(self, lr: float, batch_size: int = DEFAULT_BATCH_SIZE, momentum: float = DEFAULT_MOMENTUM,
                     steps: int = DEFAULT_STEPS, last: int = 10) -> dict[str, float]:
        """{optimizer: mean minibatch loss over its ``last`` steps}, NaN for a run that diverged.

        The defaults are the demo's starting settings, so the numbers match what its sliders show.
        """
        curves = self.losses(int(batch_size), float(lr), float(momentum), int(steps))
        return {name: float(curve[-last:].mean()) for name, curve in curves.items()}

    def learning_rate_scan(self, lrs, **settings) -> pd.DataFrame:
        """``final_losses`` for every learning rate: rows are optimizers, columns f"{lr:.2g}" (NaN: diverged)."""
        return pd.DataFrame({f"{lr:.2g}": self.final_losses(lr, **settings) for lr in lrs})


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


def compare_optimizers_demo(x: torch.Tensor | None = None, y: torch.Tensor | None = None,
                            hidden_sizes=(64, 64), seed: int = 42) -> widgets.interactive:
    """Sliders for batch size, learning rate (log scale), momentum β and steps → four loss curves.

    x: (N, 1, 28, 28) or (N, 784) and y: (N,); by default the FashionMNIST training set. The
    comparison object (with its cache and run counter) is available as ``ui.comparison``.
    """
    if x is None or y is None:
        from course_lib.data import load_fashion_mnist

        data = load_fashion_mnist()
        x, y = data.train_x, data.train_y
    comparison = OptimizerComparison(x, y, hidden_sizes=hidden_sizes, seed=seed)

    def show(batch_size, lr, momentum, steps):
        batch_size, steps, lr, momentum = int(batch_size), int(steps), float(lr), float(momentum)
        if batch_size > len(x):
            raise CourseInputError(f"Batch size {batch_size} is larger than the {len(x)} training examples.")
        if not (np.isfinite(lr) and lr > 0) or not 0 <= momentum < 1:
            raise CourseInputError("The learning rate must be positive and β must lie in [0, 1).")
        curves = comparison.losses(batch_size, lr, momentum, steps)
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
    ui = demo_interactive(show, **controls)
    ui.comparison = comparison
    return ui
