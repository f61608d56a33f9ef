"""``course-grade --dask ADDRESS``: the same rows as a local run, graded by the workers of a Dask cluster.

A local cluster (one worker process, one thread) starts in about a second; its worker starts its own
warm fork server, so the first submission waits for torch to be imported there, as it would locally.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

import pytest

from course_lib import grade as grade_command

pytestmark = pytest.mark.slow  # a grader run: several seconds (make test runs it, make check does not)

distributed = pytest.importorskip("distributed")

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "grading"
sys.path.insert(0, str(FIXTURES))
import planted  # noqa: E402


def test_a_dask_cluster_grades_the_submissions_in_its_workers(tmp_path):
    klass = tmp_path / "class"
    planted.write_ipynb(planted.solution("03_optimizers"), klass / "ann.ipynb")
    planted.write_ipynb(planted.with_wrong_answer("sgd_step"), klass / "ben" / "01_training_loop.ipynb")
    planted.write_ipynb(planted.append_to_cell(planted.solution("01_training_loop"), "sgd_step", "import os\nos._exit(1)"),
                        klass / "cat.ipynb")
    (klass / "dee.ipynb").write_text("{ not json")
    out = tmp_path / "grades"

    printed = io.StringIO()
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            contextlib.redirect_stdout(printed):
        code = grade_command.main([str(klass), "--out", str(out), "--dask", cluster.scheduler_address, "--timeout", "30"])

    assert code == 0
    rows = {row["student"]: row for row in json.loads((out / "grades.json").read_text())["rows"]}
    assert (rows["ann"]["status"], rows["ann"]["total"], rows["ann"]["max"]) == ("graded", 3, 3)
    assert (rows["ben"]["status"], rows["ben"]["total"], rows["ben"]["max"]) == ("graded", 1, 2)
    assert rows["ben"]["exercises"]["sample_minibatch"]["points"] == 1
    assert "the step goes uphill" in rows["ben"]["exercises"]["sgd_step"]["sentence"]
    assert rows["cat"]["status"] == "crashed" and "exited (status 1)" in rows["cat"]["note"]
    assert rows["dee"]["status"] == "unreadable"
    assert f"Dask cluster {cluster.scheduler_address}" in printed.getvalue()
