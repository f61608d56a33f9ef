"""Weight decay on a small training subset: train vs validation curves, one slider for λ.

Pipeline:

1. ``WeightDecayExperiment(data, ...)`` fixes a small training subset, a validation subset, the
   model's initial weights and the minibatch order, so runs differ only in λ;
2. ``experiment.run(lam)`` trains once per λ with J(W) = CE(W) + λ·Σ W² (weights only, no biases)
   and is cached with ``functools.lru_cache``: revisiting a λ is instant; ``train_all`` trains a list;
3. ``draw_weight_decay(runs, ...)`` plots train and validation curves for the chosen λ and a
   reference λ;
4. ``weight_decay_demo()`` trains every λ of its slider up front, then wraps the drawing in a slider
   (``demo_interactive``), so a slider move never waits for training.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from course_lib.config import quick_or_full
from course_lib.device import single_cpu_thread
from course_lib.models import MLP
from course_lib.widgets.common import (
    CourseInputError,
    demo_interactive,
    in_ipython_kernel,
    parse_number,
    require_finite,
)

LAMBDA_GRID = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2)
METRICS = {"accuracy": ("train_acc", "val_acc"), "loss": ("train_loss", "val_loss")}


@dataclass(frozen=True)
class WeightDecayRun:
    """Per-epoch curves of one training run; arrays of shape (epochs + 1,), entry 0 before training."""

    lam: float
    train_loss: np.ndarray
    train_acc: np.ndarray
    val_loss: np.ndarray
    val_acc: np.ndarray
    weight_norm: np.ndarray

    @property
    def generalization_gap(self) -> float:
        """Final train accuracy minus final validation accuracy."""
        return float(self.train_acc[-1] - self.val_acc[-1])


def l2_penalty(model: nn.Module) -> torch.Tensor:
    """R(W) = Σ_layers Σ_kl W_kl² over the weight matrices (biases are not decayed)."""
    return sum((p.pow(2).sum() for name, p in model.named_parameters() if name.endswith("weight")),
               torch.zeros(()))


def weight_norm(model: nn.Module) -> float:
    """‖W‖ = √R(W), the Euclidean norm of all weight matrices together."""
    with torch.no_grad():
        return float(l2_penalty(model).sqrt())


class WeightDecayExperiment:
    """Train the same small MLP on the same subset for several λ; ``run(lam)`` is cached per λ.

    data: any object with ``train_x, train_y, val_x, val_y`` (x: (N, 1, 28, 28) or (N, 784); y: (N,)).
    """

    def __init__(self, data, n_train: int | None = None, n_val: int | None = None,
                 hidden_sizes=(256, 256), epochs: int | None = None, batch_size: int = 50,
                 lr: float = 0.05, seed: int = 42):
        n_train = int(n_train or quick_or_full(500, 1000))
        n_val = int(n_val or quick_or_full(1000, 5000))
        if len(data.train_x) < n_train or len(data.val_x) < n_val:
            raise CourseInputError(f"The data has fewer than {n_train} training or {n_val} validation images.")
        self.train_x = data.train_x[:n_train].reshape(n_train, -1).float().cpu()
        self.train_y = data.train_y[:n_train].cpu()
        self.val_x = data.val_x[:n_val].reshape(n_val, -1).float().cpu()
        self.val_y = data.val_y[:n_val].cpu()
        self.hidden_sizes = tuple(hidden_sizes)
        self.epochs = int(epochs or quick_or_full(50, 100))
        self.batch_size = int(batch_size)
        self.lr = float(lr)
        self.seed = int(seed)
        self.run = functools.lru_cache(maxsize=None)(self._train)

    def _fresh_model(self) -> MLP:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            return MLP(input_size=self.train_x.shape[1], hidden_sizes=self.hidden_sizes)

    def _measure(self, model: nn.Module) -> tuple[float, float, float, float]:
        model.eval()
        with torch.no_grad():
            measures = []
            for x, y in ((self.train_x, self.train_y), (self.val_x, self.val_y)):
                logits = model(x)
                measures += [nn.functional.cross_entropy(logits, y).item(),
                             (logits.argmax(dim=1) == y).float().mean().item()]
        model.train()
        return tuple(measures)

    def _train(self, lam: float) -> WeightDecayRun:
        """Minibatch SGD on J(W) = CE + λ·R(W); the same initial weights and batch order for every λ.

        The training matrices are tiny (50 images a step), so the steps run on one CPU thread (several
        threads mostly wait for each other, badly so on a busy machine); the per-epoch measurements on
        thousands of images use the caller's threads.
        """
        lam = float(lam)
        if not np.isfinite(lam) or lam < 0:
            raise CourseInputError(f"λ must be a finite number ≥ 0, got {lam}.")
        model = self._fresh_model()
        order = torch.Generator().manual_seed(self.seed)
        rows = [self._measure(model) + (weight_norm(model),)]
        for _ in range(self.epochs):
            with single_cpu_thread():
                self._train_one_epoch(model, lam, order)
            rows.append(self._measure(model) + (weight_norm(model),))
        columns = np.array(rows, dtype=float).T
        require_finite(columns, "training loss", hint="try a smaller λ")
        return WeightDecayRun(lam, *columns)

    def _train_one_epoch(self, model: nn.Module, lam: float, order: torch.Generator) -> None:
        permutation = torch.randperm(len(self.train_x), generator=order)
        for batch in permutation.split(self.batch_size):
            loss = nn.functional.cross_entropy(model(self.train_x[batch]), self.train_y[batch])
            if lam > 0:
                loss = loss + lam * l2_penalty(model)
            model.zero_grad(set_to_none=True)
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= self.lr * p.grad

    def train_all(self, lambdas, progress: bool = False) -> list[WeightDecayRun]:
        """``run(λ)`` for every λ not trained yet, with a progress bar when ``progress``."""
        lambdas = [float(lam) for lam in lambdas]
        bar = tqdm(lambdas, desc="training one network per λ", unit="λ", disable=not progress, leave=True)
        return [self.run(lam) for lam in bar]


def draw_weight_decay(run: WeightDecayRun, reference: WeightDecayRun, metric: str = "accuracy"):
    """Left: train (dashed) and validation (solid) curves for λ and the reference λ; right: ‖W‖ per epoch."""
    if metric not in METRICS:
        raise CourseInputError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}.")
    train_key, val_key = METRICS[metric]
    fig, (ax_curves, ax_norm) = plt.subplots(1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": [2, 1]})
    epochs = np.arange(len(run.train_acc))
    for current, color in ((reference, "tab:gray"), (run, "tab:blue")):
        label = f"λ = {current.lam:g}"
        ax_curves.plot(epochs, getattr(current, train_key), "--", color=color, label=f"train, {label}")
        ax_curves.plot(epochs, getattr(current, val_key), "-", color=color, label=f"validation, {label}")
        ax_norm.plot(epochs, current.weight_norm, color=color, label=label)
    ax_curves.set(xlabel="epoch", ylabel=metric, yscale="log" if metric == "loss" else "linear",
                  title=f"λ = {run.lam:g}: train − validation accuracy = {run.generalization_gap:.1%}")
    ax_curves.legend(fontsize=8)
    ax_norm.set(xlabel="epoch", ylabel="‖W‖", title="size of the weights")
    ax_norm.legend(fontsize=8)
    fig.tight_layout()
    return fig


def weight_decay_demo(data=None, lambdas=LAMBDA_GRID, experiment: WeightDecayExperiment | None = None,
                      lam: float = 1e-2, reference_lam: float = 0.0):
    """A λ slider over ``lambdas`` (starting at the entry closest to ``lam``), a reference-λ text box
    and a metric toggle.

    Every λ of the slider is trained when the demo is built (a progress bar in a notebook), so moving
    the slider only redraws; a reference λ typed in the box trains once, then is cached too.
    ``data`` defaults to ``load_fashion_mnist()``.
    """
    if experiment is None:
        if data is None:
            from course_lib.data import load_fashion_mnist

            data = load_fashion_mnist()
        experiment = WeightDecayExperiment(data)
    options = [(f"{value:g}", float(value)) for value in lambdas]
    experiment.train_all([value for _, value in options] + [float(reference_lam)], progress=in_ipython_kernel())

    def update(lam, reference_lam, metric):
        reference = parse_number(reference_lam, "reference λ", minimum=0.0, maximum=1.0)
        return draw_weight_decay(experiment.run(lam), experiment.run(reference), metric)

    start = min((value for _, value in options), key=lambda value: abs(value - lam))
    lam_slider = widgets.SelectionSlider(options=options, value=start, description="λ", continuous_update=False)
    reference_box = widgets.Text(value=f"{reference_lam:g}", description="reference λ", continuous_update=False)
    metric_toggle = widgets.ToggleButtons(options=list(METRICS), value="accuracy", description="show")
    ui = demo_interactive(update, lam=lam_slider, reference_lam=reference_box, metric=metric_toggle)
    ui.experiment = experiment
    return ui
