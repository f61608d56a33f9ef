"""Checking a setting before anything runs: a number in a range, a list of numbers, one of a few choices.

Each parser accepts what a control or a student may hand over (a number, a numeric string, garbage)
and returns a clean value, or raises ``CourseInputError`` with one sentence naming the setting and
what is wrong. Experiments call these on their arguments, so a bad value is refused the same way
whether it comes from a slider, a text box or a notebook cell.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from course_lib.errors import CourseInputError


def parse_number(text, name: str, *, minimum: float | None = None, maximum: float | None = None,
                 integer: bool = False) -> float:
    """A number from ``text`` (a number or a string), within [minimum, maximum]; CourseInputError otherwise."""
    if isinstance(text, bool):
        raise CourseInputError(f"{name}: expected a number, got {text!r}.")
    raw = str(text).strip()
    if not raw:
        raise CourseInputError(f"{name}: please enter a number.")
    try:
        value = float(raw)
    except ValueError:
        raise CourseInputError(f"{name}: '{raw}' is not a number.") from None
    if not math.isfinite(value):
        raise CourseInputError(f"{name}: '{raw}' is not a finite number.")
    if integer:
        if value != int(value):
            raise CourseInputError(f"{name}: '{raw}' must be a whole number.")
        value = int(value)
    if minimum is not None and value < minimum:
        raise CourseInputError(f"{name}: {raw} is below the smallest allowed value, {minimum:g}.")
    if maximum is not None and value > maximum:
        raise CourseInputError(f"{name}: {raw} is above the largest allowed value, {maximum:g}.")
    return value


def parse_number_list(text, name: str, **limits) -> list[float]:
    """Parse a comma-separated list such as '32, 128, 512'; every entry is checked by ``parse_number``."""
    parts = str(text).split(",")
    if not str(text).strip() or any(not part.strip() for part in parts):
        raise CourseInputError(f"{name}: enter comma-separated numbers, e.g. '32, 128, 512'.")
    return [parse_number(part, name, **limits) for part in parts]


def parse_positive(value, name: str, maximum: float | None = None) -> float:
    """A number > 0 (and at most ``maximum``), from a number or numeric text; CourseInputError otherwise."""
    number = parse_number(value, name, minimum=0.0, maximum=maximum)
    if number == 0:
        raise CourseInputError(f"{name}: must be positive, got 0.")
    return number


def parse_choice(value, options: Sequence | Mapping, name: str):
    """``value`` when it is one of ``options`` (for a mapping: one of its keys, or one of its values,
    which is returned); CourseInputError naming the choices otherwise."""
    if isinstance(options, Mapping):
        if _is_among(value, options.values()):
            return value
        if _is_among(value, options.keys()):
            return options[value]
        labels = list(options)
    else:
        if _is_among(value, options):
            return value
        labels = list(options)
    raise CourseInputError(f"{name}: {value!r} is not one of {', '.join(map(str, labels))}.")


def _is_among(value, choices) -> bool:
    """``value == choice`` for some choice, where True is not taken for 1 (nor 1 for True)."""
    for choice in choices:
        try:
            if bool(value == choice) and isinstance(value, bool) == isinstance(choice, bool):
                return True
        except (TypeError, ValueError):
            continue
    return False
