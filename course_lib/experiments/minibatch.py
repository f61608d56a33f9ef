"""Batch size against wall-clock time: minibatch SGD runs that each get the same time budget.

1. ``checked_sampler``: wrap a sampler (the student's or course_lib's) so that a wrong result
   (not two tensors, wrong number of rows, rows no longer paired in shape) is one CourseInputError
   sentence instead of an error deep inside the network;
2. ``train_for_seconds``: plain SGD with the course's one training step (``train_step``) on
   minibatches from the sampler until the time budget is spent, recording (seconds, minibatch loss);
3. ``minibatch_gradient_noise``: how far minibatch gradients land from the full gradient, per batch size;
4. ``MinibatchRace``: one seeded starting network, every run from a copy of it, cached by
   (batch size, learning rate, seconds); the sampler draws from the global generators, so each run
   does so inside ``seeded`` (the caller's random state is left alone).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import torch

from course_lib.data import sample_minibatch as reference_sample_minibatch
from course_lib.device import single_cpu_thread
from course_lib.errors import CourseInputError
from course_lib.models import MLP
from course_lib.optimizers import SGD
from course_lib.seeding import seeded
from course_lib.training import has_diverged, train_step
from course_lib.validation import parse_number, parse_positive

MAX_LEARNING_RATE = 100.0
MAX_SECONDS = 10.0
Sampler = Callable[[torch.Tensor, torch.Tensor, int], tuple[torch.Tensor, torch.Tensor]]


def checked_sampler(sampler: Sampler) -> Sampler:
    """``sampler(x, y, n)`` whose result must be (inputs: (n, ...), targets: (n,)); else CourseInputError."""
    name = getattr(sampler, "__name__", "the sampler")

    def sample(x: torch.Tensor, y: torch.Tensor, num_points: int):
        try:
            result = sampler(x, y, num_points)
        except NotImplementedError:
            raise CourseInputError(f"{name} is not implemented yet: pass course_lib's reference sampler "
                                   "until yours passes its check.") from None
        shapes_ok = (isinstance(result, tuple | list) and len(result) == 2
                     and all(isinstance(part, torch.Tensor) for part in result)
                     and result[0].shape == (num_points, *x.shape[1:]) and result[1].shape == (num_points,))
        if not shapes_ok:
            raise CourseInputError(f"{name}(x, y, {num_points}) must return two tensors with {num_points} rows "
                                   "each (inputs and their labels).")
        return result

    return sample


def train_for_seconds(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int, lr: float,
                      seconds: float, sampler: Sampler = reference_sample_minibatch,
                      min_steps: int = 3) -> np.ndarray:
    """Plain SGD (w ← w − η∇J on one minibatch) until ``seconds`` of wall-clock time have passed.

    At least ``min_steps`` steps are taken, so that even a busy machine draws a curve. Runs on one
    CPU thread (see ``single_cpu_thread``). Returns (steps, 2): elapsed seconds after each step and
    that step's minibatch loss. A run that diverges (``has_diverged``) stops there; its last row
    holds that loss.
    """
    optimizer = SGD(model.parameters(), lr=lr)
    record = []
    with single_cpu_thread():
        start = time.perf_counter()
        while time.perf_counter() - start < seconds or len(record) < min_steps:
            inputs, targets = sampler(x, y, batch_size)
            loss, _ = train_step(model, optimizer, inputs, targets)
            value = loss.item()
            record.append((time.perf_counter() - start, value))
            if has_diverged(value):
                break
    return np.asarray(record, dtype=float).reshape(-1, 2)


def flat_gradient(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """∇_w of the mean cross-entropy of ``model`` on (x: (B, ...), y: (B,)), all parameters in one vector (P,).

    Uses ``torch.autograd.grad``, so the model's ``.grad`` fields are left alone.
    """
    parameters = [p for p in model.parameters() if p.requires_grad]
    loss = torch.nn.functional.cross_entropy(model(x), y)
    return torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, parameters)])


def minibatch_gradient_noise(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, sampler: Sampler,
                             batch_sizes, draws: int = 20, seed: int = 0) -> np.ndarray:
    """Mean ‖g_B − ∇J‖² over ``draws`` minibatches per batch size B: (len(batch_sizes),).

    ∇J is the gradient on all of x: (N, ...), y: (N,); g_B on ``sampler(x, y, B)``, which draws inside
    ``seeded(seed)`` (the caller's random state is left alone). For IID draws the expectation is σ²/B.
    """
    sample = checked_sampler(sampler)
    full = flat_gradient(model, x, y)
    noise = []
    with seeded(seed):
        for batch_size in batch_sizes:
            errors = [(flat_gradient(model, *sample(x, y, int(batch_size))) - full).square().sum().item()
                      for _ in range(int(draws))]
            noise.append(float(np.mean(errors)))
    return np.asarray(noise)


class MinibatchRace:
    """Runs of minibatch SGD under a time budget, all from the same seeded network, cached by setting.

    x: (N, 1, 28, 28) or (N, 784) inputs, y: (N,) labels; ``sampler(x, y, n)`` draws a minibatch
    (the student's, or course_lib's ``sample_minibatch``).
    """

    def __init__(self, x: torch.Tensor, y: torch.Tensor, sampler: Sampler = reference_sample_minibatch,
                 hidden_sizes=(100, 100), seed: int = 42, cache_size: int = 64):
        self.x, self.y, self.seed = x, y, int(seed)
        self.sampler = checked_sampler(sampler)
        with seeded(self.seed):
            self.initial_model = MLP(input_size=x[0].numel(), hidden_sizes=hidden_sizes).to(x.device)
        self._timed_run = lru_cache(maxsize=cache_size)(self._train)
        self._counted_run = lru_cache(maxsize=cache_size)(self._counted)

    def _train(self, batch_size: int, lr: float, seconds: float) -> np.ndarray:
        with seeded(self.seed):
            return train_for_seconds(copy.deepcopy(self.initial_model), self.x, self.y, batch_size, lr, seconds,
                                     self.sampler)

    def run(self, batch_size: int, lr: float, seconds: float) -> np.ndarray:
        """(steps, 2) rows [seconds, minibatch loss] of one run; CourseInputError for a setting it cannot run."""
        batch_size = int(parse_number(batch_size, f"batch size (at most the {len(self.x)} training examples)",
                                      minimum=1, maximum=len(self.x), integer=True))
        lr = parse_number(lr, "learning rate", minimum=0.0, maximum=MAX_LEARNING_RATE)
        seconds = parse_number(seconds, "seconds per run", minimum=0.0, maximum=MAX_SECONDS)
        if lr == 0 or seconds == 0:
            raise CourseInputError("the learning rate and the time budget must be positive.")
        return self._timed_run(batch_size, lr, seconds)

    def run_steps(self, batch_size: int, lr: float, steps: int) -> np.ndarray:
        """(steps, 2) rows [seconds, minibatch loss] of a run of exactly ``steps`` SGD steps (fewer if it
        diverges): unlike ``run``, what it computes does not depend on how fast the machine is."""
        batch_size = int(parse_number(batch_size, f"batch size (at most the {len(self.x)} training examples)",
                                      minimum=1, maximum=len(self.x), integer=True))
        lr = parse_positive(lr, "learning rate", maximum=MAX_LEARNING_RATE)
        steps = int(parse_number(steps, "steps", minimum=1, maximum=100_000, integer=True))
        return self._counted_run(batch_size, lr, steps)

    def _counted(self, batch_size: int, lr: float, steps: int) -> np.ndarray:
        with seeded(self.seed):
            return train_for_seconds(copy.deepcopy(self.initial_model), self.x, self.y, batch_size, lr, 0.0,
                                     self.sampler, min_steps=steps)
