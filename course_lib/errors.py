"""The one error type course_lib raises for settings a student can fix, and how errors read in one line.

``CourseInputError`` is a ``ValueError``: an experiment raises it for a setting it cannot run
("batch size 70000 is larger than the 50000 training images"), and a demo shows its message as is,
in one line, instead of a traceback. ``one_line_message`` turns any exception into such a line.
"""

from __future__ import annotations


class CourseInputError(ValueError):
    """A setting the student can fix; its message is one sentence, shown as is."""


def one_line_message(error: BaseException, limit: int = 240) -> str:
    """One readable line for an exception: the message of a CourseInputError, else 'Type: message'.

    Whitespace (newlines included) collapses to single spaces; the line is cut at ``limit`` characters.
    """
    message = " ".join(str(error).split()) or type(error).__name__
    if not isinstance(error, CourseInputError):
        message = f"{type(error).__name__}: {message}"
    return message if len(message) <= limit else message[: limit - 1] + "…"
