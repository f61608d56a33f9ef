"""OptimizerComparison: one minibatch stream and one initial model for all four optimizers, settings
cached, bad settings refused in one sentence, and the findings helpers the notebook states from."""

import numpy as np
import pytest
import torch

from course_lib.errors import CourseInputError
from course_lib.experiments.compare_optimizers import OPTIMIZER_NAMES, OptimizerComparison, minibatch_stream


@pytest.fixture
def comparison(small_fashion):
    return OptimizerComparison(small_fashion.train_x, small_fashion.train_y, hidden_sizes=(32,))


def test_all_optimizers_share_the_initial_model_and_the_minibatches(comparison):
    curves = comparison.curves(64, 1e-2, 0.9, 30)
    first_losses = {name: curve[0] for name, curve in curves.items()}
    assert len(set(first_losses.values())) == 1, first_losses
    assert all(np.isfinite(curve).all() for curve in curves.values())
    assert curves["Adam"][-10:].mean() < curves["Adam"][:3].mean()


def test_a_diverged_run_stops_and_is_nan_from_there(comparison):
    curves = comparison.curves(32, 10.0, 0.9, 50)
    sgd = curves["SGD"]
    first_nan = int(np.argmax(np.isnan(sgd)))
    assert 0 < first_nan and np.isfinite(sgd[:first_nan]).all() and np.isnan(sgd[first_nan:]).all()


def test_repeated_settings_are_answered_from_the_cache(comparison):
    comparison.curves(32, 1e-2, 0.9, 20)
    comparison.curves(32, 1e-2, 0.9, 40)
    comparison.curves(32, 1e-2, 0.9, 20)
    assert comparison.runs == 2


@pytest.mark.parametrize("settings", [{"batch_size": 0}, {"batch_size": 10**6}, {"lr": 0.0}, {"lr": float("nan")},
                                      {"momentum": 1.0}, {"momentum": -0.1}, {"steps": 0}])
def test_bad_settings_are_refused_in_one_sentence(comparison, settings):
    values = {"batch_size": 16, "lr": 0.01, "momentum": 0.9, "steps": 10, **settings}
    with pytest.raises(CourseInputError) as error:
        comparison.curves(**values)
    assert "\n" not in str(error.value)
    assert comparison.runs == 0


def test_minibatch_stream_is_reproducible_and_in_range():
    a, b = minibatch_stream(100, 16, 5, seed=3), minibatch_stream(100, 16, 5, seed=3)
    assert a.shape == (5, 16) and torch.equal(a, b)
    assert int(a.min()) >= 0 and int(a.max()) < 100
    assert not torch.equal(a, minibatch_stream(100, 16, 5, seed=4))


def test_final_losses_average_the_last_steps_of_the_demos_starting_settings(comparison):
    curves = comparison.curves(64, 0.01, 0.9, 100)
    finals = comparison.final_losses(0.01, last=10)
    assert list(finals) == list(OPTIMIZER_NAMES)
    for name in OPTIMIZER_NAMES:
        assert finals[name] == pytest.approx(float(curves[name][-10:].mean()))


def test_learning_rate_scan_has_one_column_per_rate_and_nan_where_a_run_diverged(comparison):
    scan = comparison.learning_rate_scan([1e-3, 1e-2, 10.0])
    assert list(scan.columns) == ["0.001", "0.01", "10"] and list(scan.index) == list(OPTIMIZER_NAMES)
    assert scan["0.01"].notna().all()
    assert scan["10"].isna().any(), "a learning rate of 10 should make some optimizer diverge"
