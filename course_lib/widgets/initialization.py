"""Init explorer: how an initialization scheme and an activation shape the variance of every layer.

Pipeline, one function per step:

1. ``explorer_batch``      one fixed batch of FashionMNIST images (a standard-normal batch if the data is missing);
2. ``layer_statistics``    one forward and one backward pass of a fresh MLP on that batch →
                           per-layer variance of the Linear outputs, of the weight gradients and
                           of the gradients flowing back into each Linear output;
3. ``draw_statistics``     three small log-scale line plots;
4. ``init_explorer``       the ``ipywidgets.interactive`` tying controls to 2 and 3, cached by settings.

Nothing is trained: every slider move builds a new network of the chosen shape, initializes it and
measures it on the same batch, so the only thing that changes is the initialization.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullLocator
from torch import nn

from course_lib.device import single_cpu_thread
from course_lib.init import init_equal_variance, init_kaiming, init_normal, init_xavier
from course_lib.models import MLP
from course_lib.widgets.common import (
    CachedBackground,
    CourseInputError,
    demo_interactive,
    parse_number,
    require_finite,
)

SCHEMES = {
    "normal(0, std²)": "normal",
    "equal variance 1/fan_in": "equal_variance",
    "Xavier 2/(fan_in+fan_out)": "xavier",
    "Kaiming 2/fan_in": "kaiming",
}
EXPLORER_ACTIVATIONS = {"identity": "identity", "tanh": "tanh", "ReLU": "relu", "Leaky-ReLU": "leaky_relu"}
MIN_DEPTH, MAX_DEPTH = 1, 12
MIN_WIDTH, MAX_WIDTH, WIDTH_STEP = 16, 512, 16
MIN_STD, MAX_STD = 1e-3, 1.0
BATCH_SIZE = 128
PLAIN_EXPONENT = FuncFormatter(lambda value, _: f"{value:.0e}")
INPUT_SIZE = 784
MAX_CACHED_FIGURES = 64
NUM_CLASSES = 10


@dataclass(frozen=True)
class LayerStatistics:
    """Per-Linear-layer variances, first layer to output layer; every array has shape (depth + 1,).

    ``activation_variance``: Var(z_k) of the Linear outputs (forward signal); ``gradient_variance``:
    Var(∂L/∂W_k) (what the optimizer sees); ``backward_variance``: Var(∂L/∂z_k) (backward signal,
    the quantity Xavier's backward condition keeps constant).
    """

    activation_variance: np.ndarray
    gradient_variance: np.ndarray
    backward_variance: np.ndarray


def explorer_batch(batch_size: int = BATCH_SIZE, seed: int = 42) -> tuple[torch.Tensor, torch.Tensor, str]:
    """The first ``batch_size`` training images (x: (B, 784), standardized; y: (B,)) and where they came from.

    Falls back to a seeded standard-normal batch with random labels when FashionMNIST is unavailable.
    """
    try:
        from course_lib.data import load_fashion_mnist

        data = load_fashion_mnist(device=torch.device("cpu"), seed=seed)
        x = data.train_x[:batch_size].reshape(batch_size, -1).float()
        return x, data.train_y[:batch_size], "FashionMNIST"
    except Exception as error:  # the data module says why in one line; the demo still works without it
        reason = " ".join(str(error).split())[:160]
        print(f"FashionMNIST is not available ({reason}); the explorer uses a standard-normal batch instead.")
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(batch_size, INPUT_SIZE, generator=generator)
    y = torch.randint(0, NUM_CLASSES, (batch_size,), generator=generator)
    return x, y, "standard-normal noise"


def initialize(model: nn.Module, scheme: str, std: float) -> nn.Module:
    """Apply one of course_lib.init's schemes (``scheme`` a value of ``SCHEMES``) to ``model`` in place."""
    if scheme == "normal":
        return init_normal(model, std=std)
    if scheme == "equal_variance":
        return init_equal_variance(model)
    if scheme == "xavier":
        return init_xavier(model)
    if scheme == "kaiming":
        return init_kaiming(model)
    raise CourseInputError(f"Unknown scheme {scheme!r}; choose one of: {', '.join(SCHEMES.values())}.")


def layer_statistics(x: torch.Tensor, y: torch.Tensor, scheme: str, activation: str, depth: int, width: int,
                     std: float = 0.01, seed: int = 0) -> LayerStatistics:
    """Var of each Linear output z_k = W_k h_{k-1}, of each ∂L/∂W_k and of each ∂L/∂z_k, for an MLP with
    ``depth`` hidden layers of ``width`` units, initialized by ``scheme``; L = cross-entropy on
    (x: (B, 784), y: (B,)).

    The weights are drawn from a private generator seeded with ``seed``: the caller's RNG is untouched.
    """
    with single_cpu_thread(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        with torch.device("meta"):
            model = MLP(input_size=x.shape[1], hidden_sizes=(width,) * depth, num_classes=NUM_CLASSES,
                        activation=activation)
        model = initialize(model.to_empty(device=x.device), scheme, std)
        hidden = x
        outputs = []
        for module in model.layers:
            hidden = module(hidden)
            if isinstance(module, nn.Linear):
                hidden.retain_grad()
                outputs.append(hidden)
        F.cross_entropy(hidden, y).backward()

        def variances(tensors):
            return torch.stack([tensor.detach().var() for tensor in tensors]).double().cpu().numpy()

        return LayerStatistics(variances(outputs),
                               variances(layer.weight.grad for layer in model.linear_layers()),
                               variances(output.grad for output in outputs))


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


def _choice(value, options: dict, name: str) -> str:
    if value in options.values():
        return value
    if value in options:
        return options[value]
    raise CourseInputError(f"{name}: {value!r} is not one of {', '.join(options)}.")


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
        scheme = _choice(scheme, SCHEMES, "scheme")
        activation = _choice(activation, EXPLORER_ACTIVATIONS, "activation")
        depth = int(parse_number(depth, "depth", minimum=MIN_DEPTH, maximum=MAX_DEPTH, integer=True))
        width = int(parse_number(width, "width", minimum=MIN_WIDTH, maximum=MAX_WIDTH, integer=True))
        std = parse_number(std, "std", minimum=MIN_STD, maximum=MAX_STD) if scheme == "normal" else 0.0
        key = (scheme, std, activation, depth, width)
        if key in figures:
            figures.move_to_end(key)
            return figures[key]
        stats = layer_statistics(x, y, scheme, activation, depth, width, std=std)
        require_finite(stats.activation_variance, "activation variance",
                       hint="the weights are too large for this depth; pick a smaller std or fewer layers")
        for values in (stats.gradient_variance, stats.backward_variance):
            require_finite(values, "gradient variance",
                           hint="the weights are too large for this depth; pick a smaller std or fewer layers")
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
