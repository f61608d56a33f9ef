"""Delegation is not an answer: each way of handing an exercise to course_lib's reference or to the torch
function it re-implements scores 0 in the self-check with the "delegated" sentence, and nothing else changes.

The same delegations, planted in whole notebooks, are graded by course-grade (and run in an IPython shell
with their notebook check cells) in tests/test_grading.py.
"""

from __future__ import annotations

import sys

import pytest
import torch

import course_lib.optimizers as course_optimizers
from course_lib import checks
from course_lib.checks import EXERCISES, delegation
from course_lib.checks.registry import Exercise, registry
from course_lib.optimizers import Adam as ReferenceAdam
from course_lib.optimizers import AdamW as ReferenceAdamW
from course_lib.optimizers import CourseOptimizer
from course_lib.optimizers import momentum_update as reference_momentum_update
from course_lib.optimizers import sgd_step as reference_sgd_step

DELEGATED = "delegated, not accepted — "


def verdict(check, answer, capsys):
    passed = check(answer)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines
    return passed, lines[0]


@pytest.fixture
def from_a_student():
    """Judge as a notebook kernel or course-grade does: every answer is a student's."""
    delegation.treat_answers_as_students(True)
    yield
    delegation.treat_answers_as_students(False)


# the delegations, as a student would write them ------------------------------------------------


def momentum_via_alias(loss, params, grad_vel, lr=1e-3, beta=0.8):
    from course_lib.optimizers import momentum_update as reference

    return reference(loss, params, grad_vel, lr=lr, beta=beta)


def rmsprop_via_module(loss, params, grad_sq, lr=1e-3, alpha=0.8, epsilon=1e-8):
    course_optimizers.rmsprop_update(loss, params, grad_sq, lr=lr, alpha=alpha, epsilon=epsilon)


class AdamOneLiner(CourseOptimizer):
    """The exercise's constructor as handed out, and a one-line update that calls course_lib's."""

    def __init__(self, params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(params, lr=lr, beta1=beta1, beta2=beta2, eps=eps)

    def init_state(self, p):
        return {"step": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)}

    def update(self, p, grad, state, group):
        ReferenceAdam.update(self, p, grad, state, group)


class AdamSubclass(ReferenceAdam):
    pass


class AdamWrapsTorch(CourseOptimizer):
    def __init__(self, params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.inner = torch.optim.Adam(list(params), lr=lr, betas=(beta1, beta2), eps=eps)

    def zero_grad(self, set_to_none=True):
        self.inner.zero_grad(set_to_none=set_to_none)

    def step(self, closure=None):
        return self.inner.step(closure)


class AdamWWrapsTorch(ReferenceAdam):
    def __init__(self, params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
        self.inner = torch.optim.AdamW(list(params), lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay)

    def zero_grad(self, set_to_none=True):
        self.inner.zero_grad(set_to_none=set_to_none)

    def step(self, closure=None):
        return self.inner.step(closure)


class AdamWSubclass(ReferenceAdamW):
    pass


def clip_via_torch(params, max_norm):
    return torch.nn.utils.clip_grad_norm_(params, max_norm)


def clip_via_torch_swallowing_the_refusal(params, max_norm):
    try:
        return torch.nn.utils.clip_grad_norm_(params, max_norm)
    except BaseException:
        return 0.0


REFERENCE = "course_lib's reference"


@pytest.mark.parametrize(("check", "answer", "words"), [
    (checks.check_momentum_update, momentum_via_alias, ["your code calls", f"{REFERENCE} `momentum_update`"]),
    (checks.check_rmsprop_update, rmsprop_via_module, ["your code calls", f"{REFERENCE} `rmsprop_update`"]),
    (checks.check_adam, AdamOneLiner, ["your code calls", f"{REFERENCE} `Adam`"]),
    (checks.check_adam, AdamSubclass, ["your class is built on", f"{REFERENCE} `Adam`"]),
    (checks.check_adam, AdamWrapsTorch, ["your code calls `torch.optim.Adam`, which this exercise re-implements"]),
    (checks.check_adamw, AdamWWrapsTorch, ["your code calls `torch.optim.AdamW`"]),
    (checks.check_adamw, AdamWSubclass, ["your class is built on", f"{REFERENCE} `AdamW`"]),
    (checks.check_clip_grad_norm, clip_via_torch, ["your code calls `torch.nn.utils.clip_grad_norm_`"]),
    (checks.check_clip_grad_norm, clip_via_torch_swallowing_the_refusal, ["`torch.nn.utils.clip_grad_norm_`"]),
    (checks.check_clip_grad_norm, torch.nn.utils.clip_grad_norm_, ["`torch.nn.utils.clip_grad_norm_`"]),
], ids=lambda value: getattr(value, "__name__", None))
def test_each_delegation_scores_0_with_the_delegated_sentence(check, answer, words, capsys):
    passed, line = verdict(check, answer, capsys)
    assert passed is False
    assert line.startswith(f"{check.exercise}: {DELEGATED}") and line.endswith("scores 0."), line
    for word in words:
        assert word in line, line
    assert sys.getprofile() is None, "the hook is removed after the check"


def test_the_reference_passes_its_own_check_outside_a_notebook(capsys):
    for exercise in EXERCISES.values():
        passed, sentence = exercise.judge(exercise.reference)
        assert passed, sentence


@pytest.mark.usefixtures("from_a_student")
@pytest.mark.parametrize("exercise", sorted(EXERCISES))
def test_a_student_handing_in_the_reference_itself_is_refused(exercise):
    passed, sentence = EXERCISES[exercise].judge(EXERCISES[exercise].reference)
    assert not passed
    assert f"this is {REFERENCE} `" in sentence and "itself, not your own code" in sentence, sentence


@pytest.mark.usefixtures("from_a_student")
def test_a_reference_judged_inside_another_exercises_check_passes():
    """As the AdamW check judges the Adam its answer subclasses, which may be course_lib's."""
    with delegation.watching("AdamW", object()) as outer:
        assert outer is not None
        passed, sentence = checks.check_adam.judge(ReferenceAdam)
    assert passed, sentence
    passed, sentence = checks.check_adam.judge(ReferenceAdam)
    assert not passed and "itself, not your own code" in sentence


@pytest.mark.usefixtures("from_a_student")
def test_a_wrapped_reference_is_refused_too():
    import functools

    passed, sentence = checks.check_momentum_update.judge(functools.partial(reference_momentum_update, beta=0.8))
    assert not passed and DELEGATED in sentence


def momentum_with_the_sgd_reference(loss, params, grad_vel, lr=1e-3, beta=0.8):
    """Another exercise's reference (sgd_step) used as a tool: v ← βv − ηg, then p.grad = −v and one SGD step."""
    grads = torch.autograd.grad(loss, params)
    with torch.no_grad():
        for par, vel, grad in zip(params, grad_vel, grads, strict=True):
            vel.mul_(beta).sub_(lr * grad)
            par.grad = -vel.clone()
    reference_sgd_step(params, lr=1.0)


@pytest.mark.usefixtures("from_a_student")
def test_another_exercises_reference_may_be_used_and_the_demos_keep_theirs(capsys):
    passed, line = verdict(checks.check_momentum_update, momentum_with_the_sgd_reference, capsys)
    assert passed, line
    verdict(checks.check_momentum_update, momentum_via_alias, capsys)
    w = torch.ones(2, requires_grad=True)
    velocity = [torch.zeros(2)]
    reference_momentum_update((w**2).sum(), [w], velocity, lr=0.1, beta=0.5)  # as a demo calls it, after a check
    assert torch.allclose(w.detach(), torch.full((2,), 0.8))


def test_a_profiler_that_was_on_before_the_check_is_on_after_it(capsys):
    calls = []

    def profiler(frame, event, arg):
        calls.append(event)

    sys.setprofile(profiler)
    try:
        checks.check_clip_grad_norm(clip_via_torch)
        assert sys.getprofile() is profiler
    finally:
        sys.setprofile(None)
    assert calls


def test_a_guarded_class_watches_its_own_methods_not_those_a_base_class_set_on_it():
    """torch.optim.Optimizer sets a wrapper of the base class's ``step`` on each optimizer class it builds:
    watching that would refuse every student optimizer that inherits the same ``step``."""
    import functools

    class Base:
        def step(self):
            return "base"

    class Reference(Base):
        def update(self):
            return "reference"

    Reference.step = functools.wraps(Base.step)(lambda self: Base.step(self))
    assert delegation.code_objects(Reference) == {Reference.update.__code__}
    assert delegation.code_objects(torch.optim.Adam) >= {torch.optim.Adam.__init__.__code__}


def test_every_reimplemented_object_of_the_registry_exists_in_this_torch():
    for exercise in EXERCISES.values():
        for dotted in exercise.reimplements:
            target = delegation.resolve(dotted)
            assert target is not None, f"{exercise.id}: {dotted} does not exist; update course_lib.checks.EXERCISES"
            assert delegation.code_objects(target), f"{exercise.id}: {dotted} has no Python code to guard"


def test_an_optional_exercise_is_worth_0_points_unless_stated_and_others_at_least_1():
    assert Exercise(checks.check_adam, reference=None, optional=True).points == 0
    assert Exercise(checks.check_adam, reference=None, optional=True, points=2).points == 2
    assert Exercise(checks.check_adam, reference=None).points == 1
    with pytest.raises(ValueError, match="at least one point"):
        registry(Exercise(checks.check_adam, reference=None, points=0))
