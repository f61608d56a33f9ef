"""A demo's frames for the course website: one PNG per setting of its controls, so that the page's
controls switch plots in the browser, without a kernel.

Pipeline (``tools/build_site.py`` runs steps 3-4 in the notebook's own kernel, after its last cell,
so the frames come from the very objects the notebook built: its experiment, its data, the student's
function or the reference):

1. a demo opts in with ``demo_interactive(callback, site_frames=SiteFrames(...), **controls)``, when
   its controls span at most ``MAX_SETTINGS`` settings and each costs little (see the README's table);
   every other demo keeps the site's note that it is a static copy;
2. ``control_grid(state)``: the finite grid of one control, read from its widget state, the same state
   the page stores: a slider's values from min to max by its step (a log slider's exponents), a
   selection's options, a checkbox's two values; a text box has none (a demo may keep one ``fixed``
   at the value the notebook ran with);
3. ``render_frames(ui, folder)``: ``ui.render`` (the code a slider move runs, ``render_setting``) for
   every setting, row-major over the controls (the last control varies fastest); each PNG is
   re-encoded losslessly and smaller (``compress_png``) and stored once under its sha256; returns the
   manifest (``Manifest``), whose frames each carry the setting they were drawn for and the figure's
   text alternative;
4. ``save_site_frames(folder)``: step 3 for every live demo that opted in (``framed_demos``), inside
   ``headless()`` (no progress bar, nothing displayed, no widget created), and ``manifest.json``
   {demo's model id: manifest};
5. ``check_manifest(manifest, states, folder)``: the build's guard on what a page will use: the
   controls' grids are those of the page's widget state, every setting has exactly one frame, in its
   place, drawn for that setting, and every frame file exists.

Fingerprint: the frames of an execution are stored with it, keyed like the execution itself by the
notebook's code and course_lib's sources (which hold the widget's code and its controls' settings);
see ``tools/build_site.py``.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from dataclasses import dataclass
from itertools import product
from pathlib import Path

import matplotlib.pyplot as plt
from PIL import Image

from course_lib.errors import CourseInputError
from course_lib.widgets.common import framed_demos, headless

MAX_SETTINGS = 300
MANIFEST_FILE = "manifest.json"
SELECTION_MODELS = {"DropdownModel", "SelectionSliderModel", "ToggleButtonsModel", "RadioButtonsModel",
                    "SelectModel"}
RANGE_MODELS = {"IntSliderModel", "FloatSliderModel", "FloatLogSliderModel", "BoundedIntTextModel"}
BOOLEAN_MODELS = {"CheckboxModel", "ToggleButtonModel"}


class FrameError(ValueError):
    """A demo's frames cannot be made or do not match its controls (one sentence)."""


@dataclass(frozen=True)
class SiteFrames:
    """A demo's opt-in: ``fixed`` names the controls that stay at the notebook's value on the website
    (a text box has no finite grid); the page greys them out."""

    fixed: tuple[str, ...] = ()


@dataclass(frozen=True)
class ControlGrid:
    """The settings of one control: ``kind`` "index" (a selection: ``keys`` are option indices) or
    "value" (a number or a boolean: ``keys`` are the values); ``labels`` as the control shows them;
    ``scale`` "log" for a log slider (the browser matches a value to the nearest key by its log)."""

    kind: str
    keys: tuple
    labels: tuple[str, ...]
    scale: str = "linear"

    def __len__(self) -> int:
        return len(self.keys)


def _steps(low: float, high: float, step: float) -> int:
    """How many steps of ``step`` fit between low and high (a last partial step is not a setting)."""
    if not (step > 0 and high >= low):
        raise FrameError(f"a slider from {low} to {high} by {step} has no finite grid")
    return int(math.floor((high - low) / step + 1e-9))


def control_grid(state: dict) -> ControlGrid:
    """The grid of a control from its widget state (``widget.get_state()`` or a page's stored state)."""
    name = state.get("_model_name", "")
    if name in SELECTION_MODELS:
        labels = tuple(str(label) for label in state["_options_labels"])
        return ControlGrid("index", tuple(range(len(labels))), labels)
    if name in BOOLEAN_MODELS:
        return ControlGrid("value", (False, True), ("off", "on"))
    if name == "FloatLogSliderModel":
        low, step, base = float(state["min"]), float(state["step"]), float(state["base"])
        exponents = [low + k * step for k in range(_steps(low, float(state["max"]), step) + 1)]
        values = tuple(float(f"{base ** exponent:.12g}") for exponent in exponents)
        return ControlGrid("value", values, tuple(f"{value:.3g}" for value in values), scale="log")
    if name in RANGE_MODELS:
        low, step = state["min"], state["step"]
        count = _steps(float(low), float(state["max"]), float(step)) + 1
        if name == "FloatSliderModel":
            values = tuple(float(f"{low + k * step:.12g}") for k in range(count))
        else:
            values = tuple(int(low) + k * int(step) for k in range(count))
        return ControlGrid("value", values, tuple(f"{value:g}" for value in values))
    raise FrameError(f"a {name or 'control'} has no finite grid of settings")


def grid_size(grids: list[ControlGrid]) -> int:
    return math.prod(len(grid) for grid in grids)


def compress_png(png: bytes) -> bytes:
    """The same pixels, smaller: RGB when the image is opaque, zlib's best level with Pillow's optimizer."""
    image = Image.open(io.BytesIO(png))
    image.load()
    if image.mode == "RGBA" and image.getchannel("A").getextrema() == (255, 255):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="png", optimize=True)
    return buffer.getvalue()


def frame_file(png: bytes) -> str:
    return hashlib.sha256(png).hexdigest()[:20] + ".png"


def _controls(ui) -> dict:
    return {control._kwarg: control for control in ui.kwargs_widgets}


def _option_value(control, key):
    return control._options_values[key] if hasattr(control, "_options_values") else key


def render_frames(ui, folder: Path, name: str = "") -> dict:
    """Render every setting of ``ui``'s controls (the fixed ones at their value) into ``folder``; the manifest.

    Manifest: ``{"demo", "model_id", "settings", "controls": [{"name", "label", "model_id", "kind",
    "scale", "keys", "labels"}], "fixed": [{"name", "label", "model_id", "value"}], "frames": [{"setting": [key
    of each control], "file", "alt"} or {"setting", "message"}], "bytes"}``; frame ``i`` is setting ``i``
    of ``itertools.product`` over the controls' keys. A setting the demo rejects (``CourseInputError``)
    becomes a frame with its one-line message; any other error raises ``FrameError``.
    """
    policy = ui.site_frames
    if policy is None:
        raise FrameError("this demo was not built with site_frames")
    controls = _controls(ui)
    unknown = set(policy.fixed) - set(controls)
    if unknown:
        raise FrameError(f"site_frames fixes {sorted(unknown)}, which are not controls of the demo")
    moving = {name: control for name, control in controls.items() if name not in policy.fixed}
    grids = [control_grid(control.get_state()) for control in moving.values()]
    settings = grid_size(grids)
    if settings > MAX_SETTINGS:
        raise FrameError(f"{name or 'the demo'} has {settings} settings, more than the {MAX_SETTINGS} "
                         "the website precomputes")
    fixed_values = {name: controls[name].value for name in policy.fixed}
    folder.mkdir(parents=True, exist_ok=True)
    frames, files = [], set()
    for setting in product(*(grid.keys for grid in grids)):
        values = {name: _option_value(control, key)
                  for (name, control), key in zip(moving.items(), setting, strict=True)}
        rendered = ui.render(**values, **fixed_values)
        if rendered.error is not None:
            if not isinstance(rendered.exception, CourseInputError):
                raise FrameError(f"{name or 'the demo'} failed at {values}: {rendered.error}")
            frames.append({"setting": list(setting), "message": rendered.error})
            continue
        if rendered.png is None:
            raise FrameError(f"{name or 'the demo'} drew nothing at {values}")
        png = compress_png(rendered.png)
        target = folder / frame_file(png)
        if not target.exists():
            target.write_bytes(png)
        files.add(target)
        frames.append({"setting": list(setting), "file": target.name, "alt": rendered.alt})
        plt.close(rendered.figure)
    return {
        "demo": name,
        "model_id": ui.model_id,
        "settings": settings,
        "controls": [{"name": control_name, "label": control.description or control_name,
                      "model_id": control.model_id, "kind": grid.kind, "scale": grid.scale,
                      "keys": list(grid.keys), "labels": list(grid.labels)}
                     for (control_name, control), grid in zip(moving.items(), grids, strict=True)],
        "fixed": [{"name": fixed, "label": controls[fixed].description or fixed, "model_id": controls[fixed].model_id,
                   "value": str(fixed_values[fixed])} for fixed in policy.fixed],
        "frames": frames,
        "bytes": sum(path.stat().st_size for path in files),
    }


def save_site_frames(folder: str | Path) -> dict[str, dict]:
    """Render the frames of every live demo built with ``site_frames`` into ``folder``, write
    ``manifest.json`` ({model id: manifest}) there and return it. Runs headless: nothing is displayed."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    manifests = {}
    with headless():
        for ui in framed_demos():
            manifests[ui.model_id] = render_frames(ui, folder, name=ui.demo_name)
    (folder / MANIFEST_FILE).write_text(json.dumps(manifests, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifests


def check_manifest(manifest: dict, states: dict[str, dict], folder: Path | None = None) -> None:
    """Raise ``FrameError`` unless ``manifest`` gives every setting of the page's controls one frame.

    ``states``: {model id: widget state} as the page stores them. The controls' grids are recomputed
    from those states (a stale manifest of a slider whose range changed fails); frame ``i`` must carry
    setting ``i`` of the grid and a text alternative (or a message); with ``folder``, its file must exist.
    """
    where = manifest.get("demo") or manifest.get("model_id", "a demo")
    grids = []
    for control in manifest["controls"]:
        state = states.get(control["model_id"])
        if state is None:
            raise FrameError(f"{where}: the control {control['name']!r} is not on the page")
        grid = control_grid(state)
        if list(grid.keys) != control["keys"]:
            raise FrameError(f"{where}: the frames of {control['name']!r} were made for other settings "
                             f"than the page's control has")
        grids.append(grid)
    expected = [list(setting) for setting in product(*(grid.keys for grid in grids))]
    frames = manifest["frames"]
    if len(frames) != len(expected):
        raise FrameError(f"{where}: {len(frames)} frames for {len(expected)} settings")
    for index, (frame, setting) in enumerate(zip(frames, expected, strict=True)):
        if frame.get("setting") != setting:
            raise FrameError(f"{where}: frame {index} was drawn for {frame.get('setting')}, its place is {setting}")
        if "message" in frame:
            continue
        if len(str(frame.get("alt", "")).strip()) < 8:
            raise FrameError(f"{where}: frame {index} ({setting}) has no text alternative")
        if folder is not None and not (folder / str(frame.get("file"))).is_file():
            raise FrameError(f"{where}: frame {index} ({setting}) is missing its file {frame.get('file')}")
