"""Optimizers written from scratch: the update rule of each one in a few readable lines.

Two styles, both used in the course:

- classes on ``CourseOptimizer``, a ``torch.optim.Optimizer`` whose ``step`` hands each parameter to one
  method, ``update(p, grad, state, group)``: ``SGD``, ``SGDMomentum``, ``RMSprop``, ``Adam``, ``AdamW``,
  ``AdamL2``. They are real torch optimizers: hyper-parameters live in ``param_groups`` (so
  ``torch.optim.lr_scheduler`` and per-group settings work), per-parameter state in ``self.state[p]`` (so
  ``state_dict()`` / ``load_state_dict()`` save and resume them), and ``zero_grad`` is torch's;
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
``AdamW(lr, …, weight_decay=λ)``          ``AdamW(lr, betas, eps, weight_decay=λ)``: w ← w(1 − ηλ), then Adam
``AdamL2(lr, …, weight_decay=λ)``         ``Adam(lr, betas, eps, weight_decay=λ)``: g ← g + λw, then Adam
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
from collections.abc import Callable, Iterable

import torch

__all__ = [
    "CourseOptimizer",
    "SGD",
    "SGDMomentum",
    "RMSprop",
    "Adam",
    "AdamW",
    "AdamL2",
    "OPTIMIZERS",
    "momentum_update",
    "rmsprop_update",
    "sgd_step",
    "StepFunctionOptimizer",
]


def _check_learning_rate(lr: float, name: str = "lr") -> float:
    lr = float(lr)
    if not math.isfinite(lr) or lr < 0:
        raise ValueError(f"learning rate {name} must be a finite number ≥ 0, got {lr!r}")
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


# How each hyper-parameter a course optimizer may hold is validated, in every param group.
HYPER_PARAMETER_RULES: dict[str, Callable[[float, str], float]] = {
    "lr": _check_learning_rate,
    "momentum": _check_fraction,
    "alpha": _check_fraction,
    "beta1": _check_fraction,
    "beta2": _check_fraction,
    "eps": _check_epsilon,
    "weight_decay": _check_epsilon,
}


def _evaluate(closure: Callable[[], torch.Tensor] | None) -> torch.Tensor | None:
    """``closure()`` with gradients enabled (it runs forward and backward again), or None without one."""
    if closure is None:
        return None
    with torch.enable_grad():
        return closure()


class CourseOptimizer(torch.optim.Optimizer):
    """A ``torch.optim.Optimizer`` whose ``step`` calls one method per parameter: ``update(p, grad, state, group)``.

    ``params``: tensors (``model.parameters()``) or param groups (dicts with ``"params"`` and their own
    settings); ``**defaults``: the hyper-parameters every group gets unless it sets its own, e.g.
    ``lr=0.1``. Each group's values are checked once, when the group is added.

    ``step`` walks ``self.param_groups``; for each parameter p with a gradient g it takes p's own state
    dict ``self.state[p]`` (filled on first use with ``init_state(p)``) and calls
    ``update(p, g, state, group)`` under ``torch.no_grad()``, which changes p and the state in place.
    """

    def __init__(self, params: Iterable, **defaults):
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict) -> None:
        """torch's ``add_param_group``, then every known hyper-parameter of the new group validated."""
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for name, rule in HYPER_PARAMETER_RULES.items():
            if name in group:
                group[name] = rule(group[name], name)

    def add_default(self, name: str, value: float) -> None:
        """A hyper-parameter a subclass adds to its parent's: the default for new groups and for every group
        that did not set its own (e.g. AdamW's ``weight_decay`` on top of Adam's)."""
        rule = HYPER_PARAMETER_RULES.get(name, lambda v, _: v)
        self.defaults[name] = rule(value, name)
        for group in self.param_groups:
            group[name] = rule(group.get(name, value), name)

    def init_state(self, p: torch.Tensor) -> dict:
        """The state of parameter ``p`` before its first step (e.g. zero moments); none by default."""
        return {}

    def update(self, p: torch.Tensor, grad: torch.Tensor, state: dict, group: dict) -> None:
        """Change ``p`` in place from its gradient ``grad`` (same shape as p), its ``state`` and ``group``'s settings."""
        raise NotImplementedError(f"{type(self).__name__} must define update(self, p, grad, state, group)")

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss when given."""
        loss = _evaluate(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update_with_state(p, group)
        return loss

    def _update_with_state(self, p: torch.Tensor, group: dict) -> None:
        """``update`` on one parameter with a gradient, its state created on first use."""
        if p.grad.is_sparse:
            raise RuntimeError(f"{type(self).__name__} does not support sparse gradients: use dense layers "
                               f"(e.g. nn.Embedding(sparse=False)) or torch.optim.SparseAdam")
        state = self.state[p]
        if not state:
            state.update(self.init_state(p))
        self.update(p, p.grad, state, group)


class SGD(CourseOptimizer):
    """Plain gradient descent: w ← w − η·g."""

    def __init__(self, params: Iterable, lr: float):
        super().__init__(params, lr=lr)

    def update(self, p, grad, state, group) -> None:
        p.add_(grad, alpha=-group["lr"])


class SGDMomentum(CourseOptimizer):
    """Momentum as an exponential moving average of gradients: m ← βm + (1−β)g; w ← w − ηm.

    Same trajectory as ``torch.optim.SGD(lr=η·(1−β), momentum=β)`` (dampening 0), from the first step.
    """

    def __init__(self, params: Iterable, lr: float, momentum: float = 0.9):
        super().__init__(params, lr=lr, momentum=momentum)

    def init_state(self, p):
        return {"m": torch.zeros_like(p)}

    def update(self, p, grad, state, group) -> None:
        state["m"].lerp_(grad, 1.0 - group["momentum"])
        p.add_(state["m"], alpha=-group["lr"])


class RMSprop(CourseOptimizer):
    """Per-parameter step sizes from a running mean of squared gradients (as ``torch.optim.RMSprop``).

    v ← αv + (1−α)g²; w ← w − η·g / (√v + ε)
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8):
        super().__init__(params, lr=lr, alpha=alpha, eps=eps)

    def init_state(self, p):
        return {"v": torch.zeros_like(p)}

    def update(self, p, grad, state, group) -> None:
        v = state["v"]
        v.mul_(group["alpha"]).addcmul_(grad, grad, value=1.0 - group["alpha"])
        p.addcdiv_(grad, v.sqrt().add_(group["eps"]), value=-group["lr"])


class Adam(CourseOptimizer):
    """Adam (Kingma & Ba, 2015): momentum plus RMSprop, both bias-corrected (as ``torch.optim.Adam``).

    t ← t + 1; m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; w ← w − η·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8):
        super().__init__(params, lr=lr, beta1=beta1, beta2=beta2, eps=eps)

    def init_state(self, p):
        return {"step": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)}

    def update(self, p, grad, state, group) -> None:
        beta1, beta2 = group["beta1"], group["beta2"]
        state["step"] += 1
        t = state["step"]
        state["m"].lerp_(grad, 1.0 - beta1)
        state["v"].mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
        bias_correction1 = 1.0 - beta1**t
        bias_correction2_sqrt = math.sqrt(1.0 - beta2**t)
        denominator = state["v"].sqrt().div_(bias_correction2_sqrt).add_(group["eps"])
        p.addcdiv_(state["m"], denominator, value=-group["lr"] / bias_correction1)


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``: decay first, w ← w − η·λ·w, then the Adam step.

    The decay is decoupled from the gradient: it never enters m or v, so every weight shrinks by the same
    factor (1 − ηλ) per step. torch multiplies λ by the learning rate η (the paper multiplies it by the
    schedule's factor η_t/η instead, so its λ is about η times torch's).
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 1e-2):
        super().__init__(params, lr, beta1, beta2, eps)
        self.add_default("weight_decay", weight_decay)

    def update(self, p, grad, state, group) -> None:
        p.mul_(1.0 - group["lr"] * group["weight_decay"])
        super().update(p, grad, state, group)


class AdamL2(Adam):
    """Adam on the loss J + (λ/2)‖w‖²: the gradient becomes g + λw before m and v see it.

    This is ``torch.optim.Adam(weight_decay=λ)``. The decay λw is divided by √v̂ like any gradient, so
    weights whose gradients were large decay less.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 1e-2):
        super().__init__(params, lr, beta1, beta2, eps)
        self.add_default("weight_decay", weight_decay)

    def update(self, p, grad, state, group) -> None:
        super().update(p, grad.add(p, alpha=group["weight_decay"]), state, group)


class StepFunctionOptimizer(CourseOptimizer):
    """An optimizer whose whole step is a function ``step_function(params, lr)``, called once per param group,
    such as the ``sgd_step`` exercise of notebook 01 (p ← p − lr·p.grad, then p.grad ← None), so that it can
    drive ``train_model``."""

    def __init__(self, params: Iterable, lr: float, step_function: Callable | None = None):
        super().__init__(params, lr=lr)
        self.step_function = step_function or sgd_step

    def step(self, closure: Callable[[], torch.Tensor] | None = None):
        loss = _evaluate(closure)
        for group in self.param_groups:
            self.step_function(group["params"], group["lr"])
        return loss


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
