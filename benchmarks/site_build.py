"""How long the course website takes to build: the first build, and a rebuild with nothing changed.

Runs ``tools/build_site.py`` (the pipeline of ``make site``) as a separate process and times it:

1. ``--first``: a first build with an empty execution cache (``--fresh``: every notebook is executed);
   without it, one build that executes only what the cache lacks (timed as ``build_s``);
2. a rebuild with nothing changed, which must take at most 60 s (target of the website issue).

Figures depend on the machine and its load; the JSON's ``conditions`` say what they were.

Usage: .venv/bin/python benchmarks/site_build.py [--mode full|quick] [--edition public|instructor] [--first]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

from _common import emit_json, progress, run_conditions

REPO = Path(__file__).resolve().parent.parent
REBUILD_TARGET_S = 60.0


def timed_build(mode: str, edition: str, *extra: str) -> tuple[float, int, str]:
    """(wall seconds, notebooks executed, output) of one tools/build_site.py run; exits on failure."""
    command = [sys.executable, "-m", "tools.build_site", "--mode", mode, "--edition", edition, *extra]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    output = result.stdout + result.stderr
    if result.returncode != 0:
        progress(output[-4000:])
        raise SystemExit(f"site build failed: {' '.join(command[1:])}")
    executed = len(re.findall(r"executed in \d+ s", output))
    return seconds, executed, output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=["full", "quick"], default="full")
    parser.add_argument("--edition", choices=["public", "instructor"], default="public")
    parser.add_argument("--first", action="store_true", help="time a first build from an empty cache (--fresh)")
    args = parser.parse_args(argv)

    progress(f"{'first build (fresh)' if args.first else 'build'} of the {args.edition} edition, {args.mode} mode ...")
    build_s, executed, _ = timed_build(args.mode, args.edition, *(["--fresh"] if args.first else []))
    progress(f"  {build_s:.1f} s, {executed} notebook(s) executed")
    progress("rebuild with nothing changed ...")
    rebuild_s, rebuild_executed, _ = timed_build(args.mode, args.edition)
    progress(f"  {rebuild_s:.1f} s, {rebuild_executed} notebook(s) executed")
    emit_json({
        "benchmark": "site_build",
        "mode": args.mode,
        "edition": args.edition,
        "first_build": args.first,
        "build_s": round(build_s, 1),
        "build_executed_notebooks": executed,
        "rebuild_s": round(rebuild_s, 1),
        "rebuild_executed_notebooks": rebuild_executed,
        "targets": {"rebuild_s": {"measured_s": round(rebuild_s, 1), "limit_s": REBUILD_TARGET_S,
                                  "met": rebuild_s <= REBUILD_TARGET_S and rebuild_executed == 0}},
        "targets_met": rebuild_s <= REBUILD_TARGET_S and rebuild_executed == 0,
        "conditions": run_conditions(),
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
