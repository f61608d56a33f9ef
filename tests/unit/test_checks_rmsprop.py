"""check_rmsprop_update passes differently written RMSprop updates and names each classic mistake."""

import pytest
import torch

from course_lib.checks import check_rmsprop_update
from course_lib.optimizers import rmsprop_update as reference


def verdict(answer, capsys):
    passed = check_rmsprop_update(answer)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines
    return passed, lines[0]


def with_autograd_grad(loss, params, grad_sq, lr=1e-3, alpha=0.8, epsilon=1e-8):
    grads = torch.autograd.grad(loss, params)
    with torch.no_grad():
        for par, gsq, g in zip(params, grad_sq, grads, strict=True):
            gsq.mul_(alpha).add_((1 - alpha) * g**2)
            par.sub_(lr * g / torch.sqrt(gsq + epsilon))


def with_backward_and_data(loss, params, grad_sq, lr=1e-3, alpha=0.8, epsilon=1e-8):
    loss.backward()
    for par, gsq in zip(params, grad_sq, strict=True):
        gsq.data = alpha * gsq.data + (1 - alpha) * par.grad.data**2
        par.data -= lr * par.grad.data / torch.sqrt(epsilon + gsq.data)
        par.grad = None


def epsilon_outside_root(loss, params, grad_sq, lr=1e-3, alpha=0.8, epsilon=1e-8):
    """The torch.optim.RMSprop placement; with ε = 1e-8 alone it would pass."""
    loss.backward()
    for par, gsq in zip(params, grad_sq, strict=True):
        gsq.data = alpha * gsq.data + (1 - alpha) * par.grad.data**2
        par.data -= lr * par.grad.data / (epsilon + torch.sqrt(gsq.data))
        par.grad = None


def with_list_items(loss, params, grad_sq, lr=1e-3, alpha=0.8, epsilon=1e-8):
    for par in params:
        par.grad = None
    loss.backward()
    with torch.no_grad():
        for i, par in enumerate(params):
            grad_sq[i] = alpha * grad_sq[i] + (1 - alpha) * par.grad * par.grad
            par -= lr * par.grad / (grad_sq[i] + epsilon).sqrt()


@pytest.mark.parametrize("answer", [reference, with_autograd_grad, with_backward_and_data, with_list_items])
def test_correct_implementations_pass(answer, capsys):
    passed, line = verdict(answer, capsys)
    assert passed, line
    assert line.startswith("rmsprop_update: correct")


def make_wrong(average, step):
    """An RMSprop with ``gsq ← average(gsq, g, alpha)`` and ``par ← par − step(g, old, new, lr, epsilon)``."""

    def wrong(loss, params, grad_sq, lr=1e-3, alpha=0.8, epsilon=1e-8):
        grads = torch.autograd.grad(loss, params)
        for par, gsq, g in zip(params, grad_sq, grads, strict=True):
            old = gsq.data.clone()
            gsq.data = average(gsq.data, g, alpha)
            par.data -= step(g, old, gsq.data, lr, epsilon)

    return wrong


right_average = lambda s, g, alpha: alpha * s + (1 - alpha) * g**2
right_step = lambda g, old, new, lr, eps: lr * g / torch.sqrt(new + eps)


def accumulating(loss, params, grad_sq, lr=1e-3, alpha=0.8, epsilon=1e-8):
    loss.backward()
    for par, gsq in zip(params, grad_sq, strict=True):
        gsq.data = alpha * gsq.data + (1 - alpha) * par.grad**2
        par.data -= lr * par.grad / torch.sqrt(gsq.data + epsilon)


def rebinding_state(loss, params, grad_sq, lr=1e-3, alpha=0.8, epsilon=1e-8):
    grads = torch.autograd.grad(loss, params)
    for par, gsq, g in zip(params, grad_sq, grads, strict=True):
        gsq = alpha * gsq + (1 - alpha) * g**2
        par.data -= lr * g / torch.sqrt(gsq + epsilon)


@pytest.mark.parametrize(("answer", "key_words"), [
    (make_wrong(lambda s, g, a: a * s + (1 - a) * g, right_step), ["not squared"]),
    (make_wrong(right_average, lambda g, old, new, lr, eps: lr * g / (new + eps)), ["square root is missing"]),
    (make_wrong(lambda s, g, a: (1 - a) * s + a * g**2, right_step), ["swapped"]),
    (make_wrong(right_average, lambda g, old, new, lr, eps: -lr * g / torch.sqrt(new + eps)), ["uphill"]),
    (make_wrong(right_average, lambda g, old, new, lr, eps: lr * g / torch.sqrt(old + eps)), ["old average"]),
    (make_wrong(lambda s, g, a: s + g**2, right_step), ["not multiplied by α", "AdaGrad"]),
    (make_wrong(lambda s, g, a: a * s + g**2, right_step), ["(1 − α)"]),
    (make_wrong(lambda s, g, a: g**2, right_step), ["forgets the past"]),
    (make_wrong(right_average, lambda g, old, new, lr, eps: g / torch.sqrt(new + eps)), ["learning rate"]),
    (accumulating, ["accumulate"]),
    (rebinding_state, ["not kept between calls", "grad_sq[i] = …"]),
    (epsilon_outside_root, ["ε is outside the square root", "√(s + ε)"]),
])
def test_mistakes_are_named(answer, key_words, capsys):
    passed, line = verdict(answer, capsys)
    assert not passed
    assert line.startswith("rmsprop_update: not right yet — ")
    for words in key_words:
        assert words in line, line


def stub(loss, params, grad_sq, lr=1e-3, alpha=0.8, epsilon=1e-8):
    raise NotImplementedError("Exercise: rmsprop_update")


def missing_epsilon_argument(loss, params, grad_sq, lr=1e-3, alpha=0.8):
    with_autograd_grad(loss, params, grad_sq, lr, alpha)


def nan_producing(loss, params, grad_sq, lr=1e-3, alpha=0.8, epsilon=1e-8):
    grads = torch.autograd.grad(loss, params)
    for par, gsq, g in zip(params, grad_sq, grads, strict=True):
        gsq.data = alpha * gsq.data + (1 - alpha) * g**2
        par.data -= lr * g / torch.sqrt(gsq.data - 10.0)


@pytest.mark.parametrize(("answer", "key_words"), [
    (stub, ["rmsprop_update: not implemented yet"]),
    (missing_epsilon_argument, ["TypeError", "epsilon", "rmsprop_update(loss, params, grad_sq, lr=1e-3"]),
    (nan_producing, ["NaN"]),
    ("rmsprop", ["expected your function", "a str"]),
])
def test_errors_and_wrong_types_become_one_sentence(answer, key_words, capsys):
    passed, line = verdict(answer, capsys)
    assert not passed
    for words in key_words:
        assert words in line, line


def reversed_states(loss, params, grad_sq, lr=1e-3, alpha=0.8, epsilon=1e-8):
    grads = torch.autograd.grad(loss, params)
    with torch.no_grad():
        for par, sq, g in zip(params, reversed(grad_sq), grads, strict=True):
            sq.mul_(alpha).add_((1 - alpha) * g**2)
            par -= lr * g / torch.sqrt(sq + epsilon)


def swaps_states_of_equal_shapes(loss, params, grad_sq, lr=1e-3, alpha=0.8, epsilon=1e-8):
    """Pairs the first two parameters of the last parameter's shape with each other's state: no shape error."""
    states = list(grad_sq)
    same = [i for i, p in enumerate(params) if p.shape == params[-1].shape]
    if len(same) >= 2:
        states[same[0]], states[same[1]] = states[same[1]], states[same[0]]
    grads = torch.autograd.grad(loss, params)
    with torch.no_grad():
        for par, sq, g in zip(params, states, grads, strict=True):
            sq.mul_(alpha).add_((1 - alpha) * g**2)
            par -= lr * g / torch.sqrt(sq + epsilon)


@pytest.mark.parametrize("answer, key_words", [
    (reversed_states, ["shape mismatch", "zip(params, states)"]),
    (swaps_states_of_equal_shapes, ["its own", "zip(params, grad_sq)"]),
])
def test_a_state_paired_with_another_parameter_is_named(answer, key_words, capsys):
    passed, line = verdict(answer, capsys)
    assert not passed
    for word in key_words:
        assert word in line, line
