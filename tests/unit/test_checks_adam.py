"""check_adam passes differently written Adam classes and names each classic mistake."""

import math

import pytest
import torch

from course_lib.checks import check_adam
from course_lib.optimizers import SGD, Adam, CourseOptimizer
from tests.unit.fakes import NotebookAdam


def verdict(answer, capsys):
    passed = check_adam(answer)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines
    return passed, lines[0]



class TutorialAdam(CourseOptimizer):
    """The UvA tutorial's Adam, its arithmetic line for line, moved onto update(p, grad, state, group)."""

    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(params, lr=lr, beta1=beta1, beta2=beta2, eps=eps)

    def init_state(self, p):
        return {"step": 0, "momentum": torch.zeros_like(p.data), "2nd_momentum": torch.zeros_like(p.data)}

    def update(self, p, grad, state, group):
        state["step"] += 1
        state["momentum"] = (1 - group["beta1"]) * grad + group["beta1"] * state["momentum"]
        state["2nd_momentum"] = (1 - group["beta2"]) * (grad) ** 2 + group["beta2"] * state["2nd_momentum"]
        bias_correction_1 = 1 - group["beta1"] ** state["step"]
        bias_correction_2 = 1 - group["beta2"] ** state["step"]
        p_2nd_mom = state["2nd_momentum"] / bias_correction_2
        p_mom = state["momentum"] / bias_correction_1
        p_lr = group["lr"] / (torch.sqrt(p_2nd_mom) + group["eps"])
        p_update = p_lr * p_mom
        p.add_(-p_update)


class LazyStateAdam(CourseOptimizer):
    """State created inside update on first use, in-place arithmetic, the bias corrections folded into the step."""

    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(params, lr=lr, beta1=beta1, beta2=beta2, eps=eps)

    def update(self, p, grad, state, group):
        if not state:
            state.update(t=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
        state["t"] += 1
        beta1, beta2 = group["beta1"], group["beta2"]
        state["m"].mul_(beta1).add_(grad, alpha=1 - beta1)
        state["v"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        step = group["lr"] / (1 - beta1 ** state["t"])
        denominator = (state["v"] / (1 - beta2 ** state["t"])).sqrt() + group["eps"]
        p.sub_(step * state["m"] / denominator)


@pytest.mark.parametrize("answer", [Adam, NotebookAdam, TutorialAdam, LazyStateAdam])
def test_correct_classes_pass(answer, capsys):
    passed, line = verdict(answer, capsys)
    assert passed, line
    assert line.startswith("Adam: correct")
    assert "two param groups" in line and "state_dict()" in line


def variant(**changes):
    """A NotebookAdam with one thing changed, as a student might write it."""

    class Variant(NotebookAdam):
        def update(self, p, grad, state, group):
            beta1, beta2 = (group["beta2"], group["beta1"]) if changes.get("swap") else (group["beta1"], group["beta2"])
            if changes.get("reset"):
                state["m"], state["v"] = torch.zeros_like(p), torch.zeros_like(p)
            if changes.get("shared_count"):
                self.count = getattr(self, "count", 0) + 1
                t = self.count
            elif changes.get("t_fixed"):
                t = 1
            else:
                state["step"] += 1
                t = state["step"]
            weight1, weight2 = (1.0, 1.0) if changes.get("no_one_minus") else (1 - beta1, 1 - beta2)
            m = state["m"] = beta1 * state["m"] + weight1 * grad
            v = state["v"] = beta2 * state["v"] + weight2 * (grad if changes.get("not_squared") else grad * grad)
            m_hat = m if changes.get("no_m_correction") else m / (1 - beta1**t)
            v_hat = v if changes.get("no_v_correction") else v / (1 - beta2**t)
            root = v_hat if changes.get("no_sqrt") else torch.sqrt(v_hat)
            denominator = torch.sqrt(v_hat + group["eps"]) if changes.get("eps_inside") else root + group["eps"]
            sign = -1.0 if changes.get("uphill") else 1.0
            p -= sign * group["lr"] * m_hat / denominator

    return Variant


class HardCodedBetas(NotebookAdam):
    def update(self, p, grad, state, group):
        super().update(p, grad, state, {**group, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8})


class ZeroStartCount(NotebookAdam):
    def update(self, p, grad, state, group):
        state["step"] -= 1
        super().update(p, grad, state, group)
        state["step"] += 1


class NotInPlace(NotebookAdam):
    def update(self, p, grad, state, group):
        p = p - group["lr"] * grad


class SettingsFromConstructor(NotebookAdam):
    """Reads every hyper-parameter from attributes set in __init__: right for one group, wrong for two."""

    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(params, lr, beta1, beta2, eps)
        self.settings = {"lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps}

    def update(self, p, grad, state, group):
        super().update(p, grad, state, self.settings)


class StateOnTheOptimizer(NotebookAdam):
    """Keeps m, v and t in dicts of its own keyed by the parameter: right until a state_dict() round trip."""

    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(params, lr, beta1, beta2, eps)
        self.own_state = {}

    def update(self, p, grad, state, group):
        own = self.own_state.setdefault(p, self.init_state(p))
        super().update(p, grad, own, group)


@pytest.mark.parametrize(("answer", "key_words"), [
    (variant(no_m_correction=True, no_v_correction=True), ["no bias correction", "1 − β1ᵗ"]),
    (variant(swap=True), ["β1 and β2 are swapped"]),
    (variant(uphill=True), ["uphill"]),
    (variant(no_v_correction=True), ["v is not bias-corrected"]),
    (variant(no_m_correction=True), ["m is not bias-corrected"]),
    (variant(not_squared=True), ["squared gradient"]),
    (variant(no_sqrt=True), ["square root is missing"]),
    (variant(no_one_minus=True), ["(1 − β) factors"]),
    (variant(reset=True, t_fixed=True), ["m, v and t are not kept", "state['m'] = …"]),
    (variant(reset=True), ["m and v are not kept"]),
    (variant(t_fixed=True), ["step counter t is not kept", "state['step']"]),
    (variant(shared_count=True), ["once per parameter", "state['step']"]),
    (variant(eps_inside=True), ["ε sits inside the square root", "√v̂ + ε"]),
    (HardCodedBetas, ["constructor are not used", "group['beta1']"]),
    (ZeroStartCount, ["NaN or inf", "t = 1"]),
    (NotInPlace, ["did not change", "in place", "p = p − … makes a new tensor"]),
    (SettingsFromConstructor, ["two param groups", "own settings are ignored", "group['lr']"]),
    (StateOnTheOptimizer, ["state_dict()", "load_state_dict()", "keep everything update remembers"]),
])
def test_mistakes_are_named(answer, key_words, capsys):
    passed, line = verdict(answer, capsys)
    assert not passed
    assert line.startswith("Adam: not right yet — ")
    for words in key_words:
        assert words in line, line


class Stub(CourseOptimizer):
    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(params, lr=lr)
        raise NotImplementedError("Exercise: Adam")


class NoUpdate(CourseOptimizer):
    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(params, lr=lr)


class PositionalBetas(NotebookAdam):
    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, lr, *betas, eps)


class NotAnOptimizer:
    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        pass


@pytest.mark.parametrize(("answer", "key_words"), [
    (Stub, ["Adam: not implemented yet"]),
    (NoUpdate, ["Adam: not implemented yet"]),
    (PositionalBetas, ["TypeError", "beta1", "Adam(params, lr, beta1=0.9, beta2=0.999, eps=1e-8)"]),
    (NotAnOptimizer, ["subclass CourseOptimizer"]),
    (torch.optim.Adam, ["subclass CourseOptimizer"]),
    (SGD, ["after step 1", "differ from the reference"]),
    (Adam([torch.zeros(1, requires_grad=True)], lr=0.1), ["pass the class itself"]),
    (lambda params, lr: None, ["expected your Adam class", "a function"]),
])
def test_errors_and_wrong_types_become_one_sentence(answer, key_words, capsys):
    passed, line = verdict(answer, capsys)
    assert not passed
    for words in key_words:
        assert words in line, line


class Float64Update(NotebookAdam):
    def update(self, p, grad, state, group):
        super().update(p, grad, state, group)
        p.data = p.data.double()


def test_a_parameter_that_changes_dtype_is_named(capsys):
    passed, line = verdict(Float64Update, capsys)
    assert not passed
    assert "parameter 0 has dtype torch.float64, expected torch.float32" in line


def test_the_large_epsilon_case_tells_the_two_placements_apart():
    """With ε = 0.5 and |g| ≥ 0.1, √v̂ + ε and √(v̂ + ε) differ by far more than the check's tolerance."""
    v_hat = torch.tensor([0.01, 1.0, 400.0])
    outside, inside = v_hat.sqrt() + 0.5, (v_hat + 0.5).sqrt()
    assert torch.all((outside - inside).abs() / outside > 1e-3)
    assert not math.isclose(float(outside[0]), float(inside[0]), rel_tol=0.1)


class OneMomentLost(NotebookAdam):
    """Stores m back but computes v into a local name only: the usual half of the 'state not kept' slip."""

    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8, lose="v"):
        super().__init__(params, lr, beta1, beta2, eps)
        self.lose = lose

    def update(self, p, grad, state, group):
        beta1, beta2 = group["beta1"], group["beta2"]
        state["step"] += 1
        t = state["step"]
        m = beta1 * state["m"] + (1 - beta1) * grad
        v = beta2 * state["v"] + (1 - beta2) * grad**2
        if self.lose != "m":
            state["m"] = m
        if self.lose != "v":
            state["v"] = v
        p -= group["lr"] * (m / (1 - beta1**t)) / (torch.sqrt(v / (1 - beta2**t)) + group["eps"])


class LosesM(OneMomentLost):
    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(params, lr, beta1, beta2, eps, lose="m")


class HardCodedLearningRate(NotebookAdam):
    def update(self, p, grad, state, group):
        super().update(p, grad, state, {**group, "lr": 0.001})


@pytest.mark.parametrize(("answer", "key_words"), [
    (OneMomentLost, ["v is not kept between steps (m is)", "state['v'] = …"]),
    (LosesM, ["m is not kept between steps (v is)"]),
    (HardCodedLearningRate, ["0.02 times as long", "group['lr']"]),
])
def test_half_kept_state_and_a_fixed_learning_rate_are_named(answer, key_words, capsys):
    passed, line = verdict(answer, capsys)
    assert not passed
    for words in key_words:
        assert words in line, line
