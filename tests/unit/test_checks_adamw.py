"""check_adamw passes differently written AdamW classes and names each classic decay mistake."""

import pytest
import torch

from course_lib.checks import check_adamw
from course_lib.optimizers import Adam, AdamL2, AdamW
from tests.unit.fakes import NotebookAdam


def verdict(answer, capsys):
    passed = check_adamw(answer)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines
    return passed, lines[0]



class StudentAdamW(NotebookAdam):
    """Notebook 05's given constructor, with the decay written as p -= …"""

    def __init__(self, params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, beta1, beta2, eps)
        self.add_default("weight_decay", weight_decay)

    def update(self, p, grad, state, group):
        p -= group["lr"] * group["weight_decay"] * p
        super().update(p, grad, state, group)


def variant(mode):
    """A StudentAdamW with its decay written the way a student might get it wrong."""

    class Variant(StudentAdamW):
        def update(self, p, grad, state, group):
            lam, lr = group["weight_decay"], group["lr"]
            if mode == "coupled":
                grad = grad + lam * p
            elif mode == "unscaled":
                p -= lam * p
            elif mode == "uphill":
                p += lr * lam * p
            elif mode == "twice":
                p -= lr * lam * p
                p -= lr * lam * p
            elif mode == "default":
                p -= lr * 1e-2 * p
            elif mode == "constructor":
                p -= lr * self.defaults["weight_decay"] * p
            before = p.clone()
            NotebookAdam.update(self, p, grad, state, group)
            if mode == "after":
                p -= lr * lam * p
            if mode == "adaptive":
                v_hat = state["v"] / (1 - group["beta2"] ** state["step"])
                p -= lr * lam * before / (torch.sqrt(v_hat) + group["eps"])

    return Variant


class Rebinds(StudentAdamW):
    """The slip of issue 23: p = p − … rebinds the name, then the Adam step changes the copy."""

    def update(self, p, grad, state, group):
        p = p - group["lr"] * group["weight_decay"] * p
        super().update(p, grad, state, group)


class RequiresLr(StudentAdamW):
    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, beta1, beta2, eps, weight_decay)


class NotImplementedYet(StudentAdamW):
    def update(self, p, grad, state, group):
        raise NotImplementedError("Exercise: AdamW.update")


@pytest.mark.parametrize("answer", [AdamW, StudentAdamW])
def test_correct_classes_pass(answer, capsys):
    passed, line = verdict(answer, capsys)
    assert passed, line
    assert line.startswith("AdamW: correct")
    assert "weight_decay = 0 param group" in line


@pytest.mark.parametrize(("answer", "key_words"), [
    (variant("coupled"), ["added to the gradient", "L2"]),
    (AdamL2, ["added to the gradient"]),
    (variant("unscaled"), ["not scaled by the learning rate"]),
    (variant("after"), ["after the Adam step"]),
    (variant("adaptive"), ["divided by √v̂"]),
    (variant("uphill"), ["grow instead of decaying"]),
    (variant("twice"), ["twice"]),
    (variant("none"), ["no weight decay"]),
    (variant("default"), ["weight_decay given to the constructor is not used", "group['weight_decay']"]),
    (variant("constructor"), ["two param groups", "own settings are ignored"]),
    (Rebinds, ["did not change", "p = p − … makes a new tensor"]),
    (Adam, ["keep the exercise's signature"]),
    (RequiresLr, ["keep the exercise's signature"]),
    (NotImplementedYet, ["not implemented yet"]),
    (torch.optim.AdamW, ["subclass the Adam above"]),
    (AdamW([torch.zeros(1, requires_grad=True)]), ["pass the class itself"]),
])
def test_wrong_classes_are_recognised(answer, key_words, capsys):
    passed, line = verdict(answer, capsys)
    assert not passed
    for word in key_words:
        assert word in line, line


class DecayOnly(StudentAdamW):
    def update(self, p, grad, state, group):
        p.mul_(1 - group["lr"] * group["weight_decay"])


class BothDecays(StudentAdamW):
    def update(self, p, grad, state, group):
        p.mul_(1 - group["lr"] * group["weight_decay"])
        NotebookAdam.update(self, p, grad + group["weight_decay"] * p, state, group)


class AdamWithoutCorrection(NotebookAdam):
    def update(self, p, grad, state, group):
        beta1, beta2 = group["beta1"], group["beta2"]
        state["m"] = beta1 * state["m"] + (1 - beta1) * grad
        state["v"] = beta2 * state["v"] + (1 - beta2) * grad**2
        p -= group["lr"] * state["m"] / (torch.sqrt(state["v"]) + group["eps"])


class RightDecayOnABrokenAdam(AdamWithoutCorrection):
    def __init__(self, params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, beta1, beta2, eps)
        self.add_default("weight_decay", weight_decay)

    def update(self, p, grad, state, group):
        p.mul_(1 - group["lr"] * group["weight_decay"])
        super().update(p, grad, state, group)


@pytest.mark.parametrize(("answer", "key_words"), [
    (DecayOnly, ["the Adam step is missing", "super().update(p, grad, state, group)"]),
    (BothDecays, ["applied twice, once decoupled and once as L2"]),
    (RightDecayOnABrokenAdam, ["the Adam your AdamW subclasses (AdamWithoutCorrection) does not pass check_adam",
                               "no bias correction"]),
])
def test_a_missing_adam_step_double_decay_and_a_broken_parent_are_named(answer, key_words, capsys):
    passed, line = verdict(answer, capsys)
    assert not passed
    for word in key_words:
        assert word in line, line
