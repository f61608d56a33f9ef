"""Init explorer: the picture and the controls for per-layer variances under an initialization scheme.

The numbers come from ``course_lib.experiments.initialization.layer_statistics``. ``draw_statistics``
plots three small log-scale panels; ``init_explorer`` ties the controls to them and keeps the last
figures, so returning to a setting is instant.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullLocator

from course_lib.experiments.initialization import (
    EXPLORER_ACTIVATIONS,
    MAX_DEPTH,
    MAX_STD,
    MAX_WIDTH,
    MIN_DEPTH,
    MIN_STD,
    MIN_WIDTH,
    SCHEMES,
    WIDTH_STEP,
    LayerStatistics,
    explorer_batch,
    layer_statistics,
)
from course_lib.validation import parse_choice, parse_number
from course_lib.widgets.common import CachedBackground, demo_interactive

PLAIN_EXPONENT = FuncFormatter(lambda value, _: f"{value:.0e}")
MAX_CACHED_FIGURES = 64


def draw_statistics(stats: LayerStatistics, title: str) -> Figure:
    """Three log-scale panels against layer index: the forward signal Var(z), the weight gradients
    Var(∂L/∂W) and the backward signal Var(∂L/∂z).

    A bare ``Figure`` (no pyplot state), no minor ticks and plain-text tick labels ("1e-03", no
    mathtext) keep drawing and PNG rendering cheap.
    """
    layers = np.arange(1, len(stats.activation_variance) + 1)
    fig = Figure(figsize=(12, 3.2), dpi=72)
    ax_act, ax_grad, ax_back = fig.subplots(1, 3)
    ax_act.semilogy(layers, stats.activation_variance, "o-", color="C0")
    ax_act.axhline(1.0, color="grey", lw=0.8, ls="--")
    ax_act.set(title="forward: Var(Linear output z)", xlabel="layer (last = logits)")
    whole_decades(ax_act, stats.activation_variance, include=(0.1, 10.0))
    for ax, values, color, name in ((ax_grad, stats.gradient_variance, "C1", "weights: Var(∂L/∂W)"),
                                    (ax_back, stats.backward_variance, "C2", "backward: Var(∂L/∂z)")):
        ax.semilogy(layers, np.maximum(values, 1e-45), "o-", color=color)
        ax.set(title=name, xlabel="layer (last = logits)")
        whole_decades(ax, np.maximum(values, 1e-45))
    for ax in (ax_act, ax_grad, ax_back):
        ax.set_xticks(layers)
        ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(PLAIN_EXPONENT)
    fig.suptitle(title, fontsize=9)
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.17, top=0.8, wspace=0.3)
    return fig


def whole_decades(ax, values, include=(), min_decades: int = 2) -> None:
    """Log y-limits on whole decades spanning ``values`` (and ``include``), at least ``min_decades`` wide,
    so a variance that barely changes looks flat instead of being stretched over the whole panel."""
    values = np.asarray(values, dtype=float)
    values = np.concatenate([values[np.isfinite(values) & (values > 0)], np.asarray(include, dtype=float)])
    if values.size == 0:
        return
    low, high = np.floor(np.log10(values.min())), np.ceil(np.log10(values.max()))
    missing = max(0.0, min_decades - (high - low))
    low, high = low - np.floor(missing / 2), high + np.ceil(missing / 2)
    ax.set_ylim(10.0**low, 10.0**high)


def init_explorer(x: torch.Tensor | None = None, y: torch.Tensor | None = None) -> widgets.interactive:
    """Sliders for scheme, std, activation, depth and width → per-layer variances on one fixed batch.

    ``x: (B, 784)`` and ``y: (B,)`` default to the first 128 FashionMNIST training images.
    The figures of the last ``MAX_CACHED_FIGURES`` settings are kept, pixels included
    (``CachedBackground``), so returning to a setting is instant.
    """
    if x is None or y is None:
        x, y, source = explorer_batch()
    else:
        x, y, source = x.reshape(x.shape[0], -1).float(), y.long(), "your batch"
    figures: OrderedDict[tuple, Figure] = OrderedDict()

    def explore(scheme, std, activation, depth, width):
        scheme = parse_choice(scheme, SCHEMES, "scheme")
        activation = parse_choice(activation, EXPLORER_ACTIVATIONS, "activation")
        depth = int(parse_number(depth, "depth", minimum=MIN_DEPTH, maximum=MAX_DEPTH, integer=True))
        width = int(parse_number(width, "width", minimum=MIN_WIDTH, maximum=MAX_WIDTH, integer=True))
        std = parse_number(std, "std", minimum=MIN_STD, maximum=MAX_STD) if scheme == "normal" else 0.0
        key = (scheme, std, activation, depth, width)
        if key in figures:
            figures.move_to_end(key)
            return figures[key]
        stats = layer_statistics(x, y, scheme, activation, depth, width, std=std)
        ratio = stats.activation_variance[depth - 1] / stats.activation_variance[0]
        label = f"{scheme}(std={std:g})" if scheme == "normal" else scheme
        title = (f"{label} + {activation}, {depth}×{width} hidden, {len(y)} images of {source}: "
                 f"last hidden / first Var = {ratio:.3g}")
        fig = draw_statistics(stats, title)
        CachedBackground(fig, dynamic=())
        figures[key] = fig
        if len(figures) > MAX_CACHED_FIGURES:
            figures.popitem(last=False)
        return fig

    scheme = widgets.Dropdown(options=list(SCHEMES.items()), value="kaiming", description="scheme")
    std = widgets.FloatLogSlider(value=0.01, base=10, min=math.log10(MIN_STD), max=math.log10(MAX_STD),
                                 step=0.25, description="std (normal)", continuous_update=False)
    enable_std_only_for_normal(scheme, std)
    return demo_interactive(
        explore,
        scheme=scheme,
        std=std,
        activation=widgets.Dropdown(options=list(EXPLORER_ACTIVATIONS.items()), value="relu",
                                    description="activation"),
        depth=widgets.IntSlider(value=4, min=MIN_DEPTH, max=MAX_DEPTH, description="hidden layers",
                                continuous_update=False),
        width=widgets.IntSlider(value=256, min=MIN_WIDTH, max=MAX_WIDTH, step=WIDTH_STEP, description="width",
                                continuous_update=False),
    )


def enable_std_only_for_normal(scheme: widgets.Dropdown, std: widgets.FloatLogSlider) -> None:
    """The std slider only matters for normal(0, std²): grey it out for every other scheme."""

    def update(_change=None):
        std.disabled = scheme.value != "normal"

    scheme.observe(update, names="value")
    update()
