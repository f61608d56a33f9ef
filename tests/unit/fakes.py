"""Small stand-ins shared by the experiment, widget and check tests: a tiny logistic slice, a quadratic bowl,
a tiny image-like classification problem, and an Adam written as a student writes it in notebook 03."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import torch

from course_lib.experiments.logistic_slice import LogisticSlice
from course_lib.optimizers import CourseOptimizer


def small_slice(seed: int = 0) -> LogisticSlice:
    """A softmax regression on 60 random 8-feature points with 4 classes: a slice in milliseconds."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(60, 8, generator=generator, dtype=torch.float64)
    y = torch.randint(0, 4, (60,), generator=generator)
    weight = 0.3 * torch.randn(4, 8, generator=generator, dtype=torch.float64)
    bias = 0.1 * torch.randn(4, generator=generator, dtype=torch.float64)
    return LogisticSlice(x, y, weight, bias, weight_index=(2, 3), bias_index=1)


class QuadraticBowl:
    """J = ½(a·w² + c·b²), minimum at 0: what MomentumExperiment needs, with GD diverging for lr > 2/max(a, c)."""

    fitted_point = (0.5, -0.5)

    def __init__(self, a: float = 1.0, c: float = 0.1):
        self.a, self.c = a, c

    def loss(self, w, b):
        return 0.5 * (self.a * w**2 + self.c * b**2)

    def loss_and_grad_flat(self, w, b):
        return self.loss(w, b), self.a * w, self.c * b

    def loss_and_grad(self, w, b):
        w, b = torch.as_tensor(w, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
        return self.loss_and_grad_flat(w, b)

    def hessian(self, w, b):
        return np.diag([self.a, self.c])

    def gradient_scale(self, w, b):
        return abs(self.a * w) + 1.0, abs(self.c * b) + 1.0


def small_problem(n=40, d=12, seed=0, scale=1.0):
    generator = torch.Generator().manual_seed(seed)
    return scale * torch.randn(n, d, generator=generator), torch.randint(0, 10, (n,), generator=generator)


def separable_data(n_train=60, n_val=40, n_features=12, seed=0):
    """Two Gaussian blobs per class index; small enough that a run takes a few milliseconds."""
    generator = torch.Generator().manual_seed(seed)
    centres = torch.randn(10, n_features, generator=generator) * 2

    def draw(n):
        y = torch.randint(0, 10, (n,), generator=generator)
        return centres[y] + torch.randn(n, n_features, generator=generator), y

    train_x, train_y = draw(n_train)
    val_x, val_y = draw(n_val)
    return SimpleNamespace(train_x=train_x, train_y=train_y, val_x=val_x, val_y=val_y)


class NotebookAdam(CourseOptimizer):
    """Notebook 03's given constructor and init_state, with out-of-place arithmetic stored back in the state."""

    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(params, lr=lr, beta1=beta1, beta2=beta2, eps=eps)

    def init_state(self, p):
        return {"step": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)}

    def update(self, p, grad, state, group):
        beta1, beta2 = group["beta1"], group["beta2"]
        state["step"] += 1
        t = state["step"]
        state["m"] = beta1 * state["m"] + (1 - beta1) * grad
        state["v"] = beta2 * state["v"] + (1 - beta2) * grad**2
        m_hat = state["m"] / (1 - beta1**t)
        v_hat = state["v"] / (1 - beta2**t)
        p -= group["lr"] * m_hat / (torch.sqrt(v_hat) + group["eps"])
