"""The website's precomputed frames (course_lib.widgets.frames, tools/site_frames.py): every setting of a
demo's grid gets the frame its own code draws, and a missing, misplaced or stale frame is caught.

A small demo of the course's kind stands in for a real one (its title names the setting it drew, so a
frame's text alternative says which setting it belongs to); the course's demos that opt in are the ones
the README's table lists as responding.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from itertools import product
from pathlib import Path

import ipywidgets as widgets
import matplotlib
import nbformat
import pytest
from matplotlib.figure import Figure

from course_lib.errors import CourseInputError
from course_lib.widgets.common import demo_interactive, framed_demos, headless, in_ipython_kernel
from course_lib.widgets.frames import (
    MANIFEST_FILE,
    MAX_SETTINGS,
    FrameError,
    SiteFrames,
    check_manifest,
    compress_png,
    control_grid,
    render_frames,
    save_site_frames,
)
from tools import site_frames

matplotlib.use("Agg")
REPO = Path(__file__).resolve().parents[2]


def small_demo(fixed: tuple[str, ...] = ("note",), reject_width: int | None = None):
    """A demo with a selection slider (3), a toggle (2), a float slider (3) and a fixed text box: 18 settings."""

    def draw(kind, show, width, note):
        if width == reject_width:
            raise CourseInputError(f"width {width} is not allowed.")
        fig = Figure(figsize=(3, 2))
        ax = fig.subplots()
        ax.plot([0, 1], [0, width], label=f"{kind}/{show}")
        ax.set_title(f"kind {kind}, show {show}, width {width:g}, note {note}")
        ax.legend()
        return fig

    return demo_interactive(
        draw,
        site_frames=SiteFrames(fixed=fixed),
        kind=widgets.SelectionSlider(options=[("a", "A"), ("b", "B"), ("c", "C")], value="B", description="kind"),
        show=widgets.ToggleButtons(options=["up", "down"], value="up", description="show"),
        width=widgets.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.5, description="width"),
        note=widgets.Text(value="hello", description="note"),
    )


def page_states(ui) -> dict[str, dict]:
    """{model id: state} of the demo's controls, as a page stores them."""
    return {control.model_id: control.get_state() for control in ui.kwargs_widgets}


@pytest.fixture(autouse=True)
def close_new_demos():
    """Each test's demos are closed after it, so save_site_frames sees only the demos of its own test."""
    before = {id(ui) for ui in framed_demos()}
    yield
    for ui in framed_demos():
        if id(ui) not in before:
            ui.close()


@pytest.fixture
def rendered(tmp_path):
    ui = small_demo()
    manifest = render_frames(ui, tmp_path, name="small_demo")
    return ui, manifest, tmp_path


def test_grids_follow_each_controls_own_steps():
    assert control_grid(widgets.IntSlider(min=1, max=6, step=2).get_state()).keys == (1, 3, 5)
    assert control_grid(widgets.FloatSlider(min=0.0, max=0.99, step=0.01).get_state()).keys[-1] == 0.99
    assert len(control_grid(widgets.FloatSlider(min=0.0, max=0.99, step=0.01).get_state())) == 100
    log = control_grid(widgets.FloatLogSlider(min=-3, max=0, step=0.25, base=10).get_state())
    assert len(log) == 13 and log.keys[0] == 0.001 and log.keys[-1] == 1.0 and log.scale == "log"
    selection = control_grid(widgets.Dropdown(options=[("x", 1), ("y", 2)]).get_state())
    assert selection.kind == "index" and selection.keys == (0, 1) and selection.labels == ("x", "y")
    assert control_grid(widgets.Checkbox().get_state()).keys == (False, True)
    with pytest.raises(FrameError, match="no finite grid"):
        control_grid(widgets.Text().get_state())


def test_every_setting_gets_the_frame_the_demo_draws_for_it(rendered):
    ui, manifest, folder = rendered
    assert manifest["settings"] == 3 * 2 * 3 == len(manifest["frames"])
    assert [control["name"] for control in manifest["controls"]] == ["kind", "show", "width"]
    assert manifest["fixed"] == [{"name": "note", "label": "note", "model_id": ui.kwargs_widgets[3].model_id,
                                  "value": "hello"}]
    grids = [control["keys"] for control in manifest["controls"]]
    for frame, setting in zip(manifest["frames"], product(*grids), strict=True):
        kind, show, width = "ABC"[setting[0]], ("up", "down")[setting[1]], setting[2]
        assert frame["setting"] == list(setting)
        assert f"kind {kind}, show {show}, width {width:g}, note hello" in frame["alt"]
        redrawn = ui.render(kind=kind, show=show, width=width, note="hello")
        png = compress_png(redrawn.png)
        assert (folder / frame["file"]).read_bytes() == png, f"frame {setting} is not the demo's drawing of it"
        assert frame["file"] == hashlib.sha256(png).hexdigest()[:20] + ".png"
    assert manifest["bytes"] == sum(path.stat().st_size for path in folder.glob("*.png"))
    check_manifest(manifest, page_states(ui), folder)


def test_frames_are_smaller_than_the_widgets_own_png_and_the_same_pixels(rendered):
    from PIL import Image, ImageChops

    ui, manifest, folder = rendered
    original = ui.render(kind="A", show="up", width=0.0, note="hello").png
    frame = (folder / manifest["frames"][0]["file"]).read_bytes()
    assert len(frame) < len(original)
    first, second = (Image.open(__import__("io").BytesIO(data)).convert("RGB") for data in (original, frame))
    assert ImageChops.difference(first, second).getbbox() is None


def test_a_missing_frame_file_is_caught(rendered):
    ui, manifest, folder = rendered
    (folder / manifest["frames"][4]["file"]).unlink()
    with pytest.raises(FrameError, match="missing its file"):
        check_manifest(manifest, page_states(ui), folder)


def test_a_frame_in_the_place_of_another_setting_is_caught(rendered):
    ui, manifest, folder = rendered
    planted = copy.deepcopy(manifest)
    planted["frames"][1], planted["frames"][2] = planted["frames"][2], planted["frames"][1]
    with pytest.raises(FrameError, match="frame 1 was drawn for"):
        check_manifest(planted, page_states(ui), folder)


def test_a_manifest_missing_a_setting_is_caught(rendered):
    ui, manifest, folder = rendered
    planted = copy.deepcopy(manifest)
    del planted["frames"][-1]
    with pytest.raises(FrameError, match="17 frames for 18 settings"):
        check_manifest(planted, page_states(ui), folder)


def test_frames_of_a_control_whose_range_changed_are_stale(rendered):
    ui, manifest, folder = rendered
    states = page_states(ui)
    width = ui.kwargs_widgets[2]
    states[width.model_id] = {**states[width.model_id], "max": 1.5}
    with pytest.raises(FrameError, match="other settings"):
        check_manifest(manifest, states, folder)


def test_a_frame_without_a_text_alternative_is_caught(rendered):
    ui, manifest, folder = rendered
    planted = copy.deepcopy(manifest)
    planted["frames"][0]["alt"] = ""
    with pytest.raises(FrameError, match="no text alternative"):
        check_manifest(planted, page_states(ui), folder)


def test_a_rejected_setting_is_a_message_frame_and_a_bug_stops_the_build(tmp_path):
    manifest = render_frames(small_demo(reject_width=1), tmp_path)
    messages = [frame for frame in manifest["frames"] if "message" in frame]
    assert len(messages) == 6 and all(frame["message"] == "width 1.0 is not allowed." for frame in messages)

    def broken(x):
        raise ZeroDivisionError("a bug")

    ui = demo_interactive(broken, site_frames=SiteFrames(), x=widgets.IntSlider(min=0, max=2))
    with pytest.raises(FrameError, match="failed at"):
        render_frames(ui, tmp_path)


def test_a_grid_too_large_or_a_free_text_box_is_refused(tmp_path):
    big = demo_interactive(lambda a, b: None, site_frames=SiteFrames(),
                           a=widgets.IntSlider(min=0, max=20), b=widgets.IntSlider(min=0, max=20))
    with pytest.raises(FrameError, match=f"441 settings, more than the {MAX_SETTINGS}"):
        render_frames(big, tmp_path)
    with pytest.raises(FrameError, match="no finite grid"):
        render_frames(small_demo(fixed=()), tmp_path)
    with pytest.raises(FrameError, match="not controls of the demo"):
        render_frames(small_demo(fixed=("nothing",)), tmp_path)


def test_save_site_frames_renders_headless_every_demo_that_opted_in(tmp_path):
    ui = small_demo()
    static = demo_interactive(lambda x: None, x=widgets.IntSlider(min=0, max=2))
    assert ui in framed_demos() and static not in framed_demos()
    manifests = save_site_frames(tmp_path)
    assert ui.model_id in manifests and static.model_id not in manifests
    assert json.loads((tmp_path / MANIFEST_FILE).read_text()) == manifests
    with headless():
        assert not in_ipython_kernel()


def test_the_build_attaches_a_checked_manifest_and_refuses_a_broken_one(rendered):
    ui, manifest, folder = rendered
    states = {model_id: {"state": state} for model_id, state in page_states(ui).items()}
    view = {"application/vnd.jupyter.widget-view+json": {"model_id": ui.model_id}}
    cell = nbformat.v4.new_code_cell("small_demo()", outputs=[nbformat.v4.new_output("display_data", data=view)])
    used = site_frames.attach_frames(cell, {ui.model_id: manifest}, states, folder, "notebooks/01_x", "<p>static</p>")
    assert used == [manifest]
    html = cell.outputs[-1]["data"]["text/html"]
    assert "responds without a kernel" in html and "the note box stays at hello" in html
    page = json.loads(re.search(r"<script[^>]*data-course-frames[^>]*>(.*)</script>", html).group(1))
    assert page["base"] == "../_frames/01_x/" and len(page["frames"]) == 18
    assert states[ui.kwargs_widgets[3].model_id]["state"]["disabled"] is True
    broken = copy.deepcopy(manifest)
    del broken["frames"][3]
    cell = nbformat.v4.new_code_cell("small_demo()", outputs=[nbformat.v4.new_output("display_data", data=view)])
    with pytest.raises(RuntimeError, match="notebooks/01_x: small_demo: 17 frames for 18 settings"):
        site_frames.attach_frames(cell, {ui.model_id: broken}, states, folder, "notebooks/01_x", "<p>static</p>")
    cell = nbformat.v4.new_code_cell("other()", outputs=[nbformat.v4.new_output("display_data", data=view)])
    assert site_frames.attach_frames(cell, {}, states, folder, "notebooks/01_x", "<p>static</p>") == []
    assert cell.outputs[-1]["data"]["text/html"] == "<p>static</p>"


def test_publishing_copies_the_frames_and_keeps_each_demo_under_its_budget(rendered, tmp_path, monkeypatch):
    _, manifest, folder = rendered
    html = tmp_path / "html"
    (html / "_frames" / "01_x").mkdir(parents=True)
    (html / "_frames" / "01_x" / "stale.png").write_bytes(b"old")
    sizes = site_frames.publish_frames({"notebooks/01_x": (folder, [manifest])}, html, lambda message: None)
    published = {path.name for path in (html / "_frames" / "01_x").iterdir()}
    assert published == {frame["file"] for frame in manifest["frames"]}
    assert sizes == {"01_x small_demo": manifest["bytes"]}
    monkeypatch.setattr(site_frames, "MAX_DEMO_BYTES", manifest["bytes"] - 1)
    with pytest.raises(RuntimeError, match="more than"):
        site_frames.publish_frames({"notebooks/01_x": (folder, [manifest])}, html, lambda message: None)


def test_the_readme_lists_which_demos_respond_as_the_code_decides():
    """The README's table names every demo factory once, and says "yes" exactly for those built with site_frames."""
    from course_lib.widgets import _DEMO_MODULES

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Which demos respond on the website", 1)[1].split("\n#", 1)[0]
    rows = {match.group(1): match.group(2).strip() for match in
            re.finditer(r"^\|\s*`(\w+)`[^|]*\|\s*(yes|no)\b", section, re.MULTILINE)}
    assert set(rows) == set(_DEMO_MODULES), set(rows) ^ set(_DEMO_MODULES)
    for demo, module in _DEMO_MODULES.items():
        source = (REPO / "course_lib" / "widgets" / f"{module}.py").read_text(encoding="utf-8")
        opted_in = "site_frames=SiteFrames(" in source
        assert rows[demo] == ("yes" if opted_in else "no"), f"{demo}: README says {rows[demo]!r}"
