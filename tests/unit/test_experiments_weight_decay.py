"""WeightDecayExperiment: one cached run per λ, the same initial weights and batch order for every λ,
larger λ gives smaller weights, bad settings are one sentence, and the random state is left alone."""

from __future__ import annotations

import pytest
import torch

from course_lib.errors import CourseInputError
from course_lib.experiments.weight_decay import WeightDecayExperiment, l2_penalty
from tests.unit.fakes import separable_data

LAMBDAS = (0.0, 1e-3, 3e-2)


@pytest.fixture
def experiment():
    return WeightDecayExperiment(separable_data(), n_train=60, n_val=40, hidden_sizes=(16,), epochs=4, lr=0.1,
                                 batch_size=20)


def test_training_leaves_the_global_random_state_alone(experiment):
    before = torch.random.get_rng_state()
    experiment.run(3e-3)
    assert torch.equal(torch.random.get_rng_state(), before)


def test_a_diverging_run_is_one_sentence():
    experiment = WeightDecayExperiment(separable_data(), n_train=60, n_val=40, hidden_sizes=(16,), epochs=3,
                                       lr=50.0, batch_size=20)
    with pytest.raises(CourseInputError, match="diverged"):
        experiment.run(0.5)


def test_each_lambda_trains_once_and_is_then_cached(experiment):
    first = experiment.run(1e-3)
    assert experiment.run(1e-3) is first
    assert list(experiment.runs) == [1e-3]


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


@pytest.mark.parametrize("lam", [-1.0, float("nan"), 2.0])
def test_a_lambda_out_of_range_is_rejected_with_a_clear_message(experiment, lam):
    with pytest.raises(CourseInputError, match="λ"):
        experiment.run(lam)


def test_too_little_data_is_rejected_with_a_clear_message():
    with pytest.raises(CourseInputError, match="fewer than"):
        WeightDecayExperiment(separable_data(n_train=10), n_train=50, n_val=10)



def test_the_penalty_is_half_lambda_times_the_squared_weights_so_its_gradient_is_lambda_w(experiment):
    """The course's one L2 convention: J = CE + ½λ‖W‖², gradient λW, which torch's weight_decay=λ adds too.

    With zero inputs the data term gives the weights no gradient, so one SGD step of lr 1 moves W by −λW."""
    from course_lib.optimizers import SGD

    lam = 0.3
    model = torch.nn.Linear(4, 3)
    with torch.no_grad():
        model.weight.fill_(2.0)
        model.bias.zero_()
    experiment.train_x, experiment.train_y = torch.zeros(2, 4), torch.zeros(2, dtype=torch.long)
    experiment.batch_size = 2
    experiment._train_one_epoch(model, SGD(model.parameters(), lr=1.0), lam, torch.Generator().manual_seed(0))
    assert torch.allclose(model.weight, torch.full((3, 4), 2.0 - lam * 2.0))
