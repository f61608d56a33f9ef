"""How long a student waits for each self-check to answer, on course_lib's reference answer.

What is measured: the first call of every check in ``course_lib.checks.__all__`` (what a student
waits for after running an exercise cell) and a second call (the steady cost), each on the
reference implementation, which must pass. The baseline, timed in the same process, is one
forward and backward pass of the course's 784-512-256-256-128-10 MLP on 256 images: a check
should cost a few such passes. Target: every first call under 1 s (``meets_target``); ratios are
check time / baseline time, comparable across machines.

Usage: python benchmarks/check_latency.py [--rounds 3]
Last stdout line: JSON with per-check first/second-call milliseconds and ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics

import torch
import torch.nn.functional as F
from _common import Stopwatch, emit_json, progress, run_conditions

from course_lib import checks
from course_lib.models import MLP

TARGET_SECONDS = 1.0
REFERENCES = {exercise.check.__name__: exercise.reference for exercise in checks.EXERCISES.values()}


def baseline_seconds(rounds: int) -> float:
    """Median time of one forward + backward pass of the course MLP on a seeded batch of 256 images."""
    generator = torch.Generator().manual_seed(0)
    x, y = torch.randn(256, 784, generator=generator), torch.randint(0, 10, (256,), generator=generator)
    model = MLP()
    times = []
    for _ in range(rounds):
        with Stopwatch() as watch:
            F.cross_entropy(model(x), y).backward()
        times.append(watch.seconds)
    return statistics.median(times)


def time_check(name: str) -> tuple[float, float]:
    """(first call, second call) seconds of ``checks.<name>`` on its reference; raises if it fails."""
    check, reference = getattr(checks, name), REFERENCES.get(name)
    if reference is None:
        raise SystemExit(f"{name} has no reference in benchmarks/check_latency.py: add it to REFERENCES.")
    seconds = []
    for _ in range(2):
        with contextlib.redirect_stdout(io.StringIO()) as printed, Stopwatch() as watch:
            passed = check(reference)
        if not passed:
            raise SystemExit(f"{name} rejected course_lib's reference: {printed.getvalue().strip()}")
        seconds.append(watch.seconds)
    return seconds[0], seconds[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="baseline repetitions (median)")
    args = parser.parse_args()
    baseline = baseline_seconds(args.rounds)
    results = {}
    for name in checks.__all__:
        first, second = time_check(name)
        results[name] = {"first_ms": round(1e3 * first, 1), "second_ms": round(1e3 * second, 1),
                         "ratio_to_baseline": round(first / baseline, 1)}
        progress(f"{name}: first call {1e3 * first:.0f} ms, second {1e3 * second:.0f} ms")
    emit_json({
        "benchmark": "check_latency",
        "baseline_ms": round(1e3 * baseline, 2),
        "results": results,
        "target_s": TARGET_SECONDS,
        "meets_target": all(r["first_ms"] < 1e3 * TARGET_SECONDS for r in results.values()),
        "conditions": run_conditions(),
    })


if __name__ == "__main__":
    main()
