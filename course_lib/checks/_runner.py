"""What every self-check shares: call the student's code safely, judge it, print one sentence.

1. ``self_check(name)`` decorates a check body. The body receives the student's object, raises
   ``Wrong(sentence)`` as soon as it knows what is wrong, and returns a sentence of praise otherwise.
2. ``call_student`` runs the student's code: a ``NotImplementedError`` becomes "not implemented yet",
   any other exception becomes one line with its type, message and a hint.
3. The decorator prints exactly one line and returns True/False. It restores the global random
   state (torch, NumPy, ``random``), grad mode and torch's thread count, so a check never changes
   what later cells compute.
4. Delegation is not an answer (``delegation``): while a registered exercise is judged, the student's
   code (each ``call_student``) may not call the exercise's reference or what it re-implements, and
   a class built on them is refused; the verdict then says so ("delegated, not accepted — …") and the
   check fails.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import random
import traceback
from collections.abc import Callable, Sequence

import numpy as np
import torch

import course_lib.checks.delegation as delegation
from course_lib.seeding import preserved_random_state

RTOL = 1e-4
ATOL = 1e-6


class Wrong(Exception):
    """Raised by a check body when the answer is wrong; ``sentence`` tells the student why."""

    def __init__(self, sentence: str):
        super().__init__(sentence)
        self.sentence = sentence


class _NotImplementedYet(Exception):
    """The student's code still raises the exercise stub's NotImplementedError."""


class _StudentRaised(Exception):
    """The student's code raised; carries the original error, the hint to show with it, and where in the
    student's code it happened."""

    def __init__(self, error: Exception, hint: str):
        super().__init__(str(error))
        self.error = error
        self.hint = hint
        self.where = student_location(error)


_LIBRARY_PARTS = ("site-packages", "dist-packages", f"{os.sep}course_lib{os.sep}", f"{os.sep}lib{os.sep}python")


def student_location(error: Exception) -> str:
    """' (in f, line 3: `x = y[7]`)': the deepest frame of the traceback that is not library code (torch,
    course_lib, Python's own modules), i.e. the student's cell; '' when there is none."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if not any(part in frame.filename for part in _LIBRARY_PARTS)]
    if not frames:
        return ""
    frame = frames[-1]
    code = (frame.line or "").strip()
    return f" (in {frame.name}, line {frame.lineno}" + (f": `{first_line(code, limit=120)}`)" if code else ")")


_KNOWN_ERRORS = (
    ("a leaf Variable that requires grad is being used in an in-place operation",
     "change parameters inside `with torch.no_grad():` or through `p.data`"),
    ("backward through the graph a second time",
     "compute the gradient of `loss` only once per call (one loss.backward() or torch.autograd.grad)"),
    ("does not require grad and does not have a grad_fn",
     "take the gradient of the `loss` you are given, not of a new tensor"),
    ("NoneType",
     "a parameter has no gradient (p.grad is None): compute the gradient first, and skip parameters "
     "whose .grad is None"),
    ("unexpected keyword argument", "keep the exercise's signature: {signature}"),
    ("positional argument", "keep the exercise's signature: {signature}"),
    ("must match the size of tensor", "a shape mismatch: each state tensor must keep its parameter's shape and "
     "be used with that parameter only (walk them together: zip(params, states))"),
)


def first_line(text: object, limit: int = 160) -> str:
    """The first line of ``text``, shortened to ``limit`` characters, without a trailing period."""
    lines = str(text).strip().splitlines()
    line = lines[0].strip() if lines else ""
    if len(line) > limit:
        line = line[: limit - 1] + "…"
    return line.rstrip(".")


def hint_for(error: Exception, default_hint: str, signature: str) -> str:
    """A hint for a known PyTorch or Python error message, else ``default_hint``."""
    message = str(error)
    for fragment, hint in _KNOWN_ERRORS:
        if fragment in message:
            return hint.format(signature=signature)
    return default_hint


def call_student(code: Callable, *args, hint: str, signature: str = "", **kwargs):
    """Run the student's ``code(*args, **kwargs)``; turn its exceptions into friendly verdicts.

    Meanwhile the exercise's guarded objects refuse to run (``delegation.student_code``)."""
    try:
        with delegation.student_code():
            return code(*args, **kwargs)
    except NotImplementedError:
        raise _NotImplementedYet() from None
    except Exception as error:
        raise _StudentRaised(error, hint_for(error, hint, signature)) from None


def describe(value: object) -> str:
    """A short description of a value's type for messages: 'None', 'a list', 'a numpy.ndarray'."""
    if value is None:
        return "None"
    kind = type(value)
    name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__.split('.')[0]}.{kind.__name__}"
    article = "an" if name[0].lower() in "aeiou" else "a"
    return f"{article} {name}"


def shape_text(shape: Sequence[int]) -> str:
    """``(4, 3)`` for a shape, ``(5,)`` for a 1-D one."""
    return str(tuple(int(size) for size in shape))


def require_callable(student: object, name: str) -> None:
    """Stop with a sentence unless the student passed a function."""
    if not callable(student) or isinstance(student, torch.nn.Module):
        raise Wrong(f"expected your function {name}, but got {describe(student)}; pass the function itself, "
                    f"e.g. check_{name}({name})")


def require_tensor(value: object, what: str, shape: Sequence[int] | None = None,
                   dtype: torch.dtype | None = None) -> torch.Tensor:
    """Stop with a sentence unless ``value`` is a tensor with the given shape and dtype."""
    if not isinstance(value, torch.Tensor):
        raise Wrong(f"{what} is {describe(value)}, expected a torch.Tensor")
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise Wrong(f"{what} has shape {shape_text(value.shape)}, expected {shape_text(shape)}")
    if dtype is not None and value.dtype != dtype:
        raise Wrong(f"{what} has dtype {value.dtype}, expected {dtype}")
    return value


def snapshot(tensors: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """Detached copies, so later in-place changes do not alter what was recorded."""
    return [tensor.detach().clone() for tensor in tensors]


def all_close(actual: Sequence[torch.Tensor], expected: Sequence[torch.Tensor],
              rtol: float = RTOL, atol: float = ATOL) -> bool:
    """True when every pair of tensors agrees elementwise (NaN equals NaN)."""
    return len(actual) == len(expected) and all(
        a.shape == e.shape and torch.allclose(a.detach().to(e.dtype), e, rtol=rtol, atol=atol, equal_nan=True)
        for a, e in zip(actual, expected, strict=True)
    )


def all_equal(actual: Sequence[torch.Tensor], expected: Sequence[torch.Tensor]) -> bool:
    """True when every pair of tensors is exactly equal."""
    return all(torch.equal(a.detach(), e) for a, e in zip(actual, expected, strict=True))


def max_difference(actual: Sequence[torch.Tensor], expected: Sequence[torch.Tensor]) -> float:
    """The largest absolute elementwise difference over all pairs."""
    return max(float((a.detach().to(e.dtype) - e).abs().max()) for a, e in zip(actual, expected, strict=True))


def all_finite(tensors: Sequence[torch.Tensor]) -> bool:
    """True when no tensor holds NaN or inf."""
    return all(bool(torch.isfinite(tensor).all()) for tensor in tensors)


@contextlib.contextmanager
def preserved_global_state():
    """Run a block with grad enabled on one CPU thread; afterwards the global random states
    (``preserved_random_state``) and torch's thread count are back as they were.

    The checks work on small tensors, where one thread is fastest and immune to busy CPUs.
    """
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        with preserved_random_state(), torch.enable_grad():
            yield
    finally:
        torch.set_num_threads(threads)


def seed_everything(seed: int) -> None:
    """Seed the global generators the student's code may draw from (restored after the check)."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)


def _verdict(name: str, body: Callable[[object], str], student: object) -> tuple[bool, str]:
    """(passed, sentence) of the check body alone."""
    try:
        praise = body(student)
    except _NotImplementedYet:
        return False, f"{name}: not implemented yet — fill in the exercise cell above, then run this cell again."
    except _StudentRaised as raised:
        error = raised.error
        return False, (f"{name}: your code raised {type(error).__name__}: {first_line(error)}{raised.where} "
                       f"— hint: {first_line(raised.hint, limit=400)}.")
    except Wrong as wrong:
        return False, f"{name}: not right yet — {first_line(wrong.sentence, limit=600)}."
    except delegation.Delegation:
        return False, ""  # the watch recorded it; judge says why
    except Exception as error:  # a flaw of the check itself must not stop the student's notebook
        return False, (f"{name}: the check could not judge this answer "
                       f"({type(error).__name__}: {first_line(error)}).")
    return True, f"{name}: correct — {first_line(praise, limit=400)}."


def delegated(name: str, reason: str) -> str:
    """The sentence of an answer that hands the work to the reference or to the library."""
    return f"{name}: delegated, not accepted — {reason}; handing the exercise to it scores 0."


def judge(name: str, body: Callable[[object], str], student: object) -> tuple[bool, str]:
    """Run a check body on the student's object; return (passed, the one sentence to print).

    A registered exercise is judged under its delegation watch: a class built on a guarded class
    (or, from a student, the reference itself) is refused before it runs, and a call of a guarded
    object from the student's code overrides whatever the body concluded."""
    with preserved_global_state(), delegation.watching(name, student) as watch:
        if watch is not None:
            reason = delegation.structural_sentence(watch, student)
            if reason:
                return False, delegated(name, reason)
        passed, sentence = _verdict(name, body, student)
        if watch is not None and watch.refused:
            return False, delegated(name, watch.sentence())
    return passed, sentence


def self_check(name: str) -> Callable[[Callable[[object], str]], Callable[[object], bool]]:
    """Turn a check body into ``check(student) -> bool`` that prints one sentence and never raises.

    The check also carries ``check.exercise`` (``name``: the exercise id, the name of the object it
    receives) and ``check.judge(student) -> (passed, sentence)``, which prints nothing (the grader's way in).
    """

    def decorate(body: Callable[[object], str]) -> Callable[[object], bool]:
        @functools.wraps(body)
        def check(student: object) -> bool:
            passed, sentence = judge(name, body, student)
            print(sentence)
            return passed

        check.__signature__ = inspect.signature(body).replace(return_annotation=bool)  # it returns passed, not the sentence
        check.exercise = name
        check.judge = functools.partial(judge, name, body)
        return check

    return decorate
