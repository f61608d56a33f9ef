"""Weight decay on a small training subset: train and validation curves for each λ.

1. ``WeightDecayExperiment(data, ...)`` fixes a small training subset, a validation subset, the
   model's initial weights (seeded, the caller's random state left alone) and the minibatch order,
   so runs differ only in λ;
2. ``experiment.run(lam)`` trains once per λ (kept in ``experiment.runs``) with J(W) = CE(W) + ½λ·Σ W² (weights only, no biases;
   gradient λW, the course's one L2 convention and torch's ``weight_decay=λ``)
   with the course's one training step and course_lib's SGD, and is cached: revisiting a λ is
   instant; ``train_all`` trains a list, with a progress bar.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from course_lib.config import quick_or_full
from course_lib.device import single_cpu_thread
from course_lib.errors import CourseInputError
from course_lib.models import MLP
from course_lib.optimizers import SGD
from course_lib.seeding import seeded
from course_lib.training import has_diverged, train_step
from course_lib.validation import parse_number

LAMBDA_GRID = (0.0, 2e-4, 6e-4, 2e-3, 6e-3, 2e-2, 6e-2)
QUICK_LAMBDA_GRID = (0.0, 2e-3, 2e-2, 6e-2)  # the ends and the middle of LAMBDA_GRID: 4 runs instead of 7
MAX_LAMBDA = 1.0


def slider_lambdas() -> tuple[float, ...]:
    """The λ values a demo trains up front: ``LAMBDA_GRID``, or ``QUICK_LAMBDA_GRID`` in quick mode."""
    return quick_or_full(QUICK_LAMBDA_GRID, LAMBDA_GRID)


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
        self.runs: dict[float, WeightDecayRun] = {}

    def _fresh_model(self) -> MLP:
        with seeded(self.seed):
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

    def run(self, lam) -> WeightDecayRun:
        """The run for λ (trained on first use, then kept in ``runs``); CourseInputError for λ outside [0, 1]."""
        lam = parse_number(lam, "λ", minimum=0.0, maximum=MAX_LAMBDA)
        if lam not in self.runs:
            self.runs[lam] = self._train(lam)
        return self.runs[lam]

    def _train(self, lam: float) -> WeightDecayRun:
        """Minibatch SGD on J(W) = CE + λ·R(W); the same initial weights and batch order for every λ.

        The training matrices are tiny (50 images a step), so the steps run on one CPU thread (several
        threads mostly wait for each other, badly so on a busy machine); the per-epoch measurements on
        thousands of images use the caller's threads.
        """
        model = self._fresh_model()
        optimizer = SGD(model.parameters(), lr=self.lr)
        order = torch.Generator().manual_seed(self.seed)
        rows = [self._measure(model) + (weight_norm(model),)]
        for _ in range(self.epochs):
            with single_cpu_thread():
                self._train_one_epoch(model, optimizer, lam, order)
            rows.append(self._measure(model) + (weight_norm(model),))
        columns = np.array(rows, dtype=float).T
        if has_diverged(columns[0]).any():
            raise CourseInputError(f"Training with λ = {lam:g} diverged (the loss exploded or became NaN): "
                                   "try a smaller λ.")
        return WeightDecayRun(lam, *columns)

    def _train_one_epoch(self, model: nn.Module, optimizer: SGD, lam: float, order: torch.Generator) -> None:
        def penalized_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
            loss = nn.functional.cross_entropy(logits, labels)
            return loss + 0.5 * lam * l2_penalty(model) if lam > 0 else loss

        permutation = torch.randperm(len(self.train_x), generator=order)
        for batch in permutation.split(self.batch_size):
            train_step(model, optimizer, self.train_x[batch], self.train_y[batch], penalized_loss)

    def train_all(self, lambdas, progress: bool = False) -> list[WeightDecayRun]:
        """``run(λ)`` for every λ not trained yet, with a progress bar when ``progress``."""
        lambdas = [float(lam) for lam in lambdas]
        bar = tqdm(lambdas, desc="training one network per λ", unit="λ", disable=not progress, leave=True)
        return [self.run(lam) for lam in bar]
