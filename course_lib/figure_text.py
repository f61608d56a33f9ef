"""A text alternative for every course figure, read from the figure's own words.

``describe_figure(fig)`` turns what a reader sees written on a figure (its title, each panel's
title, axis labels, legend entries and colour-bar label) into one short description, e.g.
``"Loss against epoch. Plot: 'training loss' (x: epoch; y: loss; curves: SGD falls from 2.3 to 0.4,
Adam falls from 2.3 to 0.3 (lowest 0.25))."``: each labelled curve says what it does, from its
first to its last point, with a lowest or highest value in between when there is one.

It reaches the output in two ways, so a screen reader and the course website can describe the plot:

- the demos (``course_lib.widgets``) display their PNG with it as the image's ``alt`` metadata;
- ``register_figure_descriptions()`` (called by ``course_lib.plotting.use_course_style`` inside a
  kernel) makes it the ``text/plain`` form of every displayed matplotlib Figure, the form shown
  where no image can be (instead of ``<Figure size 640x480 with 1 Axes>``).
"""

from __future__ import annotations

import html

import numpy as np
from matplotlib.figure import Figure

MAX_PANELS_DESCRIBED = 6
MAX_LENGTH = 400


def _clean(text: str) -> str:
    """One line of plain text: TeX dollar signs and backslashes dropped, whitespace collapsed."""
    text = text.replace("$", "").replace("\\", "")
    return " ".join(text.split())


def _panel_title(ax) -> str:
    return " ".join(part for part in (_clean(ax.get_title(loc)) for loc in ("left", "center", "right")) if part)


def _legend_labels(ax) -> list[str]:
    legend = ax.get_legend()
    if legend is None:
        return []
    return [label for label in (_clean(text.get_text()) for text in legend.get_texts()) if label]


def _describe_series(ax, label: str) -> str:
    """``label`` and what its line does: "SGD falls from 2.3 to 0.41 (lowest 0.39)"; the label alone
    when no line with data carries it (a histogram, a shaded band). A curve that ends about where it
    started "stays between" its lowest and highest value."""
    line = next((line for line in ax.get_lines() if _clean(str(line.get_label())) == label), None)
    y = np.asarray(line.get_ydata(), dtype=float) if line is not None else np.array([])
    y = y[np.isfinite(y)] if y.ndim == 1 else np.array([])
    if y.size < 2:
        return label
    first, last, low, high = y[0], y[-1], y.min(), y.max()
    spread = max(high - low, 1e-12)
    if abs(last - first) <= 0.1 * spread:
        return f"{label} stays between {low:.3g} and {high:.3g}"
    text = f"{label} {'rises' if last > first else 'falls'} from {first:.3g} to {last:.3g}"
    extreme = [f"lowest {low:.3g}" if low < min(first, last) - 0.02 * spread else "",
               f"highest {high:.3g}" if high > max(first, last) + 0.02 * spread else ""]
    extreme = [part for part in extreme if part]
    return text + (f" ({', '.join(extreme)})" if extreme else "")


def _describe_panel(ax) -> str:
    if ax.get_label() == "<colorbar>":
        label = _clean(ax.get_ylabel()) or _clean(ax.get_xlabel())
        return f"colour bar: {label}" if label else ""
    details = []
    axes_labels = [("x", ax.get_xlabel()), ("y", ax.get_ylabel())]
    if hasattr(ax, "get_zlabel"):
        axes_labels.append(("z", ax.get_zlabel()))
    details += [f"{name}: {_clean(label)}" for name, label in axes_labels if _clean(label)]
    legend = _legend_labels(ax)
    if legend:
        details.append("curves: " + ", ".join(_describe_series(ax, label) for label in legend))
    title = _panel_title(ax)
    described = "; ".join(details)
    if title and described:
        return f"'{title}' ({described})"
    return f"'{title}'" if title else described


def describe_figure(fig: Figure) -> str:
    """One description of ``fig`` from its visible text; '' when the figure has no text at all."""
    suptitle = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
    heading = _clean(suptitle or "")
    axes = [ax for ax in fig.axes if ax.get_visible()]
    panels = [text for text in (_describe_panel(ax) for ax in axes) if text]
    plot_count = sum(1 for ax in axes if ax.get_label() != "<colorbar>")
    parts = [heading.rstrip(".") + "." if heading else ""]
    if panels:
        shown = panels[:MAX_PANELS_DESCRIBED]
        more = f"; and {len(panels) - len(shown)} more" if len(panels) > len(shown) else ""
        noun = "Plot" if plot_count == 1 else f"{plot_count} plots"
        parts.append(f"{noun}: " + "; ".join(shown) + more + ".")
    text = " ".join(part for part in parts if part)
    if len(text) > MAX_LENGTH:
        text = text[: MAX_LENGTH - 1].rstrip() + "…"
    return text


def _plain_text(fig: Figure, printer, cycle: bool) -> None:
    description = describe_figure(fig)
    width, height = fig.get_size_inches() * fig.dpi
    printer.text(f"Figure: {description}" if description else f"<Figure size {width:g}x{height:g}>")


def image_html(png_base64: str, alt: str) -> str:
    """An ``<img>`` of base64 PNG data with ``alt``: the form JupyterLab shows with a text alternative
    (its ``image/png`` renderer ignores an output's ``alt`` metadata)."""
    return f'<img src="data:image/png;base64,{png_base64}" alt="{html.escape(alt, quote=True)}">'


def _described_png(png_printer):
    """A mime-bundle printer for Figure: the inline backend's PNG (drawn once), its ``alt`` metadata, and
    the same pixels as an ``<img>`` with the description, which JupyterLab prefers to the bare PNG."""

    def bundle(fig: Figure):
        png = png_printer(fig)
        if not png:
            return {}
        description = describe_figure(fig)
        if not description:
            return {"image/png": png}
        return {"image/png": png, "text/html": image_html(png, description)}, {"image/png": {"alt": description}}

    return bundle


def register_figure_descriptions() -> bool:
    """Make ``describe_figure`` the text form of displayed Figures in the running IPython; False outside one.

    A figure's PNG also gets the description as its text alternative: the inline backend's PNG printer
    is moved into a mime-bundle printer that adds ``alt`` metadata and an ``<img alt=...>`` form.
    IPython's inline-backend set-up removes every formatter registered for Figure, and it runs when
    the backend module is first imported (usually at the first figure). So the backend is imported
    here first, and the formatters are put back before every cell runs (after a ``%matplotlib`` magic).
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return False
    try:
        import matplotlib_inline.backend_inline  # noqa: F401  (with the inline backend, its import sets IPython up)
    except ImportError:
        pass

    formatters = shell.display_formatter.formatters

    def register(*_args) -> None:
        formatters["text/plain"].for_type(Figure, _plain_text)
        png_printer = formatters["image/png"].pop(Figure, None)
        if png_printer is not None:  # the inline backend's, set up again: one PNG, shown with its description
            shell.display_formatter.mimebundle_formatter.for_type(Figure, _described_png(png_printer))

    register()
    if register.__qualname__ not in {getattr(hook, "__qualname__", "") for hook in shell.events.callbacks["pre_run_cell"]}:
        shell.events.register("pre_run_cell", register)
    return True
