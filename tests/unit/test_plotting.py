"""Collectors return the right numbers; every plot function draws the expected axes and renders to PNG."""

from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.text
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_lib.experiments.surfaces import pathological_curvature, steep_optima
from course_lib.init import init_equal_variance
from course_lib.models import MLP
from course_lib.plotting import (
    collect_activations,
    collect_gradients,
    collect_input_gradients,
    collect_weights,
    layer_variances,
    plot_distributions,
    plot_shifted_minima,
    plot_surface,
    plot_training_curves,
    use_course_style,
)

NAMES = ["Layer 0", "Layer 2", "Layer 4"]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def model() -> MLP:
    torch.manual_seed(0)
    return MLP(input_size=784, hidden_sizes=(32, 16), num_classes=10, activation="tanh")


@pytest.fixture
def batch() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    return torch.randn(64, 1, 28, 28, generator=generator), torch.randint(0, 10, (64,), generator=generator)


def assert_renders_png(fig, tmp_path):
    path = tmp_path / "figure.png"
    fig.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_collect_weights_names_layers_by_index_in_model_order(model):
    weights = collect_weights(model)
    assert list(weights) == NAMES
    assert [w.shape for w in weights.values()] == [(32, 784), (16, 32), (10, 16)]
    np.testing.assert_array_equal(weights["Layer 2"], model.layers[2].weight.detach().numpy())


def test_collect_gradients_matches_backward_and_leaves_grads_alone(model, batch):
    x, y = batch
    gradients = collect_gradients(model, x, y)
    assert list(gradients) == NAMES
    assert all(p.grad is None for p in model.parameters())
    assert model.training, "the model's mode is restored"
    F.cross_entropy(model(x), y).backward()
    for name, index in zip(NAMES, (0, 2, 4), strict=True):
        np.testing.assert_allclose(gradients[name], model.layers[index].weight.grad.numpy(), rtol=1e-5, atol=1e-8)


def test_collect_activations_are_the_linear_outputs(model, batch):
    x, _ = batch
    activations = collect_activations(model, x)
    assert list(activations) == NAMES
    assert [a.shape for a in activations.values()] == [(64, 32), (64, 16), (64, 10)]
    with torch.no_grad():
        hidden = model.layers[1](model.layers[0](x.flatten(1)))
        np.testing.assert_allclose(activations["Layer 2"], model.layers[2](hidden).numpy(), rtol=1e-5, atol=1e-6)
    assert all(not layer._forward_hooks for layer in model.linear_layers()), "hooks are removed"


def test_collect_input_gradients_are_per_example_gradients_of_each_linear_input(model, batch):
    x, y = batch
    gradients = collect_input_gradients(model, x, y)
    assert list(gradients) == NAMES
    assert [g.shape for g in gradients.values()] == [(64, 784), (64, 32), (64, 16)]
    assert all(p.grad is None for p in model.parameters()), "the model's .grad fields are untouched"
    assert model.training, "the model's mode is restored"
    assert all(not layer._forward_pre_hooks for layer in model.linear_layers()), "hooks are removed"

    flat = x.flatten(1).requires_grad_(True)
    hidden_1 = model.layers[1](model.layers[0](flat))
    hidden_1.retain_grad()
    hidden_2 = model.layers[3](model.layers[2](hidden_1))
    hidden_2.retain_grad()
    F.cross_entropy(model.layers[4](hidden_2), y, reduction="sum").backward()
    for name, expected in zip(NAMES, (flat.grad, hidden_1.grad, hidden_2.grad), strict=True):
        np.testing.assert_allclose(gradients[name], expected.numpy(), rtol=1e-5, atol=1e-7)


def test_collect_input_gradients_row_does_not_depend_on_the_rest_of_the_batch(model, batch):
    x, y = batch
    whole = collect_input_gradients(model, x, y)
    alone = collect_input_gradients(model, x[3:4], y[3:4])
    for name in NAMES:
        np.testing.assert_allclose(whole[name][3:4], alone[name], rtol=1e-5, atol=1e-7)


def test_collect_input_gradients_follow_the_backward_variance_law():
    """Var(∂ℓ/∂h) = fan_out · Var(W) · Var(∂ℓ/∂y) for a linear layer, here with Var(W) = 1/fan_in."""
    torch.manual_seed(0)
    linear = MLP(input_size=256, hidden_sizes=(512, 128), num_classes=10, activation="identity")
    init_equal_variance(linear)
    x, y = torch.randn(2048, 256), torch.randint(0, 10, (2048,))
    variances = layer_variances(collect_input_gradients(linear, x, y))
    # back through Layer 2 (512 → 128): × 128/512; then through Layer 0 (256 → 512): × 512/256
    assert variances["Layer 2"] / variances["Layer 4"] == pytest.approx(128 / 512, rel=0.15)
    assert variances["Layer 0"] / variances["Layer 2"] == pytest.approx(512 / 256, rel=0.15)


def test_layer_variances_follow_the_initialization(model):
    init_equal_variance(model)
    variances = layer_variances(collect_weights(model))
    assert list(variances) == NAMES
    for name, fan_in in zip(NAMES, (784, 32, 16), strict=True):
        assert variances[name] == pytest.approx(1 / fan_in, rel=0.25)
    assert layer_variances({"a": np.array([1.0, 3.0])}) == {"a": 1.0}


def test_plot_distributions_draws_one_axes_per_layer(model, tmp_path):
    fig = plot_distributions(collect_weights(model), title="weights", color="C1", xlabel="weight value")
    assert len(fig.axes) == 3
    assert [ax.get_title() for ax in fig.axes] == NAMES
    assert_renders_png(fig, tmp_path)


def test_plot_distributions_handles_constant_values_and_rejects_empty_input():
    fig = plot_distributions({"constant": np.full((4, 5), 0.005), "spread": np.arange(10.0)})
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="empty"):
        plot_distributions({})


def test_plot_surface_2d_has_a_colorbar_and_the_ranges(tmp_path):
    ax = plot_surface(pathological_curvature, (-5, 5), (-4, 4), title="ravine", resolution=30)
    assert len(ax.figure.axes) == 2
    assert ax.get_xlim() == (-5, 5) and ax.get_ylim() == (-4, 4)
    assert ax.get_title() == "ravine"
    assert_renders_png(ax.figure, tmp_path)


def test_plot_surface_3d_uses_a_3d_axes(tmp_path):
    ax = plot_surface(steep_optima, (-2, 2), (-2, 2), plot_3d=True, resolution=30)
    assert ax.name == "3d"
    assert_renders_png(ax.figure, tmp_path)
    fig = plt.figure()
    flat_ax = fig.add_subplot()
    with pytest.raises(ValueError, match="3-D axes"):
        plot_surface(steep_optima, (-2, 2), (-2, 2), plot_3d=True, ax=flat_ax)


def test_plot_training_curves_one_axes_per_metric(tmp_path):
    histories = {
        "SGD": {"train_loss": [1.0, 0.7, 0.5], "val_acc": [0.6, 0.7, 0.75]},
        "Adam": {"train_loss": [0.9, 0.5, 0.4], "val_acc": [0.65, 0.75, 0.8]},
    }
    fig = plot_training_curves(histories)
    assert len(fig.axes) == 1 and len(fig.axes[0].get_lines()) == 2
    np.testing.assert_array_equal(fig.axes[0].get_lines()[1].get_xdata(), [1, 2, 3])
    fig = plot_training_curves(histories, metric=["train_loss", "val_acc"], title="comparison")
    assert len(fig.axes) == 2
    assert_renders_png(fig, tmp_path)
    with pytest.raises(ValueError, match="no metric 'val_loss'"):
        plot_training_curves(histories, metric="val_loss")


def test_use_course_style_sets_the_seaborn_theme():
    with plt.rc_context():
        use_course_style()
        assert plt.rcParams["axes.grid"]
        assert plt.rcParams["axes.facecolor"] == "white"


def test_plot_shifted_minima_labels_the_gaps_below_the_curves_with_visible_arrows(tmp_path):
    def two_valleys(w):
        return 1.0 - 0.8 * np.exp(-((w + 2) ** 2) / (2 * 0.8**2)) - 0.8 * np.exp(-((w - 2) ** 2) / (2 * 0.15**2))

    fig = plot_shifted_minima(two_valleys, {"flat": -2.0, "sharp": 2.0}, shift=0.25)
    (ax,) = fig.axes
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    curves = [line for line in ax.get_lines() if len(line.get_xdata()) > 2]
    assert len(curves) == 2
    annotations = [child for child in ax.get_children() if isinstance(child, matplotlib.text.Annotation)]
    texts = sorted(annotation.get_text() for annotation in annotations)
    gaps = {"flat": two_valleys(np.float64(-2.25)) - two_valleys(np.float64(-2.0)),
            "sharp": two_valleys(np.float64(1.75)) - two_valleys(np.float64(2.0))}
    assert texts == sorted(f"{name} minimum\ntest − train = {gap:.2f}" for name, gap in gaps.items())
    curve_points = np.concatenate([ax.transData.transform(np.column_stack(line.get_data())) for line in curves])
    for annotation in annotations:
        box = annotation.get_window_extent(renderer).padded(2)
        inside = ((box.x0 <= curve_points[:, 0]) & (curve_points[:, 0] <= box.x1)
                  & (box.y0 <= curve_points[:, 1]) & (curve_points[:, 1] <= box.y1))
        assert not inside.any(), f"{annotation.get_text()!r} overlaps a curve"
        arrow = annotation.arrow_patch.get_window_extent(renderer)
        assert arrow.height > 15, "the arrow should be long enough to see"
    legend_box = ax.get_legend().get_window_extent(renderer)
    assert legend_box.y0 >= ax.get_window_extent(renderer).y1 - 1, "the legend should sit above the axes"
    assert_renders_png(fig, tmp_path)


def test_each_histogram_is_a_density_with_a_curve_unless_the_values_are_constant():
    rng = np.random.default_rng(3)
    fig = plot_distributions({"spread": rng.normal(size=5000), "constant": np.full(50, 0.005)})
    for ax, curves in zip(fig.axes, (1, 0), strict=True):
        (histogram,) = ax.patches
        heights, edges, _ = histogram.get_data()
        assert float(np.sum(heights * np.diff(edges))) == pytest.approx(1.0)
        assert len(ax.lines) == curves
    grid, density = fig.axes[0].lines[0].get_data()
    assert float(np.sum(density[:-1] * np.diff(grid))) == pytest.approx(1.0, abs=0.02)


def test_values_that_are_not_finite_are_left_out_and_counted_in_the_panel_title():
    values = np.array([0.1, np.nan, 0.3, np.inf, -np.inf, 0.2])
    fig = plot_distributions({"blown up": values, "all nan": np.full(3, np.nan)})
    (histogram,) = fig.axes[0].patches
    heights, edges, _ = histogram.get_data()
    assert edges[0] == pytest.approx(0.1) and edges[-1] == pytest.approx(0.3)
    assert float(np.sum(heights * np.diff(edges))) == pytest.approx(1.0)
    assert fig.axes[0].get_title() == "blown up\n(3 of 6 not finite)"
    assert len(fig.axes[1].patches) == 0 and fig.axes[1].get_title() == "all nan\n(3 of 3 not finite)"
