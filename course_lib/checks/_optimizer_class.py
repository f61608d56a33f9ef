"""Running a student's optimizer class the way the Adam and AdamW checks do.

- ``construct_optimizer``: the student's constructor called under the guard, and the optimizer it made
  must still have ``zero_grad()`` and ``step()``;
- ``take_step``: zero_grad, backward, step; the student's calls are guarded and the parameters must keep
  their shapes and dtypes. Returns the new weights as copies;
- ``linear_loss``: J(params) = Σ_i ⟨p_i, g_i⟩, whose gradient with respect to p_i is exactly g_i, to feed
  chosen gradients to an optimizer.
"""

from __future__ import annotations

import torch

from course_lib.checks._runner import Wrong, call_student, require_tensor, snapshot
from course_lib.optimizers import OptimizerTemplate


def construct_optimizer(cls: type, params: list[torch.Tensor], hyper: dict, hint: str, signature: str,
                        keep: str) -> OptimizerTemplate:
    """``cls(params, **hyper)``; ``keep`` ends the sentence when a method is missing ("keep the one …")."""
    optimizer = call_student(cls, params, **hyper, hint=hint, signature=signature)
    for method in ("zero_grad", "step"):
        if not callable(getattr(optimizer, method, None)):
            raise Wrong(f"the optimizer has no {method}() method: keep {keep}")
    return optimizer


def take_step(optimizer, params: list[torch.Tensor], loss_of, student: bool, hint: str = "",
              signature: str = "") -> list[torch.Tensor]:
    """zero_grad, backward, step; return the new weights (the student's calls are guarded and validated)."""
    if not student:
        optimizer.zero_grad()
        loss_of(params).backward()
        optimizer.step()
        return snapshot(params)
    shapes = [(p.shape, p.dtype) for p in params]
    call_student(optimizer.zero_grad, hint=hint, signature=signature)
    loss_of(params).backward()
    call_student(optimizer.step, hint=hint, signature=signature)
    for index, (p, (shape, dtype)) in enumerate(zip(params, shapes, strict=True)):
        require_tensor(p.data, f"parameter {index}", shape=shape, dtype=dtype)
    return snapshot(params)


def linear_loss(gradients: list[torch.Tensor]):
    """J(params) = Σ_i ⟨p_i, g_i⟩: its gradient with respect to p_i is g_i."""
    return lambda params: sum((p * g).sum() for p, g in zip(params, gradients, strict=True))
