"""Which parameters weight decay should touch: AdamW on every parameter, or with a group that is not decayed.

Pipeline:

1. ``decay_groups(model, λ)``: two param groups, the weight matrices of the Linear layers with weight_decay λ,
   and everything else (biases, LayerNorm's gain γ and shift β) with weight_decay 0;
2. ``DecayGroupsComparison(data, adamw_class, schedule)`` fixes a training and a validation subset, a
   LayerNorm MLP's initial weights and the batch order; ``run(grouped)`` trains it with AdamW driven by
   ``torch.optim.lr_scheduler.LambdaLR`` (warmup + cosine, the student's schedule once it passes its
   check), decaying every parameter (``grouped=False``) or only the weight matrices (``grouped=True``),
   one ``course_lib.training.train_step`` per minibatch; cached per setting.

A bias or a normalization gain is a shift or a scale of a whole unit: pulling it towards 0 has no reason
(a gain of 0 switches the unit off), while the decay of the weight matrices is what limits the network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from course_lib.config import quick_or_full
from course_lib.experiments._practice import batches, take_subset
from course_lib.normalization import NormalizedMLP
from course_lib.optimizers import AdamW
from course_lib.schedules import lambda_lr, warmup_cosine_lr
from course_lib.seeding import seeded
from course_lib.training import evaluate, train_minibatches
from course_lib.validation import parse_positive


def decay_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """[{weight matrices, weight_decay λ}, {biases and normalization parameters, weight_decay 0}]."""
    matrices = [module.weight for module in model.modules() if isinstance(module, nn.Linear)]
    chosen = {id(p) for p in matrices}
    others = [p for p in model.parameters() if id(p) not in chosen]
    return [{"params": matrices, "weight_decay": float(weight_decay)}, {"params": others, "weight_decay": 0.0}]


@dataclass(frozen=True)
class GroupsRun:
    """``val_acc`` (E + 1,) after each epoch (entry 0 before training); ``gain`` the mean LayerNorm gain γ at
    the end (1 at the start); ``bias_norm`` ‖all biases‖ at the end; ``lrs`` (S,) the learning rate of each step."""

    grouped: bool
    val_acc: np.ndarray
    gain: float
    bias_norm: float
    lrs: np.ndarray
    diverged: bool


class DecayGroupsComparison:
    """A LayerNorm MLP trained by AdamW under warmup + cosine, decaying every parameter or only the weight matrices.

    ``adamw_class(params, lr=…, weight_decay=…)``: the AdamW used (the student's once it passes); ``schedule``:
    a function with ``warmup_cosine_lr``'s signature (the student's once it passes).
    """

    def __init__(self, data, adamw_class: type = AdamW, schedule: Callable = warmup_cosine_lr,
                 n_train: int | None = None, n_val: int | None = None, epochs: int | None = None,
                 weight_decay: float = 0.1, peak_lr: float = 3e-3, warmup_fraction: float = 0.1,
                 batch_size: int = 100, hidden_sizes=(128, 128), seed: int = 0):
        self.subset = take_subset(data, n_train or quick_or_full(3000, 6000), n_val or quick_or_full(1000, 2000))
        self.epochs = int(epochs or quick_or_full(4, 5))
        self.weight_decay = parse_positive(weight_decay, "weight decay")
        self.peak_lr = parse_positive(peak_lr, "peak learning rate")
        self.adamw_class, self.schedule = adamw_class, schedule
        self.batch_size, self.hidden_sizes, self.seed = int(batch_size), tuple(hidden_sizes), int(seed)
        self.total_steps = self.epochs * -(-len(self.subset.train_y) // self.batch_size)
        self.warmup_steps = max(1, int(warmup_fraction * self.total_steps))
        self._cache: dict[bool, GroupsRun] = {}

    def fresh_model(self) -> NormalizedMLP:
        with seeded(self.seed):
            return NormalizedMLP(input_size=self.subset.train_x.shape[1], hidden_sizes=self.hidden_sizes,
                                 norm="layer")

    def run(self, grouped: bool, on_step: Callable[[int, int], None] | None = None) -> GroupsRun:
        """The cached run that decays only the weight matrices (``grouped``) or every parameter."""
        grouped = bool(grouped)
        if grouped not in self._cache:
            self._cache[grouped] = self._train(grouped, on_step)
        return self._cache[grouped]

    def _train(self, grouped: bool, on_step) -> GroupsRun:
        model = self.fresh_model()
        params = decay_groups(model, self.weight_decay) if grouped else model.parameters()
        optimizer = self.adamw_class(params, lr=self.peak_lr, weight_decay=self.weight_decay)
        scheduler = lambda_lr(optimizer, self.schedule, self.total_steps, self.peak_lr, self.warmup_steps)
        lrs: list[float] = []
        accuracies = [evaluate(model, self.subset.val_x, self.subset.val_y)[1]]

        def after_step(step: int, loss: float) -> None:
            lrs.append(optimizer.param_groups[0]["lr"])
            scheduler.step()

        run = train_minibatches(model, optimizer, batches(self.subset, self.batch_size, self.seed), self.epochs,
                                on_step=on_step, after_step=after_step,
                                after_epoch=lambda epoch: accuracies.append(
                                    evaluate(model, self.subset.val_x, self.subset.val_y)[1]))
        norms = [module for module in model.modules() if isinstance(module, nn.LayerNorm)]
        gain = float(torch.cat([norm.weight.detach() for norm in norms]).mean())
        bias_norm = float(torch.cat([p.detach().ravel() for name, p in model.named_parameters()
                                     if name.endswith("bias")]).norm())
        return GroupsRun(grouped, np.array(accuracies, dtype=float), gain, bias_norm, np.array(lrs, dtype=float),
                         run.diverged_at is not None)
