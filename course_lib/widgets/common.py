"""Shared plumbing for the interactive demos.

Every demo factory follows the same recipe:

1. compute: a pure, cached function of the control values that returns arrays;
2. draw: a function that turns those arrays into a matplotlib Figure;
3. wrap: ``demo_interactive(callback, **controls)`` builds the ``ipywidgets.interactive``.

``demo_interactive`` shows every control's whole label (``show_full_labels``) and turns bad input into a one-line message in the output area instead of a
traceback. Raise ``CourseInputError`` for input the student can fix ("batch size must be at most
50000"); any other exception, while computing or while rendering the figure, is also caught and
shown in one line, and is recorded on the widget as ``.last_error`` (the message) and
``.last_exception`` (the exception) so tests can tell a clean render from input the demo rejected
(``CourseInputError``) and from a bug (anything else). Every update renders the PNG, in a kernel or
not, so headless tests exercise exactly what a student sees (``.last_png``).

Demos that redraw one persistent figure register it with ``CachedBackground``: its axes, ticks,
images and contours are drawn once, and each update draws only the artists that move.

A slider move and the course website's precomputed frames draw through the same function,
``render_setting``; ``demo_interactive(..., site_frames=SiteFrames())`` marks a demo whose frames
the website precomputes (``course_lib.widgets.frames``).
"""

from __future__ import annotations

import base64
import contextlib
import io
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image as PILImage

from course_lib.errors import one_line_message
from course_lib.figure_text import describe_figure, image_html

MESSAGE_STYLE = "color: #b00020; font-family: sans-serif;"
WIDGET_DPI = 80


def in_ipython_kernel() -> bool:
    """True inside a Jupyter kernel (where ``display`` renders rich output), except within ``headless()``."""
    if _HEADLESS["depth"]:
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


_HEADLESS = {"depth": 0}


@contextlib.contextmanager
def headless() -> Iterator[None]:
    """Within: demos compute and draw as outside a kernel, displaying nothing and showing no progress bar
    (no widget is created), e.g. while the website's frames are rendered in a notebook's kernel."""
    _HEADLESS["depth"] += 1
    try:
        yield
    finally:
        _HEADLESS["depth"] -= 1


class CachedBackground:
    """PNG frames of a persistent figure whose static layers are drawn once.

    The first frame, and any frame after an axes' limits or the figure's size changed, is a full
    draw with the ``dynamic`` artists left out, kept as the background. Every other frame restores
    those pixels and draws only the ``dynamic`` artists (lines, titles, legends, in the order given,
    so list legends last to keep them on top). Laying out text (ticks, labels, colorbars) is most
    of matplotlib's drawing time, and none of it is redone for a slider move.

    Outside ``png()`` the dynamic artists are ordinary artists, so ``fig.savefig`` still draws all.
    """

    def __init__(self, figure: Figure, dynamic: Iterable[Artist], dpi: int = WIDGET_DPI):
        self.figure = figure
        self.dynamic = list(dynamic)
        figure.set_dpi(dpi)
        self.canvas = FigureCanvasAgg(figure)
        self._background = None
        self._layout = None
        _CACHED_BACKGROUNDS[figure] = self

    def _layout_key(self) -> tuple:
        limits = tuple((ax.get_xlim(), ax.get_ylim(), ax.get_zlim() if hasattr(ax, "get_zlim") else None)
                       for ax in self.figure.axes)
        return tuple(self.figure.get_size_inches()), self.figure.dpi, limits

    def png(self) -> bytes:
        """The figure as PNG bytes, at the dpi given at construction."""
        layout = self._layout_key()
        if layout != self._layout:
            for artist in self.dynamic:
                artist.set_animated(True)
            try:
                self.canvas.draw()
            finally:
                for artist in self.dynamic:
                    artist.set_animated(False)
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            self._layout = layout
        else:
            self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for artist in self.dynamic:
            if artist.get_visible():
                artist.draw(renderer)
        width, height = self.canvas.get_width_height()
        image = PILImage.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()
        image.save(buffer, format="png", compress_level=1)
        return buffer.getvalue()


_CACHED_BACKGROUNDS: weakref.WeakKeyDictionary[Figure, CachedBackground] = weakref.WeakKeyDictionary()


def figure_png(fig, dpi: int = WIDGET_DPI) -> bytes:
    """Render ``fig`` to PNG bytes in a single drawing pass (or from its ``CachedBackground``).

    The inline backend saves with ``bbox_inches="tight"``, which draws the figure twice (once to
    measure it); the demos lay out their figures themselves, so one pass is enough. Most demo
    figures are wider than a notebook column at 100 dpi, so 80 dpi loses nothing visible.
    """
    cached = _CACHED_BACKGROUNDS.get(fig)
    if cached is not None:
        return cached.png()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def png_bundle(png: bytes, alt: str | None = None) -> tuple[dict, dict]:
    """(data, metadata) of a displayed PNG that every frontend shows with ``alt`` as its text alternative.

    JupyterLab draws ``image/png`` without reading ``metadata["image/png"]["alt"]``; it prefers the
    ``text/html`` form, an ``<img>`` with the same pixels and the ``alt`` attribute. The course
    website's widget renderer reads the metadata (``site_src/widgets_entry.js``).
    """
    encoded = base64.b64encode(png).decode("ascii")
    data = {"image/png": encoded, "text/plain": f"Figure: {alt}" if alt else "<Figure>"}
    if not alt:
        return data, {}
    data["text/html"] = image_html(encoded, alt)
    return data, {"image/png": {"alt": alt}}


def display_png(png: bytes, alt: str | None = None) -> None:
    """Show PNG bytes in the current output area (inside a kernel; elsewhere there is nowhere to show),
    described by ``alt`` (what the plot shows, see ``course_lib.figure_text``) in every frontend."""
    if in_ipython_kernel():
        from IPython.display import display

        data, metadata = png_bundle(png, alt)
        display(data, metadata=metadata, raw=True)


def show_figure(fig) -> None:
    """Display ``fig`` as a PNG in the current output area (inside a kernel) and close it."""
    try:
        if in_ipython_kernel():
            display_png(figure_png(fig), alt=describe_figure(fig))
    finally:
        plt.close(fig)


def show_message(text: str) -> None:
    """Show one short message in the output area (HTML in a kernel, plain print elsewhere)."""
    if in_ipython_kernel():
        from IPython.display import HTML, display

        safe = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        display(HTML(f'<p style="{MESSAGE_STYLE}">{safe}</p>'))
    else:
        print(text)


def show_full_labels(controls: Iterable) -> None:
    """Give every control's description the width it needs: ipywidgets' default cuts a label at about
    twelve characters ("warmup s…"), and the visible label is what names the control for a screen reader."""
    for control in controls:
        style = getattr(control, "style", None)
        if getattr(control, "description", "") and hasattr(style, "description_width"):
            style.description_width = "initial"


@dataclass
class Rendered:
    """What one setting of a demo draws: the figure (None when nothing was drawn), its PNG and text
    alternative, the one-line message of a rejected setting or a bug (``error``, ``exception``), and
    the seconds spent computing and rendering."""

    figure: Figure | None = None
    png: bytes | None = None
    alt: str | None = None
    error: str | None = None
    exception: Exception | None = None
    seconds: dict[str, float] = field(default_factory=lambda: {"compute": 0.0, "render": 0.0})


def render_setting(callback: Callable, values: dict) -> Rendered:
    """Run a demo's callback on one setting and render its figure; errors become a one-line message.

    The one code path of a slider move (``demo_interactive``) and of the website's precomputed frames
    (``course_lib.widgets.frames``): both show what this returns. The figure is not closed here.
    """
    try:
        start = time.perf_counter()
        fig = callback(**values)
        computed = time.perf_counter()
        png = figure_png(fig) if fig is not None else None
        seconds = {"compute": computed - start, "render": time.perf_counter() - computed}
        alt = describe_figure(fig) if fig is not None else None
    except Exception as error:
        plt.close("all")
        return Rendered(error=one_line_message(error), exception=error)
    return Rendered(figure=fig, png=png, alt=alt, seconds=seconds)


def demo_interactive(callback: Callable, site_frames=None, **controls) -> widgets.interactive:
    """Build an ``ipywidgets.interactive`` whose callback never shows a traceback.

    ``callback(**values)`` should return the Figure it drew (or None); the figure is rendered to PNG,
    displayed and closed here. Errors, in the callback or in the rendering, become a one-line
    message. After each update the widget holds ``last_error`` (the message; None after a clean
    render), ``last_exception``, ``last_figure`` (None when nothing was drawn), ``last_png`` (its
    PNG bytes) and ``last_seconds`` ({"compute": s, "render": s} of the latest clean update).

    ``site_frames``: a ``course_lib.widgets.frames.SiteFrames`` when the course website should
    precompute one frame per setting of the controls, so the page's controls respond without a
    kernel (``ui.site_frames``; None: the page keeps a static copy). ``ui.render(**values)`` draws
    any setting as a slider move would, without displaying it or touching the controls.
    """
    holder: dict[str, widgets.interactive] = {}

    def guarded(**values):
        if "ui" not in holder:
            return None  # ipywidgets' own first call, from inside its constructor; rendered below
        ui = holder["ui"]
        ui.last_error, ui.last_exception, ui.last_figure, ui.last_png = None, None, None, None
        rendered = render_setting(callback, values)
        if rendered.error is not None:
            ui.last_error, ui.last_exception = rendered.error, rendered.exception
            show_message(ui.last_error)
            return None
        ui.last_figure, ui.last_png, ui.last_seconds = rendered.figure, rendered.png, rendered.seconds
        if rendered.figure is not None:
            display_png(rendered.png, alt=rendered.alt)
            plt.close(rendered.figure)
        return rendered.figure

    show_full_labels(controls.values())
    ui = widgets.interactive(guarded, **controls)
    ui.last_error = None
    ui.last_exception = None
    ui.last_figure = None
    ui.last_png = None
    ui.last_seconds = {"compute": 0.0, "render": 0.0}
    ui.site_frames = site_frames
    ui.demo_name = getattr(callback, "__qualname__", "demo").split(".")[0]  # its factory: "clipping_demo"
    ui.render = lambda **values: render_setting(callback, values)
    holder["ui"] = ui
    if site_frames is not None:
        _FRAMED_DEMOS[ui.model_id] = ui
    ui.update()
    return ui


_FRAMED_DEMOS: weakref.WeakValueDictionary[str, widgets.interactive] = weakref.WeakValueDictionary()


def framed_demos() -> list[widgets.interactive]:
    """The open demos built with ``site_frames``, oldest first (what the website's frame step renders)."""
    return [ui for ui in _FRAMED_DEMOS.values() if getattr(ui, "comm", None) is not None]
