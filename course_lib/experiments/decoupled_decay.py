"""Adam + L2 against AdamW (Loshchilov & Hutter, 2019): how the same λ shrinks different weights.

Pipeline:

1. ``DecayComparison(data)`` fixes a training subset, a validation subset, the initial weights and the
   batch order, so runs differ only in the method and λ;
2. ``run(method, λ)`` trains the MLP with ``AdamL2`` (the gradient becomes g + λw, so the decay passes
   through m and is divided by √v̂) or with ``AdamW`` (w ← w − ηλw before the Adam step), one
   ``course_lib.training.train_step`` per minibatch; cached per (method, λ);
3. ``baseline()`` is the same training without decay (course_lib's Adam), whose second moments v̂
   tell how large each weight's gradients have been;
4. ``layer_shrink(run)``: ‖W_k‖ with decay / ‖W_k‖ without, per layer; ``shrink_by_gradient_history(run)``:
   the same ratio for the first layer's weights grouped into deciles of √v̂ from the baseline.

With L2 inside Adam the decay term λw is divided by √v̂ + ε like the rest of the gradient, so weights
whose gradients were large are decayed less; AdamW's decay does not depend on the gradients.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from course_lib.config import quick_or_full
from course_lib.errors import CourseInputError
from course_lib.experiments._practice import batches, take_subset
from course_lib.models import MLP
from course_lib.optimizers import Adam, AdamL2, AdamW
from course_lib.seeding import seeded
from course_lib.training import evaluate, train_minibatches
from course_lib.validation import parse_choice

METHODS = ("Adam + L2", "AdamW")
MAX_WEIGHT_DECAY = 100.0


@dataclass(frozen=True)
class DecayRun:
    """One run: ``layer_norms`` (L,) final ‖W_k‖ of each Linear's weight; ``val_acc``, ``train_loss`` (E + 1,)
    per epoch (entry 0 before training); ``first_layer`` the final first-layer weight (out, in) as float32;
    ``second_moment`` v̂ of that weight (only for the baseline, else None)."""

    method: str
    weight_decay: float
    layer_norms: np.ndarray
    val_acc: np.ndarray
    train_loss: np.ndarray
    first_layer: np.ndarray
    second_moment: np.ndarray | None = None
    diverged: bool = False


class DecayComparison:
    """Train the same MLP with Adam + L2 or AdamW for any λ; ``run(method, λ)`` is cached.

    ``adamw_class``: the AdamW used (the student's, once it passes its check); ``adam_l2_class``: Adam with λw
    added to the gradient. Both take ``(params, lr=…, weight_decay=…)``.
    """

    def __init__(self, data, n_train: int | None = None, n_val: int | None = None, hidden_sizes=(256, 128),
                 epochs: int | None = None, batch_size: int = 100, lr: float = 1e-3, seed: int = 0,
                 adamw_class: type = AdamW, adam_l2_class: type = AdamL2):
        self.subset = take_subset(data, n_train or quick_or_full(4000, 8000), n_val or quick_or_full(1000, 2000))
        self.hidden_sizes = tuple(hidden_sizes)
        self.epochs = int(epochs or quick_or_full(4, 6))
        self.batch_size, self.lr, self.seed = int(batch_size), float(lr), int(seed)
        self.classes = {"Adam + L2": adam_l2_class, "AdamW": adamw_class}
        self.trained = 0
        self._cache: dict[tuple, DecayRun] = {}

    def key(self, method: str, weight_decay: float) -> tuple[str, float]:
        parse_choice(method, METHODS, "method")
        try:
            weight_decay = float(weight_decay)
        except (TypeError, ValueError):
            raise CourseInputError(f"The weight decay must be a number, got {weight_decay!r}.") from None
        if not (math.isfinite(weight_decay) and 0 <= weight_decay <= MAX_WEIGHT_DECAY):
            raise CourseInputError(f"The weight decay must lie between 0 and {MAX_WEIGHT_DECAY:g}, got {weight_decay}.")
        return method, weight_decay

    def is_cached(self, method: str, weight_decay: float) -> bool:
        return self.key(method, weight_decay) in self._cache

    def run(self, method: str, weight_decay: float, on_step: Callable[[int, int], None] | None = None) -> DecayRun:
        """The cached run of ``method`` with decay λ = ``weight_decay`` (trained first if needed)."""
        key = self.key(method, weight_decay)
        if key not in self._cache:
            optimizer_class = self.classes[method]
            self._cache[key] = self._train(key, lambda params: optimizer_class(params, lr=self.lr,
                                                                               weight_decay=key[1]), on_step)
        return self._cache[key]

    def baseline(self, on_step: Callable[[int, int], None] | None = None) -> DecayRun:
        """No decay, with course_lib's Adam: the reference for the shrink ratios, and the source of v̂."""
        key = ("Adam", 0.0)
        if key not in self._cache:
            self._cache[key] = self._train(key, lambda params: Adam(params, lr=self.lr), on_step, keep_moments=True)
        return self._cache[key]

    def fresh_model(self) -> MLP:
        with seeded(self.seed):
            return MLP(input_size=self.subset.train_x.shape[1], hidden_sizes=self.hidden_sizes)

    def _measure(self, model) -> tuple[float, float]:
        model.eval()
        with torch.no_grad():
            train_loss = float(F.cross_entropy(model(self.subset.train_x), self.subset.train_y))
        _, accuracy = evaluate(model, self.subset.val_x, self.subset.val_y)
        return train_loss, accuracy

    def _train(self, key, make_optimizer, on_step, keep_moments: bool = False) -> DecayRun:
        self.trained += 1
        model = self.fresh_model()
        optimizer = make_optimizer(list(model.parameters()))
        first_loss, first_accuracy = self._measure(model)
        losses, accuracies = [first_loss], [first_accuracy]

        def after_epoch(epoch: int) -> None:
            train_loss, accuracy = self._measure(model)
            losses.append(train_loss)
            accuracies.append(accuracy)

        run = train_minibatches(model, optimizer, batches(self.subset, self.batch_size, self.seed), self.epochs,
                                on_step=on_step, after_epoch=after_epoch)
        diverged = run.diverged_at is not None
        linear = model.linear_layers()
        first = linear[0].weight
        moments = None
        if keep_moments:
            state, beta2 = optimizer.state[first], optimizer.param_groups[0]["beta2"]
            moments = (state["v"] / (1 - beta2 ** state["step"])).detach().numpy().copy()
        return DecayRun(key[0], key[1], np.array([float(layer.weight.detach().norm()) for layer in linear]),
                        np.array(accuracies, dtype=float), np.array(losses, dtype=float),
                        first.detach().numpy().copy(), moments, diverged)

    # Read-offs --------------------------------------------------------------------------------------

    def layer_shrink(self, run: DecayRun) -> np.ndarray:
        """(L,) ‖W_k‖ of ``run`` divided by ‖W_k‖ of the baseline (1: not shrunk at all)."""
        return run.layer_norms / self.baseline().layer_norms

    def shrink_by_gradient_history(self, run: DecayRun, bins: int = 10) -> np.ndarray:
        """(bins,) the first layer's weights grouped by deciles of √v̂ in the baseline (smallest gradient history
        first): ‖w of the group in ``run``‖ / ‖w of the group in the baseline‖."""
        baseline = self.baseline()
        order = np.argsort(np.sqrt(baseline.second_moment).ravel(), kind="stable")
        groups = np.array_split(order, int(bins))
        after, before = run.first_layer.ravel(), baseline.first_layer.ravel()
        return np.array([float(np.linalg.norm(after[group]) / np.linalg.norm(before[group])) for group in groups])

    def gradient_history_deciles(self, bins: int = 10) -> np.ndarray:
        """(bins,) the median √v̂ of each decile used by ``shrink_by_gradient_history``."""
        history = np.sort(np.sqrt(self.baseline().second_moment).ravel())
        return np.array([float(np.median(group)) for group in np.array_split(history, int(bins))])
