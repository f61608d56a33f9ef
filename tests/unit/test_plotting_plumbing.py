"""The pictures notebooks 02 and 03 used to draw in their own cells, now in course_lib: the numbers they
show (experiments) and the figures (plotting), each figure with its text alternative and the course's
series colours."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from course_lib.errors import CourseInputError  # noqa: E402
from course_lib.experiments.bias_correction import bias_correction_steps  # noqa: E402
from course_lib.experiments.initialization import activation_curves  # noqa: E402
from course_lib.figure_text import describe_figure  # noqa: E402
from course_lib.models import MLP  # noqa: E402
from course_lib.palette import SERIES_COLORS  # noqa: E402
from course_lib.plotting import (  # noqa: E402
    collect_weights,
    histogram_sample,
    inspect_layers,
    layer_variances,
    plot_activation_saturation,
    plot_bias_correction,
    use_course_style,
)


def test_activation_derivatives_are_the_closed_forms():
    curves = activation_curves(("tanh", "sigmoid"), points=121)
    tanh, sigmoid = curves["tanh"], curves["sigmoid"]
    assert np.allclose(tanh.derivative, 1 - np.tanh(tanh.z) ** 2)
    logistic = 1 / (1 + np.exp(-sigmoid.z))
    assert np.allclose(sigmoid.value, logistic) and np.allclose(sigmoid.derivative, logistic * (1 - logistic))
    assert tanh.derivative[0] < 1e-4 and tanh.derivative[60] == pytest.approx(1.0)
    with pytest.raises(CourseInputError, match="activation"):
        activation_curves(("relu",))


def test_bias_correction_gives_the_gradient_back_from_the_first_step():
    correction = bias_correction_steps(steps=30, beta1=0.9, beta2=0.999)
    assert correction.steps.tolist() == list(range(1, 31))
    assert np.allclose(correction.corrected, 1.0)
    assert correction.raw[0] == pytest.approx(0.1 / np.sqrt(0.001))
    assert np.all(correction.raw > 3), "without the correction every one of the first 30 steps is over 3 η"
    with pytest.raises(CourseInputError):
        bias_correction_steps(beta1=1.0)


def test_the_figures_describe_themselves_in_the_course_colours():
    use_course_style()
    for fig in (plot_activation_saturation(activation_curves()), plot_bias_correction(bias_correction_steps())):
        text = describe_figure(fig)
        assert "tanh" in text or "no correction" in text, text
        colours = {matplotlib.colors.to_hex(line.get_color()) for ax in fig.axes for line in ax.get_lines()}
        assert colours <= set(SERIES_COLORS), colours
        plt.close(fig)
    text = describe_figure(fig)
    assert "m̂ / √v̂ (corrected) stays between 1 and 1" in text, text


def test_inspect_layers_returns_every_layers_variances_and_samples_its_histograms(capsys):
    torch.manual_seed(0)
    model = MLP(activation="relu")
    x, y = torch.randn(64, 784), torch.randint(0, 10, (64,))
    variances = inspect_layers(model, x, y, "a test", plots=("weights",))
    assert set(variances) == {"weights", "activations", "gradients", "input gradients"}
    assert variances["weights"] == list(layer_variances(collect_weights(model)).values())
    printed = capsys.readouterr().out
    assert printed.startswith("a test — variance per layer") and "weight gradients" in printed
    sampled = histogram_sample({"big": np.arange(20_000.0), "small": np.arange(10.0)}, np.random.default_rng(0))
    assert sampled["big"].size == 8_000 and len(set(sampled["big"])) == 8_000 and sampled["small"].size == 10
    with pytest.raises(ValueError, match="unknown plots"):
        inspect_layers(model, x, y, "a test", plots=("biases",))
