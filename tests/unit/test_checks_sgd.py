"""check_sgd_step passes differently written SGD steps and names each classic mistake."""

import pytest
import torch

from course_lib.checks import check_sgd_step
from course_lib.optimizers import sgd_step as reference


def verdict(answer, capsys):
    passed = check_sgd_step(answer)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines
    return passed, lines[0]


def with_data(params, lr):
    for p in params:
        if p.grad is not None:
            p.data -= lr * p.grad.data
            p.grad = None


def with_sub(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            p.sub_(lr * p.grad)
            p.grad = None


def with_add_alpha(params, lr):
    with_grads = [p for p in params if p.grad is not None]
    with torch.no_grad():
        for p in with_grads:
            p.add_(p.grad, alpha=-lr)
    for p in with_grads:
        p.grad = None


@pytest.mark.parametrize("answer", [reference, with_data, with_sub, with_add_alpha])
def test_correct_implementations_pass(answer, capsys):
    passed, line = verdict(answer, capsys)
    assert passed, line
    assert line.startswith("sgd_step: correct")


def uphill(params, lr):
    for p in params:
        if p.grad is not None:
            p.data += lr * p.grad
            p.grad = None


def without_lr(params, lr):
    for p in params:
        if p.grad is not None:
            p.data -= p.grad
            p.grad = None


def grads_kept(params, lr):
    for p in params:
        if p.grad is not None:
            p.data -= lr * p.grad


def zeroed_in_place(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p.sub_(lr * p.grad)
                p.grad.zero_()


def replaced_by_zeros(params, lr):
    with torch.no_grad():
        for p in [p for p in params if p.grad is not None]:
            p.add_(p.grad, alpha=-lr)
            p.grad = torch.zeros_like(p)


def cleared_first(params, lr):
    for p in params:
        if p.grad is not None:
            p.grad = None
            p.data -= lr * (p.grad if p.grad is not None else 0)


def rebinding(params, lr):
    for p in params:
        if p.grad is not None:
            p = p - lr * p.grad
            p.grad = None


def returns_inside_loop(params, lr):
    for p in params:
        if p.grad is not None:
            p.data -= lr * p.grad
            p.grad = None
            return


@pytest.mark.parametrize(("answer", "key_words"), [
    (uphill, ["uphill", "p ← p − lr·p.grad"]),
    (without_lr, ["learning rate"]),
    (grads_kept, ["not cleared", "p.grad = None"]),
    (zeroed_in_place, ["gradients are zero, but still tensors", "p.grad = None", "not p.grad.zero_()"]),
    (replaced_by_zeros, ["gradients are zero, but still tensors", "p.grad = None"]),
    (cleared_first, ["did not move", "clear the gradients only after"]),
    (rebinding, ["did not move", "in place"]),
    (returns_inside_loop, ["only some of the parameters"]),
])
def test_mistakes_are_named(answer, key_words, capsys):
    passed, line = verdict(answer, capsys)
    assert not passed
    assert line.startswith("sgd_step: not right yet — ")
    for words in key_words:
        assert words in line, line


def stub(params, lr):
    raise NotImplementedError("Exercise: sgd_step")


def no_grad_check(params, lr):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None


def without_no_grad(params, lr):
    for p in params:
        if p.grad is not None:
            p -= lr * p.grad


def to_float64(params, lr):
    for p in params:
        if p.grad is not None:
            p.data = (p.data - lr * p.grad).double()
            p.grad = None


@pytest.mark.parametrize(("answer", "key_words"), [
    (stub, ["sgd_step: not implemented yet", "run this cell again"]),
    (no_grad_check, ["TypeError", "p.grad is None", "skip"]),
    (without_no_grad, ["RuntimeError", "torch.no_grad()"]),
    (to_float64, ["float64", "float32"]),
    (42, ["expected your function", "an int"]),
])
def test_errors_and_wrong_types_become_one_sentence(answer, key_words, capsys):
    passed, line = verdict(answer, capsys)
    assert not passed
    for words in key_words:
        assert words in line, line


def two_loops_over_a_generator(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad
        for p in params:
            p.grad = None


def two_loops_over_a_list(params, lr):
    params = list(params)
    two_loops_over_a_generator(params, lr)


def test_params_arrive_as_a_generator_like_model_parameters(capsys):
    passed, line = verdict(two_loops_over_a_generator, capsys)
    assert not passed
    assert "not cleared" in line and "generator" in line
    passed, line = verdict(two_loops_over_a_list, capsys)
    assert passed, line
