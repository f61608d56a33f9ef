"""Latency of every interactive demo in course_lib.widgets, against the seed's momentum demo.

What is measured, per demo in ``course_lib.widgets.__all__``:

1. build the demo (its first render included; reported as ``build_s``, not in the latency figures);
2. move each control through a sequence of valid values via ``ui.kwargs_widgets``, one at a time,
   restoring its default afterwards; then replay the same sequence, so that every setting is seen
   a second time;
3. time each move: the assignment ``control.value = v``, which runs ``ui.update()`` through the
   widget's observer exactly like a slider release in JupyterLab: the demo computes, then renders
   the PNG it displays (``course_lib.widgets.common.figure_png``: one drawing pass at 80 dpi, or
   only the moving artists over a cached background for the demos that keep one figure).

A move whose settings appeared before in this run counts as "seen", otherwise "fresh"; moves the
demo rejects with a message (e.g. a diverging learning rate) are counted, not timed.

The baseline, timed in the same process: a re-implementation of the seed's momentum-vs-GD widget
(Neuromatch W1D5, interactive demo 4) with FashionMNIST instead of MNIST: a loss of two free
parameters of a logistic regression that deep-copies the model at every evaluation, a 30×30 loss
surface evaluated point by point, Newton's method for the optimum (setup), and per widget update
300 steps of gradient descent plus 300 steps of momentum, a distance plot and a 3-D surface plot.
Its per-update time is the reference for ``ratio_to_baseline`` (demo median / baseline median).

Targets on the 2-core CPU: momentum_demo, surface_demo, init_explorer, normalization_demo ≤ 150 ms
median; compare_optimizers_demo ≤ 1.5 s median on fresh settings and ≤ 150 ms on settings seen before;
schedule_demo, adamw_demo, clipping_demo (which train a new setting) ≤ 3 s p95 on fresh settings in
quick mode (run with COURSE_QUICK=1) and ≤ 150 ms median on settings seen before; every demo ≤ 3 s at
the 95th percentile.

Usage: python benchmarks/widget_latency.py [--quick] [--demos a,b] [--values 5] [--passes 2]
Last stdout line: JSON with per-demo median and p95 in ms and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import math
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from _common import Stopwatch, emit_json, progress, run_conditions, summarize_ms  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from torch import nn  # noqa: E402
from traitlets import TraitError  # noqa: E402

import course_lib.widgets as demos  # noqa: E402
from course_lib.widgets.common import figure_png  # noqa: E402

SELECTIONS = (widgets.Dropdown, widgets.ToggleButtons, widgets.RadioButtons, widgets.SelectionSlider,
              widgets.Select)
PENDING = object()  # placed in ui.last_error to detect whether an assignment triggered an update
FAST_DEMOS = ("momentum_demo", "surface_demo", "init_explorer", "normalization_demo")
FAST_MEDIAN_MS, FRESH_COMPARE_MS, SEEN_COMPARE_MS, P95_LIMIT_MS = 150.0, 1500.0, 150.0, 3000.0
# Notebook 05's demos that train a setting the first time it is chosen: seen settings redraw from a cache.
TRAINING_DEMOS = ("schedule_demo", "adamw_demo", "clipping_demo")
FRESH_TRAINING_MS = 3000.0


# ---------------------------------------------------------------------------------------------
# Control sequences
# ---------------------------------------------------------------------------------------------

def _on_grid(value: float, start: float, step: float) -> float:
    return start + round((value - start) / step) * step if step else value


def slider_values(control, count: int) -> list:
    """``count`` evenly spaced values from min to max, on the slider's step grid."""
    if isinstance(control, widgets.FloatLogSlider):
        exponents = [_on_grid(e, control.min, control.step) for e in np.linspace(control.min, control.max, count)]
        return [float(control.base ** min(e, control.max)) for e in exponents]
    points = [_on_grid(v, control.min, control.step) for v in np.linspace(control.min, control.max, count)]
    points = [min(max(v, control.min), control.max) for v in points]
    if isinstance(control.value, int):
        return [int(round(v)) for v in points]
    return [round(float(v), 10) for v in points]


def text_values(text: str, count: int) -> list[str]:
    """Variants of a text control's default: each entry of a comma list left out in turn, or a
    single number halved and doubled. Variants the demo rejects are counted as rejected."""
    parts = [part.strip() for part in str(text).split(",")]
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        return []
    if len(parts) > 1:
        return [", ".join(parts[:i] + parts[i + 1:]) for i in range(len(parts))][:count]
    number = numbers[0]
    variants = [number / 2, number * 2] if "." in parts[0] or "e" in parts[0] else [max(1, int(number) // 2),
                                                                                     int(number) * 2]
    return [f"{variant:g}" for variant in variants][:count]


def control_values(control, count: int) -> list:
    """Valid values to move ``control`` through (its default excluded)."""
    if isinstance(control, SELECTIONS):
        options = [opt[1] if isinstance(opt, tuple) and len(opt) == 2 else opt for opt in control.options]
        values = options[:count] if len(options) <= count else [options[round(i)] for i in
                                                                 np.linspace(0, len(options) - 1, count)]
    elif isinstance(control, widgets.Checkbox | widgets.ToggleButton):
        values = [not control.value]
    elif isinstance(control, widgets.IntRangeSlider | widgets.FloatRangeSlider):
        middle = _on_grid((control.min + control.max) / 2, control.min, control.step)
        middle = int(middle) if isinstance(control, widgets.IntRangeSlider) else middle
        values = [(control.min, control.max), (control.min, middle), (middle, control.max)][:count]
    elif hasattr(control, "min") and hasattr(control, "max") and hasattr(control, "step"):
        values = slider_values(control, count)
    elif isinstance(control, widgets.Text | widgets.Textarea):
        values = text_values(control.value, count)
    elif isinstance(control, widgets.IntText | widgets.FloatText):
        values = [type(control.value)(control.value * 2), type(control.value)(control.value / 2)][:count]
    else:
        values = []
    unique = []
    for value in values:
        if value != control.value and value not in unique:
            unique.append(value)
    return unique


def move_sequence(ui, count: int) -> list[tuple[int, object]]:
    """(control index, value) pairs: each control through its values, then back to its default."""
    moves = []
    for index, control in enumerate(ui.kwargs_widgets):
        values = control_values(control, count)
        moves += [(index, value) for value in values]
        if values:
            moves.append((index, control.value))
    return moves


# ---------------------------------------------------------------------------------------------
# Timing the demos
# ---------------------------------------------------------------------------------------------

@dataclass
class DemoTimings:
    fresh: list[float] = field(default_factory=list)
    seen: list[float] = field(default_factory=list)
    compute: list[float] = field(default_factory=list)
    render: list[float] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    refused: int = 0


def timed_move(ui, control, value, timings: DemoTimings, seen: bool) -> None:
    """Set one control (its observer runs ``ui.update()``, which computes and renders the PNG the
    student sees), file the duration and its compute/render split (``ui.last_seconds``)."""
    ui.last_error = PENDING
    with Stopwatch() as move:
        try:
            control.value = value
        except (TraitError, ValueError, TypeError):
            timings.refused += 1
            return
        if ui.last_error is PENDING:  # the value did not change, so no observer ran
            ui.update()
    if ui.last_error is not None or ui.last_png is None:
        timings.rejected.append(f"{control.description or type(control).__name__}={value!r}: {ui.last_error}")
        return
    timings.compute.append(ui.last_seconds["compute"])
    timings.render.append(ui.last_seconds["render"])
    (timings.seen if seen else timings.fresh).append(move.seconds)


def settings_key(ui, changed_index: int = -1, new_value=None) -> tuple:
    """The demo's settings as a hashable tuple, with control ``changed_index`` set to ``new_value``."""
    return tuple(repr(new_value if index == changed_index else control.value)
                 for index, control in enumerate(ui.kwargs_widgets))


def time_demo(name: str, values_per_control: int, passes: int) -> dict:
    """Build one demo and time every move of its control sequence, ``passes`` times over."""
    with Stopwatch() as build, contextlib.redirect_stdout(io.StringIO()):
        ui = getattr(demos, name)()
    if ui.last_error is not None:
        raise RuntimeError(f"default settings do not render: {ui.last_error}")
    timings, visited = DemoTimings(), {settings_key(ui)}
    moves = move_sequence(ui, values_per_control)
    with contextlib.redirect_stdout(io.StringIO()):
        for _ in range(passes):
            for index, value in moves:
                key = settings_key(ui, index, value)
                timed_move(ui, ui.kwargs_widgets[index], value, timings, seen=key in visited)
                visited.add(key)
    plt.close("all")
    every = timings.fresh + timings.seen
    result = {**summarize_ms(every), "build_s": round(build.seconds, 2)}
    result.update({f"fresh_{k}": v for k, v in summarize_ms(timings.fresh).items()})
    result.update({f"seen_{k}": v for k, v in summarize_ms(timings.seen).items()})
    result["compute_median_ms"] = summarize_ms(timings.compute)["median_ms"]
    result["render_median_ms"] = summarize_ms(timings.render)["median_ms"]
    result["rejected"] = len(timings.rejected)
    result["rejected_examples"] = timings.rejected[:3]
    result["refused_by_widget"] = timings.refused
    return result


# ---------------------------------------------------------------------------------------------
# The baseline: the seed's momentum-vs-GD demo, re-implemented faithfully (slow on purpose)
# ---------------------------------------------------------------------------------------------

class SeedLogisticRegression(nn.Module):
    """The seed's MLP with no hidden layer: log-softmax(W x + b), W: (10, 784) in ``main[0]``."""

    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(nn.Linear(784, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(self.main(x.view(-1, 784)), dim=1)


def seed_loss_2d(model: SeedLogisticRegression, u, v, x: torch.Tensor, y: torch.Tensor,
                 weight_index=(0, 378), bias_index: int = 7) -> torch.Tensor:
    """NLL of the model with W[weight_index] replaced by u and b[bias_index] replaced by v (x: (N, 784))."""
    weight, bias = model.main[0].weight, model.main[0].bias
    mask = torch.ones_like(weight)
    mask[weight_index] = 0.0
    free_weight = weight * mask
    free_weight[weight_index] = u
    logits = x @ free_weight.T + bias
    logits[:, bias_index] += v - bias[bias_index]
    return F.nll_loss(F.log_softmax(logits, dim=1), y)


def seed_zero_grad(params) -> None:
    for par in params:
        if par.grad is not None:
            par.grad.data.zero_()


def seed_gradient_update(loss, params, aux, lr=1e-3) -> None:
    """w ← w − η∇J, the seed's way: backward into .grad, then edit .data."""
    seed_zero_grad(params)
    loss.backward()
    for par in params:
        par.data -= lr * par.grad.data


def seed_momentum_update(loss, params, grad_vel, lr=1e-3, beta=0.8) -> None:
    """v ← βv − η∇J; w ← w + v, the seed's way."""
    seed_zero_grad(params)
    loss.backward()
    for par, vel in zip(params, grad_vel, strict=True):
        vel.data = -lr * par.grad.data + beta * vel.data
        par.data += vel.data


def seed_run_optimizer(inits, eval_fn, update_fn, max_steps, optim_kwargs) -> np.ndarray:
    """Trajectory (max_steps, 3) of [u, v, loss], one Python-float row per step as in the seed."""
    params = [nn.Parameter(torch.tensor(value)) for value in inits]
    aux = [torch.zeros_like(par) for par in params]
    trajectory = np.zeros((max_steps, len(params) + 1))
    for step in range(max_steps):
        loss = eval_fn(*params)
        trajectory[step, :] = [par.item() for par in params] + [loss.item()]
        update_fn(loss, params, aux, **optim_kwargs)
    return trajectory


def seed_newton(func, init=(0.0, 0.0), max_iter=200) -> np.ndarray:
    """The optimum by Newton's method, w ← w − H⁻¹∇J, Hessian by autograd through ``func``."""
    par = torch.tensor(init, requires_grad=True)

    def on_vector(p):
        return func(p[0], p[1])

    for _ in range(max_iter):
        loss = on_vector(par)
        grad = torch.autograd.grad(loss, par)[0]
        hessian = torch.autograd.functional.hessian(on_vector, par)
        par.data -= torch.inverse(hessian) @ grad
    return par.detach().numpy()


@dataclass
class SeedMomentumDemo:
    """State the seed builds once before the widget: the data, the model, the surface, the optimum."""

    x: torch.Tensor
    y: torch.Tensor
    model: SeedLogisticRegression
    U: np.ndarray
    V: np.ndarray
    Z: np.ndarray
    best: np.ndarray

    def loss(self, u, v):
        return seed_loss_2d(copy.deepcopy(self.model), u, v, self.x, self.y)

    @classmethod
    def build(cls, resolution: int = 30, newton_iterations: int = 200) -> SeedMomentumDemo:
        from course_lib.data import load_fashion_mnist

        data = load_fashion_mnist(device=torch.device("cpu"))
        x, y = data.train_x[:500].reshape(500, 784), data.train_y[:500]
        torch.manual_seed(2021)
        model = SeedLogisticRegression()
        axis = np.linspace(-4.0, 4.0, resolution)
        U, V = np.meshgrid(axis, axis)
        demo = cls(x, y, model, U, V, Z=np.empty_like(U), best=np.zeros(2))
        demo.Z = np.array([demo.loss(u, v).item() for u, v in zip(U.ravel(), V.ravel(), strict=True)]).reshape(U.shape)
        demo.best = seed_newton(demo.loss, max_iter=newton_iterations)
        return demo

    def update(self, max_steps=300, lr=0.1, beta=0.9) -> list:
        """One press of the seed's "Run Interact" button: both optimizers, two figures."""
        inits = [2.5, 3.7]
        gd = seed_run_optimizer(inits, self.loss, seed_gradient_update, max_steps, {"lr": lr})
        momentum = seed_run_optimizer(inits, self.loss, seed_momentum_update, max_steps,
                                      {"lr": lr, "beta": beta})
        trajectories, labels, colors, styles = [gd, momentum], ["GD", "Momentum"], ["black", "red"], ["-", "--"]

        distance_fig = plt.figure(figsize=(9, 4))
        ax = distance_fig.add_subplot(1, 1, 1)
        for trajectory, style, label in zip(trajectories, styles, labels, strict=True):
            steps = range(len(trajectory))
            ax.plot(steps, np.log(1e-16 + np.abs(trajectory[:, 0] - self.best[0])), style, label="weight - " + label)
            ax.plot(steps, np.log(1e-16 + np.abs(trajectory[:, 1] - self.best[1])), style, label="bias - " + label)
        ax.set(xlabel="Iteration", ylabel="Log distance to optimum (per dimension)", ylim=(-12.0, 1.5))
        ax.legend(loc="right", bbox_to_anchor=(1.5, 0.5))

        surface_fig = plt.figure(figsize=(12, 5))
        ax3d = surface_fig.add_subplot(1, 2, 2, projection="3d")
        ax3d.view_init(45, -130)
        ax3d.plot_surface(self.U, self.V, self.Z, cmap=plt.cm.coolwarm, linewidth=0, antialiased=True, alpha=0.5)
        ax3d.set(xlabel="Weight", ylabel="Bias", zlabel="Loss")
        for trajectory, color in zip(trajectories, colors, strict=True):
            ax3d.plot3D(*trajectory.T, color, linewidth=0.3)
            ax3d.scatter3D(*trajectory.T, s=1, c=color)
        ax3d.scatter(self.best[0], self.best[1], self.Z.min(), marker="*", s=80, c="lime")
        handles = [Line2D([0], [0], color=c, linewidth=3, linestyle="--") for c in colors]
        handles.append(Line2D([0], [0], color="lime", linewidth=0, marker="*"))
        ax3d.legend(handles, labels + ["Optimum"], loc="right", bbox_to_anchor=(0.8, -0.1), ncol=3)
        return [distance_fig, surface_fig]


def time_baseline(repeats: int, reduced: bool) -> dict:
    """Setup once, then ``repeats`` widget updates (compute + both figures rendered to PNG)."""
    resolution, newton_iterations, steps = (10, 20, 30) if reduced else (30, 200, 300)
    with Stopwatch() as setup:
        demo = SeedMomentumDemo.build(resolution, newton_iterations)
    durations = []
    for lr in [(0.1, 0.2, 0.05)[i % 3] for i in range(repeats)]:
        with Stopwatch() as update:
            for fig in demo.update(max_steps=steps, lr=lr):
                figure_png(fig)
                plt.close(fig)
        durations.append(update.seconds)
    return {**summarize_ms(durations), "setup_s": round(setup.seconds, 2), "reduced": reduced,
            "surface_points": resolution**2, "steps_per_optimizer": steps}


# ---------------------------------------------------------------------------------------------
# Targets and the JSON line
# ---------------------------------------------------------------------------------------------

def check_targets(results: dict) -> list[dict]:
    """One entry per target that applies to a measured demo: measured value, limit, met."""
    targets = []

    def add(name, what, measured, limit):
        if measured is not None:
            targets.append({"demo": name, "what": what, "measured_ms": measured, "limit_ms": limit,
                            "met": measured <= limit})

    for name, result in results.items():
        if name in FAST_DEMOS:
            add(name, "median", result["median_ms"], FAST_MEDIAN_MS)
        if name == "compare_optimizers_demo":
            add(name, "fresh median", result["fresh_median_ms"], FRESH_COMPARE_MS)
            add(name, "seen median", result["seen_median_ms"], SEEN_COMPARE_MS)
        if name in TRAINING_DEMOS:
            add(name, "fresh p95", result["fresh_p95_ms"], FRESH_TRAINING_MS)
            add(name, "seen median", result["seen_median_ms"], SEEN_COMPARE_MS)
        add(name, "p95", result["p95_ms"], P95_LIMIT_MS)
    return targets


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demos", default="", help="comma-separated demo names (default: all)")
    parser.add_argument("--values", type=int, default=5, help="values per control (default 5)")
    parser.add_argument("--passes", type=int, default=2, help="times the sequence is replayed (default 2)")
    parser.add_argument("--baseline-repeats", type=int, default=5, help="baseline updates timed (default 5)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the seed baseline")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 2 values per control and a reduced baseline (10×10 surface, 2×30 steps)")
    args = parser.parse_args(argv)
    values, repeats = (2, 1) if args.quick else (args.values, args.baseline_repeats)
    names = [name.strip() for name in args.demos.split(",") if name.strip()] or list(demos.__all__)
    unknown = sorted(set(names) - set(demos.__all__))
    if unknown:
        parser.error(f"unknown demo(s): {', '.join(unknown)}; choose from {', '.join(demos.__all__)}")

    results, errors = {}, {}
    for name in names:
        try:
            results[name] = time_demo(name, values, args.passes)
        except Exception as error:  # a demo that does not exist yet or fails to build is reported, not fatal
            errors[name] = f"{type(error).__name__}: {' '.join(str(error).split())[:200]}"
            progress(f"{name}: not measured ({errors[name]})")
            continue
        r = results[name]
        progress(f"{name}: median {r['median_ms']} ms, p95 {r['p95_ms']} ms (fresh {r['fresh_median_ms']}, "
                 f"seen {r['seen_median_ms']}; n={r['n']}, rejected {r['rejected']}, build {r['build_s']} s)")

    baseline = None
    if not args.no_baseline:
        baseline = time_baseline(repeats, reduced=args.quick)
        progress(f"seed baseline: median {baseline['median_ms']} ms per update, setup {baseline['setup_s']} s")
    for result in results.values():
        reference = baseline["median_ms"] if baseline else None
        ratio = result["median_ms"] / reference if reference and result["median_ms"] is not None else None
        result["ratio_to_baseline"] = None if ratio is None or not math.isfinite(ratio) else round(ratio, 4)

    targets = check_targets(results)
    summary = {
        "benchmark": "widget_latency",
        "demos": results,
        "baseline": baseline,
        "errors": errors,
        "targets": targets,
        "targets_met": all(target["met"] for target in targets) and not errors,
        "values_per_control": values,
        "passes": args.passes,
        "conditions": run_conditions(),
    }
    emit_json(summary)
    return summary


if __name__ == "__main__":
    main()
