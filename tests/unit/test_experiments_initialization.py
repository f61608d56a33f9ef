"""layer_statistics and explorer_batch: the numbers behind the init explorer match notebook 02's findings,
are reproducible, overflow is one sentence, and the global random state is left alone."""

import sys
import types

import numpy as np
import pytest
import torch

from course_lib.errors import CourseInputError
from course_lib.experiments.initialization import explorer_batch, layer_statistics


@pytest.fixture(scope="module")
def batch():
    generator = torch.Generator().manual_seed(2024)
    x = torch.randn(64, 784, generator=generator)
    y = torch.randint(0, 10, (64,), generator=generator)
    return x, y


def test_overflowing_variances_are_one_sentence(batch):
    x, y = batch
    with pytest.raises(CourseInputError, match="NaN or infinite"):
        layer_statistics(x * 1e15, y, "normal", "identity", 12, 512, std=1.0)


def last_over_first(stats, depth):
    return stats.activation_variance[depth - 1] / stats.activation_variance[0]


def test_variances_reproduce_the_notebook_findings(batch):
    x, y = batch
    depth = 4
    small = layer_statistics(x, y, "normal", "identity", depth, 256, std=0.01)
    large = layer_statistics(x, y, "normal", "identity", depth, 256, std=0.1)
    equal = layer_statistics(x, y, "equal_variance", "identity", depth, 256)
    xavier_tanh = layer_statistics(x, y, "xavier", "tanh", depth, 256)
    kaiming_relu = layer_statistics(x, y, "kaiming", "relu", depth, 256)
    xavier_relu = layer_statistics(x, y, "xavier", "relu", depth, 256)
    assert last_over_first(small, depth) < 1e-3
    assert last_over_first(large, depth) > 10
    assert np.all((equal.activation_variance[:depth] > 0.8) & (equal.activation_variance[:depth] < 1.25))
    assert xavier_tanh.activation_variance[0] > 1.0
    assert last_over_first(xavier_tanh, depth) < 0.4
    assert np.all((kaiming_relu.activation_variance[:depth] > 0.6) & (kaiming_relu.activation_variance[:depth] < 1.6))
    assert last_over_first(xavier_relu, depth) < 0.6 * last_over_first(kaiming_relu, depth)
    assert np.all(kaiming_relu.gradient_variance > 0)


@pytest.mark.slow
def test_backward_signal_is_flat_for_kaiming_relu_and_vanishes_for_small_weights(batch):
    x, y = batch
    depth = 4
    kaiming_relu = layer_statistics(x, y, "kaiming", "relu", depth, 256).backward_variance[:depth]
    xavier_relu = layer_statistics(x, y, "xavier", "relu", depth, 256).backward_variance[:depth]
    small = layer_statistics(x, y, "normal", "identity", depth, 256, std=0.01).backward_variance[:depth]
    assert kaiming_relu.max() / kaiming_relu.min() < 1.5
    assert xavier_relu[0] / xavier_relu[-1] < 0.3
    assert small[0] < 1e-3 * small[-1]


def test_same_settings_give_the_same_numbers_and_leave_the_global_rng_alone(batch):
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    first = layer_statistics(*batch, "xavier", "tanh", 3, 64)
    assert torch.equal(torch.rand(3), expected_next)
    second = layer_statistics(*batch, "xavier", "tanh", 3, 64)
    np.testing.assert_array_equal(first.activation_variance, second.activation_variance)
    np.testing.assert_array_equal(first.gradient_variance, second.gradient_variance)
    np.testing.assert_array_equal(first.backward_variance, second.backward_variance)
    assert first.activation_variance.shape == first.gradient_variance.shape == first.backward_variance.shape == (4,)


def test_missing_dataset_falls_back_to_noise_with_one_line(monkeypatch, capsys):
    def unavailable(**kwargs):
        raise RuntimeError("FashionMNIST not found under /nowhere; run `make data`")

    monkeypatch.setitem(sys.modules, "course_lib.data", types.SimpleNamespace(load_fashion_mnist=unavailable))
    x, y, source = explorer_batch(batch_size=32)
    assert x.shape == (32, 784) and y.shape == (32,)
    assert source == "standard-normal noise"
    printed = capsys.readouterr().out.strip()
    assert "make data" in printed and "\n" not in printed
