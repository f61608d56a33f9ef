"""``--dask ADDRESS``: the same per-submission work, sent to the workers of an existing Dask cluster.

Each worker process starts its own warm fork server (``client.ForkServer``) on first use and keeps
it, so torch and course_lib are imported once per worker, and every submission still runs in a fresh
process forked from it, with the same limits. A worker grades one submission at a time: start workers
with one thread each and as many processes as cores, e.g. ``dask worker ADDRESS --nworkers 8
--nthreads 1``. The workers need course_lib installed (the same version as the grader's).

Needs the optional packages ``dask`` and ``distributed`` (``pip install dask distributed``); they are
imported only when ``--dask`` is given.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import asdict

from course_lib.grading.client import ForkServer, ServerError
from course_lib.grading.records import CRASHED, Job, Row, finish_row
from course_lib.grading.sandbox import Limits

_SERVERS: dict[str, ForkServer] = {}
_LOCK = threading.Lock()


def _worker_server(setups: dict[str, list[str]], limits: dict) -> ForkServer:
    """This worker process's fork server for these settings (started on first use, restarted if gone)."""
    key = json.dumps([setups, limits], sort_keys=True)
    server = _SERVERS.get(key)
    if server is None or server.process.poll() is not None:
        server = _SERVERS[key] = ForkServer(setups, Limits(**limits), workers=1)
    return server


def describe_on_worker(setups: dict[str, list[str]], limits: dict) -> dict:
    """Runs on a worker: warm its fork server; return its hello (exercise id → points, warnings)."""
    with _LOCK:
        return _worker_server(setups, limits).hello()


def grade_on_worker(job: dict, setups: dict[str, list[str]], limits: dict) -> dict:
    """Runs on a worker: grade one job in a fresh process forked from the worker's fork server."""
    with _LOCK:
        rows: list[Row] = []
        _worker_server(setups, limits).run([Job.from_dict(job)], rows.append)
    return rows[0].to_dict()


class DaskBackend:
    """The grader's side: warm every worker, then one task per job, rows as they complete."""

    def __init__(self, address: str, setups: dict[str, list[str]], limits: Limits):
        try:
            from distributed import Client
        except ImportError:
            raise ServerError("--dask needs the optional packages dask and distributed: "
                              "pip install dask distributed") from None
        try:
            self.client = Client(address, timeout=10)
        except (OSError, TimeoutError) as error:
            raise ServerError(f"cannot reach the Dask scheduler at {address}: {error}") from None
        self.setups, self.limits = setups, asdict(limits)
        workers = list(self.client.scheduler_info()["workers"]) or [None]
        self._warm = [self.client.submit(describe_on_worker, self.setups, self.limits, pure=False,
                                         workers=None if worker is None else [worker]) for worker in workers]

    def hello(self) -> dict:
        hellos = self.client.gather(self._warm)
        return {"exercises": hellos[0]["exercises"],
                "warnings": sorted({warning for hello in hellos for warning in hello["warnings"]})}

    def run(self, jobs: list[Job], on_row: Callable[[Row], None]) -> None:
        from distributed import as_completed

        futures = {self.client.submit(grade_on_worker, job.to_dict(), self.setups, self.limits, pure=False): job
                   for job in jobs}
        for future in as_completed(futures):
            try:
                on_row(Row.from_dict(future.result()))
            except Exception as error:  # the task itself failed (a lost worker, a missing course_lib)
                note = f"the submission's Dask task failed ({type(error).__name__}: {error})"
                on_row(finish_row(futures[future], {}, CRASHED, 0.0, note=note, unfinished=note))

    def abort(self) -> None:
        self.client.close()

    def close(self) -> None:
        self.client.close()
