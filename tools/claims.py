"""Measure every claim of the course on several seeds and write the report, or check that it is current.

Usage:
    python -m tools.claims [--full] [--seeds 0 1 2 3 4] [--out claims/REPORT.md] [--only ID ...]
    python -m tools.claims --check [--out claims/REPORT.md]

Pipeline:
1. ``measure_all``: each claim's ``measure(seed)`` for every seed, in the claim's mode (quick or full;
   ``--full``: every claim in full mode), timing each claim;
2. ``render_report``: one Markdown row per claim (statement, notebook and section, value per seed,
   mean ± standard deviation, holds k/n), a header with the date, the machine's fp32 matmul GFLOP/s,
   the mode and the fingerprint of the sources measured, and the per-file hashes at the end;
3. ``stale_sources`` (``--check``): the files whose hash no longer matches the report, as the notebook
   generator's ``--check`` does for notebooks; exit status 1 when there is any.

The default seeds 0–4 write ``claims/REPORT.md`` (``claims/REPORT-full.md`` with ``--full``); any other
seeds write a separate report, e.g. ``claims/REPORT-seeds-5-6-7-8-9.md``.

A claim only the full mode can show (``mode="full"``: the notebook's 40-epoch runs, half an hour per
seed here) is measured only with ``--full``: the column-mode report copies its row from the full report
of the same seeds, saying so, or says that it has not been measured. ``--full --only ID … --merge``
measures some claims in full mode and puts their rows into the existing full report (the header names
the claims and the date), so that a claim added later does not need the whole full run again.
"""

from __future__ import annotations

import argparse
import datetime
import math
import platform
import sys
import time
from pathlib import Path

import numpy as np

from course_lib.claims import CLAIMS, course_mode
from course_lib.claims.fingerprint import FINGERPRINT_LINE, combined_fingerprint, parse_hashes, source_hashes
from course_lib.config import project_root

DEFAULT_SEEDS = (0, 1, 2, 3, 4)
REPORT_DIR = Path("claims")
SOURCES_BEGIN, SOURCES_END = "<!-- sources measured (path sha256):", "-->"


def default_report(seeds, full: bool) -> Path:
    """claims/REPORT.md for seeds 0–4, else claims/REPORT-seeds-5-6-7.md; a -full suffix with --full."""
    suffix = "" if tuple(seeds) == DEFAULT_SEEDS else "-seeds-" + "-".join(str(s) for s in seeds)
    return REPORT_DIR / f"REPORT{suffix}{'-full' if full else ''}.md"


def matmul_gflops(size: int = 512, repeats: int = 20) -> float:
    """fp32 matrix-multiply throughput of this process (its thread settings), best of ``repeats``."""
    import torch

    generator = torch.Generator().manual_seed(0)
    a, b = torch.randn(size, size, generator=generator), torch.randn(size, size, generator=generator)
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def measure_all(claims, seeds, full: bool, echo=print) -> dict[str, dict]:
    """{id: {"values": [value per seed], "seconds": time}} measuring each claim in its mode (full if ``full``)."""
    measured = {}
    for claim in claims:
        start = time.perf_counter()
        values = []
        with course_mode("full" if full else claim.mode):
            for seed in seeds:
                values.append(float(claim.measure(seed)))
        seconds = time.perf_counter() - start
        measured[claim.id] = {"values": values, "seconds": seconds}
        held = sum(claim.holds(v) for v in values)
        echo(f"{claim.id}: {held}/{len(values)} in {seconds:.1f} s  {[f'{v:.3g}' for v in values]}")
    return measured


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _number(value: float) -> str:
    return "NaN" if math.isnan(value) else f"{value:.3g}"


def summary(values) -> str:
    """mean ± standard deviation over the seeds (NaN entries left out and counted)."""
    finite = np.asarray([v for v in values if not math.isnan(v)])
    if not len(finite):
        return "NaN"
    text = f"{_number(finite.mean())} ± {_number(finite.std(ddof=1)) if len(finite) > 1 else '0'}"
    return text + (f" ({len(values) - len(finite)} NaN)" if len(finite) < len(values) else "")


def row_cells(line: str) -> list[str]:
    """The cells of one Markdown table row (escaped bars kept inside their cell)."""
    return [cell.strip() for cell in line.strip().strip("|").split(" | ")]


def report_rows(text: str) -> dict[str, str]:
    """{claim id: its whole table row} for every row of a report whose first cell is a claim id."""
    return {cells[0]: line for line in text.splitlines()
            if line.startswith("| ") and (cells := row_cells(line))[0] in CLAIMS}


def full_report_rows(path: Path) -> dict[str, tuple[str, list[str]]]:
    """{claim id: (the full report's date, its row's cells)} from ``path``; empty when there is no full report."""
    if not path.is_file():
        return {}
    text = path.read_text(encoding="utf-8")
    date = next((line.removeprefix("- date: ") for line in text.splitlines() if line.startswith("- date: ")), "?")
    return {claim_id: (date, row_cells(line)) for claim_id, line in report_rows(text).items()}


def _copied_row(claim, seeds, full_rows) -> list[str]:
    """A full-mode-only claim's cells in a column-mode report: copied from the full report, or 'not measured'."""
    date, cells = full_rows.get(claim.id, (None, None))
    place = f"{claim.notebook} {claim.section}"
    if cells is None or len(cells) != 7 + len(seeds):
        return [claim.id, _cell(claim.statement), place, "full (not measured yet: make claims FULL=1)",
                _cell(claim.rule), *(["—"] * len(seeds)), "—", "not measured"]
    return [claim.id, _cell(claim.statement), place, f"full (copied from REPORT-full.md, {date})", _cell(claim.rule),
            *cells[5:]]


def _restated(line: str) -> str:
    """A stored row with its statement cell taken from the registry: a claim reworded after it was measured
    (to say on how many seeds it held, say) keeps its measured values and shows its current words."""
    cells = row_cells(line)
    cells[1] = _cell(CLAIMS[cells[0]].statement)
    return "| " + " | ".join(cells) + " |"


def merge_rows(existing: str, fresh: str, ids) -> str:
    """``existing`` report with the rows of ``ids`` taken from ``fresh`` (replaced, or added in registry order),
    every other row's statement as the registry words it now, and a header line naming the new rows and when
    they were measured."""
    fresh_rows, old_rows = report_rows(fresh), report_rows(existing)
    rows = {**{claim_id: _restated(line) for claim_id, line in old_rows.items()},
            **{claim_id: fresh_rows[claim_id] for claim_id in ids}}
    table = [rows[claim_id] for claim_id in CLAIMS if claim_id in rows]
    lines = [line for line in existing.splitlines() if not (line.startswith("| ") and row_cells(line)[0] in CLAIMS)]
    separator = next(i for i, line in enumerate(lines) if line.startswith("|---"))
    lines[separator + 1:separator + 1] = table
    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    note_at = next(i for i, line in enumerate(lines) if line.startswith(f"- {FINGERPRINT_LINE}")) + 1
    fingerprint = next(line for line in fresh.splitlines() if line.startswith(f"- {FINGERPRINT_LINE}")).split()[-1]
    lines.insert(note_at, f"- rows measured later, on {date} (sources fingerprint {fingerprint[:16]}…): "
                          f"{', '.join(ids)}")
    return "\n".join(lines) + "\n"


def render_report(claims, measured, seeds, full: bool, gflops: float, total_seconds: float, hashes,
                  full_rows=None) -> str:
    """The Markdown report: header, one row per claim, then the hashes of the sources measured.

    In column mode a claim of mode "full" is not measured: its row comes from ``full_rows``
    (``full_report_rows``), marked as copied, or says that it has not been measured yet."""
    seed_columns = " | ".join(f"seed {s}" for s in seeds)
    lines = [
        "# Claims report: the course's worded findings, measured on several seeds",
        "",
        "Generated by `make claims` (`python -m tools.claims`); do not edit by hand. A claim holds on a seed",
        "when its rule is true for the value measured with that seed (NaN: a precondition of the rule failed).",
        "",
        f"- date: {datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {platform.machine()}, {platform.system()}; fp32 matmul {gflops:.1f} GFLOP/s (one process)",
        f"- mode: {'full for every claim' if full else 'each claim in its own mode (column mode)'}",
        f"- seeds: {' '.join(str(s) for s in seeds)}; measuring took {total_seconds:.0f} s",
        f"- {FINGERPRINT_LINE} {combined_fingerprint(hashes)}",
        "",
        f"| id | statement | notebook, section | mode | rule | {seed_columns} | mean ± sd | holds |",
        "|" + "---|" * (7 + len(seeds)),
    ]
    for claim in claims:
        if claim.id not in measured:
            lines.append("| " + " | ".join(_copied_row(claim, seeds, full_rows or {})) + " |")
            continue
        values = measured[claim.id]["values"]
        held = sum(claim.holds(v) for v in values)
        cells = [claim.id, _cell(claim.statement), f"{claim.notebook} {claim.section}", "full" if full else claim.mode,
                 _cell(claim.rule), *(_number(v) for v in values), summary(values), f"{held}/{len(values)}"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", SOURCES_BEGIN, *(f"{path} {digest}" for path, digest in sorted(hashes.items())), SOURCES_END, ""]
    return "\n".join(lines)


def report_holds(text: str) -> dict[str, tuple[int, int]]:
    """{id: (k, n)} from a report's rows: claim id held on k of n seeds."""
    held = {}
    for line in text.splitlines():
        cells = row_cells(line)
        if line.startswith("| ") and len(cells) > 2 and cells[0] in CLAIMS and "/" in cells[-1]:
            k, n = cells[-1].split("/")
            held[cells[0]] = (int(k), int(n))
    return held


def stale_sources(report_text: str, root: Path, claims=None) -> list[str]:
    """One line per source that differs from what the report measured: changed, new or no longer used."""
    recorded = parse_hashes(report_text, SOURCES_BEGIN, SOURCES_END)
    if recorded is None:
        return ["the report lists no sources: regenerate it"]
    current = source_hashes(claims or CLAIMS.values(), root)
    problems = [f"{path}: changed since the report" for path in sorted(set(recorded) & set(current))
                if recorded[path] != current[path]]
    problems += [f"{path}: now measured, not in the report" for path in sorted(set(current) - set(recorded))]
    problems += [f"{path}: in the report, no longer measured" for path in sorted(set(recorded) - set(current))]
    return problems


def check(report: Path, root: Path) -> int:
    """0 when ``report`` (relative to ``root``) is current; else one line per stale source and 1."""
    if not (root / report).is_file():
        print(f"{report} is missing: run make claims")
        return 1
    problems = stale_sources((root / report).read_text(encoding="utf-8"), root)
    for problem in problems:
        print(f"{report}: {problem}")
    if problems:
        print(f"{report} is older than the sources it measures: run make claims")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.claims", description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="measure every claim in full mode")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(DEFAULT_SEEDS))
    parser.add_argument("--out", type=Path, help="report path (default: claims/REPORT[-seeds-…][-full].md)")
    parser.add_argument("--only", nargs="+", metavar="ID", help="measure these claims only; print, write nothing")
    parser.add_argument("--merge", action="store_true",
                        help="with --only: write the measured rows into the existing report instead of only printing")
    parser.add_argument("--check", action="store_true", help="fail when the report is older than its sources")
    args = parser.parse_args(argv)
    root = project_root()
    out = args.out or default_report(args.seeds, args.full)
    if args.check:
        return check(out, root)
    unknown = sorted(set(args.only or ()) - set(CLAIMS))
    if unknown:
        print(f"unknown claim id(s): {', '.join(unknown)}; the ids are the first column of claims/REPORT.md")
        return 2
    if args.merge and not (args.only and (root / out).is_file()):
        print(f"--merge needs --only and an existing {out}")
        return 2
    claims = [CLAIMS[i] for i in args.only] if args.only else list(CLAIMS.values())
    measured_here = claims if args.full else [claim for claim in claims if claim.mode != "full"]
    gflops = matmul_gflops()
    start = time.perf_counter()
    measured = measure_all(measured_here, args.seeds, args.full)
    total = time.perf_counter() - start
    print(f"measured {len(measured_here)} claims on {len(args.seeds)} seeds in {total:.0f} s")
    if args.only and not args.merge:
        return 0
    text = render_report(claims, measured, args.seeds, args.full, gflops, total, source_hashes(claims, root),
                         full_rows=full_report_rows(root / default_report(args.seeds, full=True)))
    if args.merge:
        text = merge_rows((root / out).read_text(encoding="utf-8"), text, [claim.id for claim in claims])
    (root / out).parent.mkdir(parents=True, exist_ok=True)
    (root / out).write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
