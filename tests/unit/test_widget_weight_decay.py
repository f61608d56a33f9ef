"""The weight-decay demo: every control renders over its range, runs are cached per λ, bad input gives a message."""

from __future__ import annotations

from types import SimpleNamespace

import ipywidgets as widgets
import matplotlib
import pytest
import torch

from course_lib.errors import CourseInputError
from course_lib.widgets.weight_decay import WeightDecayExperiment, l2_penalty, weight_decay_demo

matplotlib.use("Agg")

LAMBDAS = (0.0, 1e-3, 3e-2)


def separable_data(n_train=60, n_val=40, n_features=12, seed=0):
    """Two Gaussian blobs per class index; small enough that a run takes a few milliseconds."""
    generator = torch.Generator().manual_seed(seed)
    centres = torch.randn(10, n_features, generator=generator) * 2

    def draw(n):
        y = torch.randint(0, 10, (n,), generator=generator)
        return centres[y] + torch.randn(n, n_features, generator=generator), y

    train_x, train_y = draw(n_train)
    val_x, val_y = draw(n_val)
    return SimpleNamespace(train_x=train_x, train_y=train_y, val_x=val_x, val_y=val_y)


@pytest.fixture
def experiment():
    return WeightDecayExperiment(separable_data(), n_train=60, n_val=40, hidden_sizes=(16,), epochs=4, lr=0.1,
                                 batch_size=20)


@pytest.fixture
def demo(experiment):
    return weight_decay_demo(lambdas=LAMBDAS, experiment=experiment)


def controls(ui):
    return {control.description: control for control in ui.kwargs_widgets}


def test_demo_renders_its_default_view(demo):
    assert isinstance(demo, widgets.interactive)
    assert demo.last_error is None
    assert demo.last_figure is not None


@pytest.mark.slow
@pytest.mark.parametrize("description", ["λ", "show"])
def test_every_option_of_each_selection_control_renders(demo, description):
    control = controls(demo)[description]
    for value in [option[1] if isinstance(option, tuple) else option for option in control.options]:
        demo.last_figure = None
        control.value = value
        demo.update()
        assert demo.last_error is None, f"{description}={value!r}: {demo.last_error}"
        assert demo.last_figure is not None


@pytest.mark.parametrize("text", ["0", "1e-3", "0.05", " 1 "])
def test_reference_lambda_accepts_numbers_in_range(demo, text):
    controls(demo)["reference λ"].value = text
    demo.update()
    assert demo.last_error is None
    assert demo.last_figure is not None


@pytest.mark.parametrize("text", ["", "abc", "-0.1", "5", "nan", "1e999"])
def test_bad_reference_lambda_shows_one_line_message(demo, text):
    controls(demo)["reference λ"].value = text
    demo.update()
    assert isinstance(demo.last_exception, CourseInputError)
    assert demo.last_error and "\n" not in demo.last_error and "λ" in demo.last_error


def test_each_lambda_trains_once_and_is_then_cached(experiment):
    first = experiment.run(1e-3)
    assert experiment.run(1e-3) is first
    assert experiment.run.cache_info().misses == 1


def test_runs_share_initial_weights_and_larger_lambda_gives_smaller_weights(experiment):
    runs = [experiment.run(lam) for lam in LAMBDAS]
    assert runs[0].weight_norm[0] == runs[1].weight_norm[0] == runs[2].weight_norm[0]
    finals = [run.weight_norm[-1] for run in runs]
    assert finals[0] > finals[1] > finals[2]
    assert all(len(run.val_acc) == experiment.epochs + 1 for run in runs)


def test_l2_penalty_sums_squared_weights_but_not_biases():
    layer = torch.nn.Linear(3, 2)
    with torch.no_grad():
        layer.weight.fill_(0.5)
        layer.bias.fill_(10.0)
    assert l2_penalty(layer).item() == pytest.approx(6 * 0.25)


def test_negative_lambda_is_rejected_with_a_clear_message(experiment):
    with pytest.raises(CourseInputError, match="λ"):
        experiment.run(-1.0)


def test_too_little_data_is_rejected_with_a_clear_message():
    with pytest.raises(CourseInputError, match="fewer than"):
        WeightDecayExperiment(separable_data(n_train=10), n_train=50, n_val=10)


def test_the_demo_trains_every_slider_lambda_up_front_so_slider_moves_only_redraw(experiment):
    ui = weight_decay_demo(lambdas=LAMBDAS, experiment=experiment)
    trained = experiment.run.cache_info().misses
    assert trained == len(LAMBDAS)  # the reference λ = 0 is one of them
    for option in controls(ui)["λ"].options:
        controls(ui)["λ"].value = option[1]
        assert ui.last_error is None
    assert experiment.run.cache_info().misses == trained
