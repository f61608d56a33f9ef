"""The website's responding demos: the steps of tools/build_site.py that handle precomputed frames.

The frames are drawn by ``course_lib.widgets.frames`` in each notebook's own kernel; this module
carries them from there to the page:

1. `frame_cell`        the code cell the build appends to a notebook it executes (and drops from the
                       result): ``save_site_frames(folder)``, after the notebook's last cell;
2. `frames_folder`     where one execution's frames live: in the execution cache's folder (keyed on the
                       mode and course_lib's sources, where the widgets' code and controls are) under the
                       notebook's name and a digest of its code cells (where each demo is called), so
                       the frames are redrawn exactly when the execution is, and a rebuild with nothing
                       changed reuses both;
3. `attach_frames`     per widget view of a page: its manifest checked against the page's stored widget
                       state (``check_manifest``: every setting has its frame), a note that the demo
                       responds, the manifest as ``<script type="application/json" data-course-frames>``
                       for ``site_src/widgets_entry.js``, and the fixed controls greyed out; a demo
                       without frames keeps the static note;
4. `publish_frames`    the frame files each page uses into ``_frames/<chapter>/`` of the site (copied when
                       new, stale ones removed), with a size budget per demo.
"""

from __future__ import annotations

import hashlib
import html
import json
import shutil
from pathlib import Path

import nbformat

from course_lib.widgets.frames import MANIFEST_FILE, FrameError, check_manifest

FRAMES_SITE_FOLDER = "_frames"
FRAMES_SCRIPT_TYPE = "application/json"
MAX_DEMO_BYTES = 15 * 1024 * 1024
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
FRAME_CELL_ID = "course-site-frames"

FRAMES_NOTE_HTML = (
    '<p class="static-widget-note">This demo responds without a kernel: its controls switch between the '
    "{settings} plots that the notebook's own code drew when this site was built, one per setting{fixed}. "
    "To try other settings, open the notebook in Binder or Colab.</p>"
)


def frame_cell(folder: Path) -> nbformat.NotebookNode:
    """The cell that renders the frames of every demo the notebook built that opted in."""
    cell = nbformat.v4.new_code_cell(
        "from course_lib.widgets.frames import save_site_frames\n"
        f"save_site_frames({str(folder)!r})"
    )
    cell.id = FRAME_CELL_ID
    return cell


def code_digest(notebook: nbformat.NotebookNode) -> str:
    """sha256 of the notebook's code cells, in order (what decides which demos it builds, and how)."""
    digest = hashlib.sha256()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            digest.update(cell.source.encode() + b"\0")
    return digest.hexdigest()[:16]


def frames_folder(cache: Path, path: Path, notebook: nbformat.NotebookNode) -> Path:
    return cache / "frames" / f"{path.parent.name}-{path.stem}-{code_digest(notebook)}"


def has_frames(folder: Path) -> bool:
    return (folder / MANIFEST_FILE).is_file()


def forget_other_frames(folder: Path) -> None:
    """Remove the frames of the notebook's earlier code (same name, other digest) and any half-written set."""
    prefix = folder.name.rsplit("-", 1)[0] + "-"
    for other in folder.parent.glob(prefix + "*"):
        if other.is_dir() and other.name.rsplit("-", 1)[0] + "-" == prefix:
            shutil.rmtree(other)


def read_manifests(folder: Path | None) -> dict[str, dict]:
    """{model id: manifest} of one execution ({} when it has none)."""
    if folder is None or not has_frames(folder):
        return {}
    return json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))


def _page_manifest(manifest: dict, base: str) -> str:
    """What the page's script needs, as JSON safe inside a <script> element."""
    frames = [[frame["file"], frame["alt"]] if "file" in frame else [None, frame["message"]]
              for frame in manifest["frames"]]
    controls = [{key: control[key] for key in ("model_id", "label", "kind", "scale", "keys", "labels")}
                for control in manifest["controls"]]
    data = {"demo": manifest["demo"], "base": base, "controls": controls, "frames": frames}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def attach_frames(cell: nbformat.NotebookNode, manifests: dict[str, dict], states: dict[str, dict],
                  folder: Path | None, docname: str, static_note: str) -> list[dict]:
    """Add each widget view's note (and manifest) to ``cell``'s outputs; return the manifests used.

    Raises RuntimeError when a manifest does not cover its demo's settings (a stale or broken frame set
    must not reach a page).
    """
    used, static = [], False
    for output in list(cell.get("outputs", [])):
        view = output.get("data", {}).get(WIDGET_VIEW)
        if view is None:
            continue
        manifest = manifests.get(view.get("model_id"))
        if manifest is None:
            static = True
            continue
        try:
            check_manifest(manifest, {model_id: model.get("state", {}) for model_id, model in states.items()}, folder)
        except FrameError as error:
            raise RuntimeError(f"{docname}: {error}") from None
        for fixed in manifest["fixed"]:
            states[fixed["model_id"]]["state"]["disabled"] = True
        fixed_words = "".join(f"; the {html.escape(fixed['label'])} box stays at {html.escape(fixed['value'])}"
                              for fixed in manifest["fixed"])
        base = "../" * docname.count("/") + f"{FRAMES_SITE_FOLDER}/{Path(docname).name}/"
        note = FRAMES_NOTE_HTML.format(settings=manifest["settings"], fixed=fixed_words)
        script = (f'<script type="{FRAMES_SCRIPT_TYPE}" data-course-frames="{view["model_id"]}">'
                  f"{_page_manifest(manifest, base)}</script>")
        cell.outputs.append(nbformat.v4.new_output("display_data", data={"text/html": note + script}))
        used.append(manifest)
    if static:
        cell.outputs.append(nbformat.v4.new_output("display_data", data={"text/html": static_note}))
    return used


def frame_files(manifest: dict) -> set[str]:
    return {frame["file"] for frame in manifest["frames"] if "file" in frame}


def publish_frames(pages: dict[str, tuple[Path, list[dict]]], html_dir: Path, log) -> dict[str, int]:
    """Copy each page's frame files into ``html_dir/_frames/<chapter>/``; remove the others there.

    ``pages``: {docname: (frames folder, manifests used)}. Returns {"<chapter> <demo>": bytes} and raises
    RuntimeError for a demo whose frames pass ``MAX_DEMO_BYTES``.
    """
    target_root = html_dir / FRAMES_SITE_FOLDER
    wanted: set[Path] = set()
    sizes = {}
    for docname, (folder, manifests) in pages.items():
        chapter = Path(docname).name
        for manifest in manifests:
            files = frame_files(manifest)
            size = sum((folder / name).stat().st_size for name in files)
            sizes[f"{chapter} {manifest['demo']}"] = size
            if size > MAX_DEMO_BYTES:
                raise RuntimeError(f"{chapter} {manifest['demo']}: {size / 1e6:.1f} MB of frames, more than "
                                   f"{MAX_DEMO_BYTES / 1e6:.0f} MB")
            for name in files:
                target = target_root / chapter / name
                wanted.add(target)
                if not target.exists() or target.stat().st_size != (folder / name).stat().st_size:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(folder / name, target)
    if target_root.exists():
        for path in sorted(target_root.rglob("*"), reverse=True):
            if path.is_file() and path not in wanted:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    for where, size in sizes.items():
        log(f"frames: {where}: {size / 1e6:.2f} MB")
    return sizes
