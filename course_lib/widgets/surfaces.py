"""SGD, momentum and Adam on the course's 2-D surfaces (pathological curvature, steep optima): picture and controls.

The paths come from ``course_lib.experiments.surfaces.SurfaceRuns`` (cached by surface, optimizer
and learning rate). ``SurfaceView`` draws a surface once (2-D contours or a 3-D surface) and moves
only the paths on it; ``surface_demo`` keeps one view per (surface, view, axis ranges) and adds the
controls. Picking a surface resets the learning rates to the UvA tutorial's settings for it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from course_lib.experiments.surfaces import LR_EXPONENTS, OPTIMIZER_NAMES, SurfaceRuns
from course_lib.validation import parse_choice
from course_lib.widgets.common import CachedBackground, demo_interactive

VIEW_LIMIT = 50.0
MAX_VIEWS = 16


def _view_ranges(surface, paths: Mapping[str, np.ndarray]) -> tuple[tuple[float, float], tuple[float, float]]:
    """The surface's default ranges, widened by whole doublings about their centre until every path
    fits (up to ±VIEW_LIMIT), plus a 5 % margin.

    Widening in doublings keeps the axes the same for most slider moves, so the demo can reuse the
    surface it has already drawn.
    """
    points = np.concatenate([p[:, :2] for p in paths.values()])
    ranges = []
    for axis, (low, high) in enumerate((surface.x_range, surface.y_range)):
        centre, half = (low + high) / 2, (high - low) / 2
        needed = min(float(np.abs(points[:, axis] - centre).max()), VIEW_LIMIT)
        doublings = max(0, math.ceil(math.log2(needed / half))) if needed > half else 0
        half = min(half * 2**doublings, VIEW_LIMIT)
        margin = 0.05 * 2 * half
        ranges.append((centre - half - margin, centre + half + margin))
    return ranges[0], ranges[1]


class SurfaceView:
    """One persistent figure of a surface, 2-D contours or 3-D, with one path line per optimizer.

    The surface, colour bar and ticks are drawn once (``CachedBackground``); ``update(paths)`` only
    moves the paths {optimizer: (T, 3) rows [w1, w2, J]}, their start markers and the legend.
    """

    def __init__(self, surface, x_range, y_range, plot_3d: bool = False, names=OPTIMIZER_NAMES):
        from course_lib.plotting import plot_surface

        self.plot_3d = plot_3d
        self.figure = Figure(figsize=(7.5, 5.5) if plot_3d else (7.5, 5), layout="tight")
        ax = self.figure.add_subplot(projection="3d") if plot_3d else self.figure.add_subplot()
        plot_surface(surface.loss_fn, x_range, y_range, plot_3d=plot_3d, ax=ax,
                     resolution=60 if plot_3d else 120, title=surface.name)
        if plot_3d:
            ax.view_init(elev=35, azim=-120)
        empty = ([], [], []) if plot_3d else ([], [])
        self.paths = {name: ax.plot(*empty, color=f"C{i}", marker="o", markersize=2.5, linewidth=1.2,
                                    label=name)[0] for i, name in enumerate(names)}
        self.starts = {name: ax.plot(*empty, color=f"C{i}", marker="s", markersize=6.25,
                                     markeredgecolor="black")[0] for i, name in enumerate(names)}
        legend = ax.legend(handles=list(self.paths.values()), loc="upper right", fontsize="small")
        self.figure.get_layout_engine().execute(self.figure)
        self.figure.set_layout_engine("none")
        moving = [*self.paths.values(), *self.starts.values(), legend]
        self.frames = CachedBackground(self.figure, moving)

    def update(self, paths: Mapping[str, np.ndarray]) -> Figure:
        for name, line in self.paths.items():
            points = np.asarray(paths[name], dtype=np.float64)
            for target, rows in ((line, points), (self.starts[name], points[:1])):
                if self.plot_3d:
                    target.set_data_3d(rows[:, 0], rows[:, 1], rows[:, 2])
                else:
                    target.set_data(rows[:, 0], rows[:, 1])
        return self.figure


def draw_surface_runs(surface, paths: Mapping[str, np.ndarray], plot_3d: bool = False) -> Figure:
    """The paths {optimizer: (T, 3)} over ``surface`` (a ``course_lib.surfaces.Surface``), 2-D or 3-D."""
    x_range, y_range = _view_ranges(surface, paths)
    return SurfaceView(surface, x_range, y_range, plot_3d, names=tuple(paths)).update(paths)


def surface_demo(runs: SurfaceRuns | None = None, surface: str = "pathological curvature",
                 num_steps: int = 100) -> widgets.interactive:
    """Pick a surface, one learning rate per optimizer (log scale), the number of steps, 2-D or 3-D."""
    runs = runs or SurfaceRuns()
    if surface not in runs.surfaces:
        raise ValueError(f"Unknown surface {surface!r}; choose one of: {', '.join(runs.surfaces)}.")
    style = {"description_width": "initial"}
    surface_control = widgets.Dropdown(options=list(runs.surfaces), value=surface, description="surface")
    lr_controls = {
        name: widgets.FloatLogSlider(value=lr, base=10, min=LR_EXPONENTS[0], max=LR_EXPONENTS[1], step=0.1,
                                     description=f"{name} lr", readout_format=".3g", continuous_update=False,
                                     style=style)
        for name, lr in runs.default_lrs(surface).items()
    }
    resetting = {"now": False}
    views: dict[tuple, SurfaceView] = {}

    def reset_learning_rates(change) -> None:
        if change["new"] not in runs.surfaces:
            return
        resetting["now"] = True
        try:
            for name, lr in runs.default_lrs(change["new"]).items():
                lr_controls[name].value = lr
        finally:
            resetting["now"] = False

    surface_control.observe(reset_learning_rates, names="value")

    def show(surface, sgd_lr, momentum_lr, adam_lr, num_steps, view):
        if resetting["now"]:
            return None
        lrs = {"SGD": sgd_lr, "Momentum": momentum_lr, "Adam": adam_lr}
        paths = runs.paths(surface, lrs, num_steps)
        plot_3d = parse_choice(view, ("2-D", "3-D"), "view") == "3-D"
        x_range, y_range = _view_ranges(runs.surfaces[surface], paths)
        key = (surface, plot_3d, x_range, y_range)
        if key not in views:
            if len(views) >= MAX_VIEWS:
                views.pop(next(iter(views)))
            views[key] = SurfaceView(runs.surfaces[surface], x_range, y_range, plot_3d)
        return views[key].update(paths)

    return demo_interactive(
        show,
        surface=surface_control,
        sgd_lr=lr_controls["SGD"],
        momentum_lr=lr_controls["Momentum"],
        adam_lr=lr_controls["Adam"],
        num_steps=widgets.IntSlider(value=num_steps, min=10, max=runs.max_steps, step=10, description="steps",
                                    continuous_update=False),
        view=widgets.ToggleButtons(options=["2-D", "3-D"], value="2-D", description="view"),
    )


def draw_coordinates(paths: Mapping[str, np.ndarray]) -> Figure:
    """w₁ and w₂ against the step, one line per optimizer: paths {optimizer: (T, 3) rows [w1, w2, J]}."""
    figure = Figure(figsize=(12, 3.6), layout="constrained")
    axes = figure.subplots(1, 2, sharex=True)
    for index, (name, path) in enumerate(paths.items()):
        steps = np.arange(len(path))
        for ax, column in zip(axes, (0, 1), strict=True):
            ax.plot(steps, path[:, column], color=f"C{index}", lw=1.3, label=name)
    for ax, label in zip(axes, ("w₁ (across the ravine)", "w₂ (along the ravine)"), strict=True):
        ax.set_xlabel("step")
        ax.set_ylabel(label)
        ax.axhline(0.0, color="grey", lw=0.6)
    axes[0].legend(fontsize="small")
    return figure
