"""Which course notebook a submission is, and which of its cells hold which exercise.

Never from the file's name (students rename files):

1. the notebook: ``metadata["course"]["notebook"]`` (written by the notebook generator), else its
   title (first markdown heading) if exactly one course notebook has that title, else it is
   ``not a course notebook``;
2. each exercise of that course notebook: the code cells carrying its id
   (``cell.metadata["course"]["exercise"]``), the last one if several ("the last one was graded");
   else a cell without an exercise id that defines the exercise's name with ``def``/``class``
   (metadata lost, e.g. by a copy-paste into a new cell); else "exercise cell missing";
3. a cell that is still the course's stub (same code, whitespace aside) is "not attempted" and is not
   run at all;
4. an exercise missing from a handout whose metadata lists its exercises
   (``metadata["course"]["exercises"]``) without it was added to the course after that handout: "not in
   your version of the notebook", worth nothing (0 of 0 points), so an older handout loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from course_lib.grading.course import Course, CourseExercise, CourseNotebook
from course_lib.grading.notebooks import Cell, Notebook, Unreadable, defines, parse_notebook
from course_lib.grading.records import NOT_COURSE, UNREADABLE, Job, JobExercise, Row
from course_lib.grading.submissions import SubmittedFile


@dataclass
class Identified:
    """A readable submission of a course notebook, with the notes the instructor should see."""

    file: SubmittedFile
    notebook: CourseNotebook
    parsed: Notebook
    notes: list[str] = field(default_factory=list)


def read_and_identify(file: SubmittedFile, course: Course) -> Identified | Row:
    """Parse one file and find its course notebook; a Row (unreadable / not a course notebook) otherwise."""
    if file.problem:
        return Row(file.student, file.inner_path, file.path, UNREADABLE, 0.0, note=file.problem)
    try:
        parsed = parse_notebook(file.name, file.read())
    except Unreadable as error:
        return Row(file.student, file.inner_path, file.path, UNREADABLE, 0.0, note=str(error))
    except Exception as error:  # a zip member that cannot be extracted (CRC error, encryption, …)
        return Row(file.student, file.inner_path, file.path, UNREADABLE, 0.0, note=f"cannot be read ({error})")
    if parsed.course_id in course.notebooks:
        return Identified(file, course.notebooks[parsed.course_id], parsed)
    by_title = course.by_title(parsed.title)
    if by_title is not None:
        return Identified(file, by_title, parsed, [f"identified by its title {parsed.title!r} (no course metadata)"])
    if parsed.course_id is not None:
        why = f"its course id {parsed.course_id!r} is not a notebook of this course"
    elif parsed.title:
        why = f"it has no course metadata, and no course notebook is titled {parsed.title!r}"
    else:
        why = "it has neither course metadata nor a title"
    return Row(file.student, file.inner_path, file.path, NOT_COURSE, 0.0, note=why)


def same_code(first: str, second: str) -> bool:
    """The same code, blank lines and trailing spaces aside."""
    def lines(code: str) -> list[str]:
        return [line.rstrip() for line in code.strip().splitlines() if line.strip()]

    return lines(first) == lines(second)


def exercise_cell(parsed: Notebook, exercise_id: str) -> tuple[Cell | None, str]:
    """The cell graded for one exercise (rule 2), and a note on how it was found ("" when plainly)."""
    code_cells = parsed.code_cells()
    tagged = [cell for cell in code_cells if cell.exercise == exercise_id]
    if tagged:
        note = f"{len(tagged)} cells carry this exercise's id; the last one was graded" if len(tagged) > 1 else ""
        return tagged[-1], note
    found = [cell for cell in code_cells if cell.exercise is None and defines(cell.source, exercise_id)]
    if found:
        return found[-1], f"found by its definition of `{exercise_id}`: the cell had lost its exercise id"
    return None, ""


def job_exercise(parsed: Notebook, exercise: CourseExercise, points: int) -> JobExercise:
    """The student's cell for one exercise, or the verdict when there is nothing to run (rules 2 and 3)."""
    cell, note = exercise_cell(parsed, exercise.id)
    if cell is None and parsed.exercise_ids is not None and exercise.id not in parsed.exercise_ids:
        return JobExercise(exercise.id, 0, counted=False,
                           verdict=f"{exercise.id}: not in your version of the notebook — the exercise was added "
                                   f"after your copy was handed out, so it is not counted.")
    if cell is None:
        return JobExercise(exercise.id, points, verdict=f"{exercise.id}: exercise cell missing — no cell carries "
                                                        f"this exercise's id or defines `{exercise.id}`.")
    code = cell.source
    if same_code(code, exercise.stub):
        return JobExercise(exercise.id, points, note=note,
                           verdict=f"{exercise.id}: not attempted — the exercise cell is unchanged.")
    return JobExercise(exercise.id, points, code=code, note=note)


def make_job(number: int, identified: Identified, points: dict[str, int]) -> Job:
    """A job for one identified submission: the course's setup, and each registered exercise's cell."""
    notebook = identified.notebook
    exercises = [job_exercise(identified.parsed, exercise, points[exercise.id])
                 for exercise in notebook.exercises if exercise.id in points]
    return Job(number, identified.file.student, notebook.id, identified.file.path, list(notebook.setup), exercises,
               note="; ".join(identified.notes))
