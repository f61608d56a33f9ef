"""Self-check for the SGD step exercise: p ← p − lr·p.grad for each parameter with a grad, then p.grad = None.

Each case has three parameters, (4, 3), (4,) and (2,), the last one unused by the loss so its
``.grad`` stays None (a parameter without a gradient must be skipped). Over three successive calls
the check sets fresh gradients with ``loss.backward()``, calls the student's step the way the
notebook does, ``sgd_step(model.parameters(), lr=lr)`` (a generator, keyword ``lr``), and compares
with ``course_lib.optimizers.sgd_step`` run on copies holding the same gradients. The gradients must be
cleared the one way the exercise states, ``p.grad = None`` (what ``model.zero_grad()`` does by default):
zeroed tensors would pass the check's numbers but trip the notebook's next cell, which relies on None.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from course_lib.checks._runner import (
    Wrong,
    all_close,
    all_equal,
    call_student,
    max_difference,
    require_callable,
    require_tensor,
    self_check,
    snapshot,
)
from course_lib.optimizers import sgd_step as reference_sgd_step

SIGNATURE = "sgd_step(params, lr)"
LEARNING_RATES = (0.1, 0.03, 0.5)
CALLS_PER_CASE = 3


def _make_case(seed: int) -> tuple[list[torch.Tensor], Callable]:
    generator = torch.Generator().manual_seed(seed)
    x, y = torch.randn(16, 3, generator=generator), torch.randn(16, 4, generator=generator)
    params = [torch.randn(4, 3, generator=generator).requires_grad_(),
              torch.randn(4, generator=generator).requires_grad_(),
              torch.randn(2, generator=generator).requires_grad_()]

    def loss_of(weight, bias, _unused):
        return ((torch.tanh(x @ weight.T + bias) - y) ** 2).mean()

    return params, loss_of


def _reference_step(before: list[torch.Tensor], grads: list[torch.Tensor | None], lr: float) -> list[torch.Tensor]:
    copies = [value.clone().requires_grad_() for value in before]
    for copy, grad in zip(copies, grads, strict=True):
        copy.grad = None if grad is None else grad.clone()
    reference_sgd_step(copies, lr)
    return snapshot(copies)


def _diagnose(before, grads, after, expected, lr) -> str:
    with_grad = [i for i, g in enumerate(grads) if g is not None]
    moved = [not torch.equal(after[i], before[i]) for i in with_grad]
    if not any(moved):
        return ("the parameters did not move: change them in place (p.data -= lr * p.grad, or p.sub_(…) "
                "under torch.no_grad()) and clear the gradients only after using them")
    if not all(moved):
        return "only some of the parameters were updated: loop over all of them (is there a return inside the loop?)"
    if not torch.equal(after[-1], before[-1]):
        return "a parameter without a gradient (p.grad is None) changed: skip it"
    pick = lambda tensors: [tensors[i] for i in with_grad]
    if all_close(pick(after), [before[i] + lr * grads[i] for i in with_grad]):
        return "the step goes uphill: subtract the gradient, p ← p − lr·p.grad"
    if all_close(pick(after), [before[i] - grads[i] for i in with_grad]):
        return "the step is not multiplied by the learning rate: p ← p − lr·p.grad"
    return (f"with lr={lr:g} the parameters differ from p − lr·p.grad by up to "
            f"{max_difference(pick(after), pick(expected)):.2g}")


@self_check("sgd_step")
def check_sgd_step(sgd_step: object) -> str:
    """Check ``sgd_step(params, lr)``: p ← p − lr·p.grad for each parameter with a grad, then p.grad = None."""
    require_callable(sgd_step, "sgd_step")
    for case_number, lr in enumerate(LEARNING_RATES):
        params, loss_of = _make_case(seed=4321 + case_number)
        for _ in range(CALLS_PER_CASE):
            for p in params:
                p.grad = None
            loss_of(*params).backward()
            before = snapshot(params)
            grads = [None if p.grad is None else p.grad.detach().clone() for p in params]
            call_student(sgd_step, (p for p in params), lr=lr, signature=SIGNATURE,
                         hint=f"read the error's last line in your function; the signature is {SIGNATURE}")
            for index, (p, old) in enumerate(zip(params, before, strict=True)):
                require_tensor(p.data, f"parameter {index}", shape=old.shape, dtype=old.dtype)
            after = snapshot(params)
            expected = _reference_step(before, grads, lr)
            if not (all_close(after, expected) and all_equal(after[-1:], before[-1:])):
                raise Wrong(_diagnose(before, grads, after, expected, lr))
            left = [p.grad for p in params if p.grad is not None]
            if any(bool(grad.ne(0).any()) for grad in left):
                raise Wrong("the parameters are right but the gradients were not cleared after the step: set "
                            "p.grad = None so the next backward starts from zero; params may be a generator such "
                            "as model.parameters(), which only one loop can go through")
            if left:
                raise Wrong("the parameters are right and the gradients are zero, but still tensors: the exercise "
                            "clears them with p.grad = None (as model.zero_grad() does), not p.grad.zero_(); "
                            "None also tells the next step that no backward has run since")
    return (f"matches the reference on {len(LEARNING_RATES)} cases over {CALLS_PER_CASE} calls each, skips "
            f"parameters without a gradient and sets the gradients to None")
