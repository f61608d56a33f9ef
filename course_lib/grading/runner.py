"""Inside one submission's process: run the course's setup, then each exercise cell and its check.

Order (the rule for what runs):

1. the course's ``grading-setup`` cells (imports, ``set_seed``, ``device``), in one namespace;
2. for each exercise in the course notebook's order: the student's exercise cell, then
   ``course_lib.checks.EXERCISES[id].judge(namespace[id])``, course_lib's own check, whatever the
   student's check cell says. Later exercise cells see what earlier ones defined (an ``AdamW`` may
   subclass the student's ``Adam``), as in the notebook. No other cell of the submission runs.

Every answer here is a student's (``delegation.treat_answers_as_students``): one that is course_lib's
reference itself, calls it, or calls the library function the exercise re-implements scores 0 with
the check's "delegated" sentence, exactly as the notebook's self-check says it.

Each step reports to the fork server as it goes (``send``), so a process that dies mid-way still
leaves the verdicts it reached. An exception, or ``sys.exit()``, inside an exercise cell or inside the
student's code under a check costs that exercise only.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable

from course_lib.grading.notebooks import runnable
from course_lib.grading.records import Job

Send = Callable[[dict], None]
NOT_IMPLEMENTED = ": not implemented yet"
# how an allocation beyond the address-space limit shows up: Python, NumPy, torch (CPU allocator), C++
OUT_OF_MEMORY = re.compile(r"MemoryError|can't allocate memory|not enough memory|Cannot allocate memory|bad_alloc"
                           r"|out of memory", re.IGNORECASE)


def one_line(error: BaseException, limit: int = 200) -> str:
    """``Type: first line of the message``, shortened."""
    lines = str(error).strip().splitlines()
    message = lines[0].strip() if lines else ""
    if len(message) > limit:
        message = message[: limit - 1] + "…"
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def cell_failure(exercise_id: str, error: BaseException) -> str:
    """The sentence for an exercise cell that raised (or exited) before defining anything usable."""
    if isinstance(error, SystemExit):
        return f"{exercise_id}: the exercise cell called sys.exit({error.code!r}), so it could not be checked."
    return f"{exercise_id}: the exercise cell raised {one_line(error)}, so it could not be checked."


def ran_out_of_memory(error: BaseException | None, sentence: str = "") -> bool:
    """True for a MemoryError or an allocator's failure, raised directly or reported in a check's sentence."""
    text = sentence if error is None else f"{type(error).__name__}: {error}"
    return bool(OUT_OF_MEMORY.search(text))


def judge_exercise(exercise_id: str, answer: object) -> tuple[bool, str]:
    """course_lib's check for ``exercise_id`` on ``answer``: (passed, one sentence)."""
    from course_lib.checks import EXERCISES

    try:
        passed, sentence = EXERCISES[exercise_id].judge(answer)
    except BaseException as error:  # SystemExit/KeyboardInterrupt from student code escape the check's guard
        return False, f"{exercise_id}: your code raised {one_line(error)} while being checked."
    if not passed and sentence.startswith(f"{exercise_id}{NOT_IMPLEMENTED}"):
        return False, f"{exercise_id}: not attempted — the exercise still raises NotImplementedError."
    return passed, sentence


def run_setup(job: Job, namespace: dict) -> None:
    """Run the course's setup cells (trusted code; an error here is the course's, not the student's)."""
    for number, code in enumerate(job.setup, start=1):
        exec(compile(runnable(code), f"<course setup cell {number} of {job.notebook}>", "exec"), namespace)


def run_job(job: Job, send: Send) -> None:
    """Grade one submission in this process, reporting ``{"at": …}``, ``{"verdict": …}``, ``{"memory": True}``."""
    from course_lib.checks import delegation

    delegation.treat_answers_as_students()
    namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
    send({"at": "the course's setup cells"})
    run_setup(job, namespace)
    for exercise in job.exercises:
        if exercise.verdict is not None or exercise.code is None:
            continue
        send({"at": f"the exercise cell for {exercise.id}"})
        try:
            exec(compile(runnable(exercise.code), f"<{job.file}: exercise cell {exercise.id}>", "exec"), namespace)
        except BaseException as error:  # the student's cell: anything, SystemExit included
            if ran_out_of_memory(error):
                send({"memory": True})
            send({"verdict": [exercise.id, False, cell_failure(exercise.id, error)]})
            continue
        if exercise.id not in namespace:
            send({"verdict": [exercise.id, False, f"{exercise.id}: the exercise cell ran but did not define "
                                                  f"`{exercise.id}` (was it renamed?)."]})
            continue
        send({"at": f"the check of {exercise.id}"})
        passed, sentence = judge_exercise(exercise.id, namespace[exercise.id])
        if not passed and ran_out_of_memory(None, sentence):
            send({"memory": True})
        send({"verdict": [exercise.id, passed, sentence]})
