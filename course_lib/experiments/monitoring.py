"""Three broken training runs and a healthy one, recorded by ``course_lib.monitor.TrainingMonitor``.

Every run trains the same ReLU MLP on the same minibatches with SGD + momentum (torch's form); each
broken run changes one thing:

- ``healthy``:                 Kaiming init, learning rate 0.02;
- ``learning rate too high``:  Kaiming init, learning rate 0.2;
- ``bad initialization``:      N(0, 0.01²) weights (notebook 02: the signal vanishes over depth);
- ``gradients never zeroed``:  ``NeverZeroGrad`` turns ``zero_grad`` into nothing, so every
                               ``backward()`` adds to the gradients of all earlier steps.

``MonitoringExperiment.run(name, on_step)`` trains one of them with one ``course_lib.training.train_step``
per minibatch and returns its ``MonitorRecord``; ``on_step(monitor, step, total)`` lets a live view
redraw while it trains. Records are cached by name.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from course_lib.config import quick_or_full
from course_lib.experiments._practice import batches, take_subset
from course_lib.init import init_kaiming, init_normal
from course_lib.models import MLP
from course_lib.monitor import MonitorRecord, TrainingMonitor
from course_lib.seeding import seeded
from course_lib.training import train_minibatches
from course_lib.validation import parse_choice


@dataclass(frozen=True)
class RunSpec:
    """What one monitored run does: its initialization, learning rate, and whether gradients are cleared."""

    init: str
    lr: float
    zero_grad: bool = True


RUNS = {
    "healthy": RunSpec("kaiming", 0.02),
    "learning rate too high": RunSpec("kaiming", 0.2),
    "bad initialization": RunSpec("normal(0.01)", 0.02),
    "gradients never zeroed": RunSpec("kaiming", 0.02, zero_grad=False),
}

# The order in which notebook 05 shows the runs, labelled A–D, so that the labels do not give them away.
BLIND_LABELS = {"A": "gradients never zeroed", "B": "healthy", "C": "bad initialization", "D": "learning rate too high"}


class NeverZeroGrad:
    """An optimizer whose ``zero_grad()`` does nothing: the bug of a loop that forgets to clear gradients."""

    def __init__(self, optimizer):
        self.optimizer = optimizer

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Deliberately keeps the old gradients, so the next backward() adds to them."""

    def step(self) -> None:
        self.optimizer.step()


class MonitoringExperiment:
    """The four runs of ``RUNS`` on one subset, each recorded step by step; ``run(name)`` is cached."""

    def __init__(self, data, n_train: int | None = None, hidden_sizes=(256, 256, 256), steps: int | None = None,
                 batch_size: int = 100, momentum: float = 0.9, seed: int = 0):
        self.subset = take_subset(data, n_train or quick_or_full(4000, 8000), 100)
        self.hidden_sizes = tuple(hidden_sizes)
        self.steps = int(steps or quick_or_full(150, 300))
        self.batch_size, self.momentum, self.seed = int(batch_size), float(momentum), int(seed)
        self._cache: dict[str, MonitorRecord] = {}

    def fresh_model(self, init: str) -> MLP:
        with seeded(self.seed):
            model = MLP(input_size=self.subset.train_x.shape[1], hidden_sizes=self.hidden_sizes)
            return init_kaiming(model) if init == "kaiming" else init_normal(model, std=0.01)

    def is_cached(self, name: str) -> bool:
        return name in self._cache

    def run(self, name: str, on_step: Callable[[TrainingMonitor, int, int], None] | None = None) -> MonitorRecord:
        """The record of run ``name`` (a key of RUNS), training it first if needed."""
        parse_choice(name, tuple(RUNS), "run")
        if name not in self._cache:
            self._cache[name] = self._train(RUNS[name], on_step)
        return self._cache[name]

    def _train(self, spec: RunSpec, on_step) -> MonitorRecord:
        model = self.fresh_model(spec.init)
        sgd = torch.optim.SGD(model.parameters(), lr=spec.lr, momentum=self.momentum)
        monitor = TrainingMonitor(model, sgd if spec.zero_grad else NeverZeroGrad(sgd))
        loader = batches(self.subset, self.batch_size, self.seed)
        train_minibatches(model, monitor, loader, epochs=math.ceil(self.steps / len(loader)), max_steps=self.steps,
                          after_step=lambda step, loss: monitor.log_loss(loss),
                          on_step=None if on_step is None else lambda step, total: on_step(monitor, step, total))
        return monitor.record()
