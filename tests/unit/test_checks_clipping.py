"""check_clip_grad_norm passes differently written clipping functions and names each classic mistake."""

import math

import pytest
import torch

from course_lib.checks import check_clip_grad_norm
from course_lib.clipping import clip_grad_norm


def verdict(answer, capsys):
    passed = check_clip_grad_norm(answer)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines
    return passed, lines[0]


def with_torch(params, max_norm):
    """torch's own function: the exercise re-implements it, so handing the work to it scores 0."""
    return torch.nn.utils.clip_grad_norm_(list(params), max_norm)


def stacked(params, max_norm):
    grads = [p.grad for p in params if p.grad is not None]
    total = torch.linalg.vector_norm(torch.cat([g.reshape(-1) for g in grads])).item() if grads else 0.0
    factor = max_norm / (total + 1e-6)
    if factor < 1:
        torch._foreach_mul_(grads, factor)
    return total


def gradient_norm(grads):
    return math.sqrt(sum(float(g.pow(2).sum()) for g in grads))


def per_parameter(params, max_norm):
    total = 0.0
    for p in params:
        if p.grad is None:
            continue
        norm = float(p.grad.norm())
        total += norm**2
        if norm > max_norm:
            p.grad.mul_(max_norm / (norm + 1e-6))
    return math.sqrt(total)


def scales_up(params, max_norm):
    grads = [p.grad for p in params if p.grad is not None]
    total = gradient_norm(grads)
    for g in grads:
        g.mul_(max_norm / (total + 1e-6))
    return total


def returns_clipped(params, max_norm):
    grads = [p.grad for p in params if p.grad is not None]
    total = gradient_norm(grads)
    if total > max_norm:
        for g in grads:
            g.mul_(max_norm / (total + 1e-6))
    return gradient_norm(grads)


def two_loops(params, max_norm):
    total = math.sqrt(sum(float(p.grad.pow(2).sum()) for p in params if p.grad is not None))
    if total > max_norm:
        for p in params:
            if p.grad is not None:
                p.grad.mul_(max_norm / (total + 1e-6))
    return total


def no_epsilon(params, max_norm):
    grads = [p.grad for p in params if p.grad is not None]
    total = gradient_norm(grads)
    if total > max_norm:
        for g in grads:
            g.mul_(max_norm / total)
    return total


def sum_of_norms(params, max_norm):
    grads = [p.grad for p in params if p.grad is not None]
    total = sum(float(g.norm()) for g in grads)
    if total > max_norm:
        for g in grads:
            g.mul_(max_norm / (total + 1e-6))
    return total


def not_in_place(params, max_norm):
    grads = [p.grad for p in params if p.grad is not None]
    total = gradient_norm(grads)
    if total > max_norm:
        for g in grads:
            g = g * (max_norm / (total + 1e-6))  # the mistake under test: a new tensor, never stored
    return total


def no_none_check(params, max_norm):
    grads = [p.grad for p in params]
    return math.sqrt(sum(float(g.pow(2).sum()) for g in grads))


def returns_nothing(params, max_norm):
    stacked(params, max_norm)


def not_implemented(params, max_norm):
    raise NotImplementedError("Exercise: clip_grad_norm")


def returns_tensor(params, max_norm):
    grads = [p.grad for p in params if p.grad is not None]
    total = torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])) if grads else torch.tensor(0.0)
    if total > max_norm:
        for g in grads:
            g.mul_(max_norm / (total + 1e-6))
    return total


def rebinds_grad(params, max_norm):
    params = [p for p in params if p.grad is not None]
    total = gradient_norm([p.grad for p in params])
    if total > max_norm:
        for p in params:
            p.grad = p.grad * (max_norm / (total + 1e-6))
    return total


@pytest.mark.parametrize("answer", [clip_grad_norm, stacked])
def test_correct_functions_pass(answer, capsys):
    passed, line = verdict(answer, capsys)
    assert passed, line
    assert line.startswith("clip_grad_norm: correct")


@pytest.mark.parametrize(("answer", "key_words"), [
    (per_parameter, ["each parameter is clipped on its own"]),
    (scales_up, ["small gradients are scaled up"]),
    (returns_clipped, ["norm after clipping"]),
    (two_loops, ["generator", "runs out"]),
    (no_epsilon, ["1e-6"]),
    (sum_of_norms, ["not the sum of the parameters' norms"]),
    (not_in_place, ["not changed", "in place"]),
    (no_none_check, ["NoneType", "skip parameters whose .grad is None"]),
    (returns_nothing, ["returned None"]),
    (not_implemented, ["not implemented yet"]),
    (returns_tensor, ["returned a torch.Tensor", "Python float", ".item()"]),
    (rebinds_grad, ["right values but are new tensors", "in place", "p.grad.mul_(factor)"]),
    (with_torch, ["delegated", "`torch.nn.utils.clip_grad_norm_`, which this exercise re-implements"]),
])
def test_wrong_functions_are_recognised(answer, key_words, capsys):
    passed, line = verdict(answer, capsys)
    assert not passed
    for word in key_words:
        assert word in line, line


def test_torch_own_function_is_refused(capsys):
    """Handing the work to torch's own function scores 0, whatever it returns."""
    passed, _ = verdict(with_torch, capsys)
    assert not passed
