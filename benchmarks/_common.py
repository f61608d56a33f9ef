"""Helpers shared by the benchmark scripts: summary statistics, run conditions, the JSON last line.

Every benchmark prints human-readable progress on stderr and ends stdout with one JSON object on
its last line, so a script (or ``tests/test_benchmarks_smoke.py``) can read the figures with
``json.loads(stdout.splitlines()[-1])``.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from datetime import datetime, timezone

import numpy as np
import torch


def summarize_ms(seconds: list[float]) -> dict[str, float | int | None]:
    """Median and 95th percentile of a list of durations in seconds, reported in milliseconds."""
    if not seconds:
        return {"median_ms": None, "p95_ms": None, "n": 0}
    values = np.asarray(seconds, dtype=float) * 1e3
    return {
        "median_ms": round(float(np.median(values)), 2),
        "p95_ms": round(float(np.percentile(values, 95)), 2),
        "n": len(values),
    }


def run_conditions() -> dict[str, object]:
    """What the figures depend on: CPU count, load when measured, torch threads, versions, time (UTC)."""
    load_1min = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {
        "utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpus": os.cpu_count(),
        "load_avg_1min": None if load_1min is None else round(load_1min, 2),
        "torch_threads": torch.get_num_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "course_quick": os.environ.get("COURSE_QUICK", ""),
    }


def progress(message: str) -> None:
    """A progress line on stderr (stdout is kept for the JSON result)."""
    print(message, file=sys.stderr, flush=True)


def emit_json(result: dict) -> None:
    """Print ``result`` as the single last line of stdout."""
    sys.stdout.write("\n" + json.dumps(result, allow_nan=False) + "\n")
    sys.stdout.flush()


class Stopwatch:
    """``with Stopwatch() as watch: ...`` then ``watch.seconds`` (wall clock, perf_counter)."""

    def __enter__(self) -> Stopwatch:
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc_info) -> None:
        self.seconds = time.perf_counter() - self.start
