"""Gradient clipping on a run whose first steps overshoot: SGD with momentum at a learning rate too high
for the start of training.

Pipeline:

1. ``ClippingExperiment(data)`` fixes a training subset, a validation subset, the initial weights
   (Kaiming, seeded) and the batch order;
2. ``run(max_norm)`` trains with ``torch.optim.SGD(lr, momentum)`` wrapped in
   ``course_lib.clipping.GradientClipping`` (``max_norm=None``: measured, not clipped), one
   ``course_lib.training.train_step`` per minibatch, and records the minibatch loss and the gradient
   norm before clipping at every step; a diverged run stops (``has_diverged``). Cached per max_norm.

Clipping bounds each step: with clipping at c, the gradient the optimizer sees has norm ≤ c, so an
update of SGD with momentum β has norm ≤ η·c/(1 − β) however steep the loss is where it stands.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from course_lib.clipping import GradientClipping, clip_grad_norm
from course_lib.config import quick_or_full
from course_lib.errors import CourseInputError
from course_lib.experiments._practice import batches, take_subset
from course_lib.init import init_kaiming
from course_lib.models import MLP
from course_lib.seeding import seeded
from course_lib.training import evaluate, train_minibatches

MAX_NORM_LIMITS = (1e-3, 1e4)


@dataclass(frozen=True)
class ClipRun:
    """``max_norm`` (None: no clipping); ``train_loss``, ``grad_norm``: (T,) per step, the norm measured before
    clipping, NaN after a divergence; ``val_loss``, ``val_acc`` at the end (NaN if diverged); ``diverged_at``:
    the step whose loss diverged (None if none)."""

    max_norm: float | None
    train_loss: np.ndarray
    grad_norm: np.ndarray
    val_loss: float
    val_acc: float
    diverged_at: int | None

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    def clipped_fraction(self) -> float:
        """The fraction of the steps taken whose gradient norm was above max_norm (0 without clipping)."""
        taken = self.grad_norm[np.isfinite(self.grad_norm)]
        if self.max_norm is None or taken.size == 0:
            return 0.0
        return float(np.mean(taken > self.max_norm))


class ClippingExperiment:
    """SGD with momentum (torch's form, buf ← βbuf + g; w ← w − η·buf) on a Kaiming-initialized ReLU MLP;
    ``run(max_norm)`` is cached. ``clip``: the clipping function (the student's, once it passes its check)."""

    def __init__(self, data, n_train: int | None = None, n_val: int | None = None, hidden_sizes=(256, 256, 256),
                 lr: float = 0.2, momentum: float = 0.9, epochs: int | None = None, batch_size: int = 100,
                 seed: int = 0, clip: Callable = clip_grad_norm):
        self.subset = take_subset(data, n_train or quick_or_full(4000, 8000), n_val or quick_or_full(1000, 2000))
        self.hidden_sizes = tuple(hidden_sizes)
        self.lr, self.momentum = float(lr), float(momentum)
        self.epochs = int(epochs or quick_or_full(3, 4))
        self.batch_size, self.seed = int(batch_size), int(seed)
        self.clip = clip
        self.total_steps = self.epochs * math.ceil(len(self.subset.train_y) / self.batch_size)
        self.trained = 0
        self._cache: dict[float | None, ClipRun] = {}

    @staticmethod
    def key(max_norm) -> float | None:
        """``None`` for no clipping, else max_norm as a float; CourseInputError outside MAX_NORM_LIMITS."""
        if max_norm is None:
            return None
        try:
            value = float(max_norm)
        except (TypeError, ValueError):
            raise CourseInputError(f"max_norm must be a number, got {max_norm!r}.") from None
        low, high = MAX_NORM_LIMITS
        if not (math.isfinite(value) and low <= value <= high):
            raise CourseInputError(f"max_norm must lie between {low:g} and {high:g}, got {max_norm!r}.")
        return value

    def is_cached(self, max_norm) -> bool:
        return self.key(max_norm) in self._cache

    def fresh_model(self) -> MLP:
        with seeded(self.seed):
            return init_kaiming(MLP(input_size=self.subset.train_x.shape[1], hidden_sizes=self.hidden_sizes))

    def run(self, max_norm, on_step: Callable[[int, int], None] | None = None) -> ClipRun:
        """The cached run with clipping at ``max_norm`` (None: without clipping), trained first if needed."""
        key = self.key(max_norm)
        if key not in self._cache:
            self._cache[key] = self._train(key, on_step)
        return self._cache[key]

    def _train(self, max_norm: float | None, on_step) -> ClipRun:
        self.trained += 1
        model = self.fresh_model()
        parameters = list(model.parameters())
        sgd = torch.optim.SGD(parameters, lr=self.lr, momentum=self.momentum)
        optimizer = GradientClipping(sgd, parameters, max_norm, clip=self.clip)
        run = train_minibatches(model, optimizer, batches(self.subset, self.batch_size, self.seed), self.epochs,
                                on_step=on_step)
        losses, diverged_at = run.padded_losses(self.total_steps), run.diverged_at
        norms = np.full(self.total_steps, np.nan)
        norms[: len(optimizer.norms)] = optimizer.norms
        if diverged_at is not None:
            val_loss, val_acc = math.nan, math.nan
        else:
            val_loss, val_acc = evaluate(model, self.subset.val_x, self.subset.val_y)
        return ClipRun(max_norm, losses, norms, val_loss, val_acc, diverged_at)
