"""course_lib.schedules: every schedule against PyTorch's own schedulers, LambdaLR driven by our functions."""

import math

import numpy as np
import pytest
import torch

from course_lib.errors import CourseInputError
from course_lib.schedules import (
    SCHEDULES,
    cosine_lr,
    lambda_lr,
    one_cycle_lr,
    schedule_curve,
    step_decay_lr,
    warmup_cosine_lr,
)


def torch_learning_rates(make_scheduler, steps: int, lr: float) -> list[float]:
    """The learning rate a torch scheduler gives at steps 0 … steps−1 (scheduler.step() after each step)."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


def test_warmup_cosine_follows_the_formula_at_its_corners():
    assert warmup_cosine_lr(0, 20, 0.1, 5) == pytest.approx(0.02)
    assert warmup_cosine_lr(4, 20, 0.1, 5) == pytest.approx(0.1)
    assert warmup_cosine_lr(5, 20, 0.1, 5) == pytest.approx(0.1)
    assert warmup_cosine_lr(20, 20, 0.1, 5, min_lr=0.01) == pytest.approx(0.01)
    assert warmup_cosine_lr(6, 6, 0.5, 6) == pytest.approx(0.5)  # W = T: max(1, ·) keeps it finite
    middle = 5 + 15 / 2
    assert warmup_cosine_lr(middle, 20, 0.1, 5, min_lr=0.02) == pytest.approx(0.06)


@pytest.mark.parametrize("min_lr", [0.0, 1e-3])
def test_cosine_matches_cosine_annealing_lr(min_lr):
    steps = 30
    expected = torch_learning_rates(
        lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=min_lr), steps, 0.1)
    assert np.allclose([cosine_lr(t, steps, 0.1, 0, min_lr) for t in range(steps)], expected, rtol=1e-9, atol=1e-12)


def test_step_decay_matches_multistep_lr():
    steps = 40
    expected = torch_learning_rates(
        lambda opt: torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[20, 30], gamma=0.1), steps, 0.3)
    assert np.allclose([step_decay_lr(t, steps, 0.3) for t in range(steps)], expected)


@pytest.mark.parametrize(("total", "warmup"), [(50, 10), (37, 2), (100, 30)])
def test_one_cycle_matches_one_cycle_lr(total, warmup):
    peak, div, final_div = 0.2, 25.0, 1e4
    expected = torch_learning_rates(lambda opt: torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=peak, total_steps=total, pct_start=warmup / total, div_factor=div, final_div_factor=final_div,
        cycle_momentum=False), total - 1, peak)
    ours = [one_cycle_lr(t, total, peak, warmup, min_lr=peak / div / final_div) for t in range(total - 1)]
    assert np.allclose(ours, expected, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_lambda_lr_gives_the_schedule_step_by_step(name):
    total, peak, warmup = 25, 0.05, 6
    optimizer = torch.optim.Adam([torch.zeros(3, requires_grad=True)], lr=123.0)
    scheduler = lambda_lr(optimizer, name, total, peak, warmup)
    used = []
    for _ in range(total):
        used.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert np.allclose(used, schedule_curve(name, total, peak, warmup), rtol=1e-12)


def test_lambda_lr_accepts_any_function_with_the_signature():
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = lambda_lr(optimizer, lambda step, total, peak, warmup, low: peak / (step + 1), 10, 0.4)
    for step in range(3):
        assert optimizer.param_groups[0]["lr"] == pytest.approx(0.4 / (step + 1))
        optimizer.step()
        scheduler.step()


@pytest.mark.parametrize(("args", "fragment"), [
    (("nope", 10, 0.1, 0), "Unknown schedule"),
    (("cosine", 0, 0.1, 0), "total_steps"),
    (("cosine", 10, 0.1, 11), "warmup_steps"),
    (("cosine", 10, -0.1, 0), "peak learning rate"),
    (("cosine", 10, math.nan, 0), "peak learning rate"),
])
def test_bad_settings_raise_one_sentence(args, fragment):
    with pytest.raises(CourseInputError, match=fragment):
        schedule_curve(*args)
