"""MinibatchRace and train_for_seconds: runs until the budget (on a fake clock, no real timing),
the student's sampler used and checked, settings validated, cached runs, the random state left alone."""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import course_lib.experiments.minibatch as minibatch
from course_lib.errors import CourseInputError
from course_lib.experiments.minibatch import MinibatchRace, checked_sampler, train_for_seconds
from course_lib.models import MLP


@pytest.fixture
def data(small_fashion):
    return small_fashion.train_x, small_fashion.train_y


@pytest.fixture
def fake_clock(monkeypatch):
    """perf_counter advancing 0.01 s per call, so 'how long' is a count of calls, not of real time."""
    ticks = itertools.count()
    monkeypatch.setattr(minibatch.time, "perf_counter", lambda: 0.01 * next(ticks))


def test_training_runs_until_the_budget_and_lowers_the_loss(data, fake_clock):
    torch.manual_seed(0)
    model = MLP(hidden_sizes=(32,))
    x, y = data
    initial_loss = F.cross_entropy(model(x), y).item()
    record = train_for_seconds(model, x, y, batch_size=64, lr=0.1, seconds=0.5, min_steps=3)
    assert record.shape == (25, 2), "one step per two clock readings: 0.5 s is 25 steps"
    assert np.all(np.diff(record[:, 0]) > 0) and record[-1, 0] >= 0.5 > record[-2, 0]
    assert F.cross_entropy(model(x), y).item() < initial_loss


def test_at_least_min_steps_even_when_the_budget_is_spent_at_once(data, fake_clock):
    record = train_for_seconds(MLP(hidden_sizes=(8,)), *data, batch_size=16, lr=0.1, seconds=0.0, min_steps=4)
    assert len(record) == 4


def test_a_diverging_run_stops_at_the_diverged_step(data, fake_clock):
    record = train_for_seconds(MLP(hidden_sizes=(32,)), *data, batch_size=64, lr=100.0, seconds=5.0)
    assert len(record) < 500 and (not np.isfinite(record[-1, 1]) or record[-1, 1] > 1e3)


def test_the_students_sampler_is_used_and_the_global_random_state_is_left_alone(data):
    calls = []

    def sample_minibatch(input_data, target_data, num_points=100):
        calls.append(num_points)
        rows = torch.randint(0, len(input_data), (num_points,))
        return input_data[rows], target_data[rows]

    before = torch.random.get_rng_state()
    race = MinibatchRace(*data, sampler=sample_minibatch, hidden_sizes=(16,))
    first = race.run(20, 0.05, 0.02)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert calls and set(calls) == {20}
    race._timed_run.cache_clear()
    again = race.run(20, 0.05, 0.02)
    steps = min(len(first), len(again))
    np.testing.assert_array_equal(first[:steps, 1], again[:steps, 1])


def test_a_setting_tried_before_comes_from_the_cache(data):
    race = MinibatchRace(*data, hidden_sizes=(16,))
    first = race.run(32, 0.05, 0.02)
    assert race.run(32, 0.05, 0.02) is first
    assert race._timed_run.cache_info().misses == 1


@pytest.mark.parametrize("sampler, message", [
    (lambda x, y, n: (x[:2], y[:2]), "must return two tensors with 7 rows"),
    (lambda x, y, n: x[:n], "must return two tensors"),
    (lambda x, y, n: (x[:n], y[:n].float()[:, None]), "must return two tensors"),
])
def test_a_sampler_returning_the_wrong_shape_is_one_sentence(data, sampler, message):
    with pytest.raises(CourseInputError, match=message):
        checked_sampler(sampler)(*data, 7)


def test_an_unimplemented_sampler_says_so(data):
    def sample_minibatch(input_data, target_data, num_points=100):
        raise NotImplementedError("Exercise: sample_minibatch")

    with pytest.raises(CourseInputError, match="not implemented yet"):
        MinibatchRace(*data, sampler=sample_minibatch, hidden_sizes=(8,)).run(8, 0.1, 0.01)


@pytest.mark.parametrize("settings", [(0, 0.1, 0.1), (10**6, 0.1, 0.1), (2.5, 0.1, 0.1), (8, 0.0, 0.1),
                                      (8, float("nan"), 0.1), (8, 1e3, 0.1), (8, 0.1, 0.0), (8, 0.1, 60.0)])
def test_bad_settings_are_refused_in_one_sentence(data, settings):
    with pytest.raises(CourseInputError):
        MinibatchRace(*data, hidden_sizes=(8,)).run(*settings)
