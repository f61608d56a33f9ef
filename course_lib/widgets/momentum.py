"""Momentum vs gradient descent on the two-parameter logistic-regression slice: the picture and the sliders.

The numbers come from ``course_lib.experiments.momentum.MomentumExperiment`` (runs cached by
(lr, β); the steps slider only slices a cached run). ``MomentumView`` draws the distance to the
optimum per parameter (log axis) and the paths over the surface; ``momentum_demo`` adds the sliders.
"""

from __future__ import annotations

from functools import lru_cache

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from course_lib.experiments.momentum import TOLERANCE, MomentumExperiment
from course_lib.widgets.common import CachedBackground, demo_interactive

DISTANCE_FLOOR = 1e-13
METHOD_NAMES = ("GD", "Momentum")
METHOD_COLORS = ("black", "tab:red")
PARAMETER_STYLES = (("weight", "-"), ("bias", ":"))


def _describe(name: str, step: int | None, num_steps: int) -> str:
    if step is None:
        return f"{name}: not within 1e-6 in {num_steps} steps"
    return f"{name}: within 1e-6 at step {step}"


class MomentumView:
    """One figure, drawn once, whose lines are updated in place: slider moves cost no new layout, and
    its axes, ticks and surface image are rendered once (``CachedBackground``), not per frame.

    Left: |w − w*| and |b − b*| per step on a log axis, GD black, momentum red (weight solid, bias
    dotted). Right: both paths over the loss surface (colour: log of the loss above its minimum).
    """

    def __init__(self, experiment: MomentumExperiment):
        self.experiment = experiment
        self.figure = Figure(figsize=(12, 4.4))
        self.figure.subplots_adjust(left=0.07, right=0.98, bottom=0.12, top=0.9, wspace=0.22)
        grid = self.figure.add_gridspec(1, 2, width_ratios=[1.25, 1])
        ax_dist, ax_path = self.figure.add_subplot(grid[0]), self.figure.add_subplot(grid[1])
        self.distance_lines = [
            [ax_dist.plot([], [], style, color=color, label=f"{name}, {parameter}")[0]
             for parameter, style in PARAMETER_STYLES]
            for name, color in zip(METHOD_NAMES, METHOD_COLORS, strict=True)
        ]
        ax_dist.set_yscale("log")
        ax_dist.yaxis.set_major_locator(LogLocator(base=10, numticks=8))
        ax_dist.yaxis.set_minor_locator(NullLocator())
        ax_dist.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0e}"))
        ax_dist.axhline(TOLERANCE, color="grey", lw=0.8, ls="--")
        ax_dist.set_ylim(DISTANCE_FLOOR, 30)
        ax_dist.set_xlabel("step")
        ax_dist.set_ylabel("|parameter − optimum|")
        ax_dist.legend(fontsize=8, loc="lower left")
        self.ax_dist, self.ax_path = ax_dist, ax_path

        window, (_, _, surface) = experiment.window, experiment.surface
        ax_path.imshow(np.log(surface - surface.min() + 1e-3), origin="lower", cmap="viridis",
                       aspect="auto", extent=(*window.x_range, *window.y_range))
        self.path_lines = [ax_path.plot([], [], ".-", color=color, ms=2.5, lw=0.8, label=name)[0]
                           for name, color in zip(METHOD_NAMES, METHOD_COLORS, strict=True)]
        self.markers = [
            ax_path.plot(*experiment.optimum.point, marker="*", color="lime", ms=14, ls="none", label="optimum (Newton)")[0],
            ax_path.plot(*experiment.init, marker="o", color="white", mec="black", ls="none", label="start")[0],
        ]
        ax_path.set_xlim(window.x_range)
        ax_path.set_ylim(window.y_range)
        ax_path.set_xlabel("weight w")
        ax_path.set_ylabel("bias b")
        ax_path.legend(fontsize=8, loc="upper left")
        moving = [line for lines in self.distance_lines for line in lines] + self.path_lines + self.markers
        titles = [ax_dist.title, ax_path.title]
        self.frames = CachedBackground(self.figure, moving + titles + [ax_dist.get_legend(), ax_path.get_legend()])

    def update(self, lr: float, beta: float, num_steps: int) -> Figure:
        """Redraw for these settings; CourseInputError (from the experiment) for a bad setting or a diverging run."""
        experiment = self.experiment
        paths = experiment.paths(lr, beta, num_steps)
        lr, beta, num_steps = float(lr), float(beta), paths.shape[1]
        distances = np.maximum(experiment.distances(lr, beta, num_steps), DISTANCE_FLOOR)
        steps = np.arange(num_steps)
        for lines, method in zip(self.distance_lines, distances, strict=True):
            for line, values in zip(lines, method.T, strict=True):
                line.set_data(steps, values)
        for line, path in zip(self.path_lines, paths, strict=True):
            line.set_data(path[:, 0], path[:, 1])
        self.ax_dist.set_xlim(0, max(num_steps - 1, 1))
        reached = experiment.steps_to_tolerance(lr, beta, num_steps=num_steps)
        self.ax_dist.set_title("; ".join(_describe(name, step, num_steps)
                                         for name, step in zip(METHOD_NAMES, reached, strict=True)), fontsize=9)
        self.ax_path.set_title(f"lr = {lr:.3g}, β = {beta:.2f}", fontsize=9)
        return self.figure


def draw_momentum(experiment: MomentumExperiment, lr: float, beta: float, num_steps: int) -> Figure:
    """A new figure: distance to the optimum per parameter (log scale) and both paths over the surface."""
    return MomentumView(experiment).update(lr, beta, num_steps)


@lru_cache(maxsize=1)
def _default_experiment() -> MomentumExperiment:
    from course_lib.experiments.logistic_slice import LogisticSlice

    return MomentumExperiment(LogisticSlice.course_default())


def momentum_demo(experiment: MomentumExperiment | None = None, lr: float = 1.0, beta: float = 0.9,
                  num_steps: int = 200) -> widgets.interactive:
    """Sliders for the learning rate (log scale), β and the number of steps; GD and momentum side by side.

    The task in notebook 03: find (lr, β) for which momentum gets within 1e-6 of the optimum in 200 steps.
    """
    experiment = experiment or _default_experiment()

    view = MomentumView(experiment)

    def show(lr, beta, num_steps):
        return view.update(lr, beta, num_steps)

    style = {"description_width": "initial"}
    return demo_interactive(
        show,
        lr=widgets.FloatLogSlider(value=lr, base=10, min=-3, max=1.5, step=0.05, description="learning rate",
                                  readout_format=".3g", continuous_update=False, style=style),
        beta=widgets.FloatSlider(value=beta, min=0.0, max=0.99, step=0.01, description="momentum β",
                                 continuous_update=False, style=style),
        num_steps=widgets.IntSlider(value=num_steps, min=10, max=experiment.max_steps, step=10,
                                    description="steps", continuous_update=False, style=style),
    )
