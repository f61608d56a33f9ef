"""What travels through the grading pipeline: a Job (one submission to run) and a Row (its grades).

Both are plain dataclasses that turn into JSON-ready dicts and back, because they cross process
boundaries: grader → fork server (a pipe), and grader → Dask worker.

Statuses, one per row:

- ``graded``: every exercise was judged (an exception, or ``sys.exit()``, in an exercise cell only
  costs that exercise);
- ``unreadable``: not a notebook we can read (corrupt JSON, not UTF-8, a broken zip);
- ``not a course notebook``: a notebook without the course's metadata or title;
- ``timed out``: the submission ran past ``--timeout`` seconds (wall clock) and was killed;
- ``crashed``: its process died before grading finished (``os._exit``, a segfault, another signal);
- ``memory limit``: it tried to use more than ``--memory`` MB (a MemoryError, or killed for it);
- ``superseded``: not graded, because the same student handed in another file for the same notebook
  (one file per student and notebook is graded); its note names the file that was graded.

In the last three, exercises judged before the fault keep their points; the others score 0 and say why.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

GRADED = "graded"
UNREADABLE = "unreadable"
NOT_COURSE = "not a course notebook"
TIMED_OUT = "timed out"
CRASHED = "crashed"
MEMORY_LIMIT = "memory limit"
SUPERSEDED = "superseded"
STATUSES = (GRADED, UNREADABLE, NOT_COURSE, TIMED_OUT, CRASHED, MEMORY_LIMIT, SUPERSEDED)


@dataclass
class JobExercise:
    """One exercise of a job: the student's cell to run, or a verdict reached without running anything."""

    id: str
    points: int
    code: str | None = None
    verdict: str | None = None
    note: str = ""
    counted: bool = True  # False: not in the student's version of the notebook


@dataclass
class Job:
    """Everything a fresh process needs to grade one submission (no file access needed)."""

    number: int
    student: str
    notebook: str
    file: str
    setup: list[str]
    exercises: list[JobExercise]
    note: str = ""

    def needs_running(self) -> bool:
        """False when no exercise has student code to run (every one missing or an unchanged stub)."""
        return any(exercise.code is not None for exercise in self.exercises)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Job:
        return cls(**{**data, "exercises": [JobExercise(**exercise) for exercise in data["exercises"]]})


@dataclass
class ExerciseResult:
    """One exercise of a row. ``counted`` is False for an exercise the student's handout did not have
    (its CSV cell stays empty); ``max`` is 0 for an optional exercise, reported by ``passed``."""

    id: str
    points: int
    max: int
    sentence: str
    passed: bool = False
    counted: bool = True


@dataclass
class Row:
    """One line of grades.csv: a (student, notebook) pair, its points per exercise and its status."""

    student: str
    notebook: str
    file: str
    status: str
    seconds: float
    exercises: list[ExerciseResult] = field(default_factory=list)
    note: str = ""

    @property
    def total(self) -> int:
        return sum(exercise.points for exercise in self.exercises)

    @property
    def max(self) -> int | None:
        return sum(exercise.max for exercise in self.exercises) if self.exercises else None

    def to_dict(self) -> dict:
        return {**asdict(self), "total": self.total, "max": self.max}

    @classmethod
    def from_dict(cls, data: dict) -> Row:
        fields = {key: value for key, value in data.items() if key not in {"total", "max"}}
        return cls(**{**fields, "exercises": [ExerciseResult(**exercise) for exercise in data["exercises"]]})


def with_note(sentence: str, note: str) -> str:
    return f"{sentence} ({note})" if note else sentence


def finish_row(job: Job, verdicts: dict[str, tuple[bool, str]], status: str, seconds: float,
               note: str = "", unfinished: str = "") -> Row:
    """The row of a job: decided verdicts, then the judged ones, then 0 for the rest ("not graded: …")."""
    results = []
    for exercise in job.exercises:
        if exercise.verdict is not None:
            passed, sentence = False, exercise.verdict
        elif exercise.id in verdicts:
            passed, sentence = verdicts[exercise.id]
        else:
            passed, sentence = False, f"{exercise.id}: not graded — {unfinished or 'the submission stopped before this exercise'}."
        results.append(ExerciseResult(exercise.id, exercise.points if passed else 0, exercise.points,
                                      with_note(sentence, exercise.note), passed, exercise.counted))
    notes = "; ".join(text for text in (job.note, note) if text)
    return Row(job.student, job.notebook, job.file, status, round(seconds, 3), results, notes)


def decided_row(job: Job) -> Row:
    """The row of a job with nothing to run: every exercise missing or an unchanged stub."""
    return finish_row(job, {}, GRADED, 0.0)
