"""The experiments of notebook 05 on tiny settings: shapes, caching, their numbers, bad settings, the RNG left alone."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib.clipping import clip_grad_norm
from course_lib.errors import CourseInputError
from course_lib.experiments.clipping import ClippingExperiment
from course_lib.experiments.decoupled_decay import DecayComparison
from course_lib.experiments.monitoring import RUNS, MonitoringExperiment
from course_lib.experiments.normalization import (
    NormalizationTraining,
    normalized_layer_statistics,
    output_after_rescaling,
)
from course_lib.experiments.schedules import ScheduleExperiment, lr_range_test, set_learning_rate
from course_lib.optimizers import SGD
from course_lib.schedules import schedule_curve, warmup_cosine_lr


@pytest.fixture
def unchanged_rng():
    """Fails the test if the global torch or NumPy random state changed while it ran."""
    torch_state, numpy_state = torch.random.get_rng_state(), np.random.get_state()[1].copy()
    yield
    assert torch.equal(torch_state, torch.random.get_rng_state()), "the torch RNG state changed"
    assert np.array_equal(numpy_state, np.random.get_state()[1]), "the NumPy RNG state changed"


@pytest.fixture(scope="module")
def schedules(fashion_data):
    return ScheduleExperiment(fashion_data, n_train=400, n_val=200, hidden_sizes=(32,), epochs=2, batch_size=50)


def test_schedule_runs_follow_their_schedule_and_are_cached(schedules, unchanged_rng):
    run = schedules.run("warmup + cosine", 0.01, 4, "layer")
    assert schedules.total_steps == 16 and run.lr.shape == run.train_loss.shape == (16,)
    assert np.allclose(run.lr, schedule_curve("warmup + cosine", 16, 0.01, 4))
    assert run.eval_steps[0] == 0 and run.eval_steps[-1] == 16 and len(run.val_loss) == len(run.eval_steps)
    assert run.train_loss[-1] < run.train_loss[0] and 0 < run.final_val_acc <= 1 and not run.diverged
    trained = schedules.trained
    assert schedules.run("warmup + cosine", 0.01, 4, "layer") is run and schedules.trained == trained
    assert schedules.is_cached("warmup + cosine", 0.01, 4, "layer")


def test_schedule_experiment_uses_the_given_warmup_cosine(fashion_data):
    calls = []

    def spy(*args):
        calls.append(args)
        return warmup_cosine_lr(*args)

    experiment = ScheduleExperiment(fashion_data, n_train=100, n_val=50, hidden_sizes=(8,), epochs=1,
                                    batch_size=50, warmup_cosine=spy)
    experiment.run("warmup + cosine", 0.01, 1, "none")
    assert calls and calls[0][1:4] == (2, 0.01, 1)


def test_a_huge_learning_rate_is_reported_as_diverged(schedules):
    run = schedules.run("constant", 10.0, 0, "none")
    assert run.diverged and np.isnan(run.final_val_acc) and np.isnan(run.train_acc)


def test_a_run_reports_its_final_training_accuracy_and_late_loss(schedules):
    from course_lib.training import evaluate

    run = schedules.run("cosine", 0.01, 0, "layer")
    model = schedules.fresh_model("layer")
    untrained = evaluate(model, schedules.subset.train_x, schedules.subset.train_y)[1]
    assert 0 < run.train_acc <= 1 and run.train_acc > untrained + 0.2
    assert run.late_train_loss(0.25) == pytest.approx(float(np.mean(run.train_loss[-4:])))


@pytest.mark.parametrize(("settings", "fragment"), [
    (("no such schedule", 0.01, 0, "layer"), "schedule: .* is not one of"),
    (("cosine", float("nan"), 0, "layer"), "not a finite number"),
    (("cosine", 100.0, 0, "layer"), "above the largest allowed value"),
    (("cosine", 0.01, 10_000, "layer"), "warmup_steps"),
    (("cosine", 0.01, "ten", "layer"), "warmup_steps: .ten. is not a number"),
    (("cosine", 0.01, 0, "group"), "normalization: .* is not one of"),
])
def test_bad_schedule_settings_raise_one_sentence(schedules, settings, fragment):
    with pytest.raises(CourseInputError, match=fragment):
        schedules.run(*settings)


def test_range_test_reads_a_learning_rate_off_the_curve(fashion_data, unchanged_rng):
    result = lr_range_test(lambda params: SGD(params, lr=1.0), fashion_data.train_x[:2000], fashion_data.train_y[:2000],
                           "SGD", hidden_sizes=(16,), steps=60, lr_min=1e-4, lr_max=100.0)
    assert len(result.lrs) == len(result.losses) == len(result.smoothed) <= 60
    assert result.lrs[0] == pytest.approx(1e-4) and np.all(np.diff(result.lrs) > 0)
    assert result.suggested_lr == pytest.approx(result.min_loss_lr / 10)
    assert result.steepest_lr <= result.min_loss_lr
    assert result.smoothed.min() < result.smoothed[0]
    with pytest.raises(CourseInputError):
        lr_range_test(lambda params: SGD(params, lr=1.0), fashion_data.train_x[:100], fashion_data.train_y[:100],
                      lr_min=1.0, lr_max=0.1)


def test_set_learning_rate_sets_every_param_group():
    weights, biases = torch.zeros(2, requires_grad=True), torch.zeros(1, requires_grad=True)
    course = SGD([{"params": [weights]}, {"params": [biases], "lr": 3.0}], lr=1.0)
    native = torch.optim.SGD([torch.zeros(1)], lr=1.0)
    set_learning_rate(course, 0.5)
    set_learning_rate(native, 0.25)
    assert [group["lr"] for group in course.param_groups] == [0.5, 0.5]
    assert native.param_groups[0]["lr"] == 0.25


@pytest.fixture(scope="module")
def decay(fashion_data):
    return DecayComparison(fashion_data, n_train=300, n_val=100, hidden_sizes=(32, 16), epochs=2, batch_size=50, lr=1e-2)


def test_decay_runs_shrink_the_weights_and_are_cached(decay, unchanged_rng):
    baseline = decay.baseline()
    assert baseline.second_moment.shape == baseline.first_layer.shape == (32, 784)
    assert decay.layer_shrink(baseline) == pytest.approx(np.ones(3))
    no_decay = decay.run("AdamW", 0.0)
    assert np.allclose(no_decay.first_layer, baseline.first_layer, atol=1e-6), "AdamW without decay is Adam"
    strong = decay.run("AdamW", 10.0)
    assert np.all(decay.layer_shrink(strong) < 0.95) and strong.val_acc.shape == (3,)
    trained = decay.trained
    assert decay.run("AdamW", 10.0) is strong and decay.trained == trained


def test_l2_in_adam_decays_weights_with_small_gradients_more(decay):
    by_history = decay.shrink_by_gradient_history(decay.run("Adam + L2", 0.1))
    assert by_history.shape == (10,) and by_history[-1] > by_history[0]
    assert np.all(np.diff(decay.gradient_history_deciles()) >= 0)


@pytest.mark.parametrize(("args", "fragment"), [(("SGD", 0.1), "method: .* is not one of"), (("AdamW", -1.0), "between 0"),
                                                (("AdamW", "lots"), "must be a number")])
def test_bad_decay_settings_raise_one_sentence(decay, args, fragment):
    with pytest.raises(CourseInputError, match=fragment):
        decay.run(*args)


@pytest.fixture(scope="module")
def clipping(fashion_data):
    return ClippingExperiment(fashion_data, n_train=300, n_val=100, hidden_sizes=(64, 64), lr=0.5, epochs=2,
                              batch_size=50)


def test_clipping_bounds_the_gradient_the_optimizer_sees(clipping, unchanged_rng):
    free, clipped = clipping.run(None), clipping.run(0.5)
    assert free.grad_norm.shape == clipped.train_loss.shape == (clipping.total_steps,)
    assert free.clipped_fraction() == 0.0 and clipped.clipped_fraction() > 0.5
    assert clipped.grad_norm[0] == pytest.approx(free.grad_norm[0]), "the first norm is measured before clipping"
    assert clipping.run(0.5) is clipped


def test_clipping_uses_the_given_function(fashion_data):
    calls = []

    def spy(params, max_norm):
        calls.append(max_norm)
        return clip_grad_norm(params, max_norm)

    experiment = ClippingExperiment(fashion_data, n_train=100, n_val=50, hidden_sizes=(8,), epochs=1, batch_size=50,
                                    clip=spy)
    experiment.run(2.0)
    assert calls == [2.0, 2.0]


@pytest.mark.parametrize("max_norm", [0.0, -1.0, float("nan"), 1e9, "abc"])
def test_bad_max_norm_raises_one_sentence(clipping, max_norm):
    with pytest.raises(CourseInputError, match="max_norm"):
        clipping.run(max_norm)


@pytest.fixture(scope="module")
def batch(fashion_data):
    return fashion_data.train_x[:64].reshape(64, -1), fashion_data.train_y[:64]


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_normalization_makes_hidden_variance_independent_of_the_init_scale(batch, norm, unchanged_rng):
    variances = [normalized_layer_statistics(*batch, norm, "normal", std, depth=4, width=64).hidden_variance
                 for std in (1e-2, 1.0)]
    assert np.allclose(variances[0], variances[1], rtol=0.05)
    assert np.all((variances[0] > 0.2) & (variances[0] < 0.5))


def test_without_normalization_a_small_init_makes_the_signal_vanish(batch):
    stats = normalized_layer_statistics(*batch, "none", "normal", 1e-2, depth=4, width=64)
    assert stats.hidden_variance.shape == (4,) and stats.linear_variance.shape == (5,)
    assert stats.hidden_variance[-1] < 1e-6 * stats.hidden_variance[0]


def test_pytorch_default_shrinks_the_linear_outputs_about_six_times_per_layer(batch):
    variance = normalized_layer_statistics(*batch, "none", "pytorch default", 0.01, depth=3, width=512).linear_variance
    assert 4 < variance[0] / variance[1] < 9


@pytest.mark.parametrize(("norm", "invariant"), [("none", False), ("layer", True), ("batch", True)])
def test_rescaling_hidden_weights(batch, norm, invariant):
    change = (output_after_rescaling(batch[0], norm, 10.0) - output_after_rescaling(batch[0], norm, 1.0)).abs().max()
    assert (float(change) < 1e-3) is invariant


@pytest.mark.parametrize(("args", "fragment"), [(("group", "normal", 0.1), "normalization"),
                                                (("none", "xavier", 0.1), "scheme"),
                                                (("none", "normal", 50.0), "std must lie"),
                                                (("none", "normal", 0.1, 40), "depth")])
def test_bad_normalization_settings_raise_one_sentence(batch, args, fragment):
    with pytest.raises(CourseInputError, match=fragment):
        normalized_layer_statistics(*batch, *args)


def test_normalization_training_runs_and_caches(fashion_data, unchanged_rng):
    training = NormalizationTraining(fashion_data, n_train=200, n_val=100, depth=2, width=32, epochs=2, batch_size=50)
    run = training.run("batch", "normal", 0.01)
    assert run.train_loss.shape == (8,) and run.val_acc.shape == (3,)
    assert training.run("batch", "normal", 0.01) is run and training.trained == 1
    assert training.run("batch", "kaiming", 0.5) is training.run("batch", "kaiming", 0.01), "std only matters for normal"


def test_monitored_runs_record_what_breaks(fashion_data, unchanged_rng):
    experiment = MonitoringExperiment(fashion_data, n_train=400, hidden_sizes=(64, 64), steps=30)
    records = {name: experiment.run(name) for name in RUNS}
    healthy = records["healthy"]
    assert healthy.steps == 30 and healthy.grad_norm.shape == (30, 3) and healthy.layer_names[-1].endswith("(logits)")
    assert np.allclose(records["gradients never zeroed"].update_ratio[0], healthy.update_ratio[0])
    accumulated = records["gradients never zeroed"]
    assert accumulated.grad_norm[min(10, accumulated.steps - 1)].mean() > 2 * accumulated.grad_norm[0].mean()
    assert records["bad initialization"].grad_norm[0].max() < healthy.grad_norm[0].min() / 50
    assert np.median(records["learning rate too high"].update_ratio[:5]) > 5 * np.median(healthy.update_ratio[:5])
    assert experiment.run("healthy") is healthy
    with pytest.raises(CourseInputError):
        experiment.run("not a run")
