"""Execute the solution notebooks in full mode and store their outputs in solutions/NN_name.ipynb.

Steps, for each solutions/NN_name.py (all of them, or the ones named on the command line):

1. regenerate its three notebook files with tools.notebook_generator (authoring errors stop here);
2. execute the solution notebook top to bottom in a fresh python3 kernel, cwd = solutions/, with
   COURSE_QUICK unset (full mode) and the inline matplotlib backend;
3. on success, write the executed notebook through the generator's own writer, so that
   `python -m tools.notebook_generator --check` passes on the result; on failure, print which cell failed
   (and its line in the .py) in one paragraph, leave the stored notebook unchanged and go on.

The exit status is non-zero when any notebook failed.

``--quick`` runs them in quick mode instead (COURSE_QUICK=1): only for tests that need stored outputs fast
(tools.exercise_sync in a scratch copy); the committed outputs are full-mode ones.

Usage: python -m tools.run_solutions [--root DIR] [--timeout SECONDS] [--quick] [NN_name ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from tools import notebook_generator as generator

INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def regenerate(root: Path, source_path: Path) -> generator.Source:
    """Write the generated files of one source (only those that changed); return the parsed source."""
    for path, text in generator.render(root, source_path).items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return generator.find_regions(generator.read_source(source_path))


def full_mode_environment(quick: bool = False) -> None:
    """Kernels inherit this process's environment: full mode (quick mode for tests), figures stored inline."""
    os.environ.pop("COURSE_QUICK", None)
    if quick:
        os.environ["COURSE_QUICK"] = "1"
    os.environ["MPLBACKEND"] = INLINE_BACKEND


def failed_cell(notebook: nbformat.NotebookNode) -> int | None:
    """Index of the last cell holding an error output (nbclient stops at the first failing cell)."""
    failing = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and any(output.output_type == "error" for output in cell.get("outputs", []))
    ]
    return failing[-1] if failing else None


def describe_failure(source: generator.Source, notebook: nbformat.NotebookNode, error: Exception) -> str:
    """One paragraph: notebook, failing cell, its line in the .py, the exception in one line."""
    index = failed_cell(notebook)
    name = source.path.with_suffix(".ipynb").name
    if isinstance(error, CellExecutionError):
        what = f"{error.ename}: {error.evalue}"
    else:
        what = f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
    if index is None:
        return f"FAILED {name}: {what}"
    line = source.first_lines[index]
    first_line = notebook.cells[index].source.strip().splitlines()[0] if notebook.cells[index].source.strip() else ""
    return (
        f"FAILED {name}: cell {index + 1} (solutions/{source.path.name} line {line if line else '?'}, "
        f"starting {first_line!r}) raised {what}. Its stored outputs were not refreshed."
    )


def ipc_kernel() -> KernelManager:
    """A kernel on IPC sockets in a folder of its own: over TCP a kernel now and then hung on a busy machine
    (a port picked free can be taken by another process before the kernel binds it), and IPC sockets in one
    shared folder collide between runs started at the same time."""
    return KernelManager(kernel_name="python3", transport="ipc",
                         ip=str(Path(tempfile.mkdtemp(prefix="course-kernel-")) / "kernel"))


def execute(source: generator.Source, timeout_s: int) -> tuple[nbformat.NotebookNode, Exception | None]:
    """Run the solution notebook in a fresh kernel; return it (with outputs) and the error, if any."""
    notebook = generator.build_solution(source, stored=None)
    client = NotebookClient(
        notebook,
        km=ipc_kernel(),
        timeout=timeout_s,
        kernel_name="python3",
        resources={"metadata": {"path": str(source.path.parent)}},
        record_timing=False,
    )
    try:
        client.execute(cleanup_kc=True)  # the kernel manager is ours, so nbclient would leave the kernel running
    except (CellExecutionError, CellTimeoutError, DeadKernelError, RuntimeError) as error:
        return notebook, error
    return notebook, None


def store(source: generator.Source, executed: nbformat.NotebookNode) -> Path:
    """Write the executed notebook in exactly the form the generator produces."""
    path = source.path.with_suffix(".ipynb")
    path.write_text(generator.notebook_text(generator.build_solution(source, executed)), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Execute solution notebooks in full mode and store outputs.")
    parser.add_argument("names", nargs="*", help="notebooks to run, e.g. 01_training_loop (default: all)")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent, help="repository root")
    parser.add_argument("--timeout", type=int, default=1200, help="seconds allowed per cell (default 1200)")
    parser.add_argument("--quick", action="store_true", help="quick mode (tests only; commit full-mode outputs)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    full_mode_environment(args.quick)
    mode = "quick" if args.quick else "full"
    failures = []
    for source_path in generator.select_sources(root, args.names):
        try:
            source = regenerate(root, source_path)
        except generator.AuthoringError as error:
            failures.append(f"FAILED {source_path.name}: {error}")
            print(failures[-1], file=sys.stderr)
            continue
        print(f"running {source_path.with_suffix('.ipynb').name} in {mode} mode ...", flush=True)
        started = time.perf_counter()
        executed, error = execute(source, args.timeout)
        if error is not None:
            failures.append(describe_failure(source, executed, error))
            print(failures[-1], file=sys.stderr, flush=True)
            continue
        path = store(source, executed)
        print(f"stored {path.relative_to(root)} ({time.perf_counter() - started:.0f} s)", flush=True)
    if failures:
        print(f"{len(failures)} notebook(s) failed:\n" + "\n".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
