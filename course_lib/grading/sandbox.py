"""One submission, one fresh process: forked, fenced in, watched, and turned into a Row whatever happens.

``Scheduler`` runs inside the warm fork server (``course_lib.grading.server``), which has imported
torch and course_lib once; every job gets a child forked from it, at most ``workers`` at a time.

In the child (``isolate``), before any student code runs:

- its own session and process group (``setsid``), killed with the fork server (``PR_SET_PDEATHSIG``);
- a scratch working directory of its own (removed afterwards), ``HOME`` and ``TMPDIR`` inside it;
- an environment with none of the instructor's variables (``CHILD_ENVIRONMENT`` only);
- stdin from /dev/null; stdout and stderr discarded, at the Python level without copying (printing a
  gigabyte costs neither memory nor disk) and at the file-descriptor level (/dev/null);
- every inherited file descriptor closed except its own report pipe (it cannot reach the grader's
  pipes or another submission's);
- resource limits: address space = what the fork server already maps + ``memory_mb``, CPU time =
  the timeout + 5 s (a backstop), files it writes ≤ ``file_mb``, no core dumps; one torch thread.

In the fork server (``Scheduler``): a wall-clock deadline per child (``timeout_s``), then SIGKILL to
its whole process group; the child's report lines (``runner.run_job``) are read as they come, so a
child that dies mid-way still leaves the verdicts it reached; its exit status gives the row's status.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import selectors
import shutil
import signal
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from course_lib.grading.records import CRASHED, GRADED, MEMORY_LIMIT, TIMED_OUT, Job, Row, finish_row
from course_lib.grading.runner import one_line, run_job

CPU_GRACE_S = 5
REPORT_LIMIT_BYTES = 1 << 20  # a child reports a few kB; anything past 1 MB is not read
CHILD_ENVIRONMENT = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
    "CUDA_VISIBLE_DEVICES": "",
    "COURSE_QUICK": "1",
}


@dataclass(frozen=True)
class Limits:
    """Per-submission limits: wall-clock seconds, extra memory (MB), largest file written (MB)."""

    timeout_s: float = 60.0
    memory_mb: int = 2048
    file_mb: int = 64


class _Discard(io.TextIOBase):
    """A text stream that drops everything without copying it (``print('x' * 10**9)`` costs nothing)."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return len(text)


def _die_with_parent() -> None:
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _mapped_bytes() -> int | None:
    """This process's address-space size (Linux); None where /proc is missing (macOS: no memory limit)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:
        return None


def isolate(limits: Limits, scratch: str, keep_fd: int) -> None:
    """Fence in the current (freshly forked) process; see the module docstring."""
    os.setsid()
    _die_with_parent()
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large file raises OSError instead of killing
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.closerange(3, keep_fd)
    os.closerange(keep_fd + 1, max(keep_fd + 2, os.sysconf("SC_OPEN_MAX")))
    sys.stdin = io.StringIO()
    sys.stdout = sys.stderr = _Discard()
    os.chdir(scratch)
    os.environ.clear()
    os.environ.update({**CHILD_ENVIRONMENT, "HOME": scratch, "TMPDIR": scratch})
    tempfile.tempdir = scratch
    mapped = _mapped_bytes()
    if mapped is not None:
        address_space = mapped + limits.memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    cpu = int(limits.timeout_s) + CPU_GRACE_S
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb * 2**20,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    import torch

    torch.set_num_threads(1)


def child_main(job: Job, limits: Limits, scratch: str, report_fd: int) -> None:
    """The forked child: isolate, grade, report, and leave with os._exit (never returns)."""
    code = 0
    try:
        isolate(limits, scratch, report_fd)

        def send(message: dict) -> None:
            data = (json.dumps(message) + "\n").encode()
            while data:
                data = data[os.write(report_fd, data):]

        try:
            run_job(job, send)
            send({"done": True})
        except BaseException as error:  # the course's setup failed, or the grader itself did
            send({"error": one_line(error)})
            code = 1
    except BaseException:
        code = 2
    os._exit(code)


@dataclass
class Running:
    """A child in flight, as the fork server sees it."""

    job: Job
    pid: int
    report_fd: int
    exit_fd: int | None
    scratch: str
    started: float
    deadline: float
    buffer: bytes = b""
    received: int = 0
    verdicts: dict[str, tuple[bool, str]] = field(default_factory=dict)
    at: str = "its setup"
    memory: bool = False
    done: bool = False
    error: str = ""
    timed_out: bool = False

    def take(self, data: bytes) -> None:
        """Parse complete report lines; ignore what is not ours or past REPORT_LIMIT_BYTES."""
        self.received += len(data)
        if self.received > REPORT_LIMIT_BYTES:
            return
        self.buffer += data
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            with contextlib.suppress(ValueError, TypeError, KeyError, IndexError):
                self._take_message(json.loads(line))

    def _take_message(self, message: dict) -> None:
        if "verdict" in message:
            exercise_id, passed, sentence = message["verdict"]
            self.verdicts[str(exercise_id)] = (bool(passed), str(sentence))
        elif "at" in message:
            self.at = str(message["at"])
        elif message.get("memory"):
            self.memory = True
        elif message.get("done"):
            self.done = True
        elif "error" in message:
            self.error = str(message["error"])


def outcome(running: Running, wait_status: int, limits: Limits, seconds: float) -> Row:
    """The row for a finished child, from what it reported and how it ended."""
    where = f"while running {running.at}"
    too_much_memory = f"needed more memory than the limit ({limits.memory_mb} MB)"
    if running.timed_out:
        status, note = TIMED_OUT, f"the submission was stopped after {limits.timeout_s:g} s (wall clock) {where}"
    elif os.WIFSIGNALED(wait_status):
        number = os.WTERMSIG(wait_status)
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else f"signal {number}"
        if number == signal.SIGXCPU:
            cpu = int(limits.timeout_s) + CPU_GRACE_S
            status, note = TIMED_OUT, f"the submission used more than {cpu} s of CPU time {where}"
        elif number == signal.SIGKILL:
            status, note = MEMORY_LIMIT, f"the submission was killed (SIGKILL) {where}: most likely it {too_much_memory}"
        else:
            status, note = CRASHED, f"the submission's process was killed by {name} {where}"
    elif not running.done:
        code = os.WEXITSTATUS(wait_status) if os.WIFEXITED(wait_status) else wait_status
        if running.error:
            status, note = CRASHED, f"the submission could not be graded ({running.error}) {where}"
        else:
            status, note = CRASHED, (f"the submission's process exited (status {code}) {where}, before grading "
                                     "finished (os._exit?)")
    elif running.memory:
        status, note = MEMORY_LIMIT, f"the submission {too_much_memory}"
    else:
        status, note = GRADED, ""
    return finish_row(running.job, running.verdicts, status, seconds, note=note, unfinished=note)


def _remove_tree(path: str) -> None:
    def make_writable_and_retry(function, target, _):
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(target), 0o700)
            os.chmod(target, 0o700)
            function(target)

    shutil.rmtree(path, onerror=make_writable_and_retry)


class Scheduler:
    """Run jobs in forked, isolated children, at most ``workers`` at once; call ``on_row(job, row)`` as each ends.

    ``on_start(job)`` is called when a job's child starts (the client uses it to know what was in flight).
    Drive it with ``run_until_idle``, or from a loop of one's own over ``selector`` (the fork server also
    registers its stdin there, with data ``("input", 0)``).
    """

    def __init__(self, limits: Limits, workers: int, on_row: Callable[[Job, Row], None],
                 on_start: Callable[[Job], None] = lambda job: None):
        self.limits, self.workers, self.on_row, self.on_start = limits, max(1, workers), on_row, on_start
        self.queue: deque[Job] = deque()
        self.running: dict[int, Running] = {}
        self.selector = selectors.DefaultSelector()
        self.scratch_root = tempfile.mkdtemp(prefix="course-grade-")

    def submit(self, job: Job) -> None:
        self.queue.append(job)

    @property
    def idle(self) -> bool:
        return not self.queue and not self.running

    def start_waiting(self) -> None:
        while self.queue and len(self.running) < self.workers:
            self._start(self.queue.popleft())

    def _start(self, job: Job) -> None:
        scratch = tempfile.mkdtemp(prefix=f"job{job.number}-", dir=self.scratch_root)
        read_fd, write_fd = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child never returns from child_main
            os.close(read_fd)
            child_main(job, self.limits, scratch, write_fd)
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        now = time.monotonic()
        running = Running(job, pid, read_fd, self._exit_fd(pid), scratch, now, now + self.limits.timeout_s)
        self.running[pid] = running
        self.selector.register(read_fd, selectors.EVENT_READ, ("report", pid))
        if running.exit_fd is not None:
            self.selector.register(running.exit_fd, selectors.EVENT_READ, ("exit", pid))
        self.on_start(job)

    @staticmethod
    def _exit_fd(pid: int) -> int | None:
        try:
            return os.pidfd_open(pid)
        except (AttributeError, OSError):  # before Linux 5.3: poll with waitpid instead
            return None

    def timeout(self) -> float | None:
        """Seconds until the next deadline (the longest a select may wait), or None when nothing runs."""
        if not self.running:
            return None
        wait = min(running.deadline for running in self.running.values()) - time.monotonic()
        if any(running.exit_fd is None for running in self.running.values()):
            wait = min(wait, 0.02)
        return max(0.0, wait)

    def handle(self, data: tuple[str, int]) -> None:
        """A registered descriptor is readable: a child's report, or its exit."""
        kind, pid = data
        running = self.running.get(pid)
        if running is None:
            return
        if kind == "report":
            self._read_report(running)
        else:
            self._reap(running, os.waitpid(pid, 0)[1])

    def _read_report(self, running: Running) -> None:
        try:
            data = os.read(running.report_fd, 65536)
        except BlockingIOError:
            return
        if data:
            running.take(data)
        else:  # the child closed its end (it may still be running)
            self.selector.unregister(running.report_fd)
            os.close(running.report_fd)
            running.report_fd = -1

    def check_deadlines_and_exits(self) -> None:
        """Kill children past their deadline; reap children that ended (when pidfds are unavailable)."""
        now = time.monotonic()
        for running in list(self.running.values()):
            if not running.timed_out and now >= running.deadline:
                running.timed_out = True
                self._kill(running.pid)
            if running.exit_fd is None:
                pid, status = os.waitpid(running.pid, os.WNOHANG)
                if pid:
                    self._reap(running, status)

    def run_until_idle(self) -> None:
        """Run every submitted job to its row (for callers that own no other descriptor)."""
        while not self.idle:
            self.start_waiting()
            for key, _ in self.selector.select(self.timeout()):
                self.handle(key.data)
            self.check_deadlines_and_exits()

    @staticmethod
    def _kill(pid: int) -> None:
        for kill in (os.killpg, os.kill):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                kill(pid, signal.SIGKILL)

    def _reap(self, running: Running, wait_status: int) -> None:
        seconds = time.monotonic() - running.started
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(running.pid, signal.SIGKILL)  # whatever it started in its process group
        if running.report_fd >= 0:
            with contextlib.suppress(BlockingIOError, OSError):
                while data := os.read(running.report_fd, 65536):
                    running.take(data)
            self.selector.unregister(running.report_fd)
            os.close(running.report_fd)
        if running.exit_fd is not None:
            self.selector.unregister(running.exit_fd)
            os.close(running.exit_fd)
        del self.running[running.pid]
        _remove_tree(running.scratch)
        self.on_row(running.job, outcome(running, wait_status, self.limits, seconds))

    def close(self) -> None:
        for running in list(self.running.values()):
            self._kill(running.pid)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(running.pid, 0)
        self.selector.close()
        _remove_tree(self.scratch_root)
