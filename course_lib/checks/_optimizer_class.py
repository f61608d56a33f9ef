"""Running a student's optimizer class the way the Adam and AdamW checks do.

- ``require_optimizer_class``: the answer must be a class on ``CourseOptimizer`` (not an instance);
- ``construct_optimizer``: the student's constructor called under the guard, and the optimizer it made
  must still have ``zero_grad()`` and ``step()``;
- ``take_step``: zero_grad, backward, step; the student's calls are guarded and the parameters must keep
  their shapes and dtypes. Returns the new weights as copies;
- ``linear_problem`` / ``linear_loss``: J(params) = Σ_i ⟨p_i, c_i⟩, whose gradient with respect to p_i is
  exactly c_i, to feed chosen gradients (entries of size 0.1 to about 20, random signs) to an optimizer;
- ``check_param_groups``: the same optimizer on two param groups with their own settings, next to the
  reference, step by step;
- ``check_state_dict_round_trip``: two steps, ``state_dict()``, a new optimizer that ``load_state_dict()``s
  it, two more steps: they must equal four uninterrupted steps.
"""

from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass

import torch

from course_lib.checks._runner import (
    Wrong,
    all_close,
    call_student,
    describe,
    max_difference,
    require_tensor,
    snapshot,
)
from course_lib.optimizers import CourseOptimizer

SHAPES = ((3, 4), (5,))
ROUND_TRIP_STEPS = 2


@dataclass(frozen=True)
class StudentClass:
    """How a check talks about one exercise's class: its name, constructor signature and error hint."""

    name: str
    signature: str
    hint: str


def require_optimizer_class(cls: object, exercise: StudentClass, parent_sentence: str) -> None:
    """A class (not an optimizer object, not something else) that subclasses ``CourseOptimizer``."""
    if isinstance(cls, torch.optim.Optimizer):
        raise Wrong(f"pass the class itself, check_{exercise.name.lower()}({exercise.name}), not an optimizer "
                    f"object made from it")
    if not inspect.isclass(cls):
        raise Wrong(f"expected your {exercise.name} class, but got {describe(cls)}")
    if not issubclass(cls, CourseOptimizer):
        raise Wrong(parent_sentence)


def construct_optimizer(cls: type, params: list, hyper: dict, exercise: StudentClass) -> CourseOptimizer:
    """``cls(params, **hyper)``, guarded; ``params`` may be tensors or param-group dicts."""
    optimizer = call_student(cls, params, **hyper, hint=exercise.hint, signature=exercise.signature)
    for method in ("zero_grad", "step", "state_dict", "load_state_dict"):
        if not callable(getattr(optimizer, method, None)):
            raise Wrong(f"the optimizer has no {method}() method: do not override it, CourseOptimizer (a "
                        f"torch.optim.Optimizer) provides it")
    return optimizer


def take_step(optimizer, params: list[torch.Tensor], loss_of, student: bool,
              exercise: StudentClass | None = None) -> list[torch.Tensor]:
    """zero_grad, backward, step; return the new weights (the student's calls are guarded and validated)."""
    if not student:
        optimizer.zero_grad()
        loss_of(params).backward()
        optimizer.step()
        return snapshot(params)
    shapes = [(p.shape, p.dtype) for p in params]
    call_student(optimizer.zero_grad, hint=exercise.hint, signature=exercise.signature)
    loss_of(params).backward()
    call_student(optimizer.step, hint=exercise.hint, signature=exercise.signature)
    for index, (p, (shape, dtype)) in enumerate(zip(params, shapes, strict=True)):
        require_tensor(p.data, f"parameter {index}", shape=shape, dtype=dtype)
    return snapshot(params)


def linear_problem(seed: int, steps: int) -> tuple[list[torch.Tensor], list[list[torch.Tensor]]]:
    """Start weights N(0, 1) of ``SHAPES`` and ``steps`` lists of gradients sign·(0.1 + e^z), z ~ N(0, 1)."""
    generator = torch.Generator().manual_seed(seed)
    start = [torch.randn(shape, generator=generator) for shape in SHAPES]
    gradients = [[torch.sign(torch.randn(shape, generator=generator)) * (0.1 + torch.randn(shape, generator=generator).exp())
                  for shape in SHAPES] for _ in range(steps)]
    return start, gradients


def linear_loss(gradients: list[torch.Tensor]):
    """J(params) = Σ_i ⟨p_i, g_i⟩: its gradient with respect to p_i is g_i."""
    return lambda params: sum((p * g).sum() for p, g in zip(params, gradients, strict=True))


def _fresh(weights: list[torch.Tensor]) -> list[torch.Tensor]:
    return [w.clone().requires_grad_() for w in weights]


def _groups(params: list[torch.Tensor], group_settings: list[dict]) -> list[dict]:
    return [{"params": [p], **settings} for p, settings in zip(params, group_settings, strict=True)]


def check_param_groups(cls: type, reference: type, exercise: StudentClass, shared: dict,
                       group_settings: list[dict], seed: int, steps: int = 3) -> None:
    """Each of the two parameters in its own param group with its own settings (``group_settings``, on top of
    the constructor's ``shared``): every step must match ``reference`` built the same way."""
    start, gradients = linear_problem(seed, steps)
    params, reference_params = _fresh(start), _fresh(start)
    optimizer = construct_optimizer(cls, _groups(params, group_settings), shared, exercise)
    expected_optimizer = reference(_groups(reference_params, group_settings), **shared)
    ignored_groups = reference(_fresh(start), **shared)
    ignored_params = [p for group in ignored_groups.param_groups for p in group["params"]]
    settings = "; ".join(", ".join(f"{key}={value:g}" for key, value in group.items()) for group in group_settings)
    for step, step_gradients in enumerate(gradients):
        got = take_step(optimizer, params, linear_loss(step_gradients), student=True, exercise=exercise)
        expected = take_step(expected_optimizer, reference_params, linear_loss(step_gradients), student=False)
        if_ignored = take_step(ignored_groups, ignored_params, linear_loss(step_gradients), student=False)
        if all_close(got, expected):
            continue
        if all_close(got, if_ignored):
            raise Wrong(f"with two param groups ({settings}) each group's own settings are ignored: in update, read "
                        f"the hyper-parameters from group (group['lr'], …), not from self.defaults or attributes set "
                        f"in __init__")
        raise Wrong(f"with two param groups ({settings}) step {step + 1} differs from the reference by up to "
                    f"{max_difference(got, expected):.2g}")


def check_state_dict_round_trip(cls: type, exercise: StudentClass, hyper: dict, seed: int) -> None:
    """Two steps, ``state_dict()``, a new optimizer on copies of the weights that ``load_state_dict()``s it, two
    more steps: the weights must equal those of four uninterrupted steps."""
    start, gradients = linear_problem(seed, 2 * ROUND_TRIP_STEPS)
    straight_params = _fresh(start)
    straight = construct_optimizer(cls, straight_params, hyper, exercise)
    uninterrupted = [take_step(straight, straight_params, linear_loss(g), True, exercise) for g in gradients]

    params = _fresh(start)
    first = construct_optimizer(cls, params, hyper, exercise)
    for step_gradients in gradients[:ROUND_TRIP_STEPS]:
        take_step(first, params, linear_loss(step_gradients), True, exercise)
    saved = copy.deepcopy(call_student(first.state_dict, hint=exercise.hint, signature=exercise.signature))
    resumed_params = _fresh([p.detach() for p in params])
    resumed = construct_optimizer(cls, resumed_params, hyper, exercise)
    call_student(resumed.load_state_dict, saved, hint=exercise.hint, signature=exercise.signature)
    for step, step_gradients in enumerate(gradients[ROUND_TRIP_STEPS:], start=ROUND_TRIP_STEPS):
        got = take_step(resumed, resumed_params, linear_loss(step_gradients), True, exercise)
        if not all_close(got, uninterrupted[step]):
            raise Wrong(f"after state_dict() and load_state_dict() into a new optimizer, step {step + 1} differs from "
                        f"an uninterrupted run: keep everything update remembers between steps in state (the "
                        f"parameter's own dict, which state_dict() saves), not in attributes of the optimizer")
