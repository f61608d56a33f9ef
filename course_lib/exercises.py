"""After an exercise's self-check: go on with the student's code if it passed, else with course_lib's.

Every notebook uses the same helper, so the note a student reads is always the same sentence:

    momentum_step = student_or_reference(momentum_update, momentum_works, reference_momentum_update)
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def _name_of(thing: object) -> str:
    return getattr(thing, "__name__", type(thing).__name__)


def student_or_reference(student: T, passed: bool, reference: T, name: str | None = None) -> T:
    """``student`` when its check ``passed``, else ``reference``, printing one line that says so.

    ``name`` is what the note calls the exercise (default: the reference's ``__name__``). Nothing is
    printed when the student's code is used: the check cell already said it is correct.
    """
    if passed:
        return student
    name = name or _name_of(reference)
    print(f"Your {name} has not passed its check yet, so the cells below use course_lib's reference "
          f"{_name_of(reference)} instead.")
    return reference
