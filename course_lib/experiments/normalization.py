"""Normalization layers against a bad initialization, and what PyTorch's default init does over depth.

Pipeline:

1. ``normalized_layer_statistics`` builds a ``NormalizedMLP`` (no norm, BatchNorm or LayerNorm after
   every hidden Linear), initializes its Linear layers (``initialize``: N(0, std²), Kaiming, or PyTorch's
   default), runs one forward and backward pass on a fixed batch and returns per-layer variances:
   Var(h_k) of what hidden layer k hands to the next layer (after norm and activation), Var(z_k) of
   every Linear output, Var(∂L/∂W_k) and Var(∂L/∂z_k);
2. ``NormalizationTraining.run(norm, scheme, std)`` trains the network with SGD + momentum, one
   ``course_lib.training.train_step`` per minibatch, and records the minibatch losses and the
   validation accuracy after each epoch; cached per setting.

Everything draws from private seeds (``course_lib.seeding.seeded``): the caller's RNG is untouched.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.config import quick_or_full
from course_lib.device import single_cpu_thread
from course_lib.errors import CourseInputError
from course_lib.experiments._practice import batches, take_subset
from course_lib.init import init_kaiming, init_normal
from course_lib.normalization import NORMALIZATIONS, NormalizedMLP
from course_lib.seeding import seeded
from course_lib.training import evaluate, train_minibatches
from course_lib.validation import parse_choice, parse_positive

SCHEMES = ("normal", "kaiming", "pytorch default")
MIN_STD, MAX_STD = 1e-3, 1.0
MAX_DEPTH = 12


def initialize(model: nn.Module, scheme: str, std: float = 0.01) -> nn.Module:
    """Initialize every Linear of ``model`` in place: ``normal`` W ~ N(0, std²), b = 0; ``kaiming`` (course_lib's,
    Var(W) = 2/fan_in after a ReLU); ``pytorch default`` (nn.Linear's own reset_parameters: W, b ~ U(±1/√fan_in))."""
    parse_choice(scheme, SCHEMES, "scheme")
    if scheme == "normal":
        return init_normal(model, std=std)
    if scheme == "kaiming":
        return init_kaiming(model)
    for module in model.modules():
        if isinstance(module, nn.Linear):
            module.reset_parameters()
    return model


@dataclass(frozen=True)
class NormalizedStatistics:
    """Per-layer variances for a network with ``depth`` hidden layers.

    ``hidden_variance`` (depth,): Var(h_k), hidden layer k's output after norm and activation;
    ``linear_variance`` (depth + 1,): Var(z_k) of each Linear output (the last are the logits);
    ``gradient_variance`` (depth + 1,): Var(∂L/∂W_k); ``backward_variance`` (depth + 1,): Var(∂L/∂z_k).
    """

    hidden_variance: np.ndarray
    linear_variance: np.ndarray
    gradient_variance: np.ndarray
    backward_variance: np.ndarray


def _check_settings(norm: str, scheme: str, std: float, depth: int, width: int) -> tuple:
    parse_choice(norm, NORMALIZATIONS, "normalization")
    parse_choice(scheme, SCHEMES, "scheme")
    std = parse_positive(std, "std")
    if not MIN_STD <= std <= MAX_STD:
        raise CourseInputError(f"std must lie between {MIN_STD:g} and {MAX_STD:g}, got {std:g}.")
    depth, width = int(depth), int(width)
    if not 1 <= depth <= MAX_DEPTH or not 1 <= width <= 4096:
        raise CourseInputError(f"depth must lie between 1 and {MAX_DEPTH}, and width between 1 and 4096.")
    return norm, scheme, std, depth, width


def normalized_layer_statistics(x: torch.Tensor, y: torch.Tensor, norm: str, scheme: str, std: float = 0.01,
                                depth: int = 6, width: int = 256, activation: str = "relu",
                                seed: int = 0) -> NormalizedStatistics:
    """One forward and backward pass of a fresh network on (x: (B, 784), y: (B,)), L = mean cross-entropy;
    BatchNorm uses the batch's statistics (training mode). Returns the per-layer variances;
    CourseInputError when one overflows (NaN or infinite)."""
    norm, scheme, std, depth, width = _check_settings(norm, scheme, std, depth, width)
    with single_cpu_thread(), seeded(seed):
        model = initialize(NormalizedMLP(x.shape[1], (width,) * depth, norm=norm, activation=activation), scheme, std)
        linear_outputs, hidden_outputs = [], []
        signal = x
        modules = list(model.layers)
        for index, module in enumerate(modules):
            signal = module(signal)
            if isinstance(module, nn.Linear):
                signal.retain_grad()
                linear_outputs.append(signal)
            elif index + 1 < len(modules) and isinstance(modules[index + 1], nn.Linear):
                hidden_outputs.append(signal)
        F.cross_entropy(signal, y).backward()

        def variances(tensors) -> np.ndarray:
            return np.array([float(tensor.detach().double().var()) for tensor in tensors])

        stats = NormalizedStatistics(variances(hidden_outputs), variances(linear_outputs),
                                     variances(layer.weight.grad for layer in model.linear_layers()),
                                     variances(output.grad for output in linear_outputs))
    for values in (stats.hidden_variance, stats.gradient_variance, stats.backward_variance):
        if not np.all(np.isfinite(values)):
            raise CourseInputError("The variance became NaN or infinite: the weights are too large for this depth "
                                   "without normalization; pick a smaller std, fewer layers, or a normalization.")
    return stats


def output_after_rescaling(x: torch.Tensor, norm: str, factor: float, depth: int = 3, width: int = 64,
                           seed: int = 0) -> torch.Tensor:
    """Logits of a seeded network (eval mode for none/layer, training mode for batch) after multiplying the
    weight and bias of every hidden Linear by ``factor``: (B, 10). With a normalization layer after each
    of them, the result does not depend on ``factor``."""
    parse_choice(norm, NORMALIZATIONS, "normalization")
    with seeded(seed):
        model = NormalizedMLP(x.shape[1], (width,) * depth, norm=norm)
    hidden_linears = model.linear_layers()[:-1]
    with torch.no_grad():
        for layer in hidden_linears:
            layer.weight.mul_(factor)
            layer.bias.mul_(factor)
        model.train(norm == "batch")
        return model(x).detach()


@dataclass(frozen=True)
class NormRun:
    """``train_loss`` (T,) minibatch losses (NaN after a divergence); ``val_acc`` (E + 1,) after each epoch
    (entry 0 before training)."""

    norm: str
    scheme: str
    std: float
    train_loss: np.ndarray
    val_acc: np.ndarray
    diverged: bool

    @property
    def final_val_acc(self) -> float:
        return float(self.val_acc[-1])


class NormalizationTraining:
    """SGD + momentum on a deep ReLU network with or without normalization; ``run(norm, scheme, std)`` is cached."""

    def __init__(self, data, n_train: int | None = None, n_val: int | None = None, depth: int = 6,
                 width: int = 256, lr: float = 0.05, momentum: float = 0.9, epochs: int | None = None,
                 batch_size: int = 100, seed: int = 0):
        self.subset = take_subset(data, n_train or quick_or_full(4000, 8000), n_val or quick_or_full(1000, 2000))
        self.depth, self.width = int(depth), int(width)
        self.lr, self.momentum = float(lr), float(momentum)
        self.epochs = int(epochs or quick_or_full(3, 4))
        self.batch_size, self.seed = int(batch_size), int(seed)
        self.total_steps = self.epochs * math.ceil(len(self.subset.train_y) / self.batch_size)
        self.trained = 0
        self._cache: dict[tuple, NormRun] = {}

    def run(self, norm: str, scheme: str = "normal", std: float = 0.01,
            on_step: Callable[[int, int], None] | None = None) -> NormRun:
        norm, scheme, std, _, _ = _check_settings(norm, scheme, std, self.depth, self.width)
        key = (norm, scheme, std if scheme == "normal" else 0.0)
        if key not in self._cache:
            self._cache[key] = self._train(*key, on_step=on_step)
        return self._cache[key]

    def _train(self, norm: str, scheme: str, std: float, on_step=None) -> NormRun:
        self.trained += 1
        with seeded(self.seed):
            model = initialize(NormalizedMLP(self.subset.train_x.shape[1], (self.width,) * self.depth, norm=norm),
                               scheme, std)
        optimizer = torch.optim.SGD(model.parameters(), lr=self.lr, momentum=self.momentum)
        accuracies = [evaluate(model, self.subset.val_x, self.subset.val_y)[1]]
        run = train_minibatches(
            model, optimizer, batches(self.subset, self.batch_size, self.seed), self.epochs, on_step=on_step,
            after_epoch=lambda epoch: accuracies.append(evaluate(model, self.subset.val_x, self.subset.val_y)[1]))
        return NormRun(norm, scheme, std, run.padded_losses(self.total_steps), np.array(accuracies, dtype=float),
                       run.diverged_at is not None)
