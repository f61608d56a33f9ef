"""Delegation is not an answer: while an exercise is checked, the student's code may not hand the work
to the course's reference for that exercise, nor to the library function the exercise re-implements.

What each exercise re-implements is listed once, in the registry (``course_lib.checks.EXERCISES``:
``Exercise(..., reference=x, reimplements=("torch.optim.Adam", …))``). The check runner uses it in three ways:

1. **At run time** (``watching`` + ``student_code``): while the check runs the student's code (inside
   ``_runner.call_student``), a profile hook (``sys.setprofile``) watches every Python function that
   starts. If one of the guarded objects starts (the reference, or a re-implemented torch function or
   class: the code of the function itself, or of each method a guarded class defines, so any import
   path, alias or copy of it is caught), the call is refused with ``Delegation`` and recorded; the
   verdict then says so even if the student's code caught the exception. The check's own calls of
   the reference (to compute what is expected) run outside those stretches and are never refused,
   nor is anything outside a check (the demos).
2. **Before running anything** (``structural_sentence``): a class whose base classes include the
   reference or a re-implemented class (``class Adam(ReferenceAdam): pass``) is refused.
3. **The answer is the reference itself**: in a notebook kernel and in ``course-grade``
   (``answers_are_from_students``), handing in course_lib's reference (``from course_lib.optimizers
   import momentum_update``) is refused. Anywhere else (the tests, the course's own code) the
   reference passes its own check, as it must; so does a reference that a check judges inside another
   exercise's check (the AdamW check first checks the Adam its answer subclasses, which may be
   course_lib's: a legitimate use of another exercise's reference).

What this does not stop: code that sets out to fool its own checks (removing the hook, patching
course_lib, reading the reference's source and pasting it). The README says so; the container
recipe there is for code you do not trust at all.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field


class Delegation(BaseException):  # noqa: N818  (a refusal, not an error of the student's code)
    """Raised into the student's code when it calls a guarded object; a BaseException, so that
    ``except Exception`` in the student's code does not swallow it (it is recorded anyway)."""


@dataclass(frozen=True)
class Guarded:
    """One object the student's answer may not use: what it is called in a sentence, and the object."""

    name: str
    target: object
    is_reference: bool = False

    def describe(self) -> str:
        if self.is_reference:
            return f"course_lib's reference `{self.name}`"
        return f"`{self.name}`, which this exercise re-implements"


def resolve(dotted: str) -> object | None:
    """The object at a dotted path (``torch.optim.Adam``), or None where this torch version lacks it."""
    module_name, _, attribute = dotted.rpartition(".")
    while module_name:
        try:
            target: object = importlib.import_module(module_name)
        except ImportError:
            module_name, _, head = module_name.rpartition(".")
            attribute = f"{head}.{attribute}"
            continue
        for part in attribute.split("."):
            target = getattr(target, part, None)
            if target is None:
                return None
        return target
    return None


def guarded_objects(reference: object, reimplements: tuple[str, ...]) -> list[Guarded]:
    """The reference (named by its ``__name__``) and each re-implemented object that this torch has."""
    found = [Guarded(getattr(reference, "__name__", repr(reference)), reference, is_reference=True)]
    for dotted in reimplements:
        target = resolve(dotted)
        if target is not None:
            found.append(Guarded(dotted, target))
    return found


def _unwrap(target: object) -> object:
    """The function behind partials, bound and static methods and ``functools.wraps`` wrappers."""
    for _ in range(20):
        if isinstance(target, functools.partial):
            target = target.func
        elif isinstance(target, (staticmethod, classmethod)) or inspect.ismethod(target):
            target = target.__func__
        elif getattr(target, "__wrapped__", None) is not None:
            target = target.__wrapped__
        else:
            return target
    return target


def code_objects(target: object) -> set:
    """The code objects whose start means ``target`` runs: the innermost function's own code (a decorator's
    wrapper code is shared with other functions, so it is not watched), or that of each method a class
    defines in its own body (not the inherited ones, nor a base class's method that was set on the class
    later, as ``torch.optim.Optimizer`` does with ``step`` when the first optimizer of a class is made)."""
    if inspect.isclass(target):
        codes = set()
        for member in vars(target).values():
            member = member.fget if isinstance(member, property) else member
            inner = _unwrap(member)
            if callable(inner) and getattr(inner, "__qualname__", "").startswith(f"{target.__qualname__}."):
                codes |= code_objects(member)
        return codes
    code = getattr(_unwrap(target), "__code__", None)
    return {code} if code is not None else set()


# Strict mode: the answer comes from a student (a notebook kernel, or course-grade) ------------------

_students = threading.local()


def answers_are_from_students() -> bool:
    """True in course-grade's processes (``treat_answers_as_students``) and in a notebook kernel."""
    if getattr(_students, "flag", False):
        return True
    ipython = sys.modules.get("IPython")
    return ipython is not None and getattr(ipython, "get_ipython", lambda: None)() is not None


def treat_answers_as_students(flag: bool = True) -> None:
    """From now on in this thread, every answer is a student's (course-grade's grading processes)."""
    _students.flag = flag


# The watch over one check -------------------------------------------------------------------------


@dataclass
class Watch:
    """The guarded objects of the exercise being checked, and the refusals recorded so far."""

    exercise: str
    guarded: list[Guarded]
    from_student: bool = False
    by_code: dict = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    depth: int = 0
    previous_profile: object = None

    def __post_init__(self) -> None:
        for item in self.guarded:
            for code in code_objects(item.target):
                self.by_code.setdefault(code, item)

    def sentence(self) -> str | None:
        """The verdict's reason when the student's code called a guarded object, else None."""
        return f"your code calls {self.refused[0]}: write it yourself" if self.refused else None

    def profile(self, frame, event, arg) -> None:
        if event != "call":
            return
        item = self.by_code.get(frame.f_code)
        if item is not None:
            self.refused.append(item.describe())
            raise Delegation(f"{self.exercise}: {item.describe()} may not be called while this exercise is checked")


_active: list[Watch] = []
_registry: dict = {}


def register(exercises: dict) -> None:
    """The exercise table (``course_lib.checks.EXERCISES``) that ``watching`` looks exercises up in; the
    package hands it over once it is built, so that this module does not import the package back."""
    _registry.clear()
    _registry.update(exercises)


@contextlib.contextmanager
def watching(exercise: str, answer: object) -> Iterator[Watch | None]:
    """Guard ``exercise``'s registered objects while its check runs on ``answer``; yields the Watch
    (None for a check that is not registered, or for course_lib's reference checked outside a kernel)."""
    registered = _registry.get(exercise)
    from_student = answers_are_from_students() and not _active  # a check inside a check judges the course's pick
    if registered is None or (answer is registered.reference and not from_student):
        yield None
        return
    watch = Watch(exercise, guarded_objects(registered.reference, registered.reimplements), from_student)
    _active.append(watch)
    try:
        yield watch
    finally:
        _active.remove(watch)


@contextlib.contextmanager
def student_code() -> Iterator[None]:
    """Around each call of the student's code by a check: the active watch's hook is on meanwhile."""
    watch = _active[-1] if _active else None
    if watch is None:
        yield
        return
    if watch.depth == 0:
        watch.previous_profile = sys.getprofile()
        sys.setprofile(watch.profile)
    watch.depth += 1
    try:
        yield
    finally:
        watch.depth -= 1
        if watch.depth == 0:
            sys.setprofile(watch.previous_profile)


def structural_sentence(watch: Watch, answer: object) -> str | None:
    """Why ``answer`` is refused before it runs: it is the reference itself (in a kernel or the grader),
    or a class built on a guarded class; else None."""
    if watch.from_student and _unwrap(answer) is _unwrap(watch.guarded[0].target):
        return (f"this is {watch.guarded[0].describe()} itself, not your own code: write it yourself")
    if inspect.isclass(answer):
        for base in answer.__mro__[1:]:
            for item in watch.guarded:
                if base is item.target:
                    return f"your class is built on {item.describe()}: write it yourself"
    return None
