"""Cost-of-computation demo: every model size renders live timings, and time grows with batch size."""

import matplotlib
import numpy as np
import pytest
import torch

from course_lib.errors import CourseInputError
from course_lib.experiments.computation_cost import MODEL_SIZES, measure_pass_times, network_of_size
from course_lib.models import MLP
from course_lib.widgets.computation_cost import computation_cost_demo

matplotlib.use("Agg")

COUNTS = (1, 10, 100, 1000)


@pytest.mark.slow
def test_every_model_size_renders_forward_and_backward(small_fashion):
    ui = computation_cost_demo(small_fashion.train_x, small_fashion.train_y, num_examples=COUNTS, repeats=1)
    control = ui.kwargs_widgets[0]
    assert list(control.options) == list(MODEL_SIZES)
    for size in MODEL_SIZES:
        ui.last_figure = None
        control.value = size
        ui.update()
        assert ui.last_error is None
        lines = ui.last_figure.axes[0].lines
        assert [line.get_label().split()[0] for line in lines] == ["forward", "backward"]
        assert list(lines[0].get_xdata()) == list(COUNTS)


def test_times_are_one_positive_median_per_pass_and_leave_no_gradients(small_fashion):
    model = MLP(hidden_sizes=(64,))
    times = measure_pass_times(model, small_fashion.train_x, small_fashion.train_y, (1, 200), repeats=2)
    assert times.shape == (2, 2) and np.all(times > 0)
    assert all(p.grad is None for p in model.parameters())


def test_each_model_size_is_the_network_it_names_built_without_touching_the_random_state():
    before = torch.random.get_rng_state()
    for name, hidden in MODEL_SIZES.items():
        model = network_of_size(name)
        assert [layer.out_features for layer in model.linear_layers()] == [*hidden, 10]
    assert torch.equal(torch.random.get_rng_state(), before)
    first, second = network_of_size("784-100-10"), network_of_size("784-100-10")
    assert first is not second and torch.equal(first.layers[0].weight, second.layers[0].weight), "seeded: the same weights"
    with pytest.raises(CourseInputError, match="model size: '784-7-10' is not one of"):
        network_of_size("784-7-10")


def test_more_examples_than_available_is_a_message(small_fashion):
    with pytest.raises(CourseInputError, match="Only 10 examples"):
        measure_pass_times(MLP(hidden_sizes=()), small_fashion.train_x[:10], small_fashion.train_y[:10], (1, 50))
    ui = computation_cost_demo(small_fashion.train_x[:50], small_fashion.train_y[:50], num_examples=(1, 10, 500))
    assert ui.last_error is None
    assert list(ui.last_figure.axes[0].lines[0].get_xdata()) == [1, 10]
