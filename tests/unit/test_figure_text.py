"""course_lib.figure_text: every figure's text alternative comes from the words written on it."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402

from course_lib.figure_text import describe_figure, register_figure_descriptions  # noqa: E402
from course_lib.widgets.common import demo_interactive  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_a_figure_is_described_by_its_title_panels_axes_and_legend():
    fig, (left, right) = plt.subplots(1, 2)
    fig.suptitle("Optimizers on $w_1$")
    left.plot([1, 2], label="SGD")
    left.plot([2, 1], label="Adam")
    left.legend()
    left.set(title="loss", xlabel="step", ylabel="loss")
    image = right.imshow(np.eye(3))
    fig.colorbar(image, ax=right, label="density")
    text = describe_figure(fig)
    assert text.startswith("Optimizers on w_1. 2 plots: ")
    assert "'loss' (x: step; y: loss; curves: SGD rises from 1 to 2, Adam falls from 2 to 1)" in text
    assert "colour bar: density" in text


def test_a_figure_without_text_has_no_description_and_long_ones_are_cut():
    fig, _ = plt.subplots()
    assert describe_figure(fig) == ""
    fig, axes = plt.subplots(1, 10)
    for index, ax in enumerate(axes):
        ax.set_title(f"a rather long panel title number {index}")
    text = describe_figure(fig)
    assert "and 4 more" in text and len(text) <= 400


def test_demo_images_carry_the_description_as_alt_metadata(monkeypatch):
    from course_lib.widgets import common

    shown = []
    monkeypatch.setattr(common, "in_ipython_kernel", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda obj, **kwargs: shown.append((obj, kwargs)))

    def draw(value):
        fig, ax = plt.subplots()
        ax.set(title=f"value {value}", xlabel="x")
        return fig

    import ipywidgets as widgets

    demo_interactive(draw, value=widgets.IntSlider(value=3, min=0, max=5))
    data, options = shown[-1]
    assert options["raw"] and "image/png" in data
    assert options["metadata"]["image/png"]["alt"] == "Plot: 'value 3' (x: x)."
    assert data["text/html"].endswith('alt="Plot: &#x27;value 3&#x27; (x: x).">')


def test_registered_in_ipython_the_text_form_of_a_figure_is_its_description():
    shell = InteractiveShell.instance()
    try:
        assert register_figure_descriptions()
        fig, ax = plt.subplots()
        ax.set_title("accuracy")
        data, _ = shell.display_formatter.format(fig)
        assert data["text/plain"] == "Figure: Plot: 'accuracy'."
    finally:
        InteractiveShell.clear_instance()


def test_a_figure_shown_in_a_cell_carries_its_description_as_the_images_alt():
    """JupyterLab ignores image metadata: the PNG the inline backend drew (once) also comes as <img alt=...>."""
    from matplotlib.figure import Figure

    shell = InteractiveShell.instance()
    drawn = []
    try:
        shell.display_formatter.formatters["image/png"].for_type(Figure, lambda fig: drawn.append(fig) or "UE5HZmFrZQ==")
        assert register_figure_descriptions()
        fig, ax = plt.subplots()
        ax.set_title("accuracy")
        data, metadata = shell.display_formatter.format(fig)
        assert data["image/png"] == "UE5HZmFrZQ==" and len(drawn) == 1
        assert data["text/html"] == '<img src="data:image/png;base64,UE5HZmFrZQ==" alt="Plot: &#x27;accuracy&#x27;.">'
        assert metadata["image/png"]["alt"] == "Plot: 'accuracy'."
        assert data["text/plain"] == "Figure: Plot: 'accuracy'."
    finally:
        InteractiveShell.clear_instance()


def test_each_curve_says_what_it_does():
    fig, ax = plt.subplots()
    ax.plot([3.0, 1.0, 0.5, 0.6], label="training loss")
    ax.plot([0.5, 0.52, 0.49, 0.5], label="accuracy")
    ax.plot([1.0, 4.0, 2.0], label="momentum path")
    ax.plot([1.0, np.nan], label="diverged")
    ax.legend()
    text = describe_figure(fig)
    assert "training loss falls from 3 to 0.6 (lowest 0.5)" in text
    assert "accuracy stays between 0.49 and 0.52" in text
    assert "momentum path rises from 1 to 2 (highest 4)" in text
    assert "curves: training loss falls" in text and text.endswith(", diverged.")
