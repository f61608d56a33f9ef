"""Optimizers written from scratch: the update rule of each one in a few readable lines.

Two styles, both used in the course:

- classes on ``OptimizerTemplate`` (``zero_grad`` / ``step``, drop-in for ``torch.optim``):
  ``SGD``, ``SGDMomentum``, ``RMSprop``, ``Adam``;
- functional updates that take a loss, compute its gradient themselves and change the parameters
  and their state tensors in place: ``momentum_update``, ``rmsprop_update``,
  plus ``sgd_step`` that uses gradients already stored in ``p.grad``.

How they relate to ``torch.optim`` (all checked step by step in ``tests/unit/test_optimizers.py``):

========================================  ==================================================================
course_lib                                torch.optim equivalent
========================================  ==================================================================
``SGD(lr=η)``                             ``SGD(lr=η)``
``SGDMomentum(lr=η, momentum=β)``         ``SGD(lr=η·(1−β), momentum=β, dampening=0)``: exact from step 1,
  EMA form m ← βm + (1−β)g; w ← w − ηm    because m_t = (1−β)·buf_t with torch's buf_t = β·buf_{t−1} + g_t
``RMSprop(lr, alpha, eps)``               ``RMSprop(lr, alpha, eps)`` (eps outside the square root)
``Adam(lr, beta1, beta2, eps)``           ``Adam(lr, betas=(beta1, beta2), eps)``
``momentum_update(lr=η, beta=β)``         ``SGD(lr=η, momentum=β)`` when the velocities start at zero:
  heavy ball v ← βv − ηg; w ← w + v       v_t = −η·buf_t
``rmsprop_update(lr, alpha, epsilon)``    ``RMSprop(lr, alpha, eps=0)`` up to where ε sits: here it is
                                          inside the square root, w ← w − ηg/√(s+ε)
========================================  ==================================================================

The two momentum forms trace the same path: EMA momentum with step size η equals heavy-ball
momentum with step size η·(1−β).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

__all__ = [
    "OptimizerTemplate",
    "SGD",
    "SGDMomentum",
    "RMSprop",
    "Adam",
    "OPTIMIZERS",
    "momentum_update",
    "rmsprop_update",
    "sgd_step",
    "StepFunctionOptimizer",
]


def _check_learning_rate(lr: float) -> float:
    lr = float(lr)
    if not math.isfinite(lr) or lr < 0:
        raise ValueError(f"learning rate must be a finite number ≥ 0, got {lr!r}")
    return lr


def _check_fraction(value: float, name: str) -> float:
    value = float(value)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must lie in [0, 1), got {value!r}")
    return value


def _check_epsilon(value: float, name: str = "eps") -> float:
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number ≥ 0, got {value!r}")
    return value


class OptimizerTemplate:
    """Base class: ``step()`` applies ``update_param(p)`` to every parameter that has a gradient.

    ``params``: an iterable of tensors (e.g. ``model.parameters()``); ``lr``: the learning rate η.
    Subclasses keep per-parameter state in dicts keyed by the parameter tensor.
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float):
        self.params = list(params)
        if not self.params:
            raise ValueError("the optimizer got an empty list of parameters")
        self.lr = _check_learning_rate(lr)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of the last backward pass (set ``p.grad`` to None, or to zeros)."""
        for p in self.params:
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.detach_()
                p.grad.zero_()

    @torch.no_grad()
    def step(self) -> None:
        """Update every parameter that received a gradient, in place."""
        for p in self.params:
            if p.grad is not None:
                self.update_param(p)

    def update_param(self, p: torch.Tensor) -> None:
        """Change ``p`` in place using ``p.grad`` (and this optimizer's state for ``p``)."""
        raise NotImplementedError("update_param must be implemented by a subclass of OptimizerTemplate")

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v}" for k, v in vars(self).items() if isinstance(v, (int, float)))
        return f"{type(self).__name__}({settings})"


class SGD(OptimizerTemplate):
    """Plain gradient descent: w ← w − η·g."""

    def update_param(self, p: torch.Tensor) -> None:
        p.add_(p.grad, alpha=-self.lr)


class SGDMomentum(OptimizerTemplate):
    """Momentum as an exponential moving average of gradients: m ← βm + (1−β)g; w ← w − ηm.

    Same trajectory as ``torch.optim.SGD(lr=η·(1−β), momentum=β)`` (dampening 0), from the first step.
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float, momentum: float = 0.9):
        super().__init__(params, lr)
        self.momentum = _check_fraction(momentum, "momentum")
        self.param_momentum = {p: torch.zeros_like(p) for p in self.params}

    def update_param(self, p: torch.Tensor) -> None:
        m = self.param_momentum[p]
        m.lerp_(p.grad, 1.0 - self.momentum)
        p.add_(m, alpha=-self.lr)


class RMSprop(OptimizerTemplate):
    """Per-parameter step sizes from a running mean of squared gradients (as ``torch.optim.RMSprop``).

    s ← αs + (1−α)g²; w ← w − η·g / (√s + ε)
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8):
        super().__init__(params, lr)
        self.alpha = _check_fraction(alpha, "alpha")
        self.eps = _check_epsilon(eps)
        self.param_sq_avg = {p: torch.zeros_like(p) for p in self.params}

    def update_param(self, p: torch.Tensor) -> None:
        s = self.param_sq_avg[p]
        s.mul_(self.alpha).addcmul_(p.grad, p.grad, value=1.0 - self.alpha)
        p.addcdiv_(p.grad, s.sqrt().add_(self.eps), value=-self.lr)


class Adam(OptimizerTemplate):
    """Adam (Kingma & Ba, 2015): momentum plus RMSprop, both bias-corrected (as ``torch.optim.Adam``).

    m ← β₁m + (1−β₁)g; s ← β₂s + (1−β₂)g²; w ← w − η·(m/(1−β₁ᵗ)) / (√(s/(1−β₂ᵗ)) + ε)
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-3, beta1: float = 0.9,
                 beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(params, lr)
        self.beta1 = _check_fraction(beta1, "beta1")
        self.beta2 = _check_fraction(beta2, "beta2")
        self.eps = _check_epsilon(eps)
        self.param_step = {p: 0 for p in self.params}
        self.param_momentum = {p: torch.zeros_like(p) for p in self.params}
        self.param_2nd_momentum = {p: torch.zeros_like(p) for p in self.params}

    def update_param(self, p: torch.Tensor) -> None:
        self.param_step[p] += 1
        t = self.param_step[p]
        m, s = self.param_momentum[p], self.param_2nd_momentum[p]
        m.lerp_(p.grad, 1.0 - self.beta1)
        s.mul_(self.beta2).addcmul_(p.grad, p.grad, value=1.0 - self.beta2)
        bias_correction1 = 1.0 - self.beta1**t
        bias_correction2_sqrt = math.sqrt(1.0 - self.beta2**t)
        denominator = s.sqrt().div_(bias_correction2_sqrt).add_(self.eps)
        p.addcdiv_(m, denominator, value=-self.lr / bias_correction1)


class StepFunctionOptimizer(OptimizerTemplate):
    """An optimizer whose whole step is a function ``step_function(params, lr)``, such as the ``sgd_step``
    exercise of notebook 01 (p ← p − lr·p.grad, then p.grad ← None), so that it can drive ``train_model``."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float, step_function=None):
        super().__init__(params, lr)
        self.step_function = step_function or sgd_step

    def step(self) -> None:
        self.step_function(self.params, self.lr)


OPTIMIZERS = {"SGD": SGD, "Momentum": SGDMomentum, "RMSprop": RMSprop, "Adam": Adam}


def _gradients(loss: torch.Tensor, params: list[torch.Tensor]) -> tuple[torch.Tensor | None, ...]:
    """∇loss for each parameter, without touching ``p.grad`` (so nothing accumulates across calls)."""
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        raise ValueError("loss must be a scalar tensor (one number), e.g. the mean loss over a batch")
    if not loss.requires_grad:
        raise ValueError("loss does not depend on any parameter that requires a gradient")
    return torch.autograd.grad(loss, params, allow_unused=True)


def momentum_update(loss: torch.Tensor, params: Iterable[torch.Tensor], grad_vel: Iterable[torch.Tensor],
                    lr: float = 1e-3, beta: float = 0.8) -> None:
    """One heavy-ball momentum step: v ← βv − η∇J(w); w ← w + v (params and velocities in place).

    ``grad_vel`` holds one velocity tensor per parameter, same shapes; it carries v between calls.
    """
    params, grad_vel = list(params), list(grad_vel)
    if len(params) != len(grad_vel):
        raise ValueError(f"got {len(params)} parameters but {len(grad_vel)} velocity tensors")
    lr = _check_learning_rate(lr)
    grads = _gradients(loss, params)
    with torch.no_grad():
        for par, vel, g in zip(params, grad_vel, grads, strict=True):
            if g is None:
                continue
            vel.mul_(beta).add_(g, alpha=-lr)
            par.add_(vel)


def rmsprop_update(loss: torch.Tensor, params: Iterable[torch.Tensor], grad_sq: Iterable[torch.Tensor],
                   lr: float = 1e-3, alpha: float = 0.8, epsilon: float = 1e-8) -> None:
    """One RMSprop step: s ← αs + (1−α)g²; w ← w − η·g/√(s+ε) (params and ``grad_sq`` in place).

    ``grad_sq`` holds one running mean of squared gradients per parameter, same shapes.
    """
    params, grad_sq = list(params), list(grad_sq)
    if len(params) != len(grad_sq):
        raise ValueError(f"got {len(params)} parameters but {len(grad_sq)} squared-gradient tensors")
    lr = _check_learning_rate(lr)
    epsilon = _check_epsilon(epsilon, "epsilon")
    grads = _gradients(loss, params)
    with torch.no_grad():
        for par, sq, g in zip(params, grad_sq, grads, strict=True):
            if g is None:
                continue
            sq.mul_(alpha).addcmul_(g, g, value=1.0 - alpha)
            par.addcdiv_(g, sq.add(epsilon).sqrt_(), value=-lr)


def sgd_step(params: Iterable[torch.Tensor], lr: float) -> None:
    """Use the stored gradients: p ← p − η·p.grad for each parameter with a grad, then set p.grad to None."""
    lr = _check_learning_rate(lr)
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            p.add_(p.grad, alpha=-lr)
            p.grad = None


# Added for notebook 05 (appended so that the table above stays as it is):
# ``AdamW(lr, …, weight_decay=λ)`` ≡ ``torch.optim.AdamW(lr, betas, eps, weight_decay=λ)``: w ← w(1 − ηλ), then Adam;
# ``AdamL2(lr, …, weight_decay=λ)`` ≡ ``torch.optim.Adam(lr, betas, eps, weight_decay=λ)``: g ← g + λw, then Adam.
__all__ += ["AdamW", "AdamL2"]


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``: decay first, w ← w − η·λ·w, then the Adam step.

    The decay is decoupled from the gradient: it never enters m or v, so every weight shrinks by the same
    factor (1 − ηλ) per step. torch multiplies λ by the learning rate η (the paper multiplies it by the
    schedule's factor η_t/η instead, so its λ is about η times torch's).
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-3, beta1: float = 0.9,
                 beta2: float = 0.999, eps: float = 1e-8, weight_decay: float = 1e-2):
        super().__init__(params, lr, beta1, beta2, eps)
        self.weight_decay = _check_epsilon(weight_decay, "weight_decay")

    def update_param(self, p: torch.Tensor) -> None:
        p.mul_(1.0 - self.lr * self.weight_decay)
        super().update_param(p)


class AdamL2(Adam):
    """Adam on the loss J + (λ/2)‖w‖²: the gradient becomes g + λw before m and v see it (in place, in p.grad).

    This is ``torch.optim.Adam(weight_decay=λ)``. The decay λw is divided by √v̂ like any gradient, so
    weights whose gradients were large decay less.
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-3, beta1: float = 0.9,
                 beta2: float = 0.999, eps: float = 1e-8, weight_decay: float = 1e-2):
        super().__init__(params, lr, beta1, beta2, eps)
        self.weight_decay = _check_epsilon(weight_decay, "weight_decay")

    def update_param(self, p: torch.Tensor) -> None:
        p.grad.add_(p, alpha=self.weight_decay)
        super().update_param(p)
