"""Figures used across the course: distribution grids, loss surfaces, training curves.

Collecting and drawing are separate steps, so the numbers are testable without a figure:

1. collectors return plain dicts ``{layer name: np.ndarray}`` in the model's layer order
   (``collect_weights``, ``collect_gradients``, ``collect_activations``, ``collect_input_gradients``),
   and ``layer_variances`` turns such a dict into ``{layer name: variance}``;
2. plot functions take those dicts (or a loss function, or an experiment's result) and return the
   Figure or Axes they drew; the caller shows it with ``plt.show()`` (in a kernel, with its text
   alternative, ``course_lib.figure_text``);
3. ``inspect_layers`` does both for notebook 02: it collects the four quantities of every Linear layer,
   shows the histograms asked for and prints the variances.

Layer names are ``"Layer i"`` where i is the index in ``model.layers`` (0, 2, 4, … for the course's
MLP), else the module's own name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
import torch.nn.functional as F
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from torch import nn

from course_lib.experiments.surfaces import surface_grid
from course_lib.figure_text import register_figure_descriptions
from course_lib.palette import series_cycle

__all__ = [
    "use_course_style",
    "collect_weights",
    "collect_gradients",
    "collect_activations",
    "collect_input_gradients",
    "layer_variances",
    "plot_distributions",
    "plot_surface",
    "plot_training_curves",
    "plot_shifted_minima",
    "histogram_sample",
    "inspect_layers",
    "plot_activation_saturation",
    "plot_bias_correction",
]

KDE_SAMPLE = 20_000
HISTOGRAM_SAMPLE = 8_000  # values per layer drawn in inspect_layers' histograms; the variances use all of them
LAYER_QUANTITIES = {"weights": "weights", "activations": "activations", "gradients": "weight gradients",
                    "input gradients": "input gradients"}
METRIC_LABELS = {
    "train_loss": "training loss",
    "val_loss": "validation loss",
    "train_acc": "training accuracy",
    "val_acc": "validation accuracy",
}


def use_course_style() -> None:
    """The course's look: seaborn's white grid, the colour-blind-safe series cycle (colour and line
    style, ``course_lib.palette``), readable font sizes; inside a
    kernel, every displayed figure also carries a text description (``course_lib.figure_text``)."""
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    plt.rcParams.update({"figure.dpi": 100, "axes.titlesize": "medium", "figure.autolayout": False,
                         "axes.prop_cycle": series_cycle()})
    register_figure_descriptions()


def _layer_name(module_name: str) -> str:
    """"layers.4" → "Layer 4"; any other module path is kept as it is."""
    parts = module_name.split(".")
    if len(parts) == 2 and parts[0] == "layers" and parts[1].isdigit():
        return f"Layer {parts[1]}"
    return module_name


def _linear_modules(model: nn.Module) -> list[tuple[str, nn.Linear]]:
    linears = [(_layer_name(name), module) for name, module in model.named_modules()
               if isinstance(module, nn.Linear)]
    if not linears:
        raise ValueError("the model has no nn.Linear layers to inspect")
    return linears


def _to_numpy(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().to("cpu", torch.float32).numpy().copy()


def collect_weights(model: nn.Module) -> dict[str, np.ndarray]:
    """The weight matrix of every Linear layer: {name: (fan_out, fan_in) array}."""
    return {name: _to_numpy(layer.weight) for name, layer in _linear_modules(model)}


def collect_gradients(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, np.ndarray]:
    """∂J/∂W of every Linear layer for the cross-entropy J on one batch: {name: (fan_out, fan_in) array}.

    x: (N, ...) inputs, y: (N,) class labels. Runs in eval mode (restored afterwards) and leaves the
    model's ``.grad`` fields untouched.
    """
    linears = _linear_modules(model)
    was_training = model.training
    model.eval()
    try:
        loss = F.cross_entropy(model(x), y)
        grads = torch.autograd.grad(loss, [layer.weight for _, layer in linears])
    finally:
        model.train(was_training)
    return {name: _to_numpy(grad) for (name, _), grad in zip(linears, grads, strict=True)}


def collect_activations(model: nn.Module, x: torch.Tensor) -> dict[str, np.ndarray]:
    """The output of every Linear layer (before its activation) on a batch: {name: (N, fan_out) array}.

    x: (N, ...) inputs. Runs in eval mode without gradients (the mode is restored afterwards).
    """
    outputs: dict[str, np.ndarray] = {}
    hooks = [layer.register_forward_hook(lambda _m, _i, out, name=name: outputs.__setitem__(name, _to_numpy(out)))
             for name, layer in _linear_modules(model)]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(x)
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return outputs


def collect_input_gradients(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, np.ndarray]:
    """∂ℓ_n/∂h_n for the input h of every Linear layer on one batch: {name: (N, fan_in) array}.

    The backward pass of a layer y = Wh: ∂ℓ/∂h = Wᵀ ∂ℓ/∂y, so Var(∂ℓ/∂h) = fan_out · Var(W) · Var(∂ℓ/∂y).
    ℓ_n is example n's own cross-entropy (the batch loss is summed, not averaged), so row n does not
    shrink with the batch size; the mean loss J = (1/N) Σ ℓ_n would divide every row by N. The first
    layer's entry is the gradient with respect to the flattened input x: (N, ...). Needs a model
    whose examples do not interact (no batch norm). Runs in eval mode (restored afterwards), removes
    its hooks and leaves the model's ``.grad`` fields untouched.
    """
    linears = _linear_modules(model)
    inputs: dict[str, torch.Tensor] = {}
    hooks = [layer.register_forward_pre_hook(lambda _m, args, name=name: inputs.__setitem__(name, args[0]))
             for name, layer in linears]
    was_training = model.training
    model.eval()
    try:
        logits = model(x.detach().clone().requires_grad_(True))
        loss = F.cross_entropy(logits, y, reduction="sum")
        names = [name for name, _ in linears]
        grads = torch.autograd.grad(loss, [inputs[name] for name in names])
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return {name: _to_numpy(grad) for name, grad in zip(names, grads, strict=True)}


def layer_variances(values: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Var of all entries of each array: {name: float}, same order."""
    return {name: float(np.var(np.asarray(array, dtype=np.float64))) for name, array in values.items()}


def density_curve(values: np.ndarray, rng: np.random.Generator, points: int = 200, cut: float = 3.0):
    """A Gaussian kernel density estimate of 1-D ``values``: (grid, density), both of shape (points,).

    Bandwidth by Scott's rule on at most ``KDE_SAMPLE`` values drawn with ``rng``; the grid runs from
    the smallest value minus ``cut`` bandwidths to the largest plus ``cut``, as seaborn's kdeplot does.
    """
    from seaborn.external.kde import gaussian_kde

    sample = values if values.size <= KDE_SAMPLE else rng.choice(values, KDE_SAMPLE, replace=False)
    kde = gaussian_kde(sample)
    bandwidth = float(np.sqrt(kde.covariance.squeeze()))
    grid = np.linspace(values.min() - cut * bandwidth, values.max() + cut * bandwidth, points)
    return grid, kde(grid)


def plot_distributions(values: Mapping[str, np.ndarray], title: str = "", color: str | None = None,
                       bins: int = 50, xlabel: str | None = None) -> Figure:
    """One histogram per entry of ``values`` (all entries of each array), side by side.

    Each histogram is a density (area 1) drawn as one filled outline (a single patch: dozens of bars
    made these grids several times slower to draw), and a density curve (``density_curve``) is added
    where the values are not all equal. Values that are NaN or infinite (a run that blew up) are left
    out and counted in the panel's title. Returns the Figure.
    """
    if not values:
        raise ValueError("nothing to plot: the dict of values is empty")
    color = color or "C0"
    rng = np.random.default_rng(0)
    columns = len(values)
    fig, axes = plt.subplots(1, columns, figsize=(2.8 * columns, 2.6), squeeze=False)
    for ax, (name, array) in zip(axes[0], values.items(), strict=True):
        every = np.asarray(array, dtype=np.float64).ravel()
        flat = every[np.isfinite(every)]
        spread = np.ptp(flat) if flat.size else 0.0
        if flat.size:
            density, edges = np.histogram(flat, bins=bins, density=True)
            ax.stairs(density, edges, fill=True, color=color, alpha=0.5, linewidth=0)
        if spread > 1e-8:
            ax.plot(*density_curve(flat, rng), color=color, linewidth=1.5)
        left_out = every.size - flat.size
        ax.set_title(name if not left_out else f"{name}\n({left_out:,} of {every.size:,} not finite)")
        if xlabel:
            ax.set_xlabel(xlabel)
    axes[0, 0].set_ylabel("density")
    if title:
        fig.suptitle(title, y=1.02)
    fig.tight_layout()
    return fig


def plot_surface(loss_fn: Callable, x_range: Sequence[float], y_range: Sequence[float], plot_3d: bool = False,
                 ax: Axes | None = None, title: str | None = None, resolution: int = 100,
                 cmap: str = "viridis", labels: Sequence[str] = (r"$w_1$", r"$w_2$")) -> Axes:
    """Draw J(w1, w2) over the ranges: filled contours (2-D) or a surface (3-D). Returns the Axes.

    ``loss_fn(W1, W2)`` must work elementwise on tensors (one call for the whole grid); ``labels``
    name the two axes (e.g. ``("weight", "bias")`` for a ``LogisticSlice``). With
    ``ax=None`` a new figure is made; for ``plot_3d`` a given ``ax`` must be a 3-D axes
    (``fig.add_subplot(projection="3d")``).
    """
    w1, w2, z = surface_grid(loss_fn, x_range, y_range, resolution)
    if ax is None:
        fig = plt.figure(figsize=(6, 4.5))
        ax = fig.add_subplot(projection="3d") if plot_3d else fig.add_subplot()
    elif plot_3d and ax.name != "3d":
        raise ValueError('plot_3d needs a 3-D axes: fig.add_subplot(projection="3d")')
    if plot_3d:
        ax.plot_surface(w1, w2, z, cmap=cmap, linewidth=0, antialiased=True, alpha=0.9)
        ax.set_zlabel("loss")
    else:
        filled = ax.contourf(w1, w2, z, levels=30, cmap=cmap)
        ax.contour(w1, w2, z, levels=15, colors="white", linewidths=0.4, alpha=0.6)
        ax.figure.colorbar(filled, ax=ax, label="loss")
        ax.set_xlim(w1[0, 0], w1[0, -1])
        ax.set_ylim(w2[0, 0], w2[-1, 0])
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    if title:
        ax.set_title(title)
    return ax


def plot_training_curves(histories: Mapping[str, Mapping | object], metric: str | Sequence[str] = "val_acc",
                         title: str | None = None) -> Figure:
    """Per-epoch curves of one or more metrics for several runs: {label: history dict or TrainResult}.

    A history maps metric names ("train_loss", "train_acc", "val_loss", "val_acc") to per-epoch
    lists. One Axes per metric; epochs count from 1. Returns the Figure.
    """
    metrics = [metric] if isinstance(metric, str) else list(metric)
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 3.8), squeeze=False)
    for ax, name in zip(axes[0], metrics, strict=True):
        for label, history in histories.items():
            history = getattr(history, "history", history)
            if name not in history:
                raise ValueError(f"run {label!r} has no metric {name!r}; it has: {', '.join(history)}")
            values = np.asarray(history[name], dtype=np.float64)
            ax.plot(np.arange(1, len(values) + 1), values, marker="o", markersize=3, label=label)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(METRIC_LABELS.get(name, name))
        if histories:
            ax.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_shifted_minima(train_loss: Callable[[np.ndarray], np.ndarray], minima: Mapping[str, float], shift: float,
                        w_range: Sequence[float] = (-4.0, 4.0), resolution: int = 801) -> Figure:
    """A 1-D training loss J(w), a "test loss" J(w − shift), and the gap J(m − shift) − J(m) at each minimum m.

    ``train_loss`` works elementwise on numpy arrays; ``minima`` maps a label (e.g. "flat") to the w of a
    minimum. At each minimum a red bar joins the two losses; its label sits below both curves, where
    nothing else is drawn, with an arrow up to the minimum. The legend sits above the axes. Returns the Figure.
    """
    w = np.linspace(float(w_range[0]), float(w_range[1]), int(resolution))
    train, test = train_loss(w), train_loss(w - shift)
    low, high = float(min(train.min(), test.min())), float(max(train.max(), test.max()))
    span = high - low if high > low else 1.0
    label_top = low - 0.2 * span
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(w, train, color="black", label="training loss")
    ax.plot(w, test, "--", color="tab:red", label=f"test loss (training loss shifted by {shift:g})")
    for name, at in minima.items():
        bottom, top = float(train_loss(np.asarray(at))), float(train_loss(np.asarray(at - shift)))
        ax.plot([at, at], [bottom, top], color="tab:red", linewidth=4, solid_capstyle="butt", alpha=0.6)
        ax.annotate(f"{name} minimum\ntest − train = {top - bottom:.2f}", xy=(at, bottom), xytext=(at, label_top),
                    ha="center", va="top", fontsize="small",
                    arrowprops={"arrowstyle": "-|>", "color": "0.25", "linewidth": 1.2, "shrinkA": 2, "shrinkB": 3})
    ax.set_ylim(label_top - 0.3 * span, high + 0.08 * span)
    ax.set_yticks([tick for tick in ax.get_yticks() if low - 0.05 * span <= tick <= high + 0.05 * span])
    ax.set_xlim(w[0], w[-1])
    ax.set_xlabel("weight w")
    ax.set_ylabel("loss")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False, fontsize="small")
    fig.tight_layout()
    return fig


def histogram_sample(values: Mapping[str, np.ndarray], rng: np.random.Generator,
                     size: int = HISTOGRAM_SAMPLE) -> dict[str, np.ndarray]:
    """At most ``size`` entries of each array (flattened), drawn at random with ``rng``: a histogram of the
    sample has the same shape and draws much faster."""
    flat = {name: np.asarray(array).ravel() for name, array in values.items()}
    return {name: array if array.size <= size else rng.choice(array, size, replace=False)
            for name, array in flat.items()}


def inspect_layers(model: nn.Module, x: torch.Tensor, y: torch.Tensor, title: str,
                   plots: Sequence[str] = ("weights", "gradients", "activations"),
                   color: str = "C0") -> dict[str, list[float]]:
    """Show the distributions named in ``plots`` for every Linear layer of ``model`` on the batch x: (B, 784),
    y: (B,); print their variances (rounded) and return them.

    Returns {kind: [Var per Linear layer, first to last]} for each kind of ``LAYER_QUANTITIES``: the
    weights W, the activations (the Linear outputs z on the batch), the weight gradients ∂J/∂W of the
    mean cross-entropy J, and the input gradients ∂ℓ/∂h of each example's own loss ℓ. The variances
    use every value; each histogram a random sample of at most ``HISTOGRAM_SAMPLE`` values per layer.
    """
    unknown = [kind for kind in plots if kind not in LAYER_QUANTITIES]
    if unknown:
        raise ValueError(f"inspect_layers: unknown plots {unknown}; choose from {list(LAYER_QUANTITIES)}")
    collected = {
        "weights": collect_weights(model),
        "activations": collect_activations(model, x),
        "gradients": collect_gradients(model, x, y),
        "input gradients": collect_input_gradients(model, x, y),
    }
    rng = np.random.default_rng(0)
    for kind in plots:
        fig = plot_distributions(histogram_sample(collected[kind], rng), title=f"{title}: {LAYER_QUANTITIES[kind]}",
                                 color=color)
        plt.show()
        plt.close(fig)
    variances = {kind: list(layer_variances(values).values()) for kind, values in collected.items()}
    layers = [f"Linear {index}" for index in range(1, len(variances["weights"]) + 1)]
    table = pd.DataFrame(variances, index=layers).T.rename(index=LAYER_QUANTITIES)
    with pd.option_context("display.float_format", "{:.3g}".format, "display.width", 120,
                           "display.max_columns", None):
        print(f"{title} — variance per layer\n{table}")
    return variances


def plot_activation_saturation(curves: Mapping[str, object], saturated_beyond: float = 3.0) -> Figure:
    """One panel per activation: σ(z) and σ′(z) from an ``ActivationCurve`` each, with |z| > ``saturated_beyond``
    shaded, where the derivative is about 0. Returns the Figure."""
    fig, axes = plt.subplots(1, len(curves), figsize=(5 * len(curves), 3.2), squeeze=False)
    for ax, (name, curve) in zip(axes[0], curves.items(), strict=True):
        ax.plot(curve.z, curve.value, label=name)
        ax.plot(curve.z, curve.derivative, label=f"{name}′(z)")
        ax.axvspan(curve.z[0], -saturated_beyond, color="grey", alpha=0.15)
        ax.axvspan(saturated_beyond, curve.z[-1], color="grey", alpha=0.15, label="saturated: derivative ≈ 0")
        ax.set(title=name, xlabel="z")
        ax.legend(loc="upper left", fontsize=8)
    return fig


def plot_bias_correction(correction) -> Figure:
    """Adam's step in units of η against step t, without (m/√v) and with (m̂/√v̂) bias correction, from a
    ``course_lib.experiments.bias_correction.BiasCorrection``. Returns the Figure."""
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.plot(correction.steps, correction.raw, label="m / √v (no correction)")
    ax.plot(correction.steps, correction.corrected, label="m̂ / √v̂ (corrected)")
    ax.set_xlabel(f"step t (constant gradient g = {correction.gradient:g})")
    ax.set_ylabel("step size in units of η")
    ax.legend()
    return fig
