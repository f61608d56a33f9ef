"""The exercise classes as the solutions write them (notebook 03's Adam, notebook 05's AdamW on it) work as any
torch.optim optimizer does: driven by LambdaLR, saved and resumed with state_dict, in two param groups.

The classes are cut out of ``solutions/*.py`` (the one source the notebooks are generated from), so the test
follows the exercise as it is handed out and solved.
"""

from __future__ import annotations

import copy
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.checks import check_adam, check_adamw
from course_lib.optimizers import CourseOptimizer
from tests.solution_source import class_source


@pytest.fixture(scope="module")
def student_classes() -> dict[str, type]:
    namespace = {"torch": torch, "CourseOptimizer": CourseOptimizer, "math": math}
    exec(class_source("03_optimizers", "Adam"), namespace)
    exec(class_source("05_schedules_and_practice", "AdamW"), namespace)
    return {"Adam": namespace["Adam"], "AdamW": namespace["AdamW"]}


def test_the_solutions_pass_their_checks(student_classes, capsys):
    assert check_adam(student_classes["Adam"]) and check_adamw(student_classes["AdamW"]), capsys.readouterr().out


def make_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 8), nn.LayerNorm(8), nn.Tanh(), nn.Linear(8, 3))


def batch() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    return torch.randn(32, 6, generator=generator), torch.randint(0, 3, (32,), generator=generator)


def no_decay_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    matrices = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
    others = [p for p in model.parameters() if all(p is not q for q in matrices)]
    return [{"params": matrices, "weight_decay": weight_decay}, {"params": others, "weight_decay": 0.0}]


def train(model, optimizer, steps, scheduler=None):
    x, y = batch()
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
    return [p.detach().clone() for p in model.parameters()]


def warmup(step: int) -> float:
    return min(1.0, (step + 1) / 5)


@pytest.mark.parametrize(("name", "torch_class", "settings"), [
    ("Adam", torch.optim.Adam, {}),
    ("AdamW", torch.optim.AdamW, {"weight_decay": 0.5}),
])
def test_lambda_lr_and_two_param_groups_as_with_torch(student_classes, name, torch_class, settings):
    results = []
    for make in (student_classes[name], torch_class):
        model = make_model()
        params = no_decay_groups(model, settings["weight_decay"]) if settings else model.parameters()
        optimizer = make(params, lr=0.05, **({"foreach": False} if make is torch_class else {}))
        results.append(train(model, optimizer, 12, torch.optim.lr_scheduler.LambdaLR(optimizer, warmup)))
    for ours, theirs in zip(*results, strict=True):
        torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_state_dict_round_trip_resumes_the_students_class_exactly(student_classes, name):
    cls = student_classes[name]
    straight_model = make_model()
    straight = train(straight_model, cls(straight_model.parameters(), lr=0.05), 8)
    model = make_model()
    optimizer = cls(model.parameters(), lr=0.05)
    train(model, optimizer, 4)
    saved = copy.deepcopy(optimizer.state_dict())
    resumed_model = make_model()
    resumed_model.load_state_dict(model.state_dict())
    resumed_optimizer = cls(resumed_model.parameters(), lr=0.05)
    resumed_optimizer.load_state_dict(saved)
    assert all(torch.equal(a, b) for a, b in zip(train(resumed_model, resumed_optimizer, 4), straight, strict=True))
