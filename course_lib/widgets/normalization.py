"""Normalization layers in the init explorer's plots, and pictures of their effect on training and depth.

Views (numbers in, a Figure out):

- ``draw_normalized_statistics(stats, title)``  Var(h_k), Var(∂L/∂W_k) and Var(∂L/∂z_k) per layer (log scale);
- ``draw_normalization_training(runs)``         minibatch loss and validation accuracy of several runs;
- ``draw_depth_variance(curves, floor)``        Var(z_k) of the Linear outputs against depth, per init.

``normalization_demo`` adds a normalization control (none / BatchNorm / LayerNorm) to the init
explorer's scheme, std and depth: every move builds and measures a fresh network on one fixed batch
(no training); settings seen before redraw from a figure cache.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure

from course_lib.experiments.normalization import (
    MAX_DEPTH,
    MAX_STD,
    MIN_STD,
    NormalizedStatistics,
    NormRun,
    normalized_layer_statistics,
)
from course_lib.validation import parse_number, parse_positive
from course_lib.widgets._views import FigureCache
from course_lib.widgets.common import demo_interactive
from course_lib.widgets.schedules import smooth

NORM_OPTIONS = {"none": "none", "BatchNorm": "batch", "LayerNorm": "layer"}
SCHEME_OPTIONS = {"normal(0, std²)": "normal", "Kaiming 2/fan_in": "kaiming", "PyTorch default 1/(3 fan_in)": "pytorch default"}
WIDTH = 256
COLORS = {"none": "tab:gray", "batch": "tab:blue", "layer": "tab:green"}


def _decades(ax, values, include=()) -> None:
    values = np.asarray([*np.ravel(values), *include], dtype=float)
    values = values[np.isfinite(values) & (values > 0)]
    if values.size:
        low, high = math.floor(math.log10(values.min())), math.ceil(math.log10(values.max()))
        ax.set_ylim(10.0 ** min(low, high - 2), 10.0 ** max(high, low + 2))


def draw_normalized_statistics(stats: NormalizedStatistics, title: str = "") -> Figure:
    """Three log-scale panels against layer index."""
    fig = Figure(figsize=(12, 3.2))
    ax_hidden, ax_grad, ax_back = fig.subplots(1, 3)
    hidden = np.arange(1, len(stats.hidden_variance) + 1)
    layers = np.arange(1, len(stats.gradient_variance) + 1)
    ax_hidden.semilogy(hidden, stats.hidden_variance, "o-", color="tab:blue")
    ax_hidden.set(title="forward: Var(h_k), input of layer k + 1", xlabel="hidden layer k")
    _decades(ax_hidden, stats.hidden_variance, include=(0.1, 1.0))
    for ax, values, color, name in ((ax_grad, stats.gradient_variance, "tab:orange", "weights: Var(∂L/∂W_k)"),
                                    (ax_back, stats.backward_variance, "tab:green", "backward: Var(∂L/∂z_k)")):
        shown = np.maximum(values, 1e-45)
        ax.semilogy(layers, shown, "o-", color=color)
        ax.set(title=name, xlabel="Linear layer k (last = logits)")
        _decades(ax, shown)
    for ax, ticks in ((ax_hidden, hidden), (ax_grad, layers), (ax_back, layers)):
        ax.set_xticks(ticks)
        ax.minorticks_off()
    if title:
        fig.suptitle(title, fontsize=9)
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.17, top=0.8, wspace=0.3)
    return fig


def draw_normalization_training(runs: dict[str, NormRun], title: str = "") -> Figure:
    """Left: minibatch loss (smoothed); right: validation accuracy per epoch; one colour per run."""
    fig = Figure(figsize=(11, 3.4))
    ax_loss, ax_accuracy = fig.subplots(1, 2)
    palette = ("tab:gray", "tab:blue", "tab:green", "tab:red", "tab:purple")
    for (label, run), color in zip(runs.items(), palette, strict=False):
        ax_loss.plot(np.arange(1, len(run.train_loss) + 1), smooth(run.train_loss), color=color, lw=1.3, label=label)
        ax_accuracy.plot(np.arange(len(run.val_acc)), run.val_acc, "o-", color=color,
                         label=f"{label}: {run.final_val_acc:.1%}")
    ax_loss.set(xlabel="step", ylabel="minibatch loss", ylim=(0, 3), title="training")
    ax_accuracy.set(xlabel="epoch", ylabel="validation accuracy", ylim=(0, 1), title="validation")
    ax_loss.legend(fontsize=8)
    ax_accuracy.legend(fontsize=8, loc="lower right")
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def draw_depth_variance(curves: dict[str, np.ndarray], floor: float | None = None, title: str = "") -> Figure:
    """Var(z_k) of the Linear outputs against layer k, one line per initialization; ``floor``: a dashed level."""
    fig = Figure(figsize=(7, 3.4))
    ax = fig.subplots()
    for label, values in curves.items():
        ax.semilogy(np.arange(1, len(values) + 1), values, "o-", label=label)
    if floor is not None:
        ax.axhline(floor, color="black", ls="--", lw=0.8, label=f"{floor:.2g}")
    ax.set(xlabel="Linear layer k (last = logits)", ylabel="Var(z_k)", title=title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _explorer_batch() -> tuple[torch.Tensor, torch.Tensor]:
    from course_lib.data import load_fashion_mnist

    data = load_fashion_mnist(device=torch.device("cpu"))
    return data.train_x[:128].reshape(128, -1).float(), data.train_y[:128]


def normalization_demo(x: torch.Tensor | None = None, y: torch.Tensor | None = None) -> widgets.interactive:
    """Normalization, init scheme, std (normal only) and depth → per-layer variances on one fixed batch.

    ``x: (B, 784)``, ``y: (B,)`` default to the first 128 FashionMNIST training images.
    """
    if x is None or y is None:
        x, y = _explorer_batch()
    x, y = x.reshape(len(x), -1).float(), y.long()
    figures = FigureCache()

    def explore(normalization, scheme, std, depth):
        std = parse_positive(std, "std") if scheme == "normal" else MIN_STD
        depth = int(parse_number(depth, "depth", minimum=1, integer=True))
        stats = normalized_layer_statistics(x, y, normalization, scheme, std, depth, WIDTH)
        key = (normalization, scheme, std, depth)
        label = f"normal(0, {std:g}²)" if scheme == "normal" else scheme
        spread = stats.hidden_variance.max() / stats.hidden_variance.min()
        title = (f"{label}, {int(depth)} hidden layers of {WIDTH}, normalization: {normalization}: "
                 f"Var(h) spans a factor {spread:.3g} over the layers")
        return figures.get(key, lambda: draw_normalized_statistics(stats, title))

    scheme = widgets.Dropdown(options=list(SCHEME_OPTIONS.items()), value="normal", description="init")
    std = widgets.FloatLogSlider(value=0.01, base=10, min=math.log10(MIN_STD), max=math.log10(MAX_STD), step=0.25,
                                 description="std (normal)", continuous_update=False)

    def grey_out_std(_change=None):
        std.disabled = scheme.value != "normal"

    scheme.observe(grey_out_std, names="value")
    grey_out_std()
    return demo_interactive(
        explore,
        normalization=widgets.ToggleButtons(options=list(NORM_OPTIONS.items()), value="batch",
                                            description="normalization"),
        scheme=scheme,
        std=std,
        depth=widgets.IntSlider(value=6, min=1, max=MAX_DEPTH, description="hidden layers", continuous_update=False),
    )
