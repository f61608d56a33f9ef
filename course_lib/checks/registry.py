"""The exercise registry: which check grades which exercise, for how many points.

An exercise's id is the name of the object its check receives (``sgd_step``, ``Adam``); the notebook
generator writes the same id on the exercise cell (``metadata["course"]["exercise"]``). The grader
(``course-grade``) looks each exercise cell's id up in ``course_lib.checks.EXERCISES`` and runs this
check, never the check cell of the student's notebook. Adding an exercise = adding its
``Exercise(check_x, reference=x)`` line there; the tests then demand that the reference passes.

``reimplements`` names (as dotted paths) the library objects the exercise asks the student to write
for themselves (``"torch.nn.utils.clip_grad_norm_"``): while the exercise is checked, the student's
code may call neither them nor ``reference`` (``course_lib.checks.delegation``). An ``optional``
exercise is worth 0 points unless ``points`` says otherwise; the grader still checks and reports it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Exercise:
    """One gradable exercise: its self-check, course_lib's own answer (which must pass it), its points,
    and what it re-implements (dotted paths of library objects the answer may not call)."""

    check: Callable[[object], bool]
    reference: object
    points: int | None = None
    reimplements: tuple[str, ...] = ()
    optional: bool = False

    def __post_init__(self) -> None:
        if self.points is None:
            object.__setattr__(self, "points", 0 if self.optional else 1)

    @property
    def id(self) -> str:
        """The exercise id: the name of the object the check receives, e.g. ``Adam``."""
        return self.check.exercise

    def judge(self, answer: object) -> tuple[bool, str]:
        """(passed, the check's one sentence) for ``answer``, printing nothing."""
        return self.check.judge(answer)


def registry(*exercises: Exercise) -> dict[str, Exercise]:
    """Exercise id → Exercise; an id given twice is an error."""
    table: dict[str, Exercise] = {}
    for exercise in exercises:
        if exercise.id in table:
            raise ValueError(f"exercise {exercise.id!r} is registered twice")
        if exercise.points < (0 if exercise.optional else 1):
            raise ValueError(f"exercise {exercise.id!r} must be worth at least one point (or be optional)")
        table[exercise.id] = exercise
    return table
