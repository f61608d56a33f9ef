"""The warm fork server: imports torch and course_lib once, then forks a fresh process per submission.

Started by the grader (``client.ForkServer``) as ``python -m course_lib.grading.server``; it speaks
JSON lines over its stdin and stdout:

- in:  ``{"warm": {notebook id: [setup cells]}, "limits": {...}, "workers": N}``, then one ``{"job": {...}}``
  per submission; end of input = no more jobs;
- out: ``{"hello": {"exercises": {id: points}, "warnings": [...]}}`` once warm, then per job
  ``{"started": number}`` when its process starts and ``{"number": number, "row": {...}}`` when it has ended.

Steps (one function each):

1. ``read_start``  the first line: setup cells, limits, number of workers;
2. ``warm_up``     import torch and course_lib, run each notebook's setup cells once, judge each exercise
                   once on course_lib's reference (first-call costs are paid here, not per submission),
                   then ``gc.freeze()`` so that forked children share these pages;
3. ``serve``       read jobs, run them in the ``sandbox.Scheduler`` (``workers`` at a time), write rows;
                   exit when the input has ended and every job has its row.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import selectors
import sys
import tempfile

from course_lib.grading.records import Job, Row
from course_lib.grading.runner import one_line
from course_lib.grading.sandbox import Limits, Scheduler

_PROTOCOL_FD = 1


def protect_protocol() -> None:
    """Keep the grader's pipe for the protocol only: move it off file descriptor 1, and send whatever
    else writes to fd 1 (a library's C code, say) to stderr instead."""
    global _PROTOCOL_FD
    _PROTOCOL_FD = os.dup(1)
    os.dup2(2, 1)


def write_line(message: dict) -> None:
    """One JSON line to the grader (unbuffered)."""
    data = (json.dumps(message) + "\n").encode()
    while data:
        data = data[os.write(_PROTOCOL_FD, data):]


def read_start() -> tuple[dict[str, list[str]], Limits, int, bytes]:
    """The first input line: (notebook id → setup cells, limits, workers, bytes read past that line)."""
    data = b""
    while b"\n" not in data:
        chunk = os.read(0, 1 << 20)
        if not chunk:
            raise SystemExit("course_lib.grading.server: no start line on stdin")
        data += chunk
    line, rest = data.split(b"\n", 1)
    start = json.loads(line)
    return start["warm"], Limits(**start["limits"]), int(start["workers"]), rest


@contextlib.contextmanager
def _inside(folder: str):
    previous = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)


def warm_up(setups: dict[str, list[str]]) -> dict:
    """Import and run everything once (see the module docstring); return the hello message."""
    import matplotlib

    matplotlib.use("Agg")
    import torch

    torch.set_num_threads(1)
    from course_lib.checks import EXERCISES

    warnings = []
    with tempfile.TemporaryDirectory() as scratch, _inside(scratch), \
            contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        for notebook, cells in setups.items():
            namespace: dict = {"__name__": "__main__"}
            try:
                for cell in cells:
                    exec(compile(cell, f"<course setup of {notebook}>", "exec"), namespace)
            except Exception as error:
                warnings.append(f"{notebook}: the course's setup cells raised {one_line(error)}")
        for exercise in EXERCISES.values():
            passed, sentence = exercise.judge(exercise.reference)
            if not passed:
                warnings.append(f"course_lib's reference for {exercise.id} fails its own check: {sentence}")
    gc.collect()
    gc.freeze()
    return {"exercises": {exercise.id: exercise.points for exercise in EXERCISES.values()}, "warnings": warnings}


def _submit_lines(scheduler: Scheduler, data: bytes) -> bytes:
    """Submit every complete job line of ``data``; return the incomplete rest."""
    *lines, rest = data.split(b"\n")
    for line in lines:
        if line.strip():
            scheduler.submit(Job.from_dict(json.loads(line)["job"]))
    return rest


def serve(scheduler: Scheduler, pending: bytes = b"") -> None:
    """Read job lines from stdin (after ``pending``, already read) and run them until stdin ends and
    every job has its row."""
    os.set_blocking(0, False)
    scheduler.selector.register(0, selectors.EVENT_READ, ("input", 0))
    input_open = True
    pending = _submit_lines(scheduler, pending)
    while input_open or not scheduler.idle:
        scheduler.start_waiting()
        for key, _ in scheduler.selector.select(scheduler.timeout() if scheduler.running else None):
            if key.data[0] != "input":
                scheduler.handle(key.data)
                continue
            try:
                data = os.read(0, 1 << 20)
            except BlockingIOError:
                continue
            if not data:
                input_open = False
                scheduler.selector.unregister(0)
                continue
            pending = _submit_lines(scheduler, pending + data)
        scheduler.check_deadlines_and_exits()


def main() -> int:
    protect_protocol()
    setups, limits, workers, pending = read_start()
    write_line({"hello": warm_up(setups)})

    def on_row(job: Job, row: Row) -> None:
        write_line({"number": job.number, "row": row.to_dict()})

    scheduler = Scheduler(limits, workers, on_row, on_start=lambda job: write_line({"started": job.number}))
    try:
        serve(scheduler, pending)
    finally:
        scheduler.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
