"""The grade sheet, the feedback files and the summary, from the rows.

- ``grades.csv``: one row per (student, notebook), columns ``student, notebook``, one column per
  exercise of the course (its points; empty when the row's notebook does not have it), ``total, max,
  status, seconds``;
- ``grades.json``: the same rows, with each exercise's points, maximum, check sentence, whether it passed
  and whether it counted (not for an exercise the student's handout did not have), the file graded
  and a note (why unreadable, why crashed, duplicates); an optional exercise is worth 0 points and
  reported by whether it passed;
- ``feedback/<student>/<notebook>.md``: for the student, each exercise's points and sentence;
- the summary printed at the end: counts per status, mean points per exercise, every superseded file
  with the file graded instead, the slowest submissions.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

from course_lib.grading.records import STATUSES, SUPERSEDED, Row

FIXED_BEFORE, FIXED_AFTER = ["student", "notebook"], ["total", "max", "status", "seconds"]
SLOWEST_SHOWN = 3


def sorted_rows(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda row: (row.student.casefold(), row.notebook, row.file))


def columns(exercise_ids: list[str]) -> list[str]:
    return [*FIXED_BEFORE, *exercise_ids, *FIXED_AFTER]


def write_csv(rows: list[Row], exercise_ids: list[str], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(columns(exercise_ids))
        for row in sorted_rows(rows):
            points = {exercise.id: exercise.points for exercise in row.exercises if exercise.counted}
            writer.writerow([row.student, row.notebook, *(points.get(key, "") for key in exercise_ids), row.total,
                             "" if row.max is None else row.max, row.status, f"{row.seconds:.2f}"])


def write_json(rows: list[Row], exercise_ids: list[str], path: Path) -> None:
    records = []
    for row in sorted_rows(rows):
        records.append({
            "student": row.student, "notebook": row.notebook,
            "exercises": {exercise.id: {"points": exercise.points, "max": exercise.max, "sentence": exercise.sentence,
                                        "passed": exercise.passed, "counted": exercise.counted}
                          for exercise in row.exercises},
            "total": row.total, "max": row.max, "status": row.status, "seconds": row.seconds,
            "file": row.file, "note": row.note,
        })
    document = {"columns": columns(exercise_ids), "statuses": list(STATUSES), "rows": records}
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def safe_name(name: str) -> str:
    """A file or folder name from a student's or notebook's name (no separators, no leading dot)."""
    return re.sub(r"[^\w.\- ]+", "_", name).strip(". ") or "unnamed"


def _points_text(exercise) -> str:
    if not exercise.counted:
        return "not counted"
    if exercise.max == 0:
        return f"optional, {'passed' if exercise.passed else 'not passed'}"
    return f"{exercise.points}/{exercise.max}"


def feedback_text(row: Row) -> str:
    if row.max is None:
        return (f"# {row.notebook}: not graded\n\nFile: `{row.file}`  \nStatus: **{row.status}** — {row.note}.\n\n"
                "Submit the notebook from the course (`.ipynb`), with your answers in its exercise cells.\n")
    lines = [f"# {row.notebook}: {row.total}/{row.max} points", "",
             f"File: `{row.file}`  ", f"Status: **{row.status}**" + (f" — {row.note}." if row.note else ""), ""]
    lines += [f"- **{exercise.id}** {_points_text(exercise)}: {exercise.sentence}" for exercise in row.exercises]
    lines += ["", "Your exercise cells were run after the course's import cell, and checked by course_lib's own "
                  "self-checks (the check cells in your notebook are not used).", ""]
    return "\n".join(lines)


def write_feedback(rows: list[Row], folder: Path) -> int:
    """One markdown file per row; returns how many were written."""
    written = 0
    for row in rows:
        path = folder / safe_name(row.student) / f"{safe_name(row.notebook)}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(feedback_text(row), encoding="utf-8")
        written += 1
    return written


def write_reports(rows: list[Row], exercise_ids: list[str], out: Path) -> int:
    """grades.csv, grades.json and feedback/ under ``out``; returns the number of feedback files."""
    out.mkdir(parents=True, exist_ok=True)
    write_csv(rows, exercise_ids, out / "grades.csv")
    write_json(rows, exercise_ids, out / "grades.json")
    return write_feedback(rows, out / "feedback")


def summary(rows: list[Row], exercise_ids: list[str], seconds: float, workers: str) -> list[str]:
    """The lines printed at the end of a run."""
    students = len({row.student for row in rows})
    rate = f", {len(rows) / seconds:.1f} per second" if seconds > 0 and rows else ""
    lines = [f"Graded {len(rows)} submissions from {students} students in {seconds:.1f} s ({workers}{rate})"]
    counts = Counter(row.status for row in rows)
    lines.append("  status: " + ", ".join(f"{status} {counts[status]}" for status in STATUSES if counts[status]))
    means = []
    for exercise_id in exercise_ids:
        results = [e for row in rows for e in row.exercises if e.id == exercise_id and e.counted]
        if not results:
            continue
        maximum = results[0].max
        if maximum == 0:
            means.append(f"{exercise_id} (optional) passed {sum(e.passed for e in results)}/{len(results)}")
        else:
            means.append(f"{exercise_id} {sum(e.points for e in results) / len(results):.2f}/{maximum} "
                         f"(n={len(results)})")
    if means:
        lines.append("  mean points: " + ", ".join(means))
    lines += [f"  {row.status}: {row.file} — {row.note}" for row in sorted_rows(rows) if row.status == SUPERSEDED]
    slowest = sorted(rows, key=lambda row: -row.seconds)[:SLOWEST_SHOWN]
    if slowest and slowest[0].seconds > 0:
        lines.append("  slowest: " + ", ".join(f"{row.student}/{row.notebook} {row.seconds:.2f} s ({row.status})"
                                               for row in slowest if row.seconds > 0))
    return lines
