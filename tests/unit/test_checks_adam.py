"""check_adam passes differently written Adam classes and names each classic mistake."""

import math

import pytest
import torch

from course_lib.checks import check_adam
from course_lib.optimizers import SGD, Adam, OptimizerTemplate


def verdict(answer, capsys):
    passed = check_adam(answer)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines
    return passed, lines[0]


class DictAdam(OptimizerTemplate):
    """The tutorial's layout: three dicts keyed by the parameter, out-of-place arithmetic."""

    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(params, lr)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.param_step = {p: 0 for p in self.params}
        self.param_momentum = {p: torch.zeros_like(p.data) for p in self.params}
        self.param_2nd_momentum = {p: torch.zeros_like(p.data) for p in self.params}

    def update_param(self, p):
        self.param_step[p] += 1
        t = self.param_step[p]
        self.param_momentum[p] = self.beta1 * self.param_momentum[p] + (1 - self.beta1) * p.grad
        self.param_2nd_momentum[p] = self.beta2 * self.param_2nd_momentum[p] + (1 - self.beta2) * p.grad**2
        m_hat = self.param_momentum[p] / (1 - self.beta1**t)
        v_hat = self.param_2nd_momentum[p] / (1 - self.beta2**t)
        p.data -= self.lr * m_hat / (torch.sqrt(v_hat) + self.eps)


class LazyStateAdam(OptimizerTemplate):
    """State created on first use, in-place arithmetic, ε inside the square root, one shared step count."""

    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(params, lr)
        self.betas, self.eps = (beta1, beta2), eps
        self.state = {}

    def update_param(self, p):
        state = self.state.setdefault(p, {"t": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)})
        state["t"] += 1
        beta1, beta2 = self.betas
        state["m"].mul_(beta1).add_(p.grad, alpha=1 - beta1)
        state["v"].mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
        step = self.lr * math.sqrt(1 - beta2 ** state["t"]) / (1 - beta1 ** state["t"])
        p.sub_(step * state["m"] / torch.sqrt(state["v"] + self.eps**2))


@pytest.mark.parametrize("answer", [Adam, DictAdam, LazyStateAdam])
def test_correct_classes_pass(answer, capsys):
    passed, line = verdict(answer, capsys)
    assert passed, line
    assert line.startswith("Adam: correct")


def variant(**changes):
    """A DictAdam with one thing changed, as a student might write it."""

    class Variant(DictAdam):
        def update_param(self, p):
            beta1, beta2 = (self.beta2, self.beta1) if changes.get("swap") else (self.beta1, self.beta2)
            if changes.get("reset"):
                self.param_momentum[p] = torch.zeros_like(p)
                self.param_2nd_momentum[p] = torch.zeros_like(p)
            if changes.get("shared_count"):
                self.count = getattr(self, "count", 0) + 1
                t = self.count
            elif changes.get("t_fixed"):
                t = 1
            else:
                self.param_step[p] += 1
                t = self.param_step[p]
            g = p.grad
            weight1, weight2 = (1.0, 1.0) if changes.get("no_one_minus") else (1 - beta1, 1 - beta2)
            m = self.param_momentum[p] = beta1 * self.param_momentum[p] + weight1 * g
            v = self.param_2nd_momentum[p] = beta2 * self.param_2nd_momentum[p] + weight2 * (
                g if changes.get("not_squared") else g * g)
            m_hat = m if changes.get("no_m_correction") else m / (1 - beta1**t)
            v_hat = v if changes.get("no_v_correction") else v / (1 - beta2**t)
            denominator = v_hat if changes.get("no_sqrt") else torch.sqrt(v_hat)
            sign = -1.0 if changes.get("uphill") else 1.0
            p.data -= sign * self.lr * m_hat / (denominator + self.eps)

    return Variant


class HardCodedBetas(DictAdam):
    def update_param(self, p):
        self.beta1, self.beta2, self.eps = 0.9, 0.999, 1e-8
        super().update_param(p)


class ZeroStartCount(DictAdam):
    def update_param(self, p):
        self.param_step[p] -= 1
        super().update_param(p)
        self.param_step[p] += 1


class NotInPlace(DictAdam):
    def update_param(self, p):
        p = p - self.lr * p.grad


@pytest.mark.parametrize(("answer", "key_words"), [
    (variant(no_m_correction=True, no_v_correction=True), ["no bias correction", "1 − β1ᵗ"]),
    (variant(swap=True), ["β1 and β2 are swapped"]),
    (variant(uphill=True), ["uphill"]),
    (variant(no_v_correction=True), ["v is not bias-corrected"]),
    (variant(no_m_correction=True), ["m is not bias-corrected"]),
    (variant(not_squared=True), ["squared gradient"]),
    (variant(no_sqrt=True), ["square root"]),
    (variant(no_one_minus=True), ["(1 − β) factors"]),
    (variant(reset=True, t_fixed=True), ["m, v and t are not kept"]),
    (variant(reset=True), ["m and v are not kept"]),
    (variant(t_fixed=True), ["step counter t is not kept"]),
    (variant(shared_count=True), ["once per parameter"]),
    (HardCodedBetas, ["constructor are not used"]),
    (ZeroStartCount, ["NaN or inf", "t = 1"]),
    (NotInPlace, ["did not change", "in place"]),
])
def test_mistakes_are_named(answer, key_words, capsys):
    passed, line = verdict(answer, capsys)
    assert not passed
    assert line.startswith("Adam: not right yet — ")
    for words in key_words:
        assert words in line, line


class Stub(OptimizerTemplate):
    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(params, lr)
        raise NotImplementedError("Exercise: Adam")


class NoUpdate(OptimizerTemplate):
    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(params, lr)


class PositionalBetas(DictAdam):
    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, lr, *betas, eps)


class NotATemplate:
    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        pass


@pytest.mark.parametrize(("answer", "key_words"), [
    (Stub, ["Adam: not implemented yet"]),
    (NoUpdate, ["Adam: not implemented yet"]),
    (PositionalBetas, ["TypeError", "beta1", "Adam(params, lr, beta1=0.9, beta2=0.999, eps=1e-8)"]),
    (NotATemplate, ["subclass OptimizerTemplate"]),
    (SGD, ["after step 1", "differ from the reference"]),
    (Adam([torch.zeros(1, requires_grad=True)], lr=0.1), ["pass the class itself"]),
    (lambda params, lr: None, ["expected your Adam class", "a function"]),
])
def test_errors_and_wrong_types_become_one_sentence(answer, key_words, capsys):
    passed, line = verdict(answer, capsys)
    assert not passed
    for words in key_words:
        assert words in line, line


class Float64Update(DictAdam):
    def update_param(self, p):
        super().update_param(p)
        p.data = p.data.double()


def test_a_parameter_that_changes_dtype_is_named(capsys):
    passed, line = verdict(Float64Update, capsys)
    assert not passed
    assert "parameter 0 has dtype torch.float64, expected torch.float32" in line


class EpsilonInsideRoot(DictAdam):
    """ε inside the square root, as in the RMSprop exercise: a harmless difference that must pass."""

    def update_param(self, p):
        self.param_step[p] += 1
        t = self.param_step[p]
        m = self.param_momentum[p].mul_(self.beta1).add_((1 - self.beta1) * p.grad)
        v = self.param_2nd_momentum[p].mul_(self.beta2).add_((1 - self.beta2) * p.grad**2)
        p.sub_(self.lr * (m / (1 - self.beta1**t)) / torch.sqrt(v / (1 - self.beta2**t) + self.eps))


def test_epsilon_inside_the_square_root_passes(capsys):
    passed, line = verdict(EpsilonInsideRoot, capsys)
    assert passed, line
