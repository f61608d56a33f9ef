"""Self-check for ``clip_grad_norm(params, max_norm) -> float``, against ``torch.nn.utils.clip_grad_norm_``.

‖g‖ = √(Σ_p ‖∇p‖²) over the parameters that have a gradient; if ‖g‖ > max_norm every gradient is
multiplied in place by max_norm / (‖g‖ + 10⁻⁶); the return value is ‖g‖ before clipping, as a float.

1. Five cases, each on fresh seeded parameters: a list that needs clipping; the same list with a
   max_norm far above the norm (nothing may change); a generator that needs clipping, with one
   parameter that has no gradient; a norm of 2·10⁻⁶ clipped to 10⁻⁶ (where the + 10⁻⁶ matters);
   a single parameter whose gradient is all zero.
2. After each call, the gradients and the returned number are compared with what torch's
   ``clip_grad_norm_`` does to copies of the same parameters.
3. On a mismatch, the student's gradients and return value are compared with known wrong answers
   (each parameter clipped on its own, small gradients scaled up, the clipped norm returned, two
   loops over a generator, …) to name the mistake.
4. The spec's two words are checked too: the return value must be a Python number, not a tensor, and
   the gradients must be scaled in place: after the call each ``p.grad`` must still be the tensor it
   was (``p.grad = p.grad * f`` stores a new one, with the right values).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from course_lib.checks._runner import Wrong, call_student, describe, require_callable, self_check

SIGNATURE = "clip_grad_norm(params, max_norm)"
HINT = f"read the error's last line in your function; the signature is {SIGNATURE}"
EPS = 1e-6
RTOL, ATOL = 1e-5, 1e-12
SHAPES = ((4, 3), (3,), (2, 2))


@dataclass(frozen=True)
class ClipCase:
    description: str
    scale: float  # gradients are N(0, 1) times this
    max_norm: float
    generator: bool = False
    without_grad: int | None = None  # index of a parameter whose .grad stays None
    zero: bool = False
    shapes: tuple = SHAPES


CASES = (
    ClipCase("a list of three parameters whose gradient norm is above max_norm", 3.0, 1.0),
    ClipCase("max_norm far above the gradient norm", 3.0, 1e3),
    ClipCase("a generator of parameters, one without a gradient", 2.0, 0.5, generator=True, without_grad=1),
    ClipCase("a gradient norm of 2e-6 and max_norm = 1e-6", None, 1e-6),  # scale set so that the norm is 2e-6
    ClipCase("a single parameter whose gradient is zero", 0.0, 1.0, zero=True, shapes=((5,),)),
)


def _make_params(case: ClipCase, seed: int) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    params = [torch.randn(shape, generator=generator).requires_grad_() for shape in case.shapes]
    grads = [torch.randn(shape, generator=generator) for shape in case.shapes]
    if case.scale is None:
        norm = math.sqrt(sum(float(g.pow(2).sum()) for g in grads))
        grads = [g * (2e-6 / norm) for g in grads]
    else:
        grads = [g * case.scale for g in grads]
    for index, (p, g) in enumerate(zip(params, grads, strict=True)):
        p.grad = None if index == case.without_grad else (torch.zeros_like(g) if case.zero else g)
    return params


def _grads(params: list[torch.Tensor]) -> list[torch.Tensor | None]:
    return [None if p.grad is None else p.grad.detach().clone() for p in params]


def _norm(grads) -> float:
    return math.sqrt(sum(float(g.double().pow(2).sum()) for g in grads if g is not None))


def _scaled(grads, factor) -> list[torch.Tensor | None]:
    return [None if g is None else g * factor for g in grads]


# Known wrong answers: (original gradients, max_norm, generator?) → (gradients after, what it returns:
# a number, a test of the number, or None for anything)
Outcome = tuple[list[torch.Tensor | None], float | Callable[[float], bool] | None]


def _per_parameter(grads, max_norm, _generator) -> Outcome:
    after = [g if g is None or _norm([g]) <= max_norm else g * (max_norm / (_norm([g]) + EPS)) for g in grads]
    return after, None


def _always_scaled(grads, max_norm, _generator) -> Outcome:
    return _scaled(grads, max_norm / (_norm(grads) + EPS)), None


def _returns_clipped(grads, max_norm, _generator) -> Outcome:
    total = _norm(grads)
    if total <= max_norm:
        return grads, total
    return _scaled(grads, max_norm / (total + EPS)), lambda returned: returned <= max_norm * (1 + RTOL)


def _two_loops(grads, max_norm, generator) -> Outcome:
    if not generator:
        return _returns_reference(grads, max_norm)
    return grads, None


def _no_epsilon(grads, max_norm, _generator) -> Outcome:
    total = _norm(grads)
    return (_scaled(grads, max_norm / total) if total > max_norm else grads), None


def _inverted(grads, max_norm, _generator) -> Outcome:
    total = _norm(grads)
    return (_scaled(grads, total / max_norm) if total > max_norm else grads), None


def _sum_of_norms(grads, max_norm, _generator) -> Outcome:
    total = sum(_norm([g]) for g in grads if g is not None)
    return (_scaled(grads, max_norm / (total + EPS)) if total > max_norm else grads), None


def _squared(grads, max_norm, _generator) -> Outcome:
    total = _norm(grads) ** 2
    return (_scaled(grads, max_norm / (total + EPS)) if total > max_norm else grads), None


def _unchanged(grads, max_norm, _generator) -> Outcome:
    return grads, None


def _returns_reference(grads, max_norm) -> Outcome:
    total = _norm(grads)
    return (_scaled(grads, max_norm / (total + EPS)) if total > max_norm else grads), total


@dataclass(frozen=True)
class ClipMistake:
    sentence: str
    outcome: Callable[..., Outcome]


MISTAKES = (
    ClipMistake("each parameter is clipped on its own: compute one norm over all gradients together, "
                "√(Σ ‖g_p‖²), and scale every gradient by the same factor", _per_parameter),
    ClipMistake("small gradients are scaled up: only clip when the total norm is above max_norm, otherwise "
                "leave the gradients as they are", _always_scaled),
    ClipMistake("it returns the norm after clipping: return the total norm measured before the gradients "
                "were scaled", _returns_clipped),
    ClipMistake("params can be a generator (model.parameters()), which runs out after one loop: the second "
                "loop sees no parameters; make a list of the gradients first, e.g. "
                "[p.grad for p in params if p.grad is not None]", _two_loops),
    ClipMistake("the factor must be max_norm / (total + 1e-6), as torch.nn.utils.clip_grad_norm_ computes it "
                "(the 1e-6 matters when the norms are tiny)", _no_epsilon),
    ClipMistake("the factor is upside down: multiply by max_norm / (total + 1e-6), which is below 1 when "
                "clipping", _inverted),
    ClipMistake("the total norm is not the sum of the parameters' norms: it is √(Σ ‖g_p‖²), the norm of all "
                "gradients as one long vector", _sum_of_norms),
    ClipMistake("the total norm is squared: take the square root of the sum of squares", _squared),
    ClipMistake("the gradients were not changed: scale them in place, p.grad.mul_(factor) (a new tensor "
                "that is not stored back in p.grad changes nothing)", _unchanged),
)


def _same_grads(actual, expected) -> bool:
    return len(actual) == len(expected) and all(
        (a is None and e is None) or (a is not None and e is not None and a.shape == e.shape
                                      and torch.allclose(a.double(), e.double(), rtol=RTOL, atol=ATOL))
        for a, e in zip(actual, expected, strict=True))


def _same_number(actual: float, expected: float) -> bool:
    return math.isclose(actual, expected, rel_tol=RTOL, abs_tol=ATOL)


def _as_number(value: object, case: ClipCase) -> float:
    if value is None:
        raise Wrong(f"with {case.description} it returned None: return the total gradient norm before clipping")
    if isinstance(value, torch.Tensor):
        raise Wrong(f"with {case.description} it returned {describe(value)}: return the norm as a Python float, "
                    "e.g. total.item() or float(total)")
    if isinstance(value, bool | str | bytes) or not hasattr(value, "__float__"):
        raise Wrong(f"with {case.description} it returned {describe(value)}: return one number, the total norm")
    return float(value)


def _run(clip, case: ClipCase, seed: int) -> tuple[list, list, float, bool]:
    """(the gradients before, the gradients after the student's call, the number it returned, whether some
    parameter's .grad was replaced by another tensor instead of being changed in place)."""
    params = _make_params(case, seed)
    original = _grads(params)
    tensors = [p.grad for p in params]
    argument = (p for p in params) if case.generator else list(params)
    returned = call_student(clip, argument, case.max_norm, hint=HINT, signature=SIGNATURE)
    replaced = any(p.grad is not tensor for p, tensor in zip(params, tensors, strict=True) if tensor is not None)
    return original, _grads(params), _as_number(returned, case), replaced


def _torch(case: ClipCase, seed: int) -> tuple[list, float]:
    """(the gradients after torch's clip_grad_norm_ on the same parameters, the norm it returned)."""
    params = _make_params(case, seed)
    total = torch.nn.utils.clip_grad_norm_([p for p in params if p.grad is not None], case.max_norm, foreach=False)
    return _grads(params), float(total)


def _diagnose(results) -> str:
    for mistake in MISTAKES:
        matches = True
        for case, original, grads, returned in results:
            expected_grads, expected_return = mistake.outcome(original, case.max_norm, case.generator)
            if callable(expected_return):
                returned_matches = expected_return(returned)
            else:
                returned_matches = expected_return is None or _same_number(returned, expected_return)
            if not (_same_grads(grads, expected_grads) and returned_matches):
                matches = False
                break
        if matches:
            return mistake.sentence
    for case, original, grads, returned in results:
        expected_grads, expected_return = _returns_reference(original, case.max_norm)
        if not _same_grads(grads, expected_grads):
            return f"with {case.description} the gradients after the call differ from torch's clip_grad_norm_"
        if not _same_number(returned, expected_return):
            return (f"with {case.description} it returned {returned:.6g}, but the total norm before clipping is "
                    f"{expected_return:.6g}")
    return "the result differs from torch's clip_grad_norm_"


@self_check("clip_grad_norm")
def check_clip_grad_norm(clip: object) -> str:
    """Check gradient clipping by the global norm against torch.nn.utils.clip_grad_norm_ on five cases."""
    require_callable(clip, "clip_grad_norm")
    results, correct, replaced_in = [], True, []
    for number, case in enumerate(CASES):
        original, grads, returned, replaced = _run(clip, case, seed=100 + number)
        torch_grads, torch_total = _torch(case, seed=100 + number)
        results.append((case, original, grads, returned))
        correct = correct and _same_grads(grads, torch_grads) and _same_number(returned, torch_total)
        if replaced:
            replaced_in.append(case.description)
    if correct and replaced_in:
        raise Wrong(f"with {replaced_in[0]} the gradients have the right values but are new tensors: scale them "
                    "in place, p.grad.mul_(factor), rather than storing a new one with p.grad = p.grad * factor")
    if correct:
        return (f"matches torch.nn.utils.clip_grad_norm_ on {len(CASES)} cases: gradients scaled together, "
                f"left alone below max_norm, a generator and a missing gradient handled, the norm before clipping returned")
    raise Wrong(_diagnose(results))
