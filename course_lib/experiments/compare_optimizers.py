"""SGD, momentum, RMSprop and Adam side by side on FashionMNIST minibatches.

1. ``minibatch_stream``: draw the row indices of every minibatch once (IID, with replacement, from a
   private generator), so that all four optimizers see exactly the same examples in the same order;
2. ``FlatModel``: the network's parameters as views into one flat vector θ: (P,), so that an
   optimizer from ``course_lib.optimizers`` updates one tensor per step (fast) and every run starts
   from the same θ₀;
3. ``run_optimizers``: the minibatch losses of each optimizer (``course_lib.training.train_step``),
   a run stopping when it diverges;
4. ``OptimizerComparison``: the four optimizers for one setting, cached by the settings, with the
   final losses and a learning-rate scan the notebook states its findings from.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import pandas as pd
import torch
from torch import nn

from course_lib.device import single_cpu_thread
from course_lib.errors import CourseInputError
from course_lib.models import MLP
from course_lib.optimizers import OPTIMIZERS, SGDMomentum
from course_lib.seeding import seeded
from course_lib.training import has_diverged, train_step
from course_lib.validation import parse_number

OPTIMIZER_NAMES = ("SGD", "Momentum", "RMSprop", "Adam")
DEFAULT_BATCH_SIZE, DEFAULT_MOMENTUM, DEFAULT_STEPS = 64, 0.9, 100  # where the demo's sliders start
MAX_LEARNING_RATE, MAX_MOMENTUM, MAX_STEPS = 100.0, 0.999, 2000


def minibatch_stream(num_examples: int, batch_size: int, steps: int, seed: int = 42) -> torch.Tensor:
    """Row indices of ``steps`` IID minibatches drawn with replacement: (steps, batch_size) int64."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, num_examples, (steps, batch_size), generator=generator)


class FlatModel:
    """An MLP evaluated with its weights and biases taken from one flat vector θ: (P,).

    ``theta0`` holds the model's initial parameters (in ``model.parameters()`` order: W₁, b₁, W₂, …);
    ``logits(theta, x)`` runs the network with the matching slices of θ as views, so gradients reach θ.
    """

    def __init__(self, model: MLP):
        parameters = [p.detach() for p in model.parameters()]
        self.layers = list(model.layers)
        self.sizes = [p.numel() for p in parameters]
        self.theta0 = torch.cat([p.reshape(-1) for p in parameters]).clone()

    def logits(self, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """The network's logits (B, C) on x: (B, ...) with its parameters taken from θ: (P,)."""
        pieces = iter(torch.split(theta, self.sizes))
        h = x.reshape(len(x), -1)
        for layer in self.layers:
            if isinstance(layer, nn.Linear):
                weight = next(pieces).view(layer.out_features, layer.in_features)
                h = nn.functional.linear(h, weight, next(pieces))
            else:
                h = layer(h)
        return h


def run_optimizers(flat_model: FlatModel, makers: dict[str, Callable], x: torch.Tensor, y: torch.Tensor,
                   batches: torch.Tensor) -> dict[str, np.ndarray]:
    """Minibatch loss before each update for every optimizer, all starting from θ₀.

    makers: {name: callable(list_of_params) -> optimizer}; batches: (steps, B) row indices, each
    minibatch gathered once and shown to every optimizer. Returns {name: (steps,) floats}; once a
    run has diverged (``has_diverged``) it stops and the rest of its curve stays NaN.
    """
    thetas = {name: flat_model.theta0.clone().to(x.device).requires_grad_(True) for name in makers}
    optimizers = {name: make([thetas[name]]) for name, make in makers.items()}
    losses = {name: torch.full((len(batches),), float("nan")) for name in makers}
    running = set(makers)
    networks = {name: functools.partial(flat_model.logits, theta) for name, theta in thetas.items()}
    for step, rows in enumerate(batches.to(x.device)):
        xb, yb = x[rows], y[rows]
        for name in list(running):
            loss, _ = train_step(networks[name], optimizers[name], xb, yb)
            if has_diverged(loss):
                running.discard(name)
                continue
            losses[name][step] = loss
    return {name: curve.numpy() for name, curve in losses.items()}


def make_optimizers(lr: float, momentum: float) -> dict[str, Callable]:
    """The four optimizers of ``course_lib.optimizers`` at one learning rate; β only affects Momentum."""
    return {
        "SGD": lambda params: OPTIMIZERS["SGD"](params, lr=lr),
        "Momentum": lambda params: SGDMomentum(params, lr=lr, momentum=momentum),
        "RMSprop": lambda params: OPTIMIZERS["RMSprop"](params, lr=lr),
        "Adam": lambda params: OPTIMIZERS["Adam"](params, lr=lr),
    }


class OptimizerComparison:
    """Loss curves of the four optimizers for (batch_size, lr, momentum, steps), cached by those settings.

    x: (N, ...) inputs, y: (N,) labels. Every setting starts from the same initial network (seeded) and
    feeds all optimizers the same minibatches. ``runs`` counts the settings actually computed.
    """

    def __init__(self, x: torch.Tensor, y: torch.Tensor, hidden_sizes=(64, 64), seed: int = 42,
                 cache_size: int = 128):
        self.x, self.y, self.seed = x.reshape(len(x), -1), y, seed
        with seeded(seed):
            model = MLP(input_size=x[0].numel(), hidden_sizes=hidden_sizes).to(x.device)
        self.flat_model = FlatModel(model)
        self.runs = 0
        self.losses = functools.lru_cache(maxsize=cache_size)(self._compute)

    def _compute(self, batch_size: int, lr: float, momentum: float, steps: int) -> dict[str, np.ndarray]:
        self.runs += 1
        batches = minibatch_stream(len(self.x), batch_size, steps, self.seed)
        with single_cpu_thread():
            return run_optimizers(self.flat_model, make_optimizers(lr, momentum), self.x, self.y, batches)

    def curves(self, batch_size: int, lr: float, momentum: float = DEFAULT_MOMENTUM,
               steps: int = DEFAULT_STEPS) -> dict[str, np.ndarray]:
        """{optimizer: (steps,) minibatch losses} for one setting, from the cache when seen before.

        CourseInputError for a batch larger than the data, a learning rate that is not positive, or
        β outside [0, 1).
        """
        batch_size = int(parse_number(batch_size, f"batch size (at most the {len(self.x)} training examples)",
                                      minimum=1, maximum=len(self.x), integer=True))
        lr = parse_number(lr, "learning rate", minimum=0.0, maximum=MAX_LEARNING_RATE)
        momentum = parse_number(momentum, "β", minimum=0.0, maximum=MAX_MOMENTUM)
        steps = int(parse_number(steps, "steps", minimum=1, maximum=MAX_STEPS, integer=True))
        if lr == 0:
            raise CourseInputError("learning rate: must be positive, got 0.")
        return self.losses(batch_size, lr, momentum, steps)

    def final_losses(self, lr: float, batch_size: int = DEFAULT_BATCH_SIZE, momentum: float = DEFAULT_MOMENTUM,
                     steps: int = DEFAULT_STEPS, last: int = 10) -> dict[str, float]:
        """{optimizer: mean minibatch loss over its ``last`` steps}, NaN for a run that diverged.

        The defaults are the demo's starting settings, so the numbers match what its sliders show.
        """
        curves = self.curves(batch_size, lr, momentum, steps)
        return {name: float(curve[-last:].mean()) for name, curve in curves.items()}

    def learning_rate_scan(self, lrs, **settings) -> pd.DataFrame:
        """``final_losses`` for every learning rate: rows are optimizers, columns f"{lr:.2g}" (NaN: diverged)."""
        return pd.DataFrame({f"{lr:.2g}": self.final_losses(lr, **settings) for lr in lrs})
