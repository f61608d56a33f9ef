"""A text alternative for every course figure, read from the figure's own words.

``describe_figure(fig)`` turns what a reader sees written on a figure (its title, each panel's
title, axis labels, legend entries and colour-bar label) into one short description, e.g.
``"Loss against epoch. Panel 'training loss': x: epoch; y: loss; lines: SGD, Adam."``.

It reaches the output in two ways, so a screen reader and the course website can describe the plot:

- the demos (``course_lib.widgets``) display their PNG with it as the image's ``alt`` metadata;
- ``register_figure_descriptions()`` (called by ``course_lib.plotting.use_course_style`` inside a
  kernel) makes it the ``text/plain`` form of every displayed matplotlib Figure, the form shown
  where no image can be (instead of ``<Figure size 640x480 with 1 Axes>``).
"""

from __future__ import annotations

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
        details.append("curves: " + ", ".join(legend))
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


def register_figure_descriptions() -> bool:
    """Make ``describe_figure`` the text form of displayed Figures in the running IPython; False outside one.

    IPython's inline-backend set-up removes every formatter registered for Figure, and it runs when
    the backend module is first imported (usually at the first figure). So the backend is imported
    here first, and the formatter is put back before every cell runs (after a ``%matplotlib`` magic).
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

    formatter = shell.display_formatter.formatters["text/plain"]

    def register(*_args) -> None:
        formatter.for_type(Figure, _plain_text)

    register()
    if register.__qualname__ not in {getattr(hook, "__qualname__", "") for hook in shell.events.callbacks["pre_run_cell"]}:
        shell.events.register("pre_run_cell", register)
    return True
