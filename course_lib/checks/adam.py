"""Self-check for the Adam exercise: a ``CourseOptimizer`` subclass whose ``update(p, grad, state, group)`` is Adam.

t ← t + 1; m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; w ← w − η·m̂/(√v̂ + ε) with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).

1. Three cases (default betas; β₁=0.8, β₂=0.95, ε=1e-7; and a large ε = 0.5) use a linear loss Σ c·w whose
   gradient c is a seeded sequence, the same whatever the weights are (|c| ≥ 0.1: in the first two
   cases where ε sits makes no visible difference, in the third it does); two parameters, (3, 4) and
   (5,), four steps. The student's optimizer and ``course_lib.optimizers.Adam`` run side by side and are
   compared after every step (β₁/β₂ swaps only show from step 2 on, lost state from step 2 on).
2. Because the gradients do not depend on the weights, a mismatch can be replayed against known
   mistakes (no bias correction, swapped betas, state not kept, ε inside the square root, …) to name
   the one that was made.
3. A small tanh regression for five steps, where gradients do depend on the weights (ε = 1e-12 there,
   as some of those gradients are small).
4. Two param groups with their own lr and betas, and a ``state_dict()`` → new optimizer →
   ``load_state_dict()`` round trip, so that the class works as any ``torch.optim`` optimizer does.
"""

from __future__ import annotations

import inspect
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
from course_lib.optimizers import Adam as ReferenceAdam

SIGNATURE = "Adam(params, lr, beta1=0.9, beta2=0.999, eps=1e-8); update(self, p, grad, state, group)"
EXERCISE = StudentClass("Adam", SIGNATURE, f"read the error's last line in your class; {SIGNATURE}")
LINEAR_CASES = ({"lr": 0.05}, {"lr": 0.02, "beta1": 0.8, "beta2": 0.95, "eps": 1e-7}, {"lr": 0.05, "eps": 0.5})
GROUP_SETTINGS = [{"lr": 0.05}, {"lr": 0.01, "beta1": 0.8, "beta2": 0.95}]
LINEAR_STEPS, REGRESSION_STEPS = 4, 5
KEEP_STATE = ("store the new values back in the parameter's state (state['m'] = …) or change them in place "
              "(state['m'].mul_(…))")


@dataclass(frozen=True)
class AdamMistake:
    """A wrong Adam, replayed by ``_replay`` with these switches, and what to tell the student."""

    sentence: str
    correct_first: bool = True
    correct_second: bool = True
    square: bool = True
    root: bool = True
    averaged: bool = True
    descend: bool = True
    keep_moments: bool = True
    step_count: str = "per step"
    swap_betas: bool = False
    eps_inside: bool = False


MISTAKES = (
    AdamMistake("there is no bias correction: divide m by (1 − β1ᵗ) and v by (1 − β2ᵗ), t = the number of "
                "steps so far", correct_first=False, correct_second=False),
    AdamMistake("β1 and β2 are swapped: β1 (0.9) averages the gradient, β2 (0.999) its square", swap_betas=True),
    AdamMistake("the step goes uphill: w ← w − η·m̂/(√v̂ + ε)", descend=False),
    AdamMistake("v is not bias-corrected: v̂ = v/(1 − β2ᵗ)", correct_second=False),
    AdamMistake("m is not bias-corrected: m̂ = m/(1 − β1ᵗ)", correct_first=False),
    AdamMistake("the second moment must average the squared gradient: v ← β2·v + (1 − β2)·g²", square=False),
    AdamMistake("the square root is missing: divide by √v̂ + ε", root=False),
    AdamMistake("the (1 − β) factors are missing: m ← β1·m + (1 − β1)·g and v ← β2·v + (1 − β2)·g²",
                averaged=False),
    AdamMistake(f"m, v and t are not kept between steps: {KEEP_STATE}, and add 1 to state['step']",
                keep_moments=False, step_count="always 1"),
    AdamMistake(f"m and v are not kept between steps: {KEEP_STATE}", keep_moments=False),
    AdamMistake("the step counter t is not kept between steps (it stays 1): add 1 to state['step'] in every "
                "update call (state['step'] += 1)", step_count="always 1"),
    AdamMistake("t advances on every update call, so once per parameter: count steps in the parameter's own state, "
                "state['step'], not in one counter on the optimizer", step_count="per call"),
    AdamMistake("ε sits inside the square root: Adam divides by √v̂ + ε (as torch.optim.Adam), not by √(v̂ + ε); "
                "with ε = 1e-8 the two look alike, with a large ε they do not", eps_inside=True),
)


def _replay(mistake: AdamMistake, gradients: list[list[torch.Tensor]], hyper: dict) -> list[list[torch.Tensor]]:
    """Weights after each step of the wrong Adam ``mistake``: result[step][param], starting from zero."""
    settings = {**_defaults(), **hyper}
    lr, beta1, beta2, eps = settings["lr"], settings["beta1"], settings["beta2"], settings["eps"]
    if mistake.swap_betas:
        beta1, beta2 = beta2, beta1
    count = len(gradients[0])
    first = [torch.zeros_like(g) for g in gradients[0]]
    second = [torch.zeros_like(g) for g in gradients[0]]
    weights = [torch.zeros_like(g) for g in gradients[0]]
    trajectory = []
    for step, step_gradients in enumerate(gradients):
        for index, g in enumerate(step_gradients):
            if not mistake.keep_moments:
                first[index], second[index] = torch.zeros_like(g), torch.zeros_like(g)
            new_weight1, new_weight2 = (1 - beta1, 1 - beta2) if mistake.averaged else (1.0, 1.0)
            first[index] = beta1 * first[index] + new_weight1 * g
            second[index] = beta2 * second[index] + new_weight2 * (g * g if mistake.square else g)
            t = {"per step": step + 1, "always 1": 1, "per call": step * count + index + 1}[mistake.step_count]
            m_hat = first[index] / (1 - beta1**t) if mistake.correct_first else first[index]
            v_hat = second[index] / (1 - beta2**t) if mistake.correct_second else second[index]
            scale = v_hat.sqrt() if mistake.root else v_hat
            denominator = (v_hat + eps).sqrt() if mistake.eps_inside else scale + eps
            direction = -1.0 if mistake.descend else 1.0
            weights[index] = weights[index] + direction * lr * m_hat / denominator
        trajectory.append([w.clone() for w in weights])
    return trajectory


def _defaults() -> dict:
    parameters = inspect.signature(ReferenceAdam.__init__).parameters.values()
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


def _require_adam_class(cls: object) -> None:
    require_optimizer_class(cls, EXERCISE, "the class should subclass CourseOptimizer, class Adam(CourseOptimizer), so "
                            "that step(), zero_grad(), param groups and state_dict() come with it")


def _construct(cls: type, params: list, hyper: dict):
    return construct_optimizer(cls, params, hyper, EXERCISE)


def _take_step(optimizer, params: list[torch.Tensor], loss_of, student: bool) -> list[torch.Tensor]:
    return take_step(optimizer, params, loss_of, student, EXERCISE)


def _diagnose_linear(hyper, start, gradients, trajectory, expected, step) -> str:
    seen = gradients[: step + 1]
    moved = [[w - w0 for w, w0 in zip(weights, start, strict=True)] for weights in trajectory]
    previous = start if step == 0 else trajectory[step - 1]
    if all_equal(trajectory[step], previous):
        return (f"the parameters did not change in step {step + 1}: change p in place (p.sub_(…) or p -= …; "
                f"p = p − … makes a new tensor and leaves the parameter as it was); step() already runs update "
                f"under torch.no_grad()")
    if len(hyper) > 1:
        defaults_run = _run_reference(start, seen, {"lr": hyper["lr"]})
        if all(all_close(a, b) for a, b in zip(trajectory, defaults_run, strict=True)):
            return ("the beta1, beta2 and eps given to the constructor are not used: read them from the param "
                    "group in update (group['beta1'], group['beta2'], group['eps'])")
    for mistake in MISTAKES:
        replay = _replay(mistake, seen, hyper)
        if all(all_close(a, b) for a, b in zip(moved, replay, strict=True)):
            return mistake.sentence
    if not all_finite(trajectory[step]):
        return (f"the parameters became NaN or inf in step {step + 1}: count steps from t = 1, since "
                f"1 − βᵗ is 0 at t = 0")
    settings = ", ".join(f"{key}={value:g}" for key, value in hyper.items())
    return (f"after step {step + 1} with {settings} the parameters differ from the reference by up to "
            f"{max_difference(trajectory[step], expected[step]):.2g}")


def _run_reference(start, gradients, hyper) -> list[list[torch.Tensor]]:
    params = [w.clone().requires_grad_() for w in start]
    optimizer = ReferenceAdam(params, **hyper)
    return [_take_step(optimizer, params, linear_loss(g), student=False) for g in gradients]


def _check_linear_case(cls, case_number: int, hyper: dict) -> None:
    start, gradients = linear_problem(seed=777 + case_number, steps=LINEAR_STEPS)
    expected = _run_reference(start, gradients, hyper)
    params = [w.clone().requires_grad_() for w in start]
    optimizer = _construct(cls, params, hyper)
    trajectory = []
    for step, step_gradients in enumerate(gradients):
        trajectory.append(_take_step(optimizer, params, linear_loss(step_gradients), student=True))
        if not all_close(trajectory[step], expected[step]):
            raise Wrong(_diagnose_linear(hyper, start, gradients, trajectory, expected, step))


def _check_regression_case(cls) -> None:
    problem = RegressionProblem(seed=99)
    hyper = {"lr": 0.03, "beta1": 0.85, "beta2": 0.99, "eps": 1e-12}
    params, reference_params = problem.fresh_params(), problem.fresh_params()
    optimizer, reference = _construct(cls, params, hyper), ReferenceAdam(reference_params, **hyper)
    for step in range(REGRESSION_STEPS):
        got = _take_step(optimizer, params, problem.loss, student=True)
        expected = _take_step(reference, reference_params, problem.loss, student=False)
        if not all_close(got, expected):
            raise Wrong(f"on a small regression, step {step + 1} differs from the reference by up to "
                        f"{max_difference(got, expected):.2g}")


@self_check("Adam")
def check_adam(adam_class: object) -> str:
    """Check an Adam subclass of CourseOptimizer: bias-corrected m and v per parameter, kept across steps."""
    _require_adam_class(adam_class)
    for case_number, hyper in enumerate(LINEAR_CASES):
        _check_linear_case(adam_class, case_number, hyper)
    _check_regression_case(adam_class)
    check_param_groups(adam_class, ReferenceAdam, EXERCISE, {"lr": 0.02}, GROUP_SETTINGS, seed=780)
    check_state_dict_round_trip(adam_class, EXERCISE, {"lr": 0.05, "beta1": 0.8, "beta2": 0.95}, seed=781)
    return (f"matches the reference Adam over {LINEAR_STEPS}–{REGRESSION_STEPS} successive steps on "
            f"{len(LINEAR_CASES) + 1} cases, with bias correction and state kept per parameter; it also works "
            f"with two param groups and after a state_dict() round trip")
