"""The notebooks' one-off figures: each draws what it is given, with labels a text alternative can name,
and series that differ by more than colour."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from course_lib import plotting_figures as figures  # noqa: E402
from course_lib.figure_text import describe_figure  # noqa: E402
from course_lib.plotting import use_course_style  # noqa: E402


@pytest.fixture(autouse=True)
def course_style():
    use_course_style()
    yield
    plt.close("all")


def test_curves_name_every_series_and_differ_in_style():
    fig = figures.plot_curves({"gradient descent": [3.0, 2.0, 1.5], "minibatch SGD": [3.0, 1.0, 0.5]},
                              xlabel="epoch", ylabel="training loss", markers=True)
    text = describe_figure(fig)
    assert "gradient descent" in text and "minibatch SGD" in text and "training loss" in text
    lines = fig.axes[0].get_lines()
    assert len({(line.get_color(), line.get_linestyle()) for line in lines}) == 2
    assert lines[1].get_ydata().tolist() == [3.0, 1.0, 0.5]


def test_distance_comparison_keeps_weight_solid_and_bias_dotted_per_method():
    distances = {"GD": np.full((5, 2), 1e-1), "RMSprop": np.full((5, 2), 1e-3)}
    lines = figures.plot_distance_comparison(distances).axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["GD, weight", "GD, bias", "RMSprop, weight", "RMSprop, bias"]
    assert [line.get_linestyle() for line in lines] == ["-", ":", "-", ":"]
    assert lines[0].get_color() != lines[2].get_color()


def test_panels_one_per_run_with_titles():
    fig = figures.plot_distance_panels({f"GD, lr = {lr:g}": np.ones((4, 2)) for lr in (0.1, 1.0)})
    assert [ax.get_title() for ax in fig.axes] == ["GD, lr = 0.1", "GD, lr = 1"]


def test_templates_use_one_symmetric_colour_scale():
    weight = torch.zeros(10, 784)
    weight[3, 5] = 2.0
    fig = figures.plot_class_templates(weight, [f"class {k}" for k in range(10)])
    limits = {ax.get_images()[0].get_clim() for ax in fig.axes}
    assert limits == {(-2.0, 2.0)}


def test_grid_marks_a_diverged_run_as_the_worst_value():
    distance = np.array([[1e-8, np.nan], [1e-2, 1e-12]])
    image = figures.plot_momentum_grid(distance, [0.1, 1.0], [0.0, 0.5]).axes[0].get_images()[0]
    assert image.get_array()[0, 1] == pytest.approx(3.0)


def test_sweep_heatmap_annotates_every_cell():
    table = pd.DataFrame([[80.0, 60.5], [82.25, 10.0]], index=["Xavier", "Kaiming"], columns=["0.01", "0.1"])
    texts = [t.get_text() for t in figures.plot_sweep_heatmap(table).axes[0].texts]
    assert sorted(texts) == sorted(["80.0", "60.5", "82.2", "10.0"])
