"""The paired comparison of two models on the same images: counts, standard error, McNemar's exact test."""

import math

import pytest
import torch

from course_lib.errors import CourseInputError
from course_lib.experiments.paired_comparison import correct_predictions, mcnemar_p_value, paired_comparison


def test_counts_difference_and_standard_error_follow_the_per_image_differences():
    a = torch.tensor([1, 1, 1, 0, 0, 1, 1, 0], dtype=torch.bool)
    b = torch.tensor([1, 0, 0, 0, 1, 1, 1, 0], dtype=torch.bool)
    result = paired_comparison(a, b)
    deltas = a.double() - b.double()
    assert (result.n, result.only_a, result.only_b) == (8, 2, 1)
    assert result.difference == pytest.approx(float(deltas.mean()))
    assert result.standard_error == pytest.approx(float(deltas.std(correction=0)) / math.sqrt(8))


def test_mcnemar_matches_the_binomial_tail_by_hand():
    # 9 discordant images, 1 of them A's: 2 · (1 + 9) / 2⁹
    assert mcnemar_p_value(1, 8) == pytest.approx(2 * 10 / 512)
    assert mcnemar_p_value(8, 1) == mcnemar_p_value(1, 8)
    assert mcnemar_p_value(5, 5) == 1.0 and mcnemar_p_value(0, 0) == 1.0


def test_the_paired_test_sees_a_difference_two_unpaired_error_bars_would_miss():
    """A is right on every image B gets right, plus 40 more out of 2,000: a 2-point gap, below two
    independent standard errors (about 0.9 points each) but certain once paired."""
    b = torch.zeros(2000, dtype=torch.bool)
    b[:1600] = True
    a = b.clone()
    a[1600:1640] = True
    result = paired_comparison(a, b)
    unpaired = math.sqrt(0.8 * 0.2 / 2000) * math.sqrt(2)
    assert result.difference == pytest.approx(0.02) and result.difference < 2 * unpaired
    assert result.p_value < 1e-10


def test_correct_predictions_scores_a_model_and_restores_its_mode():
    model = torch.nn.Linear(3, 2)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[1.0, 0, 0], [0, 1.0, 0]]))
        model.bias.zero_()
    x = torch.tensor([[2.0, 0, 0], [0, 2.0, 0], [2.0, 0, 0]])
    y = torch.tensor([0, 1, 1])
    model.train()
    assert correct_predictions(model, x, y, batch_size=2).tolist() == [True, True, False]
    assert model.training


@pytest.mark.parametrize("a, b", [([True], [True, False]), ([], [])])
def test_mismatched_or_empty_results_raise_one_sentence(a, b):
    with pytest.raises(CourseInputError, match="same, non-empty set of images"):
        paired_comparison(a, b)
