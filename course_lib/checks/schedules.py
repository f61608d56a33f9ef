"""Self-check for ``warmup_cosine_lr(step, total_steps, peak_lr, warmup_steps, min_lr=0.0) -> float``.

η = η_peak (step + 1)/W while step < W; afterwards η_min + ½(η_peak − η_min)(1 + cos(π (step − W)/max(1, T − W))).

1. Six schedules (with and without warmup, with and without η_min, W = T, the default η_min, and a
   warmup whose first steps lie below η_min, peak/W < η_min, so a warmup floored at η_min shows) are
   evaluated at every step from 0 to T inclusive: LambdaLR asks for step T once, after the last update.
2. Each value must be a real number (a float, or anything ``float()`` accepts except bools and strings).
3. On a mismatch, the student's whole curve is compared with known wrong curves (warmup off by one,
   η_min ignored, the cosine ending at the wrong step, …) to name the mistake; otherwise the first step
   that differs is reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from course_lib.checks._runner import Wrong, call_student, describe, require_callable, self_check
from course_lib.schedules import warmup_cosine_lr as reference

SIGNATURE = "warmup_cosine_lr(step, total_steps, peak_lr, warmup_steps, min_lr=0.0)"
HINT = f"read the error's last line; the signature is {SIGNATURE}"
ZERO_DIVISION_HINT = ("with warmup_steps = total_steps the cosine part has no steps: divide by "
                      "max(1, total_steps - warmup_steps)")
CASES = (  # (total_steps, peak_lr, warmup_steps, min_lr); None: call without min_lr
    (20, 0.1, 5, 0.0),
    (37, 3e-3, 8, 1e-4),
    (12, 1.0, 0, 0.1),
    (6, 0.5, 6, 0.02),
    (15, 2e-2, 3, None),
    (16, 0.01, 10, 0.005),
)
RTOL, ATOL = 1e-6, 1e-12


def _cosine(progress: float) -> float:
    return 0.5 * (1.0 + math.cos(math.pi * progress))


@dataclass(frozen=True)
class ScheduleMistake:
    sentence: str
    formula: Callable[[int, int, float, int, float], float]


def _warm(step, warmup, peak, otherwise):
    return peak * (step + 1) / warmup if step < warmup else otherwise()


MISTAKES = (
    ScheduleMistake("the warmup is off by one: at step 0 the learning rate must already be peak_lr · 1/warmup_steps, "
                    "so use (step + 1) / warmup_steps",
                    lambda s, T, p, W, lo: p * s / W if s < W else reference(s, T, p, W, lo)),
    ScheduleMistake("the warmup is floored at min_lr: it rises from peak_lr / warmup_steps, even when that is "
                    "below min_lr, so use peak_lr · (step + 1) / warmup_steps without max(min_lr, …)",
                    lambda s, T, p, W, lo: max(lo, p * (s + 1) / W) if s < W else reference(s, T, p, W, lo)),
    ScheduleMistake("the warmup lasts one step too long: it covers the steps with step < warmup_steps, so step "
                    "warmup_steps already belongs to the cosine part",
                    lambda s, T, p, W, lo: p * (s + 1) / W if s <= W and W > 0 else reference(s, T, p, W, lo)),
    ScheduleMistake("the cosine ignores min_lr: it must decay from peak_lr to min_lr, "
                    "min_lr + 0.5 · (peak_lr − min_lr) · (1 + cos(…))",
                    lambda s, T, p, W, lo: _warm(s, W, p, lambda: p * _cosine((s - W) / max(1, T - W)))),
    ScheduleMistake("min_lr is added on top of the cosine: the amplitude is (peak_lr − min_lr), so the schedule "
                    "starts at peak_lr and ends at min_lr",
                    lambda s, T, p, W, lo: _warm(s, W, p, lambda: lo + p * _cosine((s - W) / max(1, T - W)))),
    ScheduleMistake("the cosine ends at the wrong step: after the warmup it has total_steps − warmup_steps steps "
                    "to go, so divide (step − warmup_steps) by max(1, total_steps − warmup_steps), not by total_steps",
                    lambda s, T, p, W, lo: _warm(s, W, p, lambda: lo + (p - lo) * _cosine((s - W) / max(1, T)))),
    ScheduleMistake("the cosine ends one step early: it reaches min_lr at step total_steps (one past the last "
                    "update), so divide by max(1, total_steps − warmup_steps), not by total_steps − warmup_steps − 1",
                    lambda s, T, p, W, lo: _warm(s, W, p, lambda: lo + (p - lo) * _cosine((s - W) / max(1, T - W - 1)))),
    ScheduleMistake("the cosine starts counting at step 0 instead of at the end of the warmup: use "
                    "(step − warmup_steps)",
                    lambda s, T, p, W, lo: _warm(s, W, p, lambda: lo + (p - lo) * _cosine(s / max(1, T - W)))),
    ScheduleMistake("there is no warmup: while step < warmup_steps the learning rate must rise linearly, "
                    "peak_lr · (step + 1) / warmup_steps",
                    lambda s, T, p, W, lo: lo + (p - lo) * _cosine((s - W) / max(1, T - W)) if s >= W
                    else lo + (p - lo) * _cosine(0.0)),
    ScheduleMistake("the decay after the warmup is linear: it must follow half a cosine wave, "
                    "0.5 · (1 + cos(π · progress))",
                    lambda s, T, p, W, lo: _warm(s, W, p, lambda: lo + (p - lo) * (1 - (s - W) / max(1, T - W)))),
    ScheduleMistake("π is missing in the cosine: cos(π · (step − warmup_steps) / …)",
                    lambda s, T, p, W, lo: _warm(s, W, p, lambda: lo + (p - lo) * 0.5 * (1 + math.cos((s - W) / max(1, T - W))))),
)


def _as_number(value: object, where: str) -> float:
    if isinstance(value, bool | str | bytes) or value is None:
        raise Wrong(f"{where} it returned {describe(value)}; return the learning rate as a float")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Wrong(f"{where} it returned {describe(value)}; return the learning rate as one float") from None
    return number


def _settings(case) -> str:
    total, peak, warmup, min_lr = case
    low = "default min_lr" if min_lr is None else f"min_lr={min_lr:g}"
    return f"total_steps={total}, peak_lr={peak:g}, warmup_steps={warmup}, {low}"


def _student_curve(schedule, case) -> np.ndarray:
    total, peak, warmup, min_lr = case
    hint = ZERO_DIVISION_HINT if warmup == total else HINT
    values = []
    for step in range(total + 1):
        extra = {} if min_lr is None else {"min_lr": min_lr}
        value = call_student(schedule, step, total, peak, warmup, **extra, hint=hint, signature=SIGNATURE)
        values.append(_as_number(value, f"at step {step} with {_settings(case)}"))
    return np.array(values)


def _curve(formula, case) -> np.ndarray:
    total, peak, warmup, min_lr = case
    return np.array([formula(step, total, peak, warmup, 0.0 if min_lr is None else min_lr)
                     for step in range(total + 1)])


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=False))


def _diagnose(curves: list[np.ndarray]) -> str:
    for mistake in MISTAKES:
        try:
            if all(_close(curve, _curve(mistake.formula, case)) for curve, case in zip(curves, CASES, strict=True)):
                return mistake.sentence
        except ZeroDivisionError:
            continue
    wrong = [index for index, (curve, case) in enumerate(zip(curves, CASES, strict=True))
             if not _close(curve, _curve(reference, case))]
    if all(CASES[index][3] is None for index in wrong):
        return f"called without min_lr it does not decay to 0: keep the default of the signature {SIGNATURE}"
    for index in wrong:
        curve, case = curves[index], CASES[index]
        expected = _curve(reference, case)
        if not _close(curve, expected):
            step = int(np.argmax(~np.isclose(curve, expected, rtol=RTOL, atol=ATOL)))
            return (f"at step {step} with {_settings(case)} it returns {curve[step]:.6g}, "
                    f"but the schedule is {expected[step]:.6g} there")
    return "the values differ from the reference"


@self_check("warmup_cosine_lr")
def check_warmup_cosine_lr(schedule: object) -> str:
    """Check a warmup-then-cosine schedule at every step 0 … T of six settings, W = T, default min_lr and a
    warmup that starts below min_lr included."""
    require_callable(schedule, "warmup_cosine_lr")
    curves = [_student_curve(schedule, case) for case in CASES]
    if all(_close(curve, _curve(reference, case)) for curve, case in zip(curves, CASES, strict=True)):
        return (f"matches the reference at every step of {len(CASES)} schedules, including no warmup, "
                f"warmup_steps = total_steps and the default min_lr")
    raise Wrong(_diagnose(curves))
