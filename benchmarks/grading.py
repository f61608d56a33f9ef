"""Grading speed: course-grade on a generated class, against executing the same notebooks with nbclient.

What is measured, in one run:

1. a class of ``--submissions`` generated notebooks (default 200: solutions, blank student notebooks
   and solutions with one planted wrong answer, in turn, over the course's notebooks) is written to a
   temporary folder (tests/fixtures/grading/planted.py makes them from solutions/ and notebooks/);
2. **grader**: ``python -m course_lib.grade CLASS --out DIR -j J`` as an instructor runs it, wall
   clock from start to exit (interpreter start, fork-server warm-up, reading, grading, writing);
   the grades are checked against what was planted (``all_correct``);
3. **baseline** ("the obvious way"): ``--baseline-sample`` of those submissions (one per notebook,
   default 4) executed top to bottom with nbclient (``NotebookClient.execute``), each in a fresh
   kernel, in quick mode (``COURSE_QUICK=1``: the full mode trains for minutes, so quick mode
   flatters the baseline) with a fresh checkpoint directory. They run one after the other, and
   the baseline rate credits ``J`` kernels side by side with perfect scaling: J × sample ÷ the summed wall time (flattering the baseline again).

4. **delegation watch** (in this process): each exercise's solution answer (the solution notebook's
   exercise cell, after the notebook's ``grading-setup`` cells) judged by its check as the grader does
   (every answer a student's), with the delegation watch on, and again with it replaced by a no-op;
   alternating, best of ``--watch-repeats`` each, per exercise and in total. This isolates what refusing delegation
   costs, whatever the load on the machine (both are timed in the same minute).

Grader runs and baseline notebooks alternate (grader, notebook 1, grader, …, notebook N, grader),
so that load from other processes falls on both alike; the grader's figure is the median of its
N + 1 runs (``--grader-runs``), and each JSON entry carries the 1-minute load average before it.

``speedup`` = grader submissions/s ÷ baseline submissions/s. Targets (2-core CPU): grader ≥ 10
submissions/s, speedup ≥ 100.

``--baseline-paths NB...`` runs the given notebooks as the baseline instead (the smoke test in
tests/test_benchmarks_smoke.py uses a one-cell fixture; its speedup means nothing).

Usage: python benchmarks/grading.py [--submissions 200] [-j 2] [--baseline-sample 4] [--notebooks 03_optimizers,...]
Last stdout line: JSON with the grader's and the baseline's rates, the speedup and the targets.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import Stopwatch, emit_json, progress, run_conditions

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "grading"))
import planted  # noqa: E402

KINDS = ("solution", "blank", "wrong")
RATE_TARGET, SPEEDUP_TARGET = 10.0, 100.0
EXERCISES_OF = {notebook: [exercise for exercise, home in planted.EXERCISE_NOTEBOOK.items() if home == notebook]
                for notebook in planted.NOTEBOOKS}


def make_class(folder: Path, count: int, notebooks: list[str]) -> dict[str, dict]:
    """Write ``count`` submissions; return student → {notebook, kind, wrong exercise, expected points}."""
    plan = {}
    for index in range(count):
        kind = KINDS[index % len(KINDS)]
        notebook = notebooks[(index // len(KINDS)) % len(notebooks)]
        exercises = EXERCISES_OF[notebook]
        wrong = exercises[(index // (len(KINDS) * len(notebooks))) % len(exercises)] if kind == "wrong" else None
        if kind == "solution":
            content = planted.solution(notebook)
        elif kind == "blank":
            content = planted.blank(notebook)
        else:
            content = planted.with_wrong_answer(wrong)
        student = f"student_{index:03d}"
        planted.write_ipynb(content, folder / student / f"{notebook}.ipynb")
        expected = {exercise: int(kind == "solution" or (kind == "wrong" and exercise != wrong)) for exercise in exercises}
        plan[student] = {"notebook": notebook, "kind": kind, "wrong": wrong, "expected": expected}
    return plan


def run_grader(folder: Path, out: Path, jobs: int) -> tuple[float, str]:
    """The command as an instructor runs it; (wall seconds, its printed summary)."""
    command = [sys.executable, "-m", "course_lib.grade", str(folder), "--out", str(out), "-j", str(jobs)]
    with Stopwatch() as watch:
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"course-grade failed:\n{completed.stderr[-3000:]}")
    return watch.seconds, completed.stdout


def check_grades(out: Path, plan: dict[str, dict]) -> dict:
    rows = json.loads((out / "grades.json").read_text())["rows"]
    by_student = {row["student"]: row for row in rows}
    wrong = [student for student, planned in plan.items()
             if student not in by_student or by_student[student]["status"] != "graded"
             or {key: value["points"] for key, value in by_student[student]["exercises"].items()} != planned["expected"]]
    ran = [row["seconds"] for row in rows if row["seconds"] > 0]
    ran.sort()
    return {"rows": len(rows), "all_correct": not wrong and len(rows) == len(plan), "mismatches": wrong[:10],
            "ran_in_a_process": len(ran), "median_process_ms": round(1e3 * ran[len(ran) // 2], 1) if ran else None}


# The baseline runner: nbclient's NotebookClient in a process of its own per notebook, with a kernel
# on IPC sockets. Over TCP, kernels on this shared machine now and then hung, waiting forever: the
# ports a client picks for its kernel are free when picked, and another process can take them.
NBCLIENT_RUNNER = """
import sys, nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
path, timeout = sys.argv[1], int(sys.argv[2])
notebook = nbformat.read(path, as_version=4)
kernel = KernelManager(kernel_name="python3", transport="ipc")
NotebookClient(notebook, km=kernel, timeout=timeout, resources={"metadata": {"path": "."}}).execute()
"""


def run_notebook(path: Path, timeout_s: int) -> dict:
    """One notebook top to bottom in a fresh kernel with nbclient (the baseline), its wall time and error."""
    command = [sys.executable, "-c", NBCLIENT_RUNNER, str(path), str(timeout_s)]
    with Stopwatch() as watch:
        completed = subprocess.run(command, cwd=path.parent, capture_output=True, text=True, check=False)
    error = None
    if completed.returncode != 0:  # a failing cell ends the run early: that only flatters the baseline
        lines = [line for line in completed.stderr.splitlines() if line.strip() and "WARNING" not in line]
        error = " ".join((lines[-1] if lines else f"exit status {completed.returncode}").split())[:200]
    return {"wall_s": round(watch.seconds, 1), "ok": error is None, "error": error}


def baseline_sample(folder: Path, plan: dict[str, dict], sample: int) -> list[Path]:
    """One submission per notebook, the first of each, up to ``sample``."""
    chosen, seen = [], set()
    for student, planned in plan.items():
        if planned["notebook"] not in seen and len(chosen) < sample:
            seen.add(planned["notebook"])
            chosen.append(folder / student / f"{planned['notebook']}.ipynb")
    return chosen


def baseline_environment(checkpoints: str) -> None:
    """Kernels inherit this process's environment: quick mode, inline figures, a fresh checkpoint dir.
    (The grader's fork server starts with a minimal environment of its own, so this does not reach it.)"""
    os.environ.update({"COURSE_QUICK": "1", "MPLBACKEND": "module://matplotlib_inline.backend_inline",
                       "PYDEVD_DISABLE_FILE_VALIDATION": "1", "COURSE_CHECKPOINT_DIR": checkpoints})


def measure(folder: Path, plan: dict[str, dict], chosen: list[Path], jobs: int, timeout_s: int,
            grader_runs: int) -> tuple[dict, dict]:
    """Grader runs interleaved with the baseline's notebooks (grader, notebook 1, grader, notebook 2, …,
    grader), so that load from other processes falls on both alike; returns (grader, baseline) figures.

    The baseline's notebooks run one at a time, and its rate credits ``jobs`` kernels side by side with perfect scaling, which flatters it."""
    runs, notebooks = [], {}
    with tempfile.TemporaryDirectory(prefix="course-bench-ckpt-") as checkpoints:
        baseline_environment(checkpoints)
        for index in range(max(grader_runs, len(chosen))):
            out = folder.parent / f"grades_{index}"
            if index < grader_runs:
                load = round(os.getloadavg()[0], 2)
                wall_s, printed = run_grader(folder, out, jobs)
                grades = check_grades(out, plan)
                runs.append({"wall_s": round(wall_s, 2), "load_avg_1min_before": load, **grades})
                progress(f"grader run {index + 1}: {len(plan)} submissions in {wall_s:.1f} s = "
                         f"{len(plan) / wall_s:.1f}/s (load {load}); all correct: {grades['all_correct']}")
                if index == 0:
                    progress(printed.strip())
            if index < len(chosen):
                path = chosen[index]
                name = f"{path.parent.name}/{path.name}"
                load = round(os.getloadavg()[0], 2)
                notebooks[name] = {**run_notebook(path, timeout_s), "load_avg_1min_before": load}
                result = notebooks[name]
                progress(f"baseline: {name} {result['wall_s']} s (load {load})" +
                         ("" if result["ok"] else f" (stopped: {result['error']})"))
    median_s = sorted(run["wall_s"] for run in runs)[len(runs) // 2]
    grader = {"wall_s": median_s, "submissions_per_s": round(len(plan) / median_s, 2),
              **{key: value for key, value in runs[0].items() if key not in {"wall_s", "load_avg_1min_before"}},
              "all_correct": all(run["all_correct"] for run in runs), "runs": runs}
    if not notebooks:
        return grader, {"sample": 0, "wall_s": None, "submissions_per_s": None, "notebooks": {}}
    baseline_s = sum(result["wall_s"] for result in notebooks.values())
    baseline = {"sample": len(notebooks), "wall_s": round(baseline_s, 1), "kernels_credited": jobs,
                "submissions_per_s": round(jobs * len(notebooks) / baseline_s, 4), "notebooks": notebooks}
    return grader, baseline


def solution_answers(notebooks: list[str]) -> dict[str, object]:
    """Exercise id → the solution's answer, defined as the grader defines it (setup cells, then the cell)."""
    from course_lib.grading.course import load_course
    from course_lib.grading.notebooks import runnable

    course, answers = load_course(), {}
    for notebook in notebooks:
        namespace: dict = {"__name__": "__main__"}
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            for cell in course.notebooks[notebook].setup:
                exec(compile(runnable(cell), f"<setup of {notebook}>", "exec"), namespace)
            for exercise in EXERCISES_OF[notebook]:
                code = planted.source(planted.exercise_cell(planted.solution(notebook), exercise))
                exec(compile(runnable(code), f"<{notebook}: {exercise}>", "exec"), namespace)
                answers[exercise] = namespace[exercise]
    return answers


@contextlib.contextmanager
def _no_watch(exercise: str, answer: object):
    yield None


def watch_overhead(notebooks: list[str], repeats: int) -> dict:
    """Milliseconds per check of each solution answer with the delegation watch on and off (best of ``repeats``)."""
    from course_lib.checks import EXERCISES, delegation

    answers = solution_answers(notebooks)
    delegation.treat_answers_as_students()
    per_check = {}
    for exercise, answer in answers.items():
        best = {"watch_on_ms": float("inf"), "watch_off_ms": float("inf")}
        for _ in range(repeats):  # on and off alternate, so that load swings fall on both alike
            for label, patch in (("watch_on_ms", contextlib.nullcontext()),
                                 ("watch_off_ms", _patched(delegation, "watching", _no_watch))):
                with patch:
                    started = time.perf_counter()
                    passed, sentence = EXERCISES[exercise].judge(answer)
                    best[label] = min(best[label], time.perf_counter() - started)
                if not passed:
                    raise SystemExit(f"the solution's {exercise} fails its check: {sentence}")
        per_check[exercise] = {label: round(1e3 * seconds, 2) for label, seconds in best.items()}
    total_on = sum(item["watch_on_ms"] for item in per_check.values())
    total_off = sum(item["watch_off_ms"] for item in per_check.values())
    return {"repeats": repeats, "per_check": per_check, "total_watch_on_ms": round(total_on, 1),
            "total_watch_off_ms": round(total_off, 1), "overhead_ratio": round(total_on / total_off, 3)}


@contextlib.contextmanager
def _patched(owner, name: str, value):
    previous = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, previous)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=200, help="generated submissions (default 200)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="grader processes and baseline "
                        "kernels at a time (default: the number of cores)")
    parser.add_argument("--baseline-sample", type=int, default=4, help="notebooks run with nbclient (default 4)")
    parser.add_argument("--notebooks", default=",".join(planted.NOTEBOOKS),
                        help="comma-separated course notebooks to generate submissions of (default: all)")
    parser.add_argument("--baseline-paths", nargs="+", type=Path, metavar="NB",
                        help="run these notebooks with nbclient instead of a sample of the class (smoke test)")
    parser.add_argument("--grader-runs", type=int, default=None,
                        help="grader runs, alternating with the baseline's notebooks (default: sample + 1)")
    parser.add_argument("--timeout", type=int, default=1200, help="nbclient seconds per cell (default 1200)")
    parser.add_argument("--watch-repeats", type=int, default=5,
                        help="timings per check with the delegation watch on and off (default 5; 0 skips)")
    args = parser.parse_args(argv)
    notebooks = [name.strip() for name in args.notebooks.split(",") if name.strip()]
    unknown = set(notebooks) - set(planted.NOTEBOOKS)
    if unknown or not notebooks:
        parser.error(f"unknown notebooks: {', '.join(sorted(unknown))}; choose from {', '.join(planted.NOTEBOOKS)}")

    with tempfile.TemporaryDirectory(prefix="course-bench-grading-") as scratch:
        folder = Path(scratch) / "class"
        plan = make_class(folder, args.submissions, notebooks)
        progress(f"generated {len(plan)} submissions of {', '.join(notebooks)}")
        chosen = [path.resolve() for path in args.baseline_paths or baseline_sample(folder, plan, args.baseline_sample)]
        runs = args.grader_runs if args.grader_runs is not None else len(chosen) + 1
        grader, baseline = measure(folder, plan, chosen, args.jobs, args.timeout, max(1, runs))
    rate = grader["submissions_per_s"]
    watch = watch_overhead(notebooks, args.watch_repeats) if args.watch_repeats > 0 else None
    if watch:
        progress(f"delegation watch: all checks {watch['total_watch_on_ms']} ms with it, "
                 f"{watch['total_watch_off_ms']} ms without (×{watch['overhead_ratio']})")

    speedup = round(rate / baseline["submissions_per_s"], 1) if baseline["submissions_per_s"] else None
    if speedup:
        progress(f"baseline: {baseline['submissions_per_s']:.3f}/s; speedup {speedup}x")
    targets = [{"what": "grader submissions per second", "measured": rate, "limit": RATE_TARGET,
                "met": rate >= RATE_TARGET and grader["all_correct"]}]
    if speedup is not None:
        targets.append({"what": "speedup over nbclient", "measured": speedup, "limit": SPEEDUP_TARGET,
                        "met": speedup >= SPEEDUP_TARGET})
    summary = {
        "benchmark": "grading",
        "submissions": len(plan),
        "kinds": {kind: sum(planned["kind"] == kind for planned in plan.values()) for kind in KINDS},
        "jobs": args.jobs,
        "grader": grader,
        "baseline": baseline,
        "speedup": speedup,
        "delegation_watch": watch,
        "targets": targets,
        "targets_met": all(target["met"] for target in targets),
        "conditions": run_conditions(),
    }
    emit_json(summary)
    return summary


if __name__ == "__main__":
    main()
