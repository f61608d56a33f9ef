"""Self-check for the AdamW exercise: a subclass of (the student's) Adam whose ``update`` decays, then steps.

w ← w − η·λ·w; then Adam: m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; w ← w − η·m̂/(√v̂ + ε). It must match
``torch.optim.AdamW(params, lr=η, betas=(β₁, β₂), eps=ε, weight_decay=λ)``. The reference it runs next to is
``course_lib.optimizers.AdamW``, which ``tests/unit/test_optimizers_adamw.py`` checks against torch's step by
step (constructing a first torch optimizer in a fresh process costs over a second of imports, and the
check should answer at once).

1. Four cases on a linear loss Σ c·w whose gradient c is a seeded sequence, the same whatever the
   weights (|c| ≥ 0.1, so ε plays no role): a strong decay (ηλ = 0.025 per step), other betas and ε,
   the default weight_decay, and every default; two parameters, (3, 4) and (5,), four steps each.
   The student's optimizer and the reference run side by side and are compared after every step.
2. After all steps, a mismatch is replayed against known mistakes (the decay added to the gradient, as L2 in Adam; the
   decay not scaled by η; decayed after the step; divided by √v̂; …) to name the one that was made.
3. A fifth case trains a small tanh regression for five steps, where gradients depend on the weights.
4. Two param groups, the second without decay (weight_decay = 0, as for biases and normalization weights),
   and a ``state_dict()`` → new optimizer → ``load_state_dict()`` round trip.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from course_lib.checks._optimizer_class import (
    StudentClass,
    check_param_groups,
    check_state_dict_round_trip,
    construct_optimizer,
    linear_loss,
    linear_problem,
    require_optimizer_class,
    take_step,
)
from course_lib.checks._runner import (
    Wrong,
    all_close,
    all_equal,
    all_finite,
    max_difference,
    self_check,
)
from course_lib.checks._stateful import RegressionProblem
from course_lib.optimizers import AdamW as ReferenceAdamW

SIGNATURE = ("AdamW(params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2); "
             "update(self, p, grad, state, group)")
EXERCISE = StudentClass("AdamW", SIGNATURE, f"read the error's last line in your class; {SIGNATURE}")
GROUP_SETTINGS = [{"weight_decay": 0.5}, {"weight_decay": 0.0}]
DEFAULTS = {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 1e-2}
LINEAR_CASES = (
    {"lr": 0.05, "weight_decay": 0.5},
    {"lr": 0.02, "beta1": 0.8, "beta2": 0.95, "eps": 1e-7, "weight_decay": 2.0},
    {"lr": 0.1},
    {},
)
LINEAR_STEPS, REGRESSION_STEPS = 4, 5


@dataclass(frozen=True)
class DecayMistake:
    """A wrong AdamW, replayed by ``_replay`` with decay rule ``mode``, and what to tell the student."""

    sentence: str
    mode: str
    default_decay: bool = False


MISTAKES = (
    DecayMistake("the decay is added to the gradient (g + λw, as L2 regularization inside Adam): AdamW decays "
                 "the weight itself, p ← p − lr·weight_decay·p, before the Adam step, so the decay never enters "
                 "m and v", "coupled"),
    DecayMistake("the decay is not scaled by the learning rate: AdamW (as torch.optim.AdamW) multiplies by "
                 "(1 − lr·weight_decay), not by (1 − weight_decay)", "unscaled"),
    DecayMistake("the decay comes after the Adam step: decay first, p ← p − lr·weight_decay·p, then the Adam "
                 "step, as torch.optim.AdamW does", "after"),
    DecayMistake("the decay is divided by √v̂ + ε like the Adam step: in AdamW every weight decays at the same "
                 "rate, p ← p − lr·weight_decay·p", "adaptive"),
    DecayMistake("the weights grow instead of decaying: p ← p − lr·weight_decay·p", "uphill"),
    DecayMistake("the decay is applied twice per step: once, p ← p − lr·weight_decay·p, then the Adam step",
                 "twice"),
    DecayMistake("there is no weight decay: before the Adam step, shrink the weight, p ← p − lr·weight_decay·p",
                 "none"),
    DecayMistake("the weight_decay given to the constructor is not used (the decay looks like the default 1e-2): "
                 "read it from the param group in update (group['weight_decay'])",
                 "before", default_decay=True),
)


def _replay(mistake: DecayMistake, start, gradients, hyper) -> list[list[torch.Tensor]]:
    """Weights after each step of the wrong AdamW ``mistake``: result[step][param] (gradients fixed in advance)."""
    settings = {**DEFAULTS, **hyper}
    lr, beta1, beta2, eps = settings["lr"], settings["beta1"], settings["beta2"], settings["eps"]
    decay = DEFAULTS["weight_decay"] if mistake.default_decay else settings["weight_decay"]
    weights = [w.clone().double() for w in start]
    first = [torch.zeros_like(w) for w in weights]
    second = [torch.zeros_like(w) for w in weights]
    trajectory = []
    for t, step_gradients in enumerate(gradients, start=1):
        for i, c in enumerate(step_gradients):
            w, g = weights[i], c.double()
            if mistake.mode == "coupled":
                g = g + decay * w
            shrink = {"before": 1 - lr * decay, "unscaled": 1 - decay, "uphill": 1 + lr * decay,
                      "twice": (1 - lr * decay) ** 2}.get(mistake.mode, 1.0)
            decayed = w * shrink
            first[i] = beta1 * first[i] + (1 - beta1) * g
            second[i] = beta2 * second[i] + (1 - beta2) * g * g
            denominator = (second[i] / (1 - beta2**t)).sqrt() + eps
            new = decayed - lr * (first[i] / (1 - beta1**t)) / denominator
            if mistake.mode == "adaptive":
                new = new - lr * decay * w / denominator
            if mistake.mode == "after":
                new = new * (1 - lr * decay)
            weights[i] = new
        trajectory.append([w.clone() for w in weights])
    return trajectory


def _require_adamw_class(cls: object) -> None:
    require_optimizer_class(cls, EXERCISE, "AdamW should subclass the Adam above, class AdamW(Adam), so that step(), "
                            "zero_grad(), param groups and the Adam update come with it")


def _reference(params: list[torch.Tensor], hyper: dict) -> ReferenceAdamW:
    return ReferenceAdamW(params, **{**DEFAULTS, **hyper})


def _construct(cls: type, params: list, hyper: dict):
    return construct_optimizer(cls, params, hyper, EXERCISE)


def _take_step(optimizer, params: list[torch.Tensor], loss_of, student: bool) -> list[torch.Tensor]:
    return take_step(optimizer, params, loss_of, student, EXERCISE)


def _run_reference(start, gradients, hyper) -> list[list[torch.Tensor]]:
    params = [w.clone().requires_grad_() for w in start]
    optimizer = _reference(params, hyper)
    return [_take_step(optimizer, params, linear_loss(g), student=False) for g in gradients]


def _settings_text(hyper: dict) -> str:
    return ", ".join(f"{key}={value:g}" for key, value in hyper.items()) or "the default arguments"


def _diagnose_linear(hyper, start, gradients, trajectory, expected, step) -> str:
    """Why the student's trajectory (all steps) first differs from the reference at ``step``."""
    previous = start if step == 0 else trajectory[step - 1]
    if all_equal(trajectory[step], previous):
        return (f"the parameters did not change in step {step + 1}: decay p in place (p.mul_(…)), then pass p itself "
                f"on to the Adam update (super().update(p, grad, state, group)); a line like p = p − … makes a new "
                f"tensor, so the decay and the Adam step change that copy and the parameter stays as it was")
    for mistake in MISTAKES:
        replay = _replay(mistake, start, gradients, hyper)
        if all(all_close(a, b) for a, b in zip(trajectory, replay, strict=True)):
            return mistake.sentence
    if not all_finite(trajectory[step]):
        return f"the parameters became NaN or inf in step {step + 1}"
    if "lr" not in hyper:
        return f"with the default arguments the result differs from torch.optim.AdamW: keep the defaults of {SIGNATURE}"
    return (f"after step {step + 1} with {_settings_text(hyper)} the parameters differ from torch.optim.AdamW by up "
            f"to {max_difference(trajectory[step], expected[step]):.2g}")


def _check_linear_case(cls, case_number: int, hyper: dict) -> None:
    start, gradients = linear_problem(seed=555 + case_number, steps=LINEAR_STEPS)
    expected = _run_reference(start, gradients, hyper)
    params = [w.clone().requires_grad_() for w in start]
    optimizer = _construct(cls, params, hyper)
    trajectory = [_take_step(optimizer, params, linear_loss(g), student=True) for g in gradients]
    for step in range(len(gradients)):
        if not all_close(trajectory[step], expected[step]):
            raise Wrong(_diagnose_linear(hyper, start, gradients, trajectory, expected, step))


def _check_regression_case(cls) -> None:
    problem = RegressionProblem(seed=77)
    hyper = {"lr": 0.03, "beta1": 0.85, "beta2": 0.99, "eps": 1e-12, "weight_decay": 0.3}
    params, reference_params = problem.fresh_params(), problem.fresh_params()
    optimizer = _construct(cls, params, hyper)
    reference = _reference(reference_params, hyper)
    for step in range(REGRESSION_STEPS):
        got = _take_step(optimizer, params, problem.loss, student=True)
        expected = _take_step(reference, reference_params, problem.loss, student=False)
        if not all_close(got, expected):
            raise Wrong(f"on a small regression, step {step + 1} differs from torch.optim.AdamW by up to "
                        f"{max_difference(got, expected):.2g}")


@self_check("AdamW")
def check_adamw(adamw_class: object) -> str:
    """Check an AdamW class step by step against torch.optim.AdamW; name decay mistakes."""
    _require_adamw_class(adamw_class)
    for case_number, hyper in enumerate(LINEAR_CASES):
        _check_linear_case(adamw_class, case_number, hyper)
    _check_regression_case(adamw_class)
    check_param_groups(adamw_class, ReferenceAdamW, EXERCISE, {"lr": 0.05}, GROUP_SETTINGS, seed=560)
    check_state_dict_round_trip(adamw_class, EXERCISE, {"lr": 0.05, "weight_decay": 0.5}, seed=561)
    return (f"matches torch.optim.AdamW over {LINEAR_STEPS}–{REGRESSION_STEPS} successive steps on "
            f"{len(LINEAR_CASES) + 1} cases, defaults included, with the decay decoupled from the gradient; it also "
            f"leaves a weight_decay = 0 param group undecayed and survives a state_dict() round trip")
