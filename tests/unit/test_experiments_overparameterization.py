"""PerturbedInits: K nearby initializations trained at once equal K separate runs, runs are cached, bad
settings are one sentence, and the thread count and the global random state are left alone."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_lib.errors import CourseInputError
from course_lib.experiments.overparameterization import MAX_INITS, PerturbedInits, perturbed_copies
from tests.unit.fakes import small_problem


@pytest.fixture
def experiment():
    return PerturbedInits(*small_problem())


def test_a_diverging_run_is_one_sentence():
    with pytest.raises(CourseInputError, match="exploded or became NaN") as error:
        PerturbedInits(*small_problem(scale=1e6)).loss_curves((10,), 1.0, 20, 3)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("settings", [{"num_steps": 0}, {"num_steps": 10**6}, {"num_inits": MAX_INITS + 1},
                                      {"lr": -1.0}, {"lr": float("inf")}])
def test_out_of_range_settings_are_rejected(experiment, settings):
    values = {"hidden_sizes": (5,), "lr": 0.1, "num_steps": 5, "num_inits": 2, **settings}
    with pytest.raises(CourseInputError):
        experiment.loss_curves(**values)


def test_batched_training_matches_training_each_network_alone(experiment):
    lr, steps, count = 0.1, 6, 3
    curves = experiment.loss_curves((7, 5), lr, steps, count)
    nets = perturbed_copies(experiment._base_model((7, 5)), count, experiment.noise_scale,
                            torch.Generator().manual_seed(experiment.seed + 1))
    for index in range(count):
        params = [p[index].detach().clone().requires_grad_() for p in nets.parameters]
        weights, biases = params[:3], params[3:]
        for step in range(steps):
            h = experiment.x
            for layer, (w, b) in enumerate(zip(weights, biases, strict=True)):
                h = h @ w.T + b
                if layer < 2:
                    h = torch.relu(h)
            loss = F.cross_entropy(h, experiment.y)
            assert loss.item() == pytest.approx(curves[index, step], rel=1e-4)
            grads = torch.autograd.grad(loss, params)
            with torch.no_grad():
                for p, g in zip(params, grads, strict=True):
                    p -= lr * g


def test_nearby_initializations_start_close_but_not_equal(experiment):
    curves = experiment.loss_curves((8,), 0.1, 3, 4)
    assert len(np.unique(curves[:, 0])) == 4
    assert np.ptp(curves[:, 0]) < 0.5 * curves[:, 0].mean()


def test_a_shorter_run_is_a_slice_of_the_cached_longer_run(experiment, monkeypatch):
    long = experiment.loss_curves((6,), 0.05, 12, 2)

    def no_training(*args, **kwargs):
        raise AssertionError("a cached run was trained again")

    monkeypatch.setattr(experiment, "_train", no_training)
    assert np.array_equal(experiment.loss_curves((6,), 0.05, 5, 2), long[:, :5])


def test_training_leaves_the_thread_count_and_the_global_random_state_alone(experiment):
    threads, state = torch.get_num_threads(), torch.random.get_rng_state()
    experiment.loss_curves((4,), 0.05, 3, 2)
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.random.get_rng_state(), state)
