"""Learning-rate schedules on FashionMNIST, and the learning-rate range test.

Pipeline of ``ScheduleExperiment.run(schedule, peak_lr, warmup_steps, norm)``, one function per step:

1. ``ScheduleExperiment(data)`` fixes a training subset, a validation subset, the batch order and the
   initial weights (PyTorch's default init, seeded), so runs differ only in their settings;
2. ``_train`` builds the network (``NormalizedMLP``: plain, or with LayerNorm/BatchNorm after each
   hidden Linear), a ``torch.optim.Adam``, and a ``LambdaLR`` that follows the schedule
   (``course_lib.schedules.lambda_lr``); each minibatch is one ``course_lib.training.train_step``
   followed by ``scheduler.step()``; the validation loss and accuracy are measured ``evaluations`` times;
3. results are cached per setting, so a demo revisiting a setting does not train again.

``lr_range_test`` (Smith, 2017) trains once while the learning rate grows exponentially from
``lr_min`` to ``lr_max``, and reads a learning rate off the smoothed loss curve.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from course_lib.config import quick_or_full
from course_lib.device import single_cpu_thread
from course_lib.errors import CourseInputError
from course_lib.experiments._practice import batches, take_subset
from course_lib.models import MLP
from course_lib.normalization import NORMALIZATIONS, NormalizedMLP
from course_lib.schedules import SCHEDULES, check_schedule_settings, lambda_lr, warmup_cosine_lr
from course_lib.seeding import seeded
from course_lib.training import evaluate, has_diverged, train_minibatches, train_step
from course_lib.validation import parse_choice, parse_number, parse_positive

MAX_PEAK_LR = 10.0
# Where notebook 05 and its demo start: a peak learning rate on the demo's slider grid (10^-0.5 ≈ 0.32),
# warmed up over 50 steps, on the network with LayerNorm.
START_PEAK_LR, START_WARMUP_STEPS, START_NORM = 10**-0.5, 50, "layer"


@dataclass(frozen=True)
class ScheduleRun:
    """One training run. ``lr``, ``train_loss``: (T,), the learning rate and the minibatch loss of each step
    (NaN after a divergence); ``eval_steps``: (K,) number of steps taken before each validation
    measurement (0: at initialization); ``val_loss``, ``val_acc``: (K,); ``train_acc``: accuracy on the whole
    training subset at the end (NaN when the run diverged), to set against the final validation accuracy."""

    schedule: str
    peak_lr: float
    warmup_steps: int
    norm: str
    lr: np.ndarray
    train_loss: np.ndarray
    eval_steps: np.ndarray
    val_loss: np.ndarray
    val_acc: np.ndarray
    diverged: bool
    train_acc: float = math.nan

    @property
    def final_val_acc(self) -> float:
        """Validation accuracy at the end (NaN when the run diverged before its last measurement)."""
        return float(self.val_acc[-1])

    def late_train_loss(self, fraction: float = 0.1) -> float:
        """The mean minibatch loss over the last ``fraction`` of the steps: where the noise floor shows."""
        return float(np.mean(self.train_loss[-max(1, int(fraction * len(self.train_loss))):]))

    def early_peak_loss(self, fraction: float = 0.1) -> float:
        """The largest minibatch loss in the first ``fraction`` of the steps (a spike shows here)."""
        head = self.train_loss[: max(1, int(fraction * len(self.train_loss)))]
        return float(np.nanmax(head)) if np.isfinite(head).any() else math.inf


class ScheduleExperiment:
    """Adam on a FashionMNIST subset under each schedule; ``run(schedule, peak_lr, warmup_steps, norm)`` is cached.

    data: FashionMNISTTensors (or any object with train_x, train_y, val_x, val_y). ``warmup_cosine``: the
    function used for "warmup + cosine" (e.g. the student's, once it passes its check).
    """

    def __init__(self, data, n_train: int | None = None, n_val: int | None = None, hidden_sizes=(128, 128),
                 epochs: int | None = None, batch_size: int = 100, seed: int = 0, evaluations: int = 10,
                 warmup_cosine: Callable = warmup_cosine_lr):
        self.subset = take_subset(data, n_train or quick_or_full(5000, 10_000), n_val or quick_or_full(1000, 2000))
        self.hidden_sizes = tuple(hidden_sizes)
        self.epochs = int(epochs or quick_or_full(4, 6))
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.steps_per_epoch = math.ceil(len(self.subset.train_y) / self.batch_size)
        self.total_steps = self.epochs * self.steps_per_epoch
        self.eval_every = max(1, self.total_steps // int(evaluations))
        self.schedules = {**SCHEDULES, "warmup + cosine": warmup_cosine}
        self.trained = 0
        self._cache: dict[tuple, ScheduleRun] = {}

    def key(self, schedule: str, peak_lr: float, warmup_steps: int, norm: str = "layer") -> tuple:
        """The validated settings as a cache key; CourseInputError (one sentence) for settings that cannot run."""
        parse_choice(schedule, tuple(self.schedules), "schedule")
        parse_choice(norm, NORMALIZATIONS, "normalization")
        peak_lr = parse_positive(peak_lr, "peak learning rate", maximum=MAX_PEAK_LR)
        warmup_steps = int(parse_number(warmup_steps, "warmup_steps", minimum=0, integer=True))
        check_schedule_settings(self.total_steps, peak_lr, warmup_steps)
        return schedule, peak_lr, warmup_steps, norm

    def is_cached(self, *settings) -> bool:
        return self.key(*settings) in self._cache

    def run(self, schedule: str, peak_lr: float, warmup_steps: int, norm: str = "layer",
            on_step: Callable[[int, int], None] | None = None) -> ScheduleRun:
        """The cached run for these settings, training it first if needed (``on_step(done, total)`` each step)."""
        key = self.key(schedule, peak_lr, warmup_steps, norm)
        if key not in self._cache:
            self._cache[key] = self._train(*key, on_step=on_step)
        return self._cache[key]

    def fresh_model(self, norm: str) -> NormalizedMLP:
        """The network with PyTorch's default init drawn from ``seed`` (the caller's RNG is left alone)."""
        with seeded(self.seed):
            return NormalizedMLP(input_size=self.subset.train_x.shape[1], hidden_sizes=self.hidden_sizes, norm=norm)

    def _evaluate(self, model) -> tuple[float, float]:
        return evaluate(model, self.subset.val_x, self.subset.val_y)

    def _train(self, schedule, peak_lr, warmup_steps, norm, on_step=None) -> ScheduleRun:
        self.trained += 1
        model = self.fresh_model(norm)
        optimizer = torch.optim.Adam(model.parameters(), lr=peak_lr)
        scheduler = lambda_lr(optimizer, self.schedules[schedule], self.total_steps, peak_lr, warmup_steps)
        lrs = np.full(self.total_steps, np.nan)
        first_loss, first_acc = self._evaluate(model)
        eval_steps, val_loss, val_acc = [0], [first_loss], [first_acc]

        def after_step(step: int, loss: float) -> None:
            lrs[step - 1] = optimizer.param_groups[0]["lr"]  # the rate this step used
            scheduler.step()
            if not has_diverged(loss) and (step % self.eval_every == 0 or step == self.total_steps):
                loss_value, accuracy = self._evaluate(model)
                eval_steps.append(step)
                val_loss.append(loss_value)
                val_acc.append(accuracy)

        run = train_minibatches(model, optimizer, batches(self.subset, self.batch_size, self.seed), self.epochs,
                                on_step=on_step, after_step=after_step)
        losses, diverged, step = run.padded_losses(self.total_steps), run.diverged_at is not None, len(run.losses)
        if diverged:
            eval_steps.append(step)
            val_loss.append(math.nan)
            val_acc.append(math.nan)
        curve = np.array([self.schedules[schedule](t, self.total_steps, peak_lr, warmup_steps, 0.0)
                          for t in range(self.total_steps)], dtype=float)
        lrs = np.where(np.isnan(lrs), curve, lrs)
        train_acc = math.nan if diverged else evaluate(model, self.subset.train_x, self.subset.train_y)[1]
        return ScheduleRun(schedule, peak_lr, warmup_steps, norm, lrs, losses, np.array(eval_steps),
                           np.array(val_loss, dtype=float), np.array(val_acc, dtype=float), diverged, float(train_acc))


# The learning-rate range test -------------------------------------------------------------------------


@dataclass(frozen=True)
class RangeTestResult:
    """``lrs``, ``losses``, ``smoothed``: (n,) per step until the test stopped; the three read-offs:
    ``min_loss_lr`` (where the smoothed loss is lowest), ``suggested_lr`` = min_loss_lr / 10, and
    ``steepest_lr`` (where the smoothed loss falls fastest per decade of learning rate, before its minimum)."""

    name: str
    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    min_loss_lr: float
    suggested_lr: float
    steepest_lr: float
    stopped_early: bool


def set_learning_rate(optimizer, lr: float) -> None:
    """Set the learning rate of every param group of a ``torch.optim`` optimizer (course_lib's included)."""
    for group in optimizer.param_groups:
        group["lr"] = lr


def lr_range_test(make_optimizer: Callable, x: torch.Tensor, y: torch.Tensor, name: str = "", *,
                  hidden_sizes=(64, 64), batch_size: int = 64, steps: int = 300, lr_min: float = 1e-5,
                  lr_max: float = 10.0, seed: int = 42, smoothing: float = 0.98, stop_factor: float = 4.0
                  ) -> RangeTestResult:
    """Smith's range test: one run whose learning rate grows as lr_min·(lr_max/lr_min)^(t/(steps−1)).

    The network is ``MLP(hidden_sizes)`` with PyTorch's default init drawn after seeding with ``seed``,
    and the minibatches are drawn IID with replacement from (x: (N, ...), y: (N,)) by a generator seeded
    with ``seed``: the setting of notebook 04's optimizer comparison. The loss is smoothed with an
    exponential moving average (bias-corrected, as Adam's); the test stops once the smoothed loss exceeds
    ``stop_factor`` times its minimum, or the loss diverges.
    """
    lr_min, lr_max = parse_positive(lr_min, "lr_min"), parse_positive(lr_max, "lr_max")
    if lr_max <= lr_min or int(steps) < 10:
        raise CourseInputError("The range test needs lr_max > lr_min and at least 10 steps.")
    x = x.reshape(len(x), -1)
    with seeded(seed):
        model = MLP(input_size=x.shape[1], hidden_sizes=hidden_sizes)
    optimizer = make_optimizer(list(model.parameters()))
    rows = torch.randint(0, len(x), (int(steps), int(batch_size)), generator=torch.Generator().manual_seed(seed))
    lrs = lr_min * (lr_max / lr_min) ** (np.arange(int(steps)) / (int(steps) - 1))
    losses, smoothed, average, best = [], [], 0.0, math.inf
    with single_cpu_thread():
        for step, batch in enumerate(rows):
            set_learning_rate(optimizer, float(lrs[step]))
            loss, _ = train_step(model, optimizer, x[batch], y[batch])
            value = float(loss)
            if has_diverged(value):
                break
            average = smoothing * average + (1 - smoothing) * value
            losses.append(value)
            smoothed.append(average / (1 - smoothing ** (step + 1)))
            best = min(best, smoothed[-1])
            if smoothed[-1] > stop_factor * best:
                break
    count = len(smoothed)
    if count < 3:
        raise CourseInputError("The range test stopped within its first steps: lower lr_min.")
    smoothed_array, tested = np.array(smoothed), lrs[:count]
    lowest = int(np.argmin(smoothed_array))
    slope = np.gradient(smoothed_array, np.log10(tested))
    steepest = int(np.argmin(slope[: lowest + 1]))
    return RangeTestResult(name, tested, np.array(losses), smoothed_array, float(tested[lowest]),
                           float(tested[lowest] / 10), float(tested[steepest]), count < int(steps))
