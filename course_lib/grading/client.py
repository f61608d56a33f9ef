"""The grader's handle on a warm fork server (``course_lib.grading.server``), in a process of its own.

``ForkServer(setups, limits, workers)`` starts the server at once (it warms up while the grader reads
the submissions); ``hello()`` waits for it and returns the exercise registry it graded with
(id → points); ``run(jobs, on_row)`` sends jobs and calls ``on_row`` for each row as it comes.

The server is a separate process so that the grader itself never imports torch, never runs a
submission's code, and survives a submission that kills its parent: when the server dies, a new one
is started and the jobs without a row are sent again; a job that was running at two such deaths gets
a ``crashed`` row instead of a third try.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict

from course_lib.grading.records import CRASHED, Job, Row, finish_row
from course_lib.grading.sandbox import Limits

MAX_ATTEMPTS = 2
# The server starts with only these variables (and its children inherit this start-up environment,
# which /proc/self/environ shows): none of the instructor's, only what running Python needs.
KEPT_VARIABLES = ("PATH", "LANG", "LC_ALL", "PYTHONPATH", "LD_LIBRARY_PATH", "TMPDIR")
SERVER_ENVIRONMENT = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": "",
                      "MPLBACKEND": "Agg", "PYTHONWARNINGS": "ignore"}


def server_environment() -> dict[str, str]:
    kept = {name: os.environ[name] for name in KEPT_VARIABLES if name in os.environ}
    return {**kept, **SERVER_ENVIRONMENT}


class ServerError(Exception):
    """The fork server could not start; ``str(error)`` says so in one line."""


SERVER_COMMAND = (sys.executable, "-m", "course_lib.grading.server")


class ForkServer:
    def __init__(self, setups: dict[str, list[str]], limits: Limits, workers: int,
                 command: tuple[str, ...] = SERVER_COMMAND):
        self.setups, self.limits, self.workers, self.command = setups, limits, workers, command
        self._hello: dict | None = None
        self.restarts = 0
        self._start()

    def _start(self) -> None:
        self._hello = None
        self.process = subprocess.Popen(
            list(self.command),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=server_environment(),
        )
        start = {"warm": self.setups, "limits": asdict(self.limits), "workers": self.workers}
        self._write([start])

    def _write(self, messages: Iterable[dict]) -> None:
        try:
            for message in messages:
                self.process.stdin.write((json.dumps(message) + "\n").encode())
            self.process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):  # the server died; run() notices and restarts it
            pass

    def hello(self) -> dict:
        """``{"exercises": {id: points}, "warnings": [...]}`` once the server is warm."""
        while self._hello is None:
            line = self.process.stdout.readline()
            if not line:
                code = self.process.wait()
                raise ServerError(f"the grading process stopped while starting (exit status {code}); "
                                  f"try: {sys.executable} -c 'import course_lib.checks'")
            self._hello = _message(line).get("hello")
        return self._hello

    def run(self, jobs: list[Job], on_row: Callable[[Row], None]) -> None:
        """Grade ``jobs``, calling ``on_row`` as each row arrives (any order); restart a server that dies."""
        waiting = {job.number: job for job in jobs}
        deaths: Counter[int] = Counter()
        while waiting:
            self.hello()
            started: set[int] = set()
            writer = threading.Thread(target=self._write, args=([{"job": job.to_dict()} for job in waiting.values()],),
                                      daemon=True)
            writer.start()
            for line in self.process.stdout:
                message = _message(line)
                if "started" in message:
                    started.add(message["started"])
                elif "row" in message:
                    job = waiting.pop(message["number"], None)
                    started.discard(message["number"])
                    if job is not None:
                        on_row(Row.from_dict(message["row"]))
                    if not waiting:
                        break
            writer.join()
            if waiting:  # the server died with jobs outstanding
                for number in started:
                    deaths[number] += 1
                    if deaths[number] >= MAX_ATTEMPTS and number in waiting:
                        on_row(_server_died(waiting.pop(number)))
                self.process.wait()
                self.restarts += 1
                self._start()

    def abort(self) -> None:
        """Stop the server now (its children die with it)."""
        self.process.kill()
        self.process.wait()

    def close(self) -> None:
        """End the server once its jobs are done."""
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _message(line: bytes) -> dict:
    """One protocol line; anything else (there should be nothing else) is ignored."""
    try:
        message = json.loads(line)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}


def _server_died(job: Job) -> Row:
    note = "the grading process died twice while running the submission (does it kill its parent process?)"
    return finish_row(job, {}, CRASHED, 0.0, note=note, unfinished=note)
