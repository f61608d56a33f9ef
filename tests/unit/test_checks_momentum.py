"""check_momentum_update passes differently written heavy-ball updates and names each classic mistake."""

import pytest
import torch

from course_lib.checks import check_momentum_update
from course_lib.optimizers import momentum_update as reference


def verdict(answer, capsys):
    passed = check_momentum_update(answer)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines
    return passed, lines[0]


def with_autograd_grad(loss, params, grad_vel, lr=1e-3, beta=0.8):
    grads = torch.autograd.grad(loss, params)
    with torch.no_grad():
        for par, vel, g in zip(params, grad_vel, grads, strict=True):
            vel.mul_(beta).sub_(lr * g)
            par.add_(vel)


def with_backward_and_data(loss, params, grad_vel, lr=1e-3, beta=0.8):
    loss.backward()
    for par, vel in zip(params, grad_vel, strict=True):
        vel.data = beta * vel.data - lr * par.grad.data
        par.data += vel.data
        par.grad = None


def with_list_items(loss, params, grad_vel, lr=1e-3, beta=0.8):
    for par in params:
        par.grad = None
    loss.backward()
    with torch.no_grad():
        for i, par in enumerate(params):
            grad_vel[i] = beta * grad_vel[i] - lr * par.grad
            par.data.add_(grad_vel[i])


def with_zero_grad_after(loss, params, grad_vel, lr=1e-3, beta=0.8):
    loss.backward()
    with torch.no_grad():
        for par, vel in zip(params, grad_vel, strict=True):
            vel.copy_(beta * vel - lr * par.grad)
            par += vel
            par.grad.zero_()


@pytest.mark.parametrize("answer", [reference, with_autograd_grad, with_backward_and_data, with_list_items,
                                    with_zero_grad_after])
def test_correct_implementations_pass(answer, capsys):
    passed, line = verdict(answer, capsys)
    assert passed, line
    assert line.startswith("momentum_update: correct")


def sign_flipped(loss, params, grad_vel, lr=1e-3, beta=0.8):
    grads = torch.autograd.grad(loss, params)
    for par, vel, g in zip(params, grad_vel, grads, strict=True):
        vel.data = beta * vel.data + lr * g
        par.data += vel.data


def averaging_form(loss, params, grad_vel, lr=1e-3, beta=0.8):
    grads = torch.autograd.grad(loss, params)
    for par, vel, g in zip(params, grad_vel, grads, strict=True):
        vel.data = beta * vel.data + (1 - beta) * g
        par.data -= lr * vel.data


def parameter_first(loss, params, grad_vel, lr=1e-3, beta=0.8):
    grads = torch.autograd.grad(loss, params)
    for par, vel, g in zip(params, grad_vel, grads, strict=True):
        par.data += vel.data
        vel.data = beta * vel.data - lr * g


def accumulating(loss, params, grad_vel, lr=1e-3, beta=0.8):
    loss.backward()
    for par, vel in zip(params, grad_vel, strict=True):
        vel.data = beta * vel.data - lr * par.grad
        par.data += vel.data


def rebinding_velocity(loss, params, grad_vel, lr=1e-3, beta=0.8):
    grads = torch.autograd.grad(loss, params)
    for par, vel, g in zip(params, grad_vel, grads, strict=True):
        vel = beta * vel - lr * g
        par.data += vel


def missing_beta(loss, params, grad_vel, lr=1e-3, beta=0.8):
    grads = torch.autograd.grad(loss, params)
    for par, vel, g in zip(params, grad_vel, grads, strict=True):
        vel.data = vel.data - lr * g
        par.data += vel.data


def missing_lr(loss, params, grad_vel, lr=1e-3, beta=0.8):
    grads = torch.autograd.grad(loss, params)
    for par, vel, g in zip(params, grad_vel, grads, strict=True):
        vel.data = beta * vel.data - g
        par.data += vel.data


def rebinding_parameter(loss, params, grad_vel, lr=1e-3, beta=0.8):
    grads = torch.autograd.grad(loss, params)
    for par, vel, g in zip(params, grad_vel, grads, strict=True):
        vel.data = beta * vel.data - lr * g
        par = par + vel


def wrong_defaults(loss, params, grad_vel, lr=1e-2, beta=0.9):
    with_autograd_grad(loss, params, grad_vel, lr, beta)


@pytest.mark.parametrize(("answer", "key_words"), [
    (sign_flipped, ["uphill", "v ← βv − η∇J"]),
    (averaging_form, ["averaging form", "(1 − β)", "heavy-ball"]),
    (parameter_first, ["old velocity", "velocity first"]),
    (accumulating, ["accumulate", "p.grad = None"]),
    (rebinding_velocity, ["not kept between calls", "rebinding"]),
    (missing_beta, ["not multiplied by β"]),
    (missing_lr, ["learning rate"]),
    (rebinding_parameter, ["parameters did not change", "in place"]),
    (wrong_defaults, ["default", "lr=1e-3, beta=0.8"]),
])
def test_mistakes_are_named(answer, key_words, capsys):
    passed, line = verdict(answer, capsys)
    assert not passed
    assert line.startswith("momentum_update: not right yet — ")
    for words in key_words:
        assert words in line, line


def stub(loss, params, grad_vel, lr=1e-3, beta=0.8):
    raise NotImplementedError("Exercise: momentum_update")


def in_place_on_leaf(loss, params, grad_vel, lr=1e-3, beta=0.8):
    grads = torch.autograd.grad(loss, params)
    for par, vel, g in zip(params, grad_vel, grads, strict=True):
        vel.mul_(beta).sub_(lr * g)
        par.add_(vel)


def renamed_arguments(loss, params, grad_vel, learning_rate=1e-3, momentum=0.8):
    with_autograd_grad(loss, params, grad_vel, learning_rate, momentum)


def flattened_state(loss, params, grad_vel, lr=1e-3, beta=0.8):
    grads = torch.autograd.grad(loss, params)
    for i, (par, g) in enumerate(zip(params, grads, strict=True)):
        grad_vel[i] = (beta * grad_vel[i] - lr * g).flatten()
        par.data += grad_vel[i].reshape(par.shape)


def float64_state(loss, params, grad_vel, lr=1e-3, beta=0.8):
    grads = torch.autograd.grad(loss, params)
    for i, (par, g) in enumerate(zip(params, grads, strict=True)):
        grad_vel[i] = (beta * grad_vel[i] - lr * g).double()
        par.data += grad_vel[i].float()


@pytest.mark.parametrize(("answer", "key_words"), [
    (stub, ["momentum_update: not implemented yet", "fill in the exercise cell"]),
    (in_place_on_leaf, ["RuntimeError", "torch.no_grad()"]),
    (renamed_arguments, ["TypeError", "lr", "momentum_update(loss, params, grad_vel, lr=1e-3, beta=0.8)"]),
    (flattened_state, ["grad_vel[0]", "shape (12,)", "(4, 3)"]),
    (float64_state, ["grad_vel[0]", "torch.float64", "torch.float32"]),
    (None, ["expected your function", "None"]),
])
def test_errors_and_wrong_types_become_one_sentence(answer, key_words, capsys):
    passed, line = verdict(answer, capsys)
    assert not passed
    for words in key_words:
        assert words in line, line


def test_check_keeps_global_random_state_and_the_function_usable(capsys):
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    assert check_momentum_update(with_list_items)
    assert torch.equal(torch.rand(3), expected)
    weight = torch.ones(2, requires_grad=True)
    velocity = [torch.zeros(2)]
    with_list_items((weight**2).sum(), [weight], velocity, lr=0.1, beta=0.5)
    assert torch.allclose(weight.detach(), torch.full((2,), 0.8))
    assert check_momentum_update(with_list_items)
    capsys.readouterr()


def reversed_states(loss, params, grad_vel, lr=1e-3, beta=0.8):
    grads = torch.autograd.grad(loss, params)
    with torch.no_grad():
        for par, vel, g in zip(params, reversed(grad_vel), grads, strict=True):
            vel.mul_(beta).sub_(lr * g)
            par.add_(vel)


def swaps_states_of_equal_shapes(loss, params, grad_vel, lr=1e-3, beta=0.8):
    """Pairs the first two parameters of the last parameter's shape with each other's state: no shape error."""
    states = list(grad_vel)
    same = [i for i, p in enumerate(params) if p.shape == params[-1].shape]
    if len(same) >= 2:
        states[same[0]], states[same[1]] = states[same[1]], states[same[0]]
    grads = torch.autograd.grad(loss, params)
    with torch.no_grad():
        for par, vel, g in zip(params, states, grads, strict=True):
            vel.mul_(beta).sub_(lr * g)
            par.add_(vel)


@pytest.mark.parametrize("answer, key_words", [
    (reversed_states, ["shape mismatch", "zip(params, states)"]),
    (swaps_states_of_equal_shapes, ["its own", "zip(params, grad_vel)"]),
])
def test_a_state_paired_with_another_parameter_is_named(answer, key_words, capsys):
    passed, line = verdict(answer, capsys)
    assert not passed
    for word in key_words:
        assert word in line, line
