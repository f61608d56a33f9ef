"""Checks for functional optimizer updates that keep a state tensor per parameter between calls.

The student's ``update(loss, params, state, **hyper)`` (momentum, RMSprop) is judged one call at a time:

1. a small seeded regression problem gives the loss and its parameters: (4, 3) and (4,) in most
   cases, and three parameters of the same shape (4,) in the last one, where a state paired with
   the wrong parameter has the right shape and only the numbers can tell;
2. before each call we record the parameters and the state list, then call the student's function;
3. we run the course_lib reference from the same recorded values and compare parameters and state;
4. on a mismatch we name the mistake: nothing changed, state not kept, parameters not changed,
   gradients accumulated across calls (the reference run on the summed gradients), states paired
   with the wrong parameters (the reference run with the states in another order), or one of the
   exercise's known mistakes (a formula of the recorded values), else the size of the difference.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import torch

from course_lib.checks._runner import (
    Wrong,
    all_close,
    all_equal,
    all_finite,
    call_student,
    max_difference,
    require_callable,
    require_tensor,
    snapshot,
)

CALLS_PER_CASE = 3

Tensor = torch.Tensor
Formula = Callable[..., tuple[Tensor, Tensor]]


@dataclass(frozen=True)
class Mistake:
    """A known wrong update: ``formula(w, s, g, **hyper) -> (new_w, new_s)`` per tensor, and what to say."""

    sentence: str
    formula: Formula


@dataclass(frozen=True)
class StatefulExercise:
    """Everything that differs between the momentum and the RMSprop check."""

    name: str
    signature: str
    state_argument: str
    state_variable: str
    state_name: str
    reference: Callable
    make_state: Callable[[Tensor, torch.Generator], Tensor]
    cases: tuple[dict, ...]
    mistakes: tuple[Mistake, ...]

    def defaults(self) -> dict:
        """The reference's default hyper-parameters, e.g. {'lr': 0.001, 'beta': 0.8}."""
        parameters = inspect.signature(self.reference).parameters.values()
        return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


class RegressionProblem:
    """tanh regression on 16 seeded points; ``loss(params)`` builds a fresh graph each time.

    Two parameters, W: (4, 3) and b: (4,), prediction tanh(xWᵀ + b); or, with ``same_shapes``, three
    parameters u, v, c: (4,) each, prediction tanh(x ⊙ u + v) + c.
    """

    def __init__(self, seed: int, same_shapes: bool = False):
        generator = torch.Generator().manual_seed(seed)
        self.same_shapes = same_shapes
        self.x = torch.randn(16, 4 if same_shapes else 3, generator=generator)
        self.y = torch.randn(16, 4, generator=generator)
        shapes = [(4,), (4,), (4,)] if same_shapes else [(4, 3), (4,)]
        self.start = [0.5 * torch.randn(shape, generator=generator) for shape in shapes]
        self.generator = generator

    def fresh_params(self) -> list[Tensor]:
        return [value.clone().requires_grad_() for value in self.start]

    def loss(self, params: list[Tensor]) -> Tensor:
        if self.same_shapes:
            scale, shift, offset = params
            prediction = torch.tanh(self.x * scale + shift) + offset
        else:
            weight, bias = params
            prediction = torch.tanh(self.x @ weight.T + bias)
        return ((prediction - self.y) ** 2).mean()

    def gradient(self, values: list[Tensor]) -> list[Tensor]:
        params = [value.clone().requires_grad_() for value in values]
        return [g.detach() for g in torch.autograd.grad(self.loss(params), params)]


def _run_reference(reference: Callable, loss_of: Callable, weights: list[Tensor], states: list[Tensor],
                   hyper: dict) -> tuple[list[Tensor], list[Tensor]]:
    params = [w.clone().requires_grad_() for w in weights]
    state = [s.clone() for s in states]
    reference(loss_of(params), params, state, **hyper)
    return snapshot(params), snapshot(state)


def _linear_loss(gradients: list[Tensor]) -> Callable[[list[Tensor]], Tensor]:
    """A loss whose gradient is exactly ``gradients``, to replay an update with other gradients."""
    return lambda params: sum((p * g).sum() for p, g in zip(params, gradients, strict=True))


def _hyper_text(hyper: dict) -> str:
    return ", ".join(f"{key}={value:g}" for key, value in hyper.items())


def _read_state(exercise: StatefulExercise, state: object, params: list[Tensor]) -> list[Tensor]:
    """Validate the state list after the student's call and return its tensors."""
    argument = exercise.state_argument
    if not isinstance(state, list) or len(state) != len(params):
        raise Wrong(f"`{argument}` must stay a list with one tensor per parameter")
    for index, (item, param) in enumerate(zip(state, params, strict=True)):
        require_tensor(item, f"{argument}[{index}]", shape=param.shape, dtype=param.dtype)
    return snapshot(state)


def _diagnose(exercise: StatefulExercise, *, call: int, hyper: dict, before_w, before_s, fresh, gathered,
              after_w, after_s, expected_w, expected_s, explicit: bool) -> str:
    argument, state_name, variable = exercise.state_argument, exercise.state_name, exercise.state_variable
    moved_w = not all_equal(after_w, before_w)
    moved_s = not all_equal(after_s, before_s)
    if not moved_w and not moved_s:
        return (f"nothing changed after the call: update the parameters and `{argument}` in place "
                f"(par.data += …, or par.add_(…) under torch.no_grad()); returning new tensors does not "
                f"change the model")
    if all_close(after_w, expected_w) and not moved_s:
        return (f"the parameters are right but `{argument}` was not updated, so the {state_name} is not kept "
                f"between calls: write into it ({variable}.data = …, {variable}.copy_(…) or {argument}[i] = …); "
                f"rebinding the loop variable ({variable} = …) only changes a local name")
    if all_close(after_s, expected_s) and not moved_w:
        return (f"the {state_name} is right but the parameters did not change: update them in place "
                f"(par.data -= … or par.sub_(…) under torch.no_grad()); `par = …` only changes a local name")
    if call > 0:
        replay_w, replay_s = _run_reference(exercise.reference, _linear_loss(gathered), before_w, before_s, hyper)
        if all_close(after_w, replay_w) and all_close(after_s, replay_s):
            return (f"the gradients accumulate across calls (call {call + 1} used the sum of the gradients of "
                    f"calls 1 to {call + 1}): loss.backward() adds to p.grad, so clear it after the update "
                    f"(p.grad = None) or use torch.autograd.grad(loss, params)")
    if len(before_s) > 2 and len({tuple(state.shape) for state in before_s}) == 1:
        for order in itertools.permutations(range(len(before_s))):
            if list(order) == sorted(order):
                continue
            shuffled = [before_s[index] for index in order]
            paired_w, _ = _run_reference(exercise.reference, _linear_loss(fresh), before_w, shuffled, hyper)
            if all_close(after_w, paired_w):
                return (f"each parameter must be updated with its own {state_name}: `{argument}[i]` belongs to "
                        f"`params[i]`, so walk them together in the same order (zip(params, {argument})); a "
                        f"{state_name} used for another parameter of the same shape gives no error, only wrong steps")
    full_hyper = {**exercise.defaults(), **hyper}
    for mistake in exercise.mistakes:
        guesses = [mistake.formula(w, s, g, **full_hyper) for w, s, g in zip(before_w, before_s, fresh, strict=True)]
        if all_close(after_w, [w for w, _ in guesses]) and all_close(after_s, [s for _, s in guesses]):
            return mistake.sentence
    if not all_finite(after_w + after_s):
        return f"after call {call + 1} the parameters or the {state_name} contain NaN or inf"
    if not explicit:
        return (f"with the default arguments the result differs from the reference: keep the defaults of "
                f"the signature {exercise.signature}")
    where = f"after call {call + 1} with {_hyper_text(hyper)}"
    if not all_close(after_s, expected_s):
        return (f"{where} the {state_name} differs from the reference by up to "
                f"{max_difference(after_s, expected_s):.2g}")
    return f"{where} the parameters differ from the reference by up to {max_difference(after_w, expected_w):.2g}"


def run_stateful_check(exercise: StatefulExercise, update: object) -> str:
    """Judge the student's ``update`` on every case for several calls; return praise or raise Wrong."""
    require_callable(update, exercise.name)
    hint = f"read the error's last line in your function; the signature is {exercise.signature}"
    cases = [(hyper, False) for hyper in exercise.cases] + [(exercise.cases[0], True)]
    for case_number, (hyper, same_shapes) in enumerate(cases):
        problem = RegressionProblem(seed=1234 + case_number, same_shapes=same_shapes)
        params = problem.fresh_params()
        state = [exercise.make_state(p.detach(), problem.generator) for p in params]
        gathered = [torch.zeros_like(p) for p in params]
        for call in range(CALLS_PER_CASE):
            before_w, before_s = snapshot(params), snapshot(state)
            fresh = problem.gradient(before_w)
            gathered = [total + g for total, g in zip(gathered, fresh, strict=True)]
            call_student(update, problem.loss(params), params, state, **hyper,
                         hint=hint, signature=exercise.signature)
            after_w, after_s = snapshot(params), _read_state(exercise, state, params)
            expected_w, expected_s = _run_reference(exercise.reference, problem.loss, before_w, before_s, hyper)
            if all_close(after_w, expected_w) and all_close(after_s, expected_s):
                continue
            raise Wrong(_diagnose(exercise, call=call, hyper=hyper, before_w=before_w, before_s=before_s,
                                  fresh=fresh, gathered=gathered, after_w=after_w, after_s=after_s,
                                  expected_w=expected_w, expected_s=expected_s, explicit=bool(hyper)))
    return (f"matches the reference on {len(cases)} cases over {CALLS_PER_CASE} successive calls each, "
            f"keeps the {exercise.state_name} between calls and pairs it with its own parameter")
