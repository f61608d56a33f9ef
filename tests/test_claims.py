"""The claims suite inside ``make test``: the committed report is current, and every quick claim the
report marks as holding on all its seeds holds on seeds 0–2 here.

Claims marked ``tested=False`` (runs that train for several seconds per seed) are measured only by
``make claims``. The last tests plant faults: a changed source must make the report stale, and a
wrong predicate must make a claim fail.
"""

from __future__ import annotations

import dataclasses
import random
import shutil

import numpy as np
import pytest
import torch

from course_lib.claims import CLAIMS, MODES, failing_seeds
from course_lib.claims.fingerprint import FINGERPRINT_LINE, parse_hashes
from course_lib.config import project_root
from tools.claims import (
    DEFAULT_SEEDS,
    SOURCES_BEGIN,
    SOURCES_END,
    default_report,
    full_report_rows,
    merge_rows,
    render_report,
    report_holds,
    report_rows,
    row_cells,
    stale_sources,
)

ROOT = project_root()
REPORT = ROOT / "claims" / "REPORT.md"
TEST_SEEDS = (0, 1, 2)
TESTED = [claim.id for claim in CLAIMS.values() if claim.tested and claim.mode == "quick"]


@pytest.fixture(scope="module")
def report_text() -> str:
    return REPORT.read_text(encoding="utf-8")


def test_report_is_current(report_text):
    problems = stale_sources(report_text, ROOT)
    assert not problems, "claims/REPORT.md is older than its sources (run make claims): " + "; ".join(problems)


def test_report_lists_every_claim_on_the_default_seeds(report_text):
    """Every claim has a row with its holds k/5; a full-mode-only claim's row comes from the full report."""
    held = report_holds(report_text)
    assert set(held) == set(CLAIMS), f"not in the report: {sorted(set(CLAIMS) - set(held))}"
    assert {n for _, n in held.values()} == {len(DEFAULT_SEEDS)}


@pytest.mark.slow
@pytest.mark.parametrize("claim_id", TESTED)
def test_claim_holds_on_three_seeds(claim_id, report_text):
    held, seeds = report_holds(report_text)[claim_id]
    if held < seeds:
        pytest.skip(f"the report marks {claim_id} {held}/{seeds}: the notebook must word it as such")
    failed = failing_seeds(CLAIMS[claim_id], TEST_SEEDS)
    assert not failed, f"{claim_id} ({CLAIMS[claim_id].rule}) does not hold on seed(s) {failed}"


def test_a_wrong_predicate_fails():
    claim = CLAIMS["02-std0.1-explodes"]
    assert failing_seeds(claim, (0,)) == {}
    planted = dataclasses.replace(claim, holds=lambda value: value < 100)  # "the variance stays below 100"
    assert set(failing_seeds(planted, (0,))) == {0}


def test_measuring_a_claim_leaves_the_global_random_state():
    before = (torch.random.get_rng_state(), np.random.get_state()[1].copy(), random.getstate())
    for claim_id in ("01-sgd-beats-gd-per-epoch", "02-bias-floor"):
        failing_seeds(CLAIMS[claim_id], (3,))
    after = (torch.random.get_rng_state(), np.random.get_state()[1].copy(), random.getstate())
    assert torch.equal(before[0], after[0]) and np.array_equal(before[1], after[1]) and before[2] == after[2]


def test_a_changed_source_makes_the_report_stale(tmp_path, report_text):
    for path in parse_hashes(report_text, SOURCES_BEGIN, SOURCES_END):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / path, tmp_path / path)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    assert stale_sources(report_text, tmp_path) == []
    planted = tmp_path / "course_lib" / "experiments" / "schedules.py"
    planted.write_text(planted.read_text(encoding="utf-8") + "\n# a planted change\n", encoding="utf-8")
    assert stale_sources(report_text, tmp_path) == ["course_lib/experiments/schedules.py: changed since the report"]


def test_every_claim_names_its_notebook_and_mode():
    notebooks = {path.stem for path in (ROOT / "solutions").glob("0*.py")}
    for claim in CLAIMS.values():
        assert claim.notebook in notebooks and claim.id.startswith(claim.notebook[:2] + "-"), claim.id
        assert claim.mode in MODES and claim.statement and claim.rule and claim.section, claim.id


def test_other_seeds_write_their_own_report():
    assert default_report(DEFAULT_SEEDS, full=False).as_posix() == "claims/REPORT.md"
    assert default_report((5, 6, 7, 8, 9), full=False).as_posix() == "claims/REPORT-seeds-5-6-7-8-9.md"
    assert default_report(DEFAULT_SEEDS, full=True).as_posix() == "claims/REPORT-full.md"


def _full_only_claim():
    return next(claim for claim in CLAIMS.values() if claim.mode == "full")


def test_a_full_mode_claim_is_copied_from_the_full_report_or_marked_unmeasured(tmp_path):
    claim = _full_only_claim()
    quick = CLAIMS["02-std0.1-explodes"]
    seeds = (0, 1)
    measured = {quick.id: {"values": [239.0, 351.0], "seconds": 1.0}}
    full_row = (f"| {claim.id} | s | n | full | r | 1.5 | 2.5 | 2 ± 0.707 | 1/2 |")
    (tmp_path / "full.md").write_text(f"- date: 2026-12-07 06:00 UTC\n\n{full_row}\n", encoding="utf-8")
    text = render_report([quick, claim], measured, seeds, False, 90.0, 1.0, {},
                         full_rows=full_report_rows(tmp_path / "full.md"))
    row = report_rows(text)[claim.id]
    assert "copied from REPORT-full.md, 2026-12-07 06:00 UTC" in row and row.endswith("| 1.5 | 2.5 | 2 ± 0.707 | 1/2 |")
    assert report_holds(text) == {quick.id: (2, 2), claim.id: (1, 2)}
    unmeasured = render_report([quick, claim], measured, seeds, False, 90.0, 1.0, {}, full_rows={})
    assert "not measured yet" in report_rows(unmeasured)[claim.id] and claim.id not in report_holds(unmeasured)


def test_merging_rows_replaces_and_adds_only_the_named_claims():
    first, second, third = list(CLAIMS)[:3]

    def report(rows, fingerprint):
        return "\n".join(["# r", "", "- date: d", f"- {FINGERPRINT_LINE} {fingerprint}", "", "| id | s | v |",
                          "|---|---|---|", *(f"| {claim_id} | {words} | {value} |" for claim_id, words, value in rows),
                          "", "end"]) + "\n"

    existing = report([(first, "old words", "old"), (third, "old words", "old")], "a" * 64)
    fresh = report([(first, "new words", "new"), (second, "new words", "new")], "b" * 64)
    merged = merge_rows(existing, fresh, [second])
    rows = {claim_id: row_cells(line) for claim_id, line in report_rows(merged).items()}
    assert list(rows) == [first, second, third]
    assert [rows[claim_id][2] for claim_id in (first, second, third)] == ["old", "new", "old"]
    assert rows[first][1] == CLAIMS[first].statement.replace("|", "\\|"), "a kept row shows the current words"
    assert f"(sources fingerprint {'b' * 16}…): {second}" in merged and merged.rstrip().endswith("end")
