"""Shared plumbing for the interactive demos.

Every demo factory follows the same recipe:

1. compute: a pure, cached function of the control values that returns arrays;
2. draw: a function that turns those arrays into a matplotlib Figure;
3. wrap: ``demo_interactive(callback, **controls)`` builds the ``ipywidgets.interactive``.

``demo_interactive`` turns bad input into a one-line message in the output area instead of a
traceback. Raise ``DemoInputError`` for input the student can fix ("batch size must be at most
50000"); any other exception is also caught and shown in one line, and is recorded on the widget
as ``.last_error`` (the message) and ``.last_exception`` (the exception) so tests can tell a
clean render from input the demo rejected (``DemoInputError``) and from a bug (anything else).
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

MESSAGE_STYLE = "color: #b00020; font-family: sans-serif;"
WIDGET_DPI = 80


class DemoInputError(ValueError):
    """Input a student can fix; its message is shown as is."""


def in_ipython_kernel() -> bool:
    """True inside a Jupyter kernel (where ``display`` renders rich output)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def figure_png(fig, dpi: int = WIDGET_DPI) -> bytes:
    """Render ``fig`` to PNG bytes in a single drawing pass.

    The inline backend saves with ``bbox_inches="tight"``, which draws the figure twice (once to
    measure it); the demos lay out their figures themselves, so one pass is enough. Most demo
    figures are wider than a notebook column at 100 dpi, so 80 dpi loses nothing visible.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def show_figure(fig) -> None:
    """Display ``fig`` as a PNG in the current output area (inside a kernel) and close it."""
    if in_ipython_kernel():
        from IPython.display import Image, display

        display(Image(data=figure_png(fig), format="png"))
    plt.close(fig)


def show_message(text: str) -> None:
    """Show one short message in the output area (HTML in a kernel, plain print elsewhere)."""
    if in_ipython_kernel():
        from IPython.display import HTML, display

        safe = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        display(HTML(f'<p style="{MESSAGE_STYLE}">{safe}</p>'))
    else:
        print(text)


def one_line(error: BaseException) -> str:
    """A single readable line for an exception: the message for DemoInputError, else 'Type: message'."""
    message = " ".join(str(error).split()) or error.__class__.__name__
    if isinstance(error, DemoInputError):
        return message
    return f"{error.__class__.__name__}: {message}"


def demo_interactive(callback: Callable, **controls) -> widgets.interactive:
    """Build an ``ipywidgets.interactive`` whose callback never shows a traceback.

    ``callback(**values)`` should return the Figure it drew (or None); the figure is displayed and
    closed here. Errors become a one-line message; the widget's ``last_error`` holds the message of
    the latest update (None after a clean render), and ``last_figure`` the latest Figure drawn.
    """
    holder: dict[str, widgets.interactive] = {}

    def guarded(**values):
        if "ui" not in holder:
            return None  # ipywidgets' own first call, from inside its constructor; rendered below
        ui = holder["ui"]
        ui.last_error = None
        ui.last_exception = None
        try:
            fig = callback(**values)
        except Exception as error:
            plt.close("all")
            ui.last_error = one_line(error)
            ui.last_exception = error
            show_message(ui.last_error)
            return None
        ui.last_figure = fig
        if fig is not None:
            show_figure(fig)
        return fig

    ui = widgets.interactive(guarded, **controls)
    ui.last_error = None
    ui.last_exception = None
    ui.last_figure = None
    holder["ui"] = ui
    ui.update()
    return ui


def parse_number(text, name: str, *, minimum: float | None = None, maximum: float | None = None,
                 integer: bool = False) -> float:
    """Parse a number typed by a student, or raise DemoInputError saying what is wrong with it."""
    raw = str(text).strip()
    if not raw:
        raise DemoInputError(f"{name}: please enter a number.")
    try:
        value = float(raw)
    except ValueError:
        raise DemoInputError(f"{name}: '{raw}' is not a number.") from None
    if not math.isfinite(value):
        raise DemoInputError(f"{name}: '{raw}' is not a finite number.")
    if integer:
        if value != int(value):
            raise DemoInputError(f"{name}: '{raw}' must be a whole number.")
        value = int(value)
    if minimum is not None and value < minimum:
        raise DemoInputError(f"{name}: {raw} is below the smallest allowed value, {minimum:g}.")
    if maximum is not None and value > maximum:
        raise DemoInputError(f"{name}: {raw} is above the largest allowed value, {maximum:g}.")
    return value


def parse_number_list(text, name: str, **limits) -> list[float]:
    """Parse a comma-separated list such as '32, 128, 512'; every entry is checked by ``parse_number``."""
    parts = [part for part in str(text).split(",")]
    if not str(text).strip() or any(not part.strip() for part in parts):
        raise DemoInputError(f"{name}: enter comma-separated numbers, e.g. '32, 128, 512'.")
    return [parse_number(part, name, **limits) for part in parts]


def require_finite(values, what: str, hint: str = "try a smaller learning rate") -> None:
    """Raise DemoInputError when ``values`` contain NaN or inf (e.g. a diverging loss)."""
    array = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(array)):
        raise DemoInputError(f"The {what} became NaN or infinite: {hint}.")
