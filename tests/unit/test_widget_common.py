"""The demos' shared plumbing: one-line messages instead of tracebacks, and cached-background frames."""

from __future__ import annotations

import base64
import io

import ipywidgets as widgets
import matplotlib
import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from course_lib.errors import CourseInputError
from course_lib.widgets.common import CachedBackground, demo_interactive, figure_png, png_bundle

matplotlib.use("Agg")


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def full_draw(fig: Figure, dpi: int = 80) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def line_figure():
    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.imshow(np.arange(100.0).reshape(10, 10), extent=(0, 10, 0, 10), aspect="auto")
    (line,) = ax.plot([], [], color="red", lw=2, label="path")
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    legend = ax.legend(loc="upper right")
    return fig, ax, line, legend


def test_cached_frames_look_like_a_full_draw_after_the_lines_move():
    fig, ax, line, legend = line_figure()
    frames = CachedBackground(fig, [line, ax.title, legend])
    for step in range(3):
        line.set_data([0, 10], [step, 10 - step])
        ax.set_title(f"frame {step}")
        fast = pixels(frames.png())
        reference = pixels(full_draw(fig))
        assert fast.shape == reference.shape
        assert np.mean(np.abs(fast - reference).max(axis=2) > 40) < 0.002, f"frame {step} differs"


def test_a_moving_line_leaves_no_trace_of_its_earlier_position():
    fig, ax, line, legend = line_figure()
    frames = CachedBackground(fig, [line, legend])
    line.set_data([0, 10], [1, 1])
    first = pixels(frames.png())
    line.set_data([0, 10], [9, 9])
    frames.png()
    line.set_data([0, 10], [1, 1])
    assert np.array_equal(pixels(frames.png()), first)


def test_changed_axis_limits_redraw_the_background():
    fig, ax, line, legend = line_figure()
    frames = CachedBackground(fig, [line, legend])
    line.set_data([0, 5], [0, 5])
    before = frames.png()
    ax.set_xlim(0, 1000)
    after = pixels(frames.png())
    assert not np.array_equal(pixels(before), after)
    assert np.mean(np.abs(after - pixels(full_draw(fig))).max(axis=2) > 40) < 0.002


def test_figure_png_uses_the_cached_background_and_savefig_still_draws_everything():
    fig, ax, line, legend = line_figure()
    frames = CachedBackground(fig, [line, legend])
    line.set_data([0, 10], [0, 10])
    assert np.array_equal(pixels(figure_png(fig)), pixels(frames.png()))
    without_line = line_figure()[0]
    assert not np.array_equal(pixels(full_draw(fig)), pixels(full_draw(without_line)))


def test_a_rejected_value_becomes_one_line_and_the_next_value_renders():
    def show(x):
        if x < 0:
            raise CourseInputError("x must be at least 0.")
        fig = Figure(figsize=(2, 2))
        fig.add_subplot().plot([0, x])
        return fig

    slider = widgets.IntSlider(value=1, min=-5, max=5)
    ui = demo_interactive(show, x=slider)
    assert ui.last_error is None and ui.last_png.startswith(b"\x89PNG")
    slider.value = -1
    assert ui.last_error == "x must be at least 0." and ui.last_figure is None and ui.last_png is None
    slider.value = 2
    assert ui.last_error is None and ui.last_figure is not None
    assert set(ui.last_seconds) == {"compute", "render"}


def test_an_error_while_rendering_the_figure_is_a_message_not_a_traceback():
    class Unrenderable(Figure):
        def draw(self, renderer):
            raise RuntimeError("cannot draw this")

    slider = widgets.IntSlider(value=1, min=0, max=2)
    ui = demo_interactive(lambda x: Unrenderable(), x=slider)
    assert ui.last_error == "RuntimeError: cannot draw this"
    assert isinstance(ui.last_exception, RuntimeError) and ui.last_figure is None


def test_every_control_label_is_shown_whole():
    """ipywidgets cuts a description at its default width ("warmup s…"); the demos' labels are never cut."""
    controls = {"warmup_steps": widgets.IntSlider(value=1, min=0, max=5, description="warmup steps"),
                "schedule": widgets.Dropdown(options=["cosine", "step"], description="learning-rate schedule"),
                "unlabelled": widgets.IntSlider(value=1, min=0, max=5)}
    assert controls["warmup_steps"].style.description_width == ""
    demo_interactive(lambda **values: None, **controls)
    assert controls["warmup_steps"].style.description_width == "initial"
    assert controls["schedule"].style.description_width == "initial"
    assert controls["unlabelled"].style.description_width == ""


def test_a_displayed_plot_carries_its_text_alternative_for_every_frontend():
    """JupyterLab ignores image metadata and shows the HTML form: an <img> with the alt; the site reads the metadata."""
    png = full_draw(line_figure()[0])
    data, metadata = png_bundle(png, 'Loss "curves" & more')
    assert base64.b64decode(data["image/png"]) == png
    assert metadata == {"image/png": {"alt": 'Loss "curves" & more'}}
    assert data["text/html"].endswith('alt="Loss &quot;curves&quot; &amp; more">')
    assert data["image/png"] in data["text/html"]
    assert "text/html" not in png_bundle(png, None)[0]
