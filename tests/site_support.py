"""Helpers for the course-website tests: build the site once per session, read its pages.

The test site is built by the same pipeline as ``make site`` (tools/build_site.py), in quick mode:
the student notebooks are executed with ``COURSE_QUICK=1`` (cached in ``.site-cache/quick-*`` between
local runs) and rendered by ``sphinx-build -W``; the instructor edition renders the stored outputs
of ``solutions/*.ipynb`` without executing anything (``--no-execute``), for the leak test's
positive control.
"""

from __future__ import annotations

import fcntl
import functools
import html
import os
import re
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK_PATTERN = "[0-9][0-9]_*.ipynb"


def require_node() -> None:
    """Skip loudly without Node.js/npm on a laptop; fail under CI (as ``require_browser`` does)."""
    import pytest

    missing = [name for name in ("node", "npm") if shutil.which(name) is None]
    if not missing:
        return
    reason = f"SITE NOT BUILT: missing {', '.join(missing)} (apt-get install nodejs npm)"
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(reason + " -- required under CI", pytrace=False)
    warnings.warn(reason, UserWarning, stacklevel=2)
    pytest.skip(reason)


@dataclass
class BuiltSite:
    """A built edition: its HTML folder and the notebooks it was built from."""

    html: Path
    notebooks: list[Path]
    log: str

    @property
    def folder(self) -> str:
        return self.notebooks[0].parent.name

    def chapter(self, notebook: Path) -> Path:
        return self.html / self.folder / f"{notebook.stem}.html"

    def pages(self) -> list[Path]:
        return sorted(path for path in self.html.rglob("*.html") if "_static" not in path.parts)


def build_edition(edition: str, *extra: str) -> BuiltSite:
    """Run tools/build_site.py in quick mode; fail the test with the build's output when it fails.

    Under pytest-xdist every worker that needs the site asks for it, but the edition is built once per
    test run: the workers take turns on a lock file, and the first one writes the run's id
    (``PYTEST_XDIST_TESTRUNUID``) and the build's log next to it; a later worker of the same run reads
    them instead of building again (a second build would also rewrite pages another worker is reading).
    """
    import pytest

    require_node()
    folder = "notebooks" if edition == "public" else "solutions"
    html_dir = REPO / "build" / "site" / f"{edition}-quick" / "html"
    notebooks = sorted((REPO / folder).glob(NOTEBOOK_PATTERN))
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")
    marker = html_dir.parent / "test-run.txt"
    marker.parent.mkdir(parents=True, exist_ok=True)
    with open(html_dir.parent / "test-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if run_id and marker.is_file():
            built_by, _, log = marker.read_text().partition("\n")
            if built_by == run_id:
                return BuiltSite(html=html_dir, notebooks=notebooks, log=log)
        marker.unlink(missing_ok=True)
        command = [sys.executable, "-m", "tools.build_site", "--edition", edition, "--mode", "quick", *extra]
        result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)
        log = result.stdout + result.stderr
        if result.returncode != 0:
            pytest.fail(f"site build failed ({' '.join(command[1:])}):\n{log[-6000:]}", pytrace=False)
        if run_id:
            marker.write_text(f"{run_id}\n{log}")
    return BuiltSite(html=html_dir, notebooks=notebooks, log=log)


@dataclass
class Page:
    """What the tests need from one HTML page."""

    path: Path
    ids: set[str] = field(default_factory=set)
    links: list[tuple[str, str, str]] = field(default_factory=list)  # (tag, attribute, value)
    images: list[dict[str, str]] = field(default_factory=list)
    headings: list[tuple[int, str]] = field(default_factory=list)  # inside the article only
    text: str = ""


class _PageParser(HTMLParser):
    def __init__(self, page: Page):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.article_depth = 0
        self.heading: list | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = {name: value or "" for name, value in attrs}
        if "id" in values:
            self.page.ids.add(values["id"])
        if tag == "a" and "name" in values:
            self.page.ids.add(values["name"])
        for attribute in ("href", "src"):
            if attribute in values:
                self.page.links.append((tag, attribute, values[attribute]))
        if tag == "img":
            self.page.images.append(values)
        if tag == "article" and "bd-article" in values.get("class", ""):
            self.article_depth = 1
        elif tag == "article" and self.article_depth:
            self.article_depth += 1
        if self.article_depth and re.fullmatch(r"h[1-6]", tag):
            self.heading = [int(tag[1]), ""]

    def handle_endtag(self, tag):
        if tag == "article" and self.article_depth:
            self.article_depth -= 1
        if self.heading is not None and tag == f"h{self.heading[0]}":
            self.page.headings.append((self.heading[0], " ".join(self.heading[1].split())))
            self.heading = None

    def handle_data(self, data):
        self.text.append(data)
        if self.heading is not None:
            self.heading[1] += data


@functools.lru_cache(maxsize=256)
def _read_page(path: Path, mtime_ns: int) -> Page:
    page = Page(path=path)
    parser = _PageParser(page)
    parser.feed(path.read_text(encoding="utf-8"))
    page.text = html.unescape(" ".join(parser.text))
    return page


def read_page(path: Path) -> Page:
    """The parsed page (parsed once per session for each version of the file; do not modify it)."""
    return _read_page(Path(path), Path(path).stat().st_mtime_ns)


def words(text: str) -> str:
    """Text as its lower-case words separated by one space: how the leak test compares lines with pages."""
    return " ".join(re.findall(r"\w+", text.lower()))
