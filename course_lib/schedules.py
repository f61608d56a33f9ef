"""Learning-rate schedules: the learning rate η_t of every step t = 0, 1, …, total_steps − 1.

Every schedule has the same signature, ``schedule(step, total_steps, peak_lr, warmup_steps, min_lr)``,
and returns a float; ``warmup_steps`` only matters for the schedules that warm up.

- ``constant_lr``         η_t = η_peak
- ``step_decay_lr``       η_peak, then ×0.1 after half of the steps and again after three quarters
                          (``torch.optim.lr_scheduler.MultiStepLR`` with gamma 0.1)
- ``cosine_lr``           η_t = η_min + ½(η_peak − η_min)(1 + cos(π t / T))       (Loshchilov & Hutter, 2017)
- ``warmup_cosine_lr``    linear warmup η_peak (t + 1)/W for t < W, then the cosine over the remaining T − W steps
- ``one_cycle_lr``        cosine rise from η_peak/25 to η_peak over W steps, cosine fall to η_min
                          (Smith & Topin, 2019; ``torch.optim.lr_scheduler.OneCycleLR`` without momentum cycling)

``lambda_lr(optimizer, schedule, total_steps, peak_lr, ...)`` drives a ``torch.optim`` optimizer with
one of them through ``torch.optim.lr_scheduler.LambdaLR``: LambdaLR multiplies the optimizer's base
learning rate by ``lr_lambda(t)``, so the base is set to η_peak and the factor is η_t / η_peak.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from course_lib.errors import CourseInputError

Schedule = Callable[..., float]
STEP_DECAY_MILESTONES = (0.5, 0.75)
STEP_DECAY_FACTOR = 0.1
ONE_CYCLE_DIV_FACTOR = 25.0


def warmup_cosine_lr(step: int, total_steps: int, peak_lr: float, warmup_steps: int, min_lr: float = 0.0) -> float:
    """Linear warmup, then cosine decay; ``step`` counts from 0.

    step < W: η = η_peak (step + 1)/W;  afterwards η = η_min + ½(η_peak − η_min)(1 + cos(π (step − W)/max(1, T − W))).
    """
    if step < warmup_steps:
        return peak_lr * (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return min_lr + 0.5 * (peak_lr - min_lr) * (1.0 + math.cos(math.pi * progress))


def constant_lr(step: int, total_steps: int, peak_lr: float, warmup_steps: int = 0, min_lr: float = 0.0) -> float:
    """η_t = η_peak for every step (warmup_steps and min_lr are ignored)."""
    return float(peak_lr)


def step_decay_lr(step: int, total_steps: int, peak_lr: float, warmup_steps: int = 0, min_lr: float = 0.0) -> float:
    """η_peak, multiplied by 0.1 at each milestone (half and three quarters of ``total_steps``)."""
    passed = sum(step >= int(fraction * total_steps) for fraction in STEP_DECAY_MILESTONES)
    return float(peak_lr) * STEP_DECAY_FACTOR**passed


def cosine_lr(step: int, total_steps: int, peak_lr: float, warmup_steps: int = 0, min_lr: float = 0.0) -> float:
    """Cosine decay from η_peak at step 0 to η_min at ``total_steps`` (no warmup)."""
    return warmup_cosine_lr(step, total_steps, peak_lr, 0, min_lr)


def one_cycle_lr(step: int, total_steps: int, peak_lr: float, warmup_steps: int, min_lr: float = 0.0,
                 div_factor: float = ONE_CYCLE_DIV_FACTOR) -> float:
    """One cycle: cosine rise from η_peak/div_factor (step 0) to η_peak (step W − 1), then cosine fall to
    η_min (step T − 1). Equals ``OneCycleLR(max_lr=η_peak, total_steps=T, pct_start=W/T, div_factor,
    final_div_factor=η_peak/(div_factor·η_min), cycle_momentum=False)``."""
    start, rise_end, fall_end = peak_lr / div_factor, warmup_steps - 1, total_steps - 1
    if step <= rise_end and rise_end > 0:
        return _cosine_between(start, peak_lr, step / rise_end)
    begin = max(rise_end, 0)
    return _cosine_between(peak_lr, min_lr, (step - begin) / max(1, fall_end - begin))


def _cosine_between(start: float, end: float, fraction: float) -> float:
    """From ``start`` (fraction 0) to ``end`` (fraction 1) along half a cosine wave."""
    return end + 0.5 * (start - end) * (1.0 + math.cos(math.pi * fraction))


SCHEDULES: dict[str, Schedule] = {
    "constant": constant_lr,
    "step decay": step_decay_lr,
    "cosine": cosine_lr,
    "warmup + cosine": warmup_cosine_lr,
    "one-cycle": one_cycle_lr,
}
WARMUP_SCHEDULES = ("warmup + cosine", "one-cycle")


def get_schedule(name: str) -> Schedule:
    """The schedule called ``name`` (a key of ``SCHEDULES``), or CourseInputError naming the choices."""
    if name not in SCHEDULES:
        raise CourseInputError(f"Unknown schedule {name!r}; choose one of: {', '.join(SCHEDULES)}.")
    return SCHEDULES[name]


def check_schedule_settings(total_steps: int, peak_lr: float, warmup_steps: int, min_lr: float = 0.0) -> None:
    """Raise CourseInputError (one sentence) unless 0 ≤ W ≤ T, T ≥ 1 and 0 ≤ η_min ≤ η_peak are finite."""
    if int(total_steps) < 1:
        raise CourseInputError(f"total_steps must be at least 1, got {total_steps}.")
    if not 0 <= int(warmup_steps) <= int(total_steps):
        raise CourseInputError(f"warmup_steps must lie between 0 and total_steps ({total_steps}), got {warmup_steps}.")
    if not (math.isfinite(peak_lr) and peak_lr > 0):
        raise CourseInputError(f"The peak learning rate must be a positive number, got {peak_lr}.")
    if not (math.isfinite(min_lr) and 0 <= min_lr <= peak_lr):
        raise CourseInputError(f"min_lr must lie between 0 and the peak learning rate, got {min_lr}.")


def schedule_curve(schedule: str | Schedule, total_steps: int, peak_lr: float, warmup_steps: int = 0,
                   min_lr: float = 0.0) -> np.ndarray:
    """η_t for t = 0 … total_steps − 1: (total_steps,) float64. ``schedule``: a name or a function."""
    function = get_schedule(schedule) if isinstance(schedule, str) else schedule
    check_schedule_settings(total_steps, peak_lr, warmup_steps, min_lr)
    return np.array([float(function(step, int(total_steps), float(peak_lr), int(warmup_steps), float(min_lr)))
                     for step in range(int(total_steps))])


def lambda_lr(optimizer: torch.optim.Optimizer, schedule: str | Schedule, total_steps: int, peak_lr: float,
              warmup_steps: int = 0, min_lr: float = 0.0) -> torch.optim.lr_scheduler.LambdaLR:
    """A LambdaLR that gives ``optimizer`` the learning rate ``schedule(t, …)`` at its step t (t from 0).

    Sets every param group's learning rate to η_peak first; call ``scheduler.step()`` after each
    ``optimizer.step()``.
    """
    function = get_schedule(schedule) if isinstance(schedule, str) else schedule
    check_schedule_settings(total_steps, peak_lr, warmup_steps, min_lr)
    for group in optimizer.param_groups:
        group["lr"] = float(peak_lr)
        group.pop("initial_lr", None)
    total, peak, warmup, low = int(total_steps), float(peak_lr), int(warmup_steps), float(min_lr)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: function(step, total, peak, warmup, low) / peak)
