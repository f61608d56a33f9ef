"""Build the course website from the executed notebooks: Sphinx + myst-nb + sphinx-book-theme, offline.

Pipeline (one function per step):

1. `find_notebooks`        `notebooks/NN_*.ipynb` (public edition: the student notebooks) or
                           `solutions/NN_*.ipynb` (instructor edition), sorted; never a fixed list.
2. `execute_cached`        each notebook run top to bottom in a fresh python3 kernel (cwd = its folder;
                           quick mode with `COURSE_QUICK=1`, full mode without), widget state stored in
                           `metadata.widgets` (nbclient `store_widget_state`). Executions are cached with
                           jupyter-cache in `.site-cache/<mode>/`, keyed on the notebook's code cells and
                           kernelspec: a notebook whose code did not change is not run again (markdown
                           edits never re-run it). `--no-execute` renders the outputs a notebook already
                           stores (the instructor edition in full mode uses them when `make solutions`
                           ran every cell). After the last cell, the same kernel draws the frames of each
                           demo that opted in (one PNG per setting, `course_lib.widgets.frames`), stored
                           with the execution (`tools.site_frames`); a cached execution without its
                           frames is run again.
3. `prepare_chapter`       what the page shows: remote badge images become plain links (no third-party
                           request), a note under the title says what the page is (student notebook with
                           the exercises unsolved / solution notebook) and that widgets are static, each
                           widget gets a line saying so (or, for a demo with frames, that it responds,
                           and its checked frame manifest), and every image output, in a cell or inside
                           a widget's stored output, gets a text alternative (`alt_text`).
4. `landing_page`          `index.md` from the README's course map table (parsed, not copied) and
   `references_page`       `references.md` from every notebook's References cell.
5. `build_assets`          `npm ci` in `site_src/` when its package-lock.json changed, then the widget
                           renderer bundle (`site_src/build_js.mjs`: @jupyter-widgets/html-manager) and a
                           copy of MathJax into the static folder, both from the pinned npm packages;
                           it runs in a thread while step 2 executes the notebooks.
6. `stage`                 write the Sphinx sources into `build/site/<edition>-<mode>/src`, only the files
                           whose bytes changed (unchanged files keep their mtime, so Sphinx re-reads
                           only what changed), and remove stale ones.
7. `sphinx_build`          `sphinx-build -W --keep-going -c site_src` into `build/site/<edition>-<mode>/html`,
                           with doctrees kept between builds.
8. `publish_sources`       the page's "download .ipynb" serves the notebook as in the repository (the
                           clean student notebook, or the solution notebook), not the staged copy;
   `publish_frames`        the frames the pages use into `_frames/<chapter>/` (at most 15 MB per demo).
9. `mirror`                copy the changed files into the output folder (`site/`, `site-instructor/`;
                           quick mode builds stay in `build/site/<edition>-quick/html`).

Usage: python -m tools.build_site [--edition public|instructor] [--mode full|quick] [--out DIR]
                                  [--jobs N] [--no-execute] [--fresh]
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import copy
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from tools import site_frames
from tools.links import repository

ROOT = Path(__file__).resolve().parent.parent
SITE_SRC = ROOT / "site_src"
NOTEBOOK_PATTERN = "[0-9][0-9]_*.ipynb"
EDITION_FOLDERS = {"public": "notebooks", "instructor": "solutions"}
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")
INLINE_PNG_HTML = '<img src="data:image/png;base64,'
ALT_TEXT_FILE = "_alt_text.json"
REMOTE_IMAGE_RE = re.compile(r"!\[([^\]]*)\]\((https?://[^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING_RE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)
GENERIC_TEXT_RE = re.compile(r"^<.*>$", re.DOTALL)
# MathJax 3: the TeX-to-HTML combined file, the TeX extensions it loads on demand, its fonts, and the
# menu's accessibility tools (explorer, speech with its rule maps) that a reader can switch on.
MATHJAX_PARTS = ("tex-chtml.js", "input/tex/extensions", "output/chtml/fonts/woff-v2", "ui", "a11y", "adaptors", "sre")

PUBLIC_NOTE = """:::{{note}}
**{title}** as a student first sees it: the student notebook, run top to bottom{mode_words}, with the
exercises **not yet solved**. Exercise cells stop with `NotImplementedError`, their self-checks say
"not implemented yet", and every demo falls back to the course's reference implementation, with a
one-line note, exactly as it does for a student until the exercise is written. The model answers are
not published here.

No Python kernel runs behind this page. A demo whose note says it **responds** switches between
plots that the notebook's own code drew when the site was built, one for every setting of its
controls; the other demos are **static copies**, showing their controls at the settings they ran
with and the plot drawn then, and moving them changes nothing. To run the notebook and compute any
setting, open it in Binder or Colab (the rocket button at the top of the page) or download the
`.ipynb` (the download button).
:::
"""

INSTRUCTOR_NOTE = """:::{{warning}}
**Instructor edition, not for publication.** This is the solution notebook of **{title}**, with the
exercise solutions and model answers, run top to bottom{mode_words}. No kernel runs behind this page:
a demo whose note says it responds switches between plots precomputed when the site was built; the
others are static copies of the plot drawn when the notebook ran.
:::
"""

WIDGET_NOTE_HTML = (
    '<p class="static-widget-note">Static copy of this demo: the controls show the settings it ran with '
    "and the plot it drew then. Without a running Python kernel, moving them changes nothing; open the "
    "notebook in Binder or Colab to use the demo.</p>"
)


@dataclass
class Settings:
    edition: str = "public"
    mode: str = "full"
    out: Path | None = None
    work: Path | None = None
    cache: Path = ROOT / ".site-cache"
    jobs: int = 1
    execute: bool = True
    fresh: bool = False
    timeout: int = 1200
    sphinx_jobs: int = 1

    @property
    def work_dir(self) -> Path:
        return self.work or ROOT / "build" / "site" / f"{self.edition}-{self.mode}"

    @property
    def out_dir(self) -> Path:
        if self.out is not None:
            return self.out
        if self.mode == "quick":
            return self.work_dir / "html"  # the test site stays where Sphinx wrote it
        return ROOT / ("site" if self.edition == "public" else "site-instructor")


@dataclass
class Chapter:
    """One notebook on its way to a page."""

    path: Path
    notebook: nbformat.NotebookNode
    title: str = ""
    alt_texts: dict[str, str] = field(default_factory=dict)
    frames_dir: Path | None = None
    frames: list[dict] = field(default_factory=list)

    @property
    def docname(self) -> str:
        return f"{self.path.parent.name}/{self.path.stem}"


def log(message: str) -> None:
    print(f"[site] {message}", flush=True)


# 1. find_notebooks ----------------------------------------------------------------------------------


def find_notebooks(root: Path, edition: str) -> list[Path]:
    """The edition's notebooks: `notebooks/NN_*.ipynb` (public) or `solutions/NN_*.ipynb` (instructor)."""
    return sorted((root / EDITION_FOLDERS[edition]).glob(NOTEBOOK_PATTERN))


# 2. execute_cached ----------------------------------------------------------------------------------


def kernel_environment(mode: str) -> None:
    """Kernels inherit this process's environment: quick or full mode, figures stored inline."""
    if mode == "quick":
        os.environ["COURSE_QUICK"] = "1"
    else:
        os.environ.pop("COURSE_QUICK", None)
    os.environ["MPLBACKEND"] = INLINE_BACKEND


def all_cells_ran(notebook: nbformat.NotebookNode) -> bool:
    """True when every code cell has an execution count (its stored outputs are a full run)."""
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    return bool(code) and all(cell.get("execution_count") is not None for cell in code)


def run_notebook(notebook: nbformat.NotebookNode, cwd: Path, timeout: int,
                 frames: Path | None = None) -> nbformat.NotebookNode:
    """Execute a copy of `notebook` in a fresh kernel; raise RuntimeError naming the failing cell.

    With `frames`, one more cell (`site_frames.frame_cell`) draws the demos' frames into that folder
    after the last cell, in the same kernel; it is not part of the returned notebook.
    """
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    executed = copy.deepcopy(notebook)
    if frames is not None:
        site_frames.forget_other_frames(frames)
        executed.cells.append(site_frames.frame_cell(frames))
    # Unix sockets, not TCP ports: kernels started at the same moment (ours, or another build's on
    # the same machine) can otherwise be handed the same port and wait on each other forever.
    with tempfile.TemporaryDirectory(prefix="site-kernel-") as sockets:
        manager = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(sockets) / "kernel"))
        client = NotebookClient(
            executed, km=manager, timeout=timeout, kernel_name="python3", store_widget_state=True,
            record_timing=False, resources={"metadata": {"path": str(cwd)}},
        )
        try:
            client.execute()
        except CellExecutionError as error:
            raise RuntimeError(f"{error.ename}: {error.evalue}") from error
        finally:
            if manager.has_kernel:  # nbclient leaves a kernel manager it was given running
                manager.shutdown_kernel(now=True)
    if frames is not None:
        executed.cells.pop()
    return executed


def library_digest(root: Path) -> str:
    """sha256 of course_lib's sources: the notebooks' outputs depend on it as much as on their own code."""
    digest = hashlib.sha256()
    for path in sorted((root / "course_lib").rglob("*")):
        if path.suffix in {".py", ".json"} and "__pycache__" not in path.parts:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def cache_folder(settings: Settings) -> Path:
    """`.site-cache/<mode>-<course_lib digest>`; the mode's folders for other digests are removed."""
    folder = settings.cache / f"{settings.mode}-{library_digest(ROOT)}"
    for stale in settings.cache.glob(f"{settings.mode}-*"):
        if stale != folder and stale.is_dir():
            shutil.rmtree(stale)
    return folder


def execute_file(path: str, timeout: int, frames: str | None = None) -> tuple[str, float]:
    """Run one notebook file (in a worker process), its frames into `frames`; the executed JSON and seconds."""
    started = time.perf_counter()
    notebook_path = Path(path)
    print(f"[site] {notebook_path.parent.name}/{notebook_path.name}: executing ...", flush=True)
    try:
        executed = run_notebook(nbformat.read(notebook_path, as_version=4), notebook_path.parent, timeout,
                                Path(frames) if frames else None)
    except RuntimeError as error:
        raise RuntimeError(f"{notebook_path.parent.name}/{notebook_path.name} failed: {error}") from None
    return nbformat.writes(executed), time.perf_counter() - started


def execute_cached(paths: list[Path], settings: Settings) -> dict[Path, tuple[nbformat.NotebookNode, Path | None]]:
    """Executed notebooks (with widget state) and their frames folders (None: no frames), from the
    jupyter-cache when their code is unchanged and their frames are stored."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    notebooks = {path: nbformat.read(path, as_version=4) for path in paths}
    if not settings.execute:
        return {path: (notebook, None) for path, notebook in notebooks.items()}
    results: dict[Path, tuple[nbformat.NotebookNode, Path | None]] = {}
    folder = cache_folder(settings)
    cache = get_cache(folder)
    frames = {path: site_frames.frames_folder(folder, path, notebook) for path, notebook in notebooks.items()}
    to_run = []
    for path, notebook in notebooks.items():
        if settings.edition == "instructor" and settings.mode == "full" and all_cells_ran(notebook):
            log(f"{path.relative_to(ROOT)}: stored outputs of make solutions")
            results[path] = (notebook, None)
            continue
        if not settings.fresh and site_frames.has_frames(frames[path]):
            try:
                _, merged = cache.merge_match_into_notebook(copy.deepcopy(notebook))
                log(f"{path.relative_to(ROOT)}: cached execution ({settings.mode} mode)")
                results[path] = (merged, frames[path])
                continue
            except KeyError:
                pass
        to_run.append(path)
    if to_run:
        kernel_environment(settings.mode)
        jobs = max(1, min(settings.jobs, len(to_run)))
        # One process per notebook being run: nbclient's event loops are not shared between threads.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = {path: pool.submit(execute_file, str(path), settings.timeout, str(frames[path]))
                       for path in to_run}
            for path, future in futures.items():
                text, seconds = future.result()
                executed = nbformat.reads(text, as_version=4)
                log(f"{path.relative_to(ROOT)}: executed in {seconds:.0f} s")
                record = cache.cache_notebook_bundle(
                    CacheBundleIn(nb=executed, uri=str(path)), check_validity=False, overwrite=True
                )
                for old in cache.list_cache_records():  # one execution per notebook is kept
                    if old.uri == str(path) and old.pk != record.pk:
                        cache.remove_cache(old.pk)
                results[path] = (executed, frames[path])
    return {path: results[path] for path in paths}


# 3. prepare_chapter ---------------------------------------------------------------------------------


def chapter_title(notebook: nbformat.NotebookNode, fallback: str) -> str:
    """The text of the notebook's first level-1 heading."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+?)\s*$", cell.source, re.MULTILINE)
            if match:
                return match.group(1)
    return fallback


def strip_markdown(text: str) -> str:
    """Heading text as plain words (no backticks, emphasis or link syntax)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[`*_]", "", text).strip()


def alt_text(output: dict, mime: str, context: str) -> str:
    """The image's description: its stored alt, else a described text/plain, else where it stands."""
    stored = (output.get("metadata") or {}).get(mime) or {}
    if isinstance(stored, dict) and str(stored.get("alt", "")).strip():
        return " ".join(str(stored["alt"]).split())
    plain = output.get("data", {}).get("text/plain", "")
    plain = "".join(plain) if isinstance(plain, list) else str(plain)
    plain = " ".join(plain.split())
    if plain and not GENERIC_TEXT_RE.match(plain):
        return plain.removeprefix("Figure: ")
    return f"Plot {context}"


def describe_images(outputs: list, context: str, alt_texts: dict[str, str]) -> None:
    """Set `metadata[mime].alt` on every image output and record sha256(image bytes) → alt.

    A course figure also carries its PNG as `<img src="data:..." alt=...>` in `text/html`, for
    JupyterLab (``course_lib.figure_text.image_html``); the site shows the PNG with the same alt, so
    that copy is dropped: pages keep their images as files and the widget state is not doubled.
    """
    for output in outputs:
        bundle = output.get("data", {})
        if "image/png" in bundle and str("".join(bundle.get("text/html", ""))).startswith(INLINE_PNG_HTML):
            del bundle["text/html"]
        for mime in IMAGE_TYPES:
            data = output.get("data", {}).get(mime)
            if data is None:
                continue
            alt = alt_text(output, mime, context)
            metadata = output.setdefault("metadata", {})
            if not isinstance(metadata.get(mime), dict):
                metadata[mime] = {}
            metadata[mime]["alt"] = alt
            raw = base64.b64decode("".join(data) if isinstance(data, list) else data)
            alt_texts[hashlib.sha256(raw).hexdigest()] = alt


def localize_markdown(source: str) -> str:
    """Remote images (badges) become their alt text, so a link stays a link and nothing is fetched."""
    return REMOTE_IMAGE_RE.sub(lambda match: match.group(1) or "image", source)


def note_cell(settings: Settings, title: str) -> nbformat.NotebookNode:
    quick = settings.mode == "quick" and settings.execute
    mode_words = " in quick mode (smaller subsets and fewer epochs)" if quick else ""
    template = PUBLIC_NOTE if settings.edition == "public" else INSTRUCTOR_NOTE
    cell = nbformat.v4.new_markdown_cell(template.format(title=title, mode_words=mode_words))
    cell.id = "course-site-note"  # a fixed id: the staged notebook's bytes change only when its content does
    return cell


def prepare_chapter(path: Path, executed: nbformat.NotebookNode, settings: Settings,
                    frames_dir: Path | None = None) -> Chapter:
    """The notebook as its page shows it (see module doc, step 3); the source notebook is not changed."""
    notebook = copy.deepcopy(executed)
    title = chapter_title(notebook, path.stem)
    chapter = Chapter(path=path, notebook=notebook, title=strip_markdown(title), frames_dir=frames_dir)
    manifests = site_frames.read_manifests(frames_dir)
    states = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    section = chapter.title
    cells, noted = [], False
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = localize_markdown(cell.source)
            headings = HEADING_RE.findall(cell.source)
            if headings:
                section = strip_markdown(headings[-1][1])
        elif cell.cell_type == "code":
            describe_images(cell.get("outputs", []), f"in “{section}” of {chapter.title}", chapter.alt_texts)
            chapter.frames += site_frames.attach_frames(cell, manifests, states, frames_dir, chapter.docname,
                                                        WIDGET_NOTE_HTML)
        cells.append(cell)
        if not noted and cell.cell_type == "markdown" and re.search(r"^#\s", cell.source, re.MULTILINE):
            cells.append(note_cell(settings, chapter.title))
            noted = True
    if not noted:
        cells.insert(0, note_cell(settings, chapter.title))
    notebook.cells = cells
    for model in states.values():
        if model.get("model_name") == "OutputModel":
            describe_images(model.get("state", {}).get("outputs", []), f"drawn by a demo in {chapter.title}",
                            chapter.alt_texts)
    return chapter


# 4. landing_page / references_page ------------------------------------------------------------------


def read_repository(root: Path) -> tuple[str, str]:
    """(owner/name, branch): the repository address from its one setting (``tools.links``), branch main."""
    return repository(root), "main"


def course_map(readme: str) -> tuple[str, str, dict[str, str]]:
    """(course title, intro paragraph, {notebook stem: what you learn}) from the README."""
    title = re.search(r"^#\s+(.+)$", readme, re.MULTILINE).group(1).strip()
    after_title = readme.split("\n", 1)[1].strip()
    intro = " ".join(after_title.split("\n\n", 1)[0].split())
    section = re.search(r"^## Course map\s*$(.*?)(?=^## |\Z)", readme, re.MULTILINE | re.DOTALL)
    rows: dict[str, str] = {}
    for line in (section.group(1) if section else "").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        name = re.fullmatch(r"`?(\d\d_\w+)`?", cells[0]) if len(cells) >= 2 else None
        if name:
            rows[name.group(1)] = cells[1]
    return title, intro, rows


def launch_links(repository: str, branch: str, repo_path: str) -> str:
    binder = f"https://mybinder.org/v2/gh/{repository}/{branch}?urlpath=lab/tree/{repo_path}"
    colab = f"https://colab.research.google.com/github/{repository}/blob/{branch}/{repo_path}"
    return f"[Binder]({binder}) · [Colab]({colab})"


def landing_page(root: Path, chapters: list[Chapter], settings: Settings, has_references: bool) -> str:
    """index.md: the README's title, intro and course map, one row and one toctree entry per chapter."""
    title, intro, rows = course_map((root / "README.md").read_text(encoding="utf-8"))
    repository, branch = read_repository(root)
    lines = [f"# {title}", "", intro, ""]
    if settings.edition == "instructor":
        lines += [":::{warning}", "Instructor edition: the chapters are the solution notebooks, with every "
                  "exercise solved and the model answers. Do not publish it.", ":::", ""]
    else:
        lines += ["Each chapter is a notebook of the course, run top to bottom with the exercises left for you "
                  "to solve. Read a chapter here first, then run it yourself in Binder, in Colab, or locally "
                  "with `make lab`.", ""]
    lines += ["## Course map", "", "| chapter | what you learn | run it |", "|---|---|---|"]
    for chapter in chapters:
        what = rows.get(chapter.path.stem)
        if what is None:
            log(f"README course map has no row for {chapter.path.stem}; its chapter is listed without one")
            what = ""
        repo_path = f"{chapter.path.parent.name}/{chapter.path.name}"
        lines.append(f"| [{chapter.title}]({chapter.docname}.ipynb) | {what} | "
                     f"{launch_links(repository, branch, repo_path)} |")
    lines += ["", f"The notebooks, the helper package `course_lib` and the tests live in the "
              f"[course repository](https://github.com/{repository}).", ""]
    toc = [chapter.docname for chapter in chapters] + (["references"] if has_references else [])
    lines += ["```{toctree}", ":hidden:", ":maxdepth: 1", "", *toc, "```", ""]
    return "\n".join(lines)


def references_cell(notebook: nbformat.NotebookNode) -> str | None:
    """The notebook's References section (from a 'References' heading to the next heading of the same
    or a higher level, or the end of its markdown cell), without the heading; None when it has none."""
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        match = re.search(r"^(#{1,6})\s+References\s*$", cell.source, re.MULTILINE)
        if match:
            rest = cell.source[match.end():]
            level = len(match.group(1))
            end = re.search(rf"^#{{1,{level}}}\s", rest, re.MULTILINE)
            return (rest[: end.start()] if end else rest).strip() or None
    return None


def references_page(chapters: list[Chapter]) -> str | None:
    """references.md: each chapter's References cell under the chapter's title; None when there is none."""
    sections = []
    for chapter in chapters:
        body = references_cell(chapter.notebook)
        if body:
            sections += [f"## {chapter.title}", "", body, "", f"From [{chapter.title}]({chapter.docname}.ipynb).", ""]
    if not sections:
        return None
    return "\n".join(["# References", "", "The References cell of every chapter, in one place.", "", *sections])


# 5. build_assets ------------------------------------------------------------------------------------


def _digest(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def require_node_tools() -> str:
    """The path of npm; a one-line error before anything runs when Node.js or npm is missing."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise RuntimeError("npm is missing: install Node.js and npm (apt-get install nodejs npm) to build the site")
    return npm


def install_node_packages(site_src: Path = SITE_SRC) -> Path:
    """``site_src/node_modules`` as pinned in package-lock.json (``npm ci`` only when the lock changed).

    The site build and the browser tests (axe-core) both need it, maybe at the same moment in two
    pytest workers: they take turns on a lock file, since ``npm ci`` first deletes node_modules.
    """
    import fcntl

    lock = site_src / "package-lock.json"
    modules = site_src / "node_modules"
    stamp = modules / ".course-lock-sha256"
    npm = require_node_tools()
    with open(site_src / ".npm-ci.lock", "w") as turn:
        fcntl.flock(turn, fcntl.LOCK_EX)
        if not stamp.exists() or stamp.read_text() != _digest(lock):
            log("npm ci (site_src/package-lock.json changed) ...")
            subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                           cwd=site_src, check=True)
            stamp.write_text(_digest(lock))
    return modules


def build_assets(site_src: Path, assets: Path) -> Path:
    """The static folder with the widget bundle and MathJax, rebuilt only when their recipe changed."""
    lock = site_src / "package-lock.json"
    modules = install_node_packages(site_src)
    recipe = _digest(lock, site_src / "build_js.mjs", site_src / "widgets_entry.js") + repr(MATHJAX_PARTS)
    built = assets / ".recipe-sha256"
    if built.exists() and built.read_text() == recipe:
        return assets
    log("bundling the widget renderer and MathJax ...")
    shutil.rmtree(assets, ignore_errors=True)
    assets.mkdir(parents=True)
    subprocess.run([shutil.which("node") or "node", "build_js.mjs", str(assets)], cwd=site_src, check=True)
    mathjax = modules / "mathjax" / "es5"
    for part in MATHJAX_PARTS:
        source, target = mathjax / part, assets / "mathjax" / part
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    shutil.copy2(modules / "mathjax" / "LICENSE", assets / "mathjax" / "LICENSE")
    built.write_text(recipe)
    return assets


# 6. stage -------------------------------------------------------------------------------------------


def staged_files(root: Path, chapters: list[Chapter], settings: Settings) -> dict[str, bytes]:
    """Relative path → bytes of every Sphinx source file."""
    references = references_page(chapters)
    files = {"index.md": landing_page(root, chapters, settings, references is not None).encode()}
    if references:
        files["references.md"] = references.encode()
    alt_texts: dict[str, str] = {}
    for chapter in chapters:
        files[f"{chapter.docname}.ipynb"] = nbformat.writes(chapter.notebook).encode()
        alt_texts.update(chapter.alt_texts)
    files[ALT_TEXT_FILE] = json.dumps(alt_texts, indent=1, sort_keys=True, ensure_ascii=False).encode()
    return files


def stage(files: dict[str, bytes], staging: Path) -> list[str]:
    """Write the files whose bytes changed, remove the others; return what was written."""
    written = []
    for relative, data in files.items():
        target = staging / relative
        if not target.exists() or target.read_bytes() != data:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            written.append(relative)
    if staging.exists():
        for path in sorted(staging.rglob("*"), reverse=True):
            relative = path.relative_to(staging).as_posix()
            if path.is_file() and relative not in files:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    return written


# 7. sphinx_build ------------------------------------------------------------------------------------


def sphinx_build(staging: Path, out: Path, doctrees: Path, assets: Path, settings: Settings) -> None:
    """sphinx-build -W (warnings are errors) with the course's conf.py; raises on failure."""
    repository, branch = read_repository(ROOT)
    env = dict(os.environ, COURSE_SITE_EDITION=settings.edition, COURSE_SITE_MODE=settings.mode,
               COURSE_SITE_ASSETS=str(assets), COURSE_SITE_ALT_TEXT=str(staging / ALT_TEXT_FILE),
               COURSE_SITE_REPOSITORY=repository, COURSE_SITE_BRANCH=branch)
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "-c", str(SITE_SRC),
               "-d", str(doctrees), str(staging), str(out)]
    if settings.sphinx_jobs > 1:
        command[3:3] = ["-j", str(settings.sphinx_jobs)]
    subprocess.run(command, env=env, check=True)


# 8. publish_sources ---------------------------------------------------------------------------------


def publish_sources(chapters: list[Chapter], out: Path) -> None:
    """`_sources/<folder>/NN_name.ipynb` (the download button) becomes the repository's own notebook."""
    for chapter in chapters:
        target = out / "_sources" / f"{chapter.docname}.ipynb"
        data = chapter.path.read_bytes()
        if target.exists() and target.read_bytes() != data:
            target.write_bytes(data)
    (out / ".nojekyll").touch()


def mirror(source: Path, target: Path) -> None:
    """Make `target` a copy of `source`: copy new and changed files, remove the ones `source` lacks."""
    wanted = set()
    for path in source.rglob("*"):
        relative = path.relative_to(source)
        wanted.add(relative)
        destination = target / relative
        if path.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
        elif not destination.exists() or destination.stat().st_size != path.stat().st_size \
                or destination.read_bytes() != path.read_bytes():
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
    for path in sorted(target.rglob("*"), reverse=True):
        if path.relative_to(target) not in wanted:
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def build(settings: Settings) -> Path:
    """Run the whole pipeline; return the output folder."""
    started = time.perf_counter()
    paths = find_notebooks(ROOT, settings.edition)
    if not paths:
        raise RuntimeError(f"no {EDITION_FOLDERS[settings.edition]}/{NOTEBOOK_PATTERN} to build a site from")
    require_node_tools()
    # The JavaScript assets (npm ci, the bundle) do not depend on the notebooks: prepare them meanwhile.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        assets_ready = pool.submit(build_assets, SITE_SRC, ROOT / "build" / "site" / "assets")
        executed = execute_cached(paths, settings)
        chapters = [prepare_chapter(path, executed[path][0], settings, executed[path][1]) for path in paths]
        assets = assets_ready.result()
    staging = settings.work_dir / "src"
    written = stage(staged_files(ROOT, chapters, settings), staging)
    log(f"staged {len(written)} changed source file(s) in {staging.relative_to(ROOT)}")
    html_dir = settings.work_dir / "html"  # myst-nb writes images next to Sphinx's output folder
    sphinx_build(staging, html_dir, settings.work_dir / "doctrees", assets, settings)
    publish_sources(chapters, html_dir)
    site_frames.publish_frames({chapter.docname: (chapter.frames_dir, chapter.frames) for chapter in chapters
                                if chapter.frames}, html_dir, log)
    out = settings.out_dir
    if out.resolve() != html_dir.resolve():
        mirror(html_dir, out)
    log(f"{settings.edition} edition ({settings.mode} mode) built in {out} in {time.perf_counter() - started:.1f} s")
    return out


def parse_args(argv: list[str] | None) -> Settings:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edition", choices=sorted(EDITION_FOLDERS), default="public")
    parser.add_argument("--mode", choices=["full", "quick"], default="full",
                        help="full: the course's real runs (make site); quick: COURSE_QUICK=1 (tests)")
    parser.add_argument("--out", type=Path, help="output folder (default: site/, site-instructor/, or "
                        "build/site/<edition>-quick/html in quick mode)")
    parser.add_argument("--work", type=Path, help="staging and doctrees (default build/site/<edition>-<mode>)")
    parser.add_argument("--cache", type=Path, default=ROOT / ".site-cache", help="jupyter-cache folder")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks executed at once (default 1)")
    parser.add_argument("--sphinx-jobs", type=int, default=1, help="sphinx-build -j (default 1)")
    parser.add_argument("--no-execute", dest="execute", action="store_false",
                        help="render the outputs the notebooks store, run nothing")
    parser.add_argument("--fresh", action="store_true", help="execute every notebook, ignoring the cache")
    parser.add_argument("--timeout", type=int, default=1200, help="seconds allowed per cell (default 1200)")
    args = parser.parse_args(argv)
    return Settings(edition=args.edition, mode=args.mode, out=args.out and args.out.resolve(),
                    work=args.work and args.work.resolve(), cache=args.cache.resolve(), jobs=args.jobs,
                    execute=args.execute, fresh=args.fresh, timeout=args.timeout, sphinx_jobs=args.sphinx_jobs)


def main(argv: list[str] | None = None) -> int:
    settings = parse_args(argv)
    try:
        build(settings)
    except (RuntimeError, subprocess.CalledProcessError) as error:
        print(f"site build failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
