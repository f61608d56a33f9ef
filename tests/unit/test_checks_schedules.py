"""check_warmup_cosine_lr passes differently written schedules and names each classic mistake."""

import math

import numpy as np
import pytest
import torch

from course_lib.checks import check_warmup_cosine_lr
from course_lib.schedules import warmup_cosine_lr


def verdict(answer, capsys):
    passed = check_warmup_cosine_lr(answer)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines
    return passed, lines[0]


def piecewise(step, total_steps, peak_lr, warmup_steps, min_lr=0.0):
    """Written the other way round, with numpy and the cosine as a lerp between min and peak."""
    if step >= warmup_steps:
        fraction = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        weight = (np.cos(np.pi * fraction) + 1) / 2
        return float(weight * peak_lr + (1 - weight) * min_lr)
    return float(np.float32(peak_lr) * (step + 1) / warmup_steps)


def as_tensor(step, total_steps, peak_lr, warmup_steps, min_lr=0.0):
    """Returns a 0-d tensor, which float() and LambdaLR accept."""
    warm = torch.tensor(peak_lr * (step + 1) / max(warmup_steps, 1), dtype=torch.float64)
    span = max(1, total_steps - warmup_steps)
    cosine = min_lr + (peak_lr - min_lr) * (1 + torch.cos(torch.tensor(math.pi * (step - warmup_steps) / span,
                                                                        dtype=torch.float64))) / 2
    return warm if step < warmup_steps else cosine


@pytest.mark.parametrize("answer", [warmup_cosine_lr, piecewise, as_tensor])
def test_correct_schedules_pass(answer, capsys):
    passed, line = verdict(answer, capsys)
    assert passed, line
    assert line.startswith("warmup_cosine_lr: correct")


def cosine_part(step, total, peak, warm, low, denominator=None, start=None):
    span = max(1, total - warm) if denominator is None else denominator
    origin = warm if start is None else start
    return low + 0.5 * (peak - low) * (1 + math.cos(math.pi * (step - origin) / span))


def off_by_one(step, total_steps, peak_lr, warmup_steps, min_lr=0.0):
    return peak_lr * step / warmup_steps if step < warmup_steps else cosine_part(step, total_steps, peak_lr, warmup_steps, min_lr)


def warmup_too_long(step, total_steps, peak_lr, warmup_steps, min_lr=0.0):
    if step <= warmup_steps and warmup_steps > 0:
        return peak_lr * (step + 1) / warmup_steps
    return cosine_part(step, total_steps, peak_lr, warmup_steps, min_lr)


def ignores_min_lr(step, total_steps, peak_lr, warmup_steps, min_lr=0.0):
    return peak_lr * (step + 1) / warmup_steps if step < warmup_steps else cosine_part(step, total_steps, peak_lr, warmup_steps, 0.0)


def wrong_end(step, total_steps, peak_lr, warmup_steps, min_lr=0.0):
    if step < warmup_steps:
        return peak_lr * (step + 1) / warmup_steps
    return cosine_part(step, total_steps, peak_lr, warmup_steps, min_lr, denominator=max(1, total_steps))


def ends_early(step, total_steps, peak_lr, warmup_steps, min_lr=0.0):
    if step < warmup_steps:
        return peak_lr * (step + 1) / warmup_steps
    return cosine_part(step, total_steps, peak_lr, warmup_steps, min_lr, denominator=max(1, total_steps - warmup_steps - 1))


def no_warmup(step, total_steps, peak_lr, warmup_steps, min_lr=0.0):
    return cosine_part(max(step, warmup_steps), total_steps, peak_lr, warmup_steps, min_lr)


def linear_decay(step, total_steps, peak_lr, warmup_steps, min_lr=0.0):
    if step < warmup_steps:
        return peak_lr * (step + 1) / warmup_steps
    return min_lr + (peak_lr - min_lr) * (1 - (step - warmup_steps) / max(1, total_steps - warmup_steps))


def no_max(step, total_steps, peak_lr, warmup_steps, min_lr=0.0):
    if step < warmup_steps:
        return peak_lr * (step + 1) / warmup_steps
    return cosine_part(step, total_steps, peak_lr, warmup_steps, min_lr, denominator=total_steps - warmup_steps)


def other_default(step, total_steps, peak_lr, warmup_steps, min_lr=1e-4):
    return piecewise(step, total_steps, peak_lr, warmup_steps, min_lr)


def floored_warmup(step, total_steps, peak_lr, warmup_steps, min_lr=0.0):
    if step < warmup_steps:
        return max(min_lr, peak_lr * (step + 1) / warmup_steps)
    return cosine_part(step, total_steps, peak_lr, warmup_steps, min_lr)


def returns_none(step, total_steps, peak_lr, warmup_steps, min_lr=0.0):
    piecewise(step, total_steps, peak_lr, warmup_steps, min_lr)


def calls_the_reference(step, total_steps, peak_lr, warmup_steps, min_lr=0.0):
    return warmup_cosine_lr(step, total_steps, peak_lr, warmup_steps, min_lr)


def not_implemented(step, total_steps, peak_lr, warmup_steps, min_lr=0.0):
    raise NotImplementedError("Exercise: warmup_cosine_lr")


@pytest.mark.parametrize(("answer", "key_words"), [
    (off_by_one, ["off by one", "(step + 1)"]),
    (warmup_too_long, ["one step too long", "step < warmup_steps"]),
    (ignores_min_lr, ["ignores min_lr"]),
    (wrong_end, ["ends at the wrong step", "max(1, total_steps − warmup_steps)"]),
    (ends_early, ["ends one step early"]),
    (no_warmup, ["there is no warmup"]),
    (linear_decay, ["linear", "cosine"]),
    (no_max, ["ZeroDivisionError", "max(1, total_steps - warmup_steps)"]),
    (other_default, ["default", "min_lr=0.0"]),
    (returns_none, ["returned None", "float"]),
    (floored_warmup, ["floored at min_lr", "without max(min_lr, …)"]),
    (not_implemented, ["not implemented yet"]),
    ("warmup_cosine_lr", ["expected your function"]),
    (calls_the_reference, ["delegated", "your code calls course_lib's reference `warmup_cosine_lr`"]),
])
def test_wrong_schedules_are_recognised(answer, key_words, capsys):
    passed, line = verdict(answer, capsys)
    assert not passed
    for word in key_words:
        assert word in line, line


def test_the_check_leaves_the_global_random_state_alone(capsys):
    state = torch.random.get_rng_state()
    check_warmup_cosine_lr(warmup_cosine_lr)
    assert torch.equal(state, torch.random.get_rng_state())
