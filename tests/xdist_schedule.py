"""How ``make test`` shares the suite between its pytest-xdist workers (``--dist loadfile``).

xdist's file scheduler keeps each file on one worker (a notebook's cells must run in order in one
kernel) and hands the files out largest first, counting tests, not seconds: the browser test (eight
tests, three minutes) then started last and ran alone at the end. Two changes:

- the two course-website test files form one unit, so one worker builds the test site and the other
  never waits on the build lock (``tests/site_support.py``);
- the units measured slowest (``pytest --durations=0`` on the course's 2-core machine, seconds of work
  in ``SLOWEST_FIRST``) go out first, then the notebooks under nbval, then the rest in xdist's order,
  so the short unit tests fill the gaps at the end.

A file missing from ``SLOWEST_FIRST`` is only scheduled later; nothing else depends on the list.
"""

from __future__ import annotations

from xdist.scheduler import LoadFileScheduling

WEBSITE_UNIT = "course website (tests/test_site.py, tests/browser/test_site_pages.py)"
WEBSITE_FILES = frozenset({"tests/test_site.py", "tests/browser/test_site_pages.py"})
SLOWEST_FIRST = (
    WEBSITE_UNIT,  # ~115 s: the quick-mode site build, then its pages in Chromium; + ~135 s of axe-core on
    # both editions in both themes (65 s public, 67 s instructor; 95 s and 145 s with another browser test running)
    "tests/test_adding_an_exercise.py",  # ~210 s under load: a scratch copy, notebook 03 run, a grader run
    "tests/browser/test_jupyterlab.py",  # ~170 s: every student notebook in JupyterLab
    "tests/browser/test_before_you_submit.py",  # ~70 s under load: JupyterLab, two previews, a grader run
    "tests/test_grading_preview.py",  # ~65 s under load: four previews (a fork server each) and a grader run
    "tests/test_widget_fuzz.py",  # ~55 s
    "tests/test_random_state.py",  # ~40 s: notebook 04 run twice
    "tests/test_benchmarks_smoke.py",  # ~30 s
    "tests/test_claims.py",  # ~30 s: the quick claims on seeds 0-2
    "tests/test_grading_gradescope.py",  # ~30 s: four run_autograder processes
)


def unit_rank(unit: str) -> int:
    if unit in SLOWEST_FIRST:
        return SLOWEST_FIRST.index(unit)
    if unit.endswith(".ipynb"):
        return len(SLOWEST_FIRST)
    return len(SLOWEST_FIRST) + 1


class CourseScheduling(LoadFileScheduling):
    """``--dist loadfile`` with the website files as one unit and the slowest units handed out first."""

    _ordered = False

    def _split_scope(self, nodeid: str) -> str:
        unit = nodeid.split("::", 1)[0]  # the file, as in LoadFileScheduling
        return WEBSITE_UNIT if unit in WEBSITE_FILES else unit

    def _assign_work_unit(self, node) -> None:
        if not self._ordered:  # the first assignment: the work queue is complete, nothing handed out yet
            self._ordered = True
            ordered = sorted(self.workqueue.items(), key=lambda item: unit_rank(item[0]))  # stable
            self.workqueue.clear()
            self.workqueue.update(ordered)
        super()._assign_work_unit(node)
