"""Wall time and peak memory of every solution and student notebook, each in a fresh kernel.

What is measured, for each ``solutions/*.ipynb`` and ``notebooks/*.ipynb``:

- wall time of a top-to-bottom run with nbclient in a fresh ``python3`` kernel (kernel start
  included), working directory = the notebook's folder, as ``make test`` and ``make solutions`` run them,
  with the environment ``make test`` uses (inline backend, ``OMP_WAIT_POLICY=PASSIVE``);
- peak resident memory (RSS) of the kernel and its children, sampled every 0.1 s with psutil
  (RSS summed over processes, so shared pages count twice: an upper bound).

Modes: quick (default; ``COURSE_QUICK=1``, what the tests run) or full (``--full``; COURSE_QUICK
unset, what ``make solutions`` runs; long), or ``--both``. Each notebook gets its own empty temporary
``COURSE_CHECKPOINT_DIR`` (a run from scratch, nothing cached) unless ``--checkpoint-dir`` is given.

Targets: peak RSS ≤ 1.5 GB (1500 MB) per notebook in full mode (mybinder.org allows 2 GB); the
whole quick-mode suite ≤ 6 min (360 s) on the 2-core CPU.

``--cold-warm``: what a student waits for on a fresh clone and on a second run-all. Each edition (the
solutions, i.e. the student notebooks with every exercise solved, and the student notebooks) runs in
order 01 → 05 in one fresh empty ``COURSE_CHECKPOINT_DIR`` (cold: nothing cached, only the shipped
result store; a solved exercise saved by one notebook is there for the next, as for a student), then
all again in the same directory (warm). Reports the machine's fp32 matmul peak on one thread and on all
of them with the times, and for each full-mode cold run that time scaled to the reference machine of
issue 27 (fp32 matmul peak ``REFERENCE_PEAK_GFLOPS``, a Binder-class CPU): wall × one-thread peak /
reference peak. One thread, because the notebooks' time follows the speed of a core, not the machine's
matmul peak: measured on 2026-12-07, two threads doubled the peak (95 → 195 GFLOP/s) and left notebook
01's cold run-all where it was (59 s on one thread, 63 s on two). Target: every notebook ≤
``COLD_RUN_LIMIT_S`` so scaled.

``--paths FILE.ipynb ...`` runs the given notebooks instead of the course's (e.g. a tiny fixture
for the smoke test in ``tests/test_benchmarks_smoke.py``).

Usage: python benchmarks/notebook_resources.py [--full | --both] [--notebooks 02,solutions/03 | --paths NB ...]
       [--timeout 1200] [--cold-warm]
Last stdout line: JSON with per-notebook wall time and peak RSS, the quick-suite total and the targets.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil
import torch
from _common import emit_json, progress, run_conditions
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from training_throughput import matmul_peak_flops

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools.run_solutions import ipc_kernel  # noqa: E402  (a kernel on IPC sockets: over TCP one hung here)

INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
RSS_LIMIT_MB, QUICK_SUITE_LIMIT_S = 1500.0, 360.0
REFERENCE_PEAK_GFLOPS, COLD_RUN_LIMIT_S = 89.0, 120.0


class PeakMemory(threading.Thread):
    """Samples the summed RSS of this process's descendants (the kernel and its children) until stopped."""

    def __init__(self, interval_s: float = 0.1):
        super().__init__(daemon=True)
        self.interval_s = interval_s
        self.peak_bytes = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        me = psutil.Process()
        while not self._stop_event.is_set():
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:  # the process ended between listing and reading
                    continue
            self.peak_bytes = max(self.peak_bytes, total)
            self._stop_event.wait(self.interval_s)

    def stop(self) -> float:
        """Stop sampling; the peak in MB (10⁶ bytes)."""
        self._stop_event.set()
        self.join()
        return self.peak_bytes / 1e6


def find_notebooks(selection: list[str]) -> list[Path]:
    """solutions/*.ipynb then notebooks/*.ipynb, optionally only those whose name or repository path
    starts with one of ``selection`` (``02`` picks both versions, ``solutions/02`` the solution)."""
    paths = sorted((ROOT / "solutions").glob("*.ipynb")) + sorted((ROOT / "notebooks").glob("*.ipynb"))
    return [path for path in paths if not selection or any(
        path.name.startswith(s) or path.relative_to(ROOT).as_posix().startswith(s) for s in selection)]


def set_mode(quick: bool) -> None:
    """Kernels inherit this process's environment."""
    if quick:
        os.environ["COURSE_QUICK"] = "1"
    else:
        os.environ.pop("COURSE_QUICK", None)
    os.environ["MPLBACKEND"] = INLINE_BACKEND
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as `make test`: idle OpenMP threads do not spin


def run_notebook(path: Path, timeout_s: int, checkpoint_dir: str | None) -> dict:
    """Execute one notebook in a fresh kernel: wall time, peak RSS, and the error in one line if any."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, km=ipc_kernel(), timeout=timeout_s, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}, record_timing=False)
    with tempfile.TemporaryDirectory(prefix="course-bench-ckpt-") as scratch:
        os.environ["COURSE_CHECKPOINT_DIR"] = checkpoint_dir or scratch
        sampler = PeakMemory()
        sampler.start()
        start = time.perf_counter()
        error = None
        try:
            client.execute(cleanup_kc=True)  # the kernel manager is ours: nbclient would leave the kernel running
        except CellExecutionError as failure:
            error = f"{failure.ename}: {' '.join(str(failure.evalue).split())[:200]}"
        except (CellTimeoutError, DeadKernelError, RuntimeError) as failure:
            error = f"{type(failure).__name__}: {' '.join(str(failure).split())[:200]}"
        wall_s = time.perf_counter() - start
        peak_mb = sampler.stop()
    return {"wall_s": round(wall_s, 1), "peak_rss_mb": round(peak_mb, 1), "ok": error is None, "error": error}


def display_name(path: Path) -> str:
    """The notebook's repository path (``solutions/02_initialization.ipynb``), or its absolute path."""
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def run_mode(paths: list[Path], quick: bool, timeout_s: int, checkpoint_dir: str | None) -> dict:
    set_mode(quick)
    mode = "quick" if quick else "full"
    results = {}
    for path in paths:
        name = display_name(path)
        progress(f"[{mode}] running {name} ...")
        results[name] = run_notebook(path, timeout_s, checkpoint_dir)
        r = results[name]
        progress(f"[{mode}] {name}: {r['wall_s']} s, peak RSS {r['peak_rss_mb']} MB" +
                 ("" if r["ok"] else f", FAILED: {r['error']}"))
    return {
        "notebooks": results,
        "suite_wall_s": round(sum(r["wall_s"] for r in results.values()), 1),
        "max_peak_rss_mb": max((r["peak_rss_mb"] for r in results.values()), default=None),
        "all_ok": all(r["ok"] for r in results.values()),
    }


def one_thread_peak_flops() -> float:
    """``matmul_peak_flops`` with torch limited to one thread (restored afterwards)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return matmul_peak_flops()
    finally:
        torch.set_num_threads(threads)


def cold_run_targets(modes: dict, peak_gflops: float) -> list[dict]:
    """Full mode: each notebook's cold wall time × ``peak_gflops`` (one thread) / the reference machine's peak,
    against ``COLD_RUN_LIMIT_S``."""
    scale = peak_gflops / REFERENCE_PEAK_GFLOPS
    return [{"what": f"cold full-mode run-all (s) of {name}, scaled to {REFERENCE_PEAK_GFLOPS:.0f} GFLOP/s",
             "measured": round(result["cold"]["wall_s"] * scale, 1), "limit": COLD_RUN_LIMIT_S,
             "met": result["cold"]["wall_s"] * scale <= COLD_RUN_LIMIT_S and result["cold"]["ok"]}
            for name, result in modes.get("full", {}).get("notebooks", {}).items()]


def run_cold_and_warm(paths: list[Path], quick: bool, timeout_s: int) -> dict:
    """Each edition's notebooks (grouped by folder, in order) in one fresh checkpoint directory, cold then warm."""
    set_mode(quick)
    mode = "quick" if quick else "full"
    results: dict[str, dict] = {}
    for folder in dict.fromkeys(path.parent for path in paths):
        edition = [path for path in paths if path.parent == folder]
        with tempfile.TemporaryDirectory(prefix="course-bench-cold-") as cache:
            for phase in ("cold", "warm"):
                for path in edition:
                    name = display_name(path)
                    progress(f"[{mode}, {phase}] running {name} ...")
                    result = run_notebook(path, timeout_s, cache)
                    results.setdefault(name, {})[phase] = result
                    progress(f"[{mode}, {phase}] {name}: {result['wall_s']} s" +
                             ("" if result["ok"] else f", FAILED: {result['error']}"))
    return {
        "notebooks": results,
        "cold_suite_s": round(sum(r["cold"]["wall_s"] for r in results.values()), 1),
        "warm_suite_s": round(sum(r["warm"]["wall_s"] for r in results.values()), 1),
        "all_ok": all(r[phase]["ok"] for r in results.values() for phase in ("cold", "warm")),
    }


def check_targets(modes: dict) -> list[dict]:
    targets = []
    if "quick" in modes:
        measured = modes["quick"]["suite_wall_s"]
        targets.append({"what": "quick suite wall time (s)", "measured": measured, "limit": QUICK_SUITE_LIMIT_S,
                        "met": measured <= QUICK_SUITE_LIMIT_S and modes["quick"]["all_ok"]})
    if "full" in modes:
        for name, result in modes["full"]["notebooks"].items():
            targets.append({"what": f"full-mode peak RSS (MB) of {name}", "measured": result["peak_rss_mb"],
                            "limit": RSS_LIMIT_MB, "met": result["peak_rss_mb"] <= RSS_LIMIT_MB and result["ok"]})
    return targets


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--full", action="store_true", help="full mode only (long: minutes per notebook)")
    which.add_argument("--both", action="store_true", help="quick mode, then full mode")
    chosen = parser.add_mutually_exclusive_group()
    chosen.add_argument("--notebooks", default="", help="comma-separated prefixes, e.g. 02,solutions/03 (default: all)")
    chosen.add_argument("--paths", nargs="+", type=Path, default=None, metavar="NB",
                        help="run these .ipynb files instead of the course's notebooks")
    parser.add_argument("--timeout", type=int, default=1200, help="seconds allowed per cell (default 1200)")
    parser.add_argument("--cold-warm", action="store_true",
                        help="each edition in order in one fresh checkpoint directory, then again (warm)")
    parser.add_argument("--checkpoint-dir", default=None,
                        help="shared COURSE_CHECKPOINT_DIR (default: a fresh temporary one per notebook)")
    args = parser.parse_args(argv)
    if args.paths is not None:
        paths = [path.resolve() for path in args.paths]
        missing = [str(path) for path in paths if not path.is_file()]
        if missing:
            parser.error(f"no such notebook: {', '.join(missing)}")
    else:
        paths = find_notebooks([s.strip() for s in args.notebooks.split(",") if s.strip()])
    if not paths:
        parser.error("no notebooks found under solutions/ or notebooks/")
    quick_flags = [False] if args.full else [True, False] if args.both else [True]
    if args.cold_warm:
        peak, core_peak = matmul_peak_flops(), one_thread_peak_flops()
        progress(f"fp32 matmul peak: {peak / 1e9:.0f} GFLOP/s on {torch.get_num_threads()} threads, "
                 f"{core_peak / 1e9:.0f} GFLOP/s on one")
        summary = {"benchmark": "notebook_resources_cold_warm", "matmul_peak_gflops": round(peak / 1e9, 1),
                   "one_thread_matmul_peak_gflops": round(core_peak / 1e9, 1),
                   "modes": {("quick" if quick else "full"): run_cold_and_warm(paths, quick, args.timeout)
                             for quick in quick_flags},
                   "conditions": run_conditions()}
        summary["targets"] = cold_run_targets(summary["modes"], summary["one_thread_matmul_peak_gflops"])
        summary["targets_met"] = all(target["met"] for target in summary["targets"])
        emit_json(summary)
        return summary
    modes = {("quick" if quick else "full"): run_mode(paths, quick, args.timeout, args.checkpoint_dir)
             for quick in quick_flags}
    targets = check_targets(modes)
    summary = {
        "benchmark": "notebook_resources",
        "modes": modes,
        "targets": targets,
        "targets_met": all(target["met"] for target in targets),
        "conditions": run_conditions(),
    }
    emit_json(summary)
    return summary


if __name__ == "__main__":
    main()
