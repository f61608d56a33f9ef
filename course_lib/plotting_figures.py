"""The notebooks' one-off figures, so that no cell holds plotting code (notebooks 01, 03 and 04).

Each function takes numbers a notebook computed (with ``course_lib.experiments`` or its own short
loop) and returns the Figure it drew; the caller shows it with ``plt.show()``, and inside a kernel
``course_lib.figure_text`` gives it its text alternative from the titles, axis labels and legend set
here. Series take their colours and line styles from the course's cycle (``use_course_style``), so
that no two series differ by colour alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from course_lib.plotting import plot_surface

PARAMETER_STYLES = (("weight", "-"), ("bias", ":"))


def plot_standardized_images(images: torch.Tensor, labels: Sequence[int], class_names: Sequence[str],
                             mean: float, std: float) -> Figure:
    """Four standardized images (images: (≥4, 1, 28, 28), with colour bars) and a histogram of the batch's
    pixel values before (x/255, recovered as x·std + mean) and after standardization. Returns the Figure."""
    images = images.detach().cpu()
    fig, axes = plt.subplots(1, 5, figsize=(13, 3))
    for ax, image, label in zip(axes[:4], images[:4], labels[:4], strict=True):
        shown = ax.imshow(image[0], cmap="gray")
        ax.set_title(class_names[int(label)])
        ax.axis("off")
        fig.colorbar(shown, ax=ax, fraction=0.046)
    histogram = axes[4]
    histogram.hist((images * std + mean).flatten(), bins=40, histtype="step", linewidth=2, label="min-max, x/255")
    histogram.hist(images.flatten(), bins=40, histtype="step", linewidth=2, linestyle="--", label="standardized")
    histogram.set(title="pixel values of the batch", yscale="log")
    histogram.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_curves(curves: Mapping[str, Sequence[float]], xlabel: str, ylabel: str, title: str = "",
                markers: bool = False, figsize: tuple[float, float] = (7, 3.5)) -> Figure:
    """One line per entry of ``curves`` ({label: values per step or epoch}), against its index. Returns the Figure."""
    fig, ax = plt.subplots(figsize=figsize)
    for label, values in curves.items():
        ax.plot(values, marker="o" if markers else None, label=label)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend()
    return fig


def plot_class_templates(weight: torch.Tensor, class_names: Sequence[str]) -> Figure:
    """The ten rows of a linear classifier's weight (10, 784) as 28×28 images on one symmetric colour scale
    (red: evidence for the class, blue: against). Returns the Figure."""
    templates = weight.detach().cpu().reshape(len(class_names), 28, 28)
    limit = templates.abs().max().item()
    fig, axes = plt.subplots(2, 5, figsize=(12, 5.4))
    for ax, template, name in zip(axes.flat, templates, class_names, strict=True):
        ax.imshow(template, cmap="coolwarm", vmin=-limit, vmax=limit)
        ax.set_title(name, fontsize=10)
        ax.axis("off")
    fig.suptitle("Rows of W as 28×28 templates (red: evidence for the class, blue: against)")
    return fig


def plot_slice_views(loss_fn: Callable, x_range: Sequence[float], y_range: Sequence[float],
                     optimum: tuple[float, float]) -> Figure:
    """A two-parameter loss J(w, b) from above (filled contours, the optimum as a star) and in 3-D. Returns the Figure."""
    fig = plt.figure(figsize=(13, 4.8))
    above = fig.add_subplot(1, 2, 1)
    plot_surface(loss_fn, x_range, y_range, ax=above, resolution=80, title="J(w, b), from above",
                 labels=("weight w", "bias b"))
    above.plot(*optimum, marker="*", color="lime", ms=14, ls="none", label="optimum")
    above.legend(loc="upper right", fontsize=8)
    in_3d = fig.add_subplot(1, 2, 2, projection="3d")
    plot_surface(loss_fn, x_range, y_range, plot_3d=True, ax=in_3d, resolution=50, title="the same surface in 3-D",
                 labels=("weight w", "bias b"))
    in_3d.view_init(elev=30, azim=-130)
    return fig


def draw_parameter_distances(ax: Axes, distances: Mapping[str, np.ndarray]) -> Axes:
    """|parameter − optimum| per step on a log scale: one colour per method ({label: (steps, 2) for weight
    and bias}), the weight solid and the bias dotted."""
    for index, (label, distance) in enumerate(distances.items()):
        for column, (parameter, style) in enumerate(PARAMETER_STYLES):
            ax.semilogy(distance[:, column], style, color=f"C{index}",
                        label=f"{label}, {parameter}" if len(distances) > 1 else parameter)
    ax.set_xlabel("step")
    return ax


def plot_distance_panels(distances: Mapping[str, np.ndarray]) -> Figure:
    """One panel per run ({title: (steps, 2) |weight − w*|, |bias − b*|}), sharing the log y axis. Returns the Figure."""
    fig, axes = plt.subplots(1, len(distances), figsize=(3.5 * len(distances), 3.4), sharey=True, squeeze=False)
    for ax, (title, distance) in zip(axes[0], distances.items(), strict=True):
        draw_parameter_distances(ax, {title: distance}).set_title(title)
    axes[0, 0].set_ylabel("|parameter − optimum|")
    axes[0, 0].legend()
    return fig


def plot_distance_comparison(distances: Mapping[str, np.ndarray]) -> Figure:
    """Several methods' |parameter − optimum| in one panel ({label: (steps, 2)}). Returns the Figure."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    draw_parameter_distances(ax, distances).set_ylabel("|parameter − optimum|")
    ax.legend(fontsize=8)
    return fig


def plot_momentum_grid(final_distance: np.ndarray, lrs: Sequence[float], betas: Sequence[float]) -> Figure:
    """log10 of the distance to the optimum after the run, (len(lrs), len(betas)), as an image; a run that
    diverged (NaN) is drawn as the worst value. Returns the Figure."""
    fig, ax = plt.subplots(figsize=(9, 4.5))
    image = ax.imshow(np.log10(np.nan_to_num(final_distance, nan=1e3) + 1e-16), origin="lower", aspect="auto",
                      cmap="magma_r", vmin=-15, vmax=1)
    ax.set_xticks(range(len(betas))[::2], [f"{b:.1f}" for b in betas[::2]])
    ax.set_yticks(range(len(lrs))[::2], [f"{lr:.2g}" for lr in lrs[::2]])
    ax.set(xlabel="momentum β (0 = gradient descent)", ylabel="learning rate",
           title="distance to the optimum after 200 steps, per learning rate and β")
    ax.grid(False)
    fig.colorbar(image, label="log10 distance to the optimum after 200 steps")
    return fig


def plot_loss_curves_by_network(curves: Mapping[tuple, np.ndarray], ylim: tuple[float, float] = (0, 3)) -> Figure:
    """One panel per network ({hidden sizes: (inits, steps) training losses}), one line per initialization,
    titled with the final loss's mean ± std. Returns the Figure."""
    fig, axes = plt.subplots(1, len(curves), figsize=(6 * len(curves), 3.8), sharey=True, squeeze=False)
    for ax, (hidden, runs) in zip(axes[0], curves.items(), strict=True):
        ax.plot(np.asarray(runs).T, lw=1.2)
        ax.set_title(f"hidden sizes {hidden}: final loss {runs[:, -1].mean():.3f} ± {runs[:, -1].std():.3f}")
        ax.set_xlabel("gradient-descent step")
    axes[0, 0].set_ylabel("training loss")
    axes[0, 0].set_ylim(*ylim)
    return fig


def plot_sweep_heatmap(table: pd.DataFrame, label: str = "val accuracy (%)") -> Figure:
    """A pivot table of a sweep (rows × columns of settings) as an annotated heatmap. Returns the Figure."""
    fig, ax = plt.subplots(figsize=(9, 3.2))
    sns.heatmap(table, annot=True, fmt=".1f", cmap="viridis", cbar_kws={"label": label}, ax=ax)
    ax.set_title("Validation accuracy of each combination")
    return fig
