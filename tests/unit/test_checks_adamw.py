"""check_adamw passes differently written AdamW classes and names each classic decay mistake."""

import pytest
import torch

from course_lib.checks import check_adamw
from course_lib.optimizers import Adam, AdamL2, AdamW, OptimizerTemplate


def verdict(answer, capsys):
    passed = check_adamw(answer)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines
    return passed, lines[0]


class NotebookAdam(OptimizerTemplate):
    """Notebook 03's layout: three dicts keyed by the parameter, out-of-place arithmetic."""

    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(params, lr)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.param_step = {p: 0 for p in self.params}
        self.param_momentum = {p: torch.zeros_like(p) for p in self.params}
        self.param_2nd_momentum = {p: torch.zeros_like(p) for p in self.params}

    def update_param(self, p):
        self.param_step[p] += 1
        t = self.param_step[p]
        self.param_momentum[p] = self.beta1 * self.param_momentum[p] + (1 - self.beta1) * p.grad
        self.param_2nd_momentum[p] = self.beta2 * self.param_2nd_momentum[p] + (1 - self.beta2) * p.grad**2
        m_hat = self.param_momentum[p] / (1 - self.beta1**t)
        v_hat = self.param_2nd_momentum[p] / (1 - self.beta2**t)
        p.data -= self.lr * m_hat / (torch.sqrt(v_hat) + self.eps)


class StudentAdamW(NotebookAdam):
    """On the notebook-03 layout, with the decay written through .data."""

    def __init__(self, params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, beta1, beta2, eps)
        self.weight_decay = weight_decay

    def update_param(self, p):
        p.data -= self.lr * self.weight_decay * p.data
        super().update_param(p)


def variant(mode):
    """A StudentAdamW with its decay written the way a student might get it wrong."""

    class Variant(StudentAdamW):
        def update_param(self, p):
            lam, lr = self.weight_decay, self.lr
            if mode == "coupled":
                p.grad = p.grad + lam * p.data
            elif mode == "unscaled":
                p.data -= lam * p.data
            elif mode == "uphill":
                p.data += lr * lam * p.data
            elif mode == "twice":
                p.data -= lr * lam * p.data
                p.data -= lr * lam * p.data
            elif mode == "default":
                p.data -= lr * 1e-2 * p.data
            before = p.data.clone()
            NotebookAdam.update_param(self, p)
            if mode == "after":
                p.data -= lr * lam * p.data
            if mode == "adaptive":
                v_hat = self.param_2nd_momentum[p] / (1 - self.beta2 ** self.param_step[p])
                p.data -= lr * lam * before / (torch.sqrt(v_hat) + self.eps)

    return Variant


class RequiresLr(StudentAdamW):
    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, beta1, beta2, eps, weight_decay)


class NotImplementedYet(StudentAdamW):
    def update_param(self, p):
        raise NotImplementedError("Exercise: AdamW.update_param")


@pytest.mark.parametrize("answer", [AdamW, StudentAdamW])
def test_correct_classes_pass(answer, capsys):
    passed, line = verdict(answer, capsys)
    assert passed, line
    assert line.startswith("AdamW: correct")


@pytest.mark.parametrize(("answer", "key_words"), [
    (variant("coupled"), ["added to the gradient", "L2"]),
    (AdamL2, ["added to the gradient"]),
    (variant("unscaled"), ["not scaled by the learning rate"]),
    (variant("after"), ["after the Adam step"]),
    (variant("adaptive"), ["divided by √v̂"]),
    (variant("uphill"), ["grow instead of decaying"]),
    (variant("twice"), ["twice"]),
    (variant("none"), ["no weight decay"]),
    (variant("default"), ["weight_decay given to the constructor is not used"]),
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
