"""The course website (make site): built with -W, one chapter per notebook, no solution in the public
edition, no broken internal link, nothing loaded from a CDN, every image described, headings in order.

The site is built once per session in quick mode by the ``public_site`` fixture (tests/site_support.py);
a failed ``sphinx-build -W`` fails every test here with the build's output. The browser test that opens
the chapters is tests/browser/test_site_pages.py.

Leak rule: the one of tests/test_notebook_sync.py (a line of a `# BEGIN SOLUTION` region or of a
`solution`-tagged markdown cell, ≥ 12 non-space characters, not a comment, found nowhere in the
scaffold), compared as a sequence of words, so markup, highlighting and rendered markdown cannot hide
a line. The instructor edition must contain those lines, which proves the check can fail.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

from tests.site_support import REPO, read_page, words
from tests.test_notebook_sync import _non_trivial, _normalized, generator, split_source
from tools import build_site

pytestmark = pytest.mark.slow

CDN_HOSTS = (
    "cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com", "cdn.mathjax.org", "fonts.googleapis.com",
    "fonts.gstatic.com", "ajax.googleapis.com", "code.jquery.com", "stackpath.bootstrapcdn.com",
    "maxcdn.bootstrapcdn.com", "cdn.plot.ly", "use.fontawesome.com", "kit.fontawesome.com", "polyfill.io",
)
CDN_URL = re.compile(r"(?:https?:)?//(?:" + "|".join(map(re.escape, CDN_HOSTS)) + r")[^\s\"'`)<>]*")
# MathJax 3 names three CDN files as fallbacks for Internet Explorer only (an XPath polyfill and IE
# builds of the speech rule engine); no other browser fetches them, and the browser test proves that
# no page requests anything from another site. Allowed in the vendored MathJax files, nowhere else.
CDN_ALLOWED_UNDER = "_static/mathjax/"
CDN_ALLOWED_PREFIXES = (
    "https://cdn.jsdelivr.net/npm/wicked-good-xpath@",
    "https://cdn.jsdelivr.net/npm/speech-rule-engine@",
    "https://cdn.jsdelivr.net/npm/sre-mathmaps-ie@",
)
TEXT_SUFFIXES = {".html", ".js", ".css", ".json", ".txt", ".ipynb", ".md", ".svg", ".xml", ".inv"}
RESOURCE_TAGS = {"script", "img", "link", "iframe", "source", "video", "audio", "embed"}
GENERIC_ALT = re.compile(r"^(png|jpe?g|gif|svg|image|img|figure|plot|picture|graph|chart)$|\.(png|jpe?g|gif|svg)$"
                         r"|^[0-9a-f]{32,}$", re.IGNORECASE)


def squash(text: str) -> str:
    """Text without any whitespace: code highlighting splits a line into spans, and pages reflow prose."""
    return re.sub(r"\s+", "", text)


def plain_markdown(text: str) -> str:
    """Markdown as it reads once rendered: link targets, emphasis and code marks, and math delimiters gone."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\\[()\[\]]", "", text)
    return re.sub(r"[*`$]", "", text)


def secret_lines() -> dict[str, dict[str, set[str]]]:
    """{solution source: {"code": lines, "markdown": lines}} by the leak rule of test_notebook_sync, squashed."""
    scaffold: set[str] = set()
    split = {}
    for path in generator.find_sources(REPO):
        solution, source_scaffold = split_source(path)
        scaffold |= source_scaffold
        source = generator.read_source(path)
        answers = {_normalized(line) for cell in source.notebook.cells
                   if cell.cell_type == "markdown" and generator.SOLUTION_TAG in cell.metadata.get("tags", [])
                   for line in cell.source.splitlines()}
        split[path.name] = (solution, answers)
    secrets = {}
    for name, (solution, answers) in split.items():
        lines = {line for line in solution - scaffold if _non_trivial(line)}
        secrets[name] = {"code": {squash(line) for line in lines - answers},
                         "markdown": {squash(plain_markdown(line)) for line in lines & answers}}
    return secrets


def published_texts(site_html: Path) -> dict[str, tuple[str, str]]:
    """{file: (its text squashed, its text as rendered markdown squashed)} for every page and source file
    a reader can open (the vendored files in _static aside)."""
    texts = {}
    for path in sorted(site_html.rglob("*")):
        relative = path.relative_to(site_html).as_posix()
        if not path.is_file() or relative.startswith(("_static/", "_images/")):
            continue
        if path.suffix == ".html":
            text = read_page(path).text
        elif path.suffix == ".ipynb":
            notebook = nbformat.read(path, as_version=4)
            text = "\n".join([cell.source for cell in notebook.cells]
                             + [json.dumps(cell.get("outputs", [])) for cell in notebook.cells])
        elif path.suffix in {".txt", ".md", ".json", ".js"}:
            text = path.read_text(encoding="utf-8", errors="replace")
        else:
            continue
        texts[relative] = (squash(text), squash(plain_markdown(text)))
    return texts


def leaks(site_html: Path) -> dict[str, list[str]]:
    """{solution source: its solution lines (squashed) found anywhere on the site}."""
    texts = list(published_texts(site_html).values())
    found = {}
    for name, kinds in secret_lines().items():
        hits = sorted(line for line in kinds["code"] if any(line in text for text, _ in texts))
        hits += sorted(line for line in kinds["markdown"] if any(line in plain for _, plain in texts))
        if hits:
            found[name] = hits
    return found


def test_the_site_builds_with_warnings_as_errors(public_site):
    """The fixture's build passed sphinx-build -W; the same call fails on a page with one warning."""
    assert (public_site.html / "index.html").is_file()
    staging = public_site.html.parent / "warning-check"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "src").mkdir(parents=True)
    (staging / "src" / "index.md").write_text("# A page\n\nA link to {doc}`no-such-page`.\n")
    settings = build_site.Settings(mode="quick", work=staging)
    with pytest.raises(subprocess.CalledProcessError):
        build_site.sphinx_build(staging / "src", staging / "html", staging / "doctrees",
                                REPO / "build" / "site" / "assets", settings)
    shutil.rmtree(staging, ignore_errors=True)


def test_every_notebook_has_a_chapter_listed_on_the_landing_page(public_site):
    assert public_site.notebooks, "no notebooks/NN_*.ipynb"
    landing = read_page(public_site.html / "index.html")
    linked = {urlsplit(value).path for tag, _, value in landing.links if tag == "a"}
    for notebook in public_site.notebooks:
        chapter = public_site.chapter(notebook)
        assert chapter.is_file(), f"no chapter for {notebook.name}"
        title = generator.read_stored(notebook).cells[0].source.splitlines()[0].lstrip("# ").strip()
        assert title in read_page(chapter).text, f"{chapter.name} does not show the title {title!r}"
        assert f"notebooks/{notebook.stem}.html" in linked, f"the landing page does not link {notebook.stem}"


def test_the_landing_page_is_the_readmes_course_map(public_site):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Course map", 1)[1].split("\n## ", 1)[0]
    chapters = {notebook.stem for notebook in public_site.notebooks}
    rows = [cells[2].strip() for cells in (line.split("|") for line in section.splitlines())
            if len(cells) > 3 and cells[1].strip().strip("`") in chapters]
    landing = words(read_page(public_site.html / "index.html").text)
    assert rows, "the README's course map lists none of the notebooks"
    for description in rows:
        assert words(description) in landing, f"the course map row {description[:60]!r} is not on the landing page"


def test_chapters_say_the_exercises_are_unsolved_and_the_widgets_static(public_site):
    for notebook in public_site.notebooks:
        page = read_page(public_site.chapter(notebook))
        assert "exercises not yet solved" in " ".join(page.text.split()), notebook.name
        assert "model answers are not published here" in " ".join(page.text.split()), notebook.name
        text = page.path.read_text(encoding="utf-8")
        views = len(re.findall(r'<script type="application/vnd.jupyter.widget-view\+json">', text))
        noted = text.count('class="static-widget-note"')
        assert noted >= min(views, 1) and noted <= views, f"{notebook.name}: {views} demos, {noted} notes"
        static, responding = "Static copy of this demo" in page.text, "This demo responds without a kernel" in page.text
        assert (static or responding) if views else not (static or responding), notebook.name
        assert responding == ("data-course-frames=" in text), notebook.name


def page_frames(path: Path) -> tuple[list[dict], dict[str, dict]]:
    """(frame manifests, {model id: stored widget state}) of a chapter page."""
    text = path.read_text(encoding="utf-8")
    manifests = [json.loads(block) for block in re.findall(
        r'<script type="application/json" data-course-frames="[0-9a-f]+">(.*?)</script>', text, re.DOTALL)]
    states = {}
    for block in re.findall(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', text,
                            re.DOTALL):
        states.update(json.loads(block)["state"])
    return manifests, states


def test_every_demo_with_frames_has_the_frame_of_every_setting(public_site):
    """Each responding demo's manifest, as its page holds it, gives every setting of the grid of its controls
    (recomputed from the page's own widget state) one frame: an image file of the site with a text
    alternative. The frame of the notebook's own setting is the plot the notebook drew (same text
    alternative), except for the timing demo, which measures anew each time it draws."""
    from course_lib.widgets.frames import control_grid

    responding, referenced = [], set()
    for notebook in public_site.notebooks:
        path = public_site.chapter(notebook)
        manifests, states = page_frames(path)
        for manifest in manifests:
            where = f"{notebook.stem} {manifest['demo']}"
            responding.append(where)
            grids = [control_grid(states[control["model_id"]]["state"]) for control in manifest["controls"]]
            assert [list(grid.keys) for grid in grids] == [control["keys"] for control in manifest["controls"]], where
            assert len(manifest["frames"]) == math.prod(len(grid) for grid in grids), where
            for file, alt in manifest["frames"]:
                assert file is not None, f"{where}: a setting the demo rejects ({alt})"
                assert (path.parent / manifest["base"] / file).resolve().is_file(), f"{where}: {file} is missing"
                referenced.add((path.parent / manifest["base"] / file).resolve())
                assert len(alt) >= 8 and not GENERIC_ALT.search(alt), f"{where}: {alt!r}"
            demo = next(model for model in states.values() if any(
                child == f"IPY_MODEL_{manifest['controls'][0]['model_id']}" for child in model["state"].get("children", [])))
            output = states[demo["state"]["children"][-1].removeprefix("IPY_MODEL_")]["state"]["outputs"][-1]
            position = 0
            for control, grid in zip(manifest["controls"], grids, strict=True):
                state = states[control["model_id"]]["state"]
                position = position * len(grid) + grid.keys.index(state["index" if grid.kind == "index" else "value"])
            if manifest["demo"] != "computation_cost_demo":
                assert manifest["frames"][position][1] == output["metadata"]["image/png"]["alt"], where
    assert responding, "no chapter has a demo that responds"
    published = {path.resolve() for path in (public_site.html / "_frames").rglob("*") if path.is_file()}
    assert published == referenced, f"frame files no page uses: {sorted(published - referenced)[:5]}"


def test_chapters_have_launch_and_download_buttons(public_site):
    for notebook in public_site.notebooks:
        page = read_page(public_site.chapter(notebook))
        hrefs = [value for tag, _, value in page.links if tag == "a"]
        assert any(value.startswith("https://mybinder.org/v2/gh/") and notebook.name in value for value in hrefs)
        assert any(value.startswith("https://colab.research.google.com/github/") and notebook.name in value
                   for value in hrefs)
        download = public_site.html / "_sources" / "notebooks" / notebook.name
        assert any(value.endswith(f"_sources/notebooks/{notebook.name}") for value in hrefs)
        assert download.read_bytes() == notebook.read_bytes(), "the download is the repository's student notebook"


def test_the_references_cells_are_published(public_site):
    references = read_page(public_site.html / "references.html")
    for notebook in public_site.notebooks:
        cells = [cell.source for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "markdown"]
        body = next((re.split(r"^#{1,6}\s+References\s*$", source, flags=re.MULTILINE)[1]
                     for source in cells if re.search(r"^#{1,6}\s+References\s*$", source, re.MULTILINE)), None)
        if body is None:
            continue
        first_entry = next(line for line in body.splitlines() if line.strip().startswith(("-", "*")))
        entry = words(re.sub(r"[*_`]", "", first_entry))
        assert entry in words(references.text), f"{notebook.name}'s References are not on references.html"
        assert entry in words(read_page(public_site.chapter(notebook)).text)


def test_the_public_edition_holds_no_solution_line(public_site):
    assert secret_lines(), "no solution lines to look for"
    assert leaks(public_site.html) == {}


def test_the_instructor_edition_holds_the_solutions_so_the_leak_check_can_fail(instructor_site):
    found = leaks(instructor_site.html)
    for name, kinds in secret_lines().items():
        lines = kinds["code"] | kinds["markdown"]
        if lines:
            assert len(found.get(name, [])) >= 0.9 * len(lines), (
                f"{name}: only {len(found.get(name, []))} of {len(lines)} solution lines found in the instructor "
                "edition; the leak check's comparison no longer sees what pages show")


def _local_target(page: Path, site_html: Path, value: str) -> tuple[Path, str] | None:
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or value.startswith(("mailto:", "javascript:", "data:")):
        return None
    target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
    if target.is_dir():
        target = target / "index.html"
    return target, unquote(parts.fragment)


def test_no_internal_link_is_broken(public_site):
    broken = []
    pages = {path.resolve(): read_page(path) for path in public_site.pages()}
    for path, page in pages.items():
        for tag, attribute, value in page.links:
            resolved = _local_target(path, public_site.html, value)
            if resolved is None:
                continue
            target, fragment = resolved
            if not target.exists():
                broken.append(f"{path.relative_to(public_site.html.resolve())}: <{tag} {attribute}={value!r}> "
                              "points to a missing file")
            elif fragment and target.suffix == ".html" and target in pages and fragment not in pages[target].ids:
                broken.append(f"{path.relative_to(public_site.html.resolve())}: {value!r} has no #{fragment}")
    assert not broken, "\n".join(broken[:40])


def test_no_page_loads_anything_from_another_site(public_site):
    """Every script, stylesheet, image and font is served by the site itself (links to Binder etc. are fine)."""
    remote = []
    for path in public_site.pages():
        for tag, attribute, value in read_page(path).links:
            if tag in RESOURCE_TAGS and re.match(r"(https?:)?//", value):
                remote.append(f"{path.relative_to(public_site.html)}: <{tag} {attribute}={value}>")
    assert not remote, "\n".join(remote[:40])


def test_no_file_of_the_site_names_a_cdn(public_site):
    found = []
    for path in sorted(public_site.html.rglob("*")):
        if not path.is_file() or path.suffix not in TEXT_SUFFIXES:
            continue
        relative = path.relative_to(public_site.html).as_posix()
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in CDN_URL.finditer(text):
            url = match.group(0)
            if not (relative.startswith(CDN_ALLOWED_UNDER) and url.startswith(CDN_ALLOWED_PREFIXES)):
                found.append(f"{relative}: {url}")
    assert not found, "\n".join(found[:40])


def test_math_is_rendered_by_the_local_mathjax(public_site):
    for notebook in public_site.notebooks:
        text = public_site.chapter(notebook).read_text(encoding="utf-8")
        if 'class="math' in text:
            assert re.search(r'<script[^>]+src="[./]*_static/mathjax/tex-chtml\.js', text), notebook.name
    assert (public_site.html / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()


def test_every_image_has_a_text_alternative_that_says_what_it_shows(public_site):
    bad = []
    for path in public_site.pages():
        for image in read_page(path).images:
            alt = " ".join(image.get("alt", "").split())
            if len(alt) < 8 or GENERIC_ALT.search(alt) or alt == image.get("src"):
                bad.append(f"{path.relative_to(public_site.html)}: {image.get('src', '')[:60]} alt={alt!r}")
    assert not bad, "\n".join(bad[:40])


def test_widget_plots_carry_their_text_alternative_in_the_stored_state(public_site):
    """Widget images are drawn in the browser from the page's widget state: each must carry an alt."""
    missing = []
    for notebook in public_site.notebooks:
        text = public_site.chapter(notebook).read_text(encoding="utf-8")
        for state in re.findall(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', text,
                                re.DOTALL):
            for model_id, model in json.loads(state)["state"].items():
                for output in model.get("state", {}).get("outputs", []) if model["model_name"] == "OutputModel" else []:
                    if "image/png" in output.get("data", {}):
                        alt = output.get("metadata", {}).get("image/png", {}).get("alt", "")
                        if len(alt) < 8 or GENERIC_ALT.search(alt):
                            missing.append(f"{notebook.name}: widget {model_id} alt={alt!r}")
                        if "text/html" in output["data"]:
                            missing.append(f"{notebook.name}: widget {model_id} stores its plot twice (PNG and HTML)")
    assert not missing, "\n".join(missing)


def test_figures_are_image_files_not_inline_copies(public_site):
    """The <img alt=...> copy that course figures carry for JupyterLab is dropped: pages link image files."""
    inline = [f"{path.relative_to(public_site.html)}: {len(images)} inline PNG(s)" for path in public_site.pages()
              if (images := re.findall(r'<img[^>]+src="data:image/png', path.read_text(encoding="utf-8")))]
    assert not inline, "\n".join(inline)
    assert any(image.get("src", "").startswith("../_images/") for path in public_site.pages()
               for image in read_page(path).images), "no chapter shows a figure as an image file"


def test_headings_are_in_order(public_site):
    """One h1 per page, and no heading more than one level below the one before it."""
    problems = []
    for path in public_site.pages():
        headings = read_page(path).headings
        if path.name in {"genindex.html", "search.html"}:
            continue
        levels = [level for level, _ in headings]
        if levels.count(1) != 1 or (levels and levels[0] != 1):
            problems.append(f"{path.relative_to(public_site.html)}: h1 count {levels.count(1)}, first h{levels[:1]}")
        for (before, _), (level, text) in zip(headings, headings[1:], strict=False):
            if level > before + 1:
                problems.append(f"{path.relative_to(public_site.html)}: h{before} then h{level} ({text[:50]!r})")
    assert not problems, "\n".join(problems)
