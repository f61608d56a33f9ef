"""Constant initialization keeps a layer's units identical (and a random one does not); the flat/sharp
caricature's shift costs follow the Gaussian wells' formula."""

from __future__ import annotations

import math

import pytest
import torch

from course_lib.experiments.flat_sharp import MINIMA, shift_costs, two_valley_loss
from course_lib.experiments.symmetry import constant_init_symmetry
from course_lib.init import init_constant, init_kaiming
from course_lib.models import MLP


def _batch(seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(64, 784, generator=generator), torch.randint(0, 10, (64,), generator=generator)


def test_constant_init_sends_no_gradient_to_hidden_layers_and_keeps_units_identical():
    x, y = _batch()
    run = constant_init_symmetry(init_constant(MLP(hidden_sizes=(32, 16), activation="identity"), value=0.005),
                                 x, y, steps=5, lr=0.1, train_size=32)
    assert run.hidden_gradient < 1e-6 and run.output_row_spread < 1e-4
    assert (run.moved > 1e-3).all() and run.rows_differ[:-1].max() < 1e-4


def test_a_random_init_breaks_the_symmetry_the_measure_would_report():
    x, y = _batch()
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = init_kaiming(MLP(hidden_sizes=(32, 16), activation="identity"))
    run = constant_init_symmetry(model, x, y, steps=5, lr=0.1, train_size=32)
    assert run.hidden_gradient > 1e-3 and run.rows_differ[:-1].min() > 1e-2


def test_both_valleys_are_equally_deep_and_the_shift_costs_follow_the_well_widths():
    assert two_valley_loss(MINIMA["flat"]) == pytest.approx(two_valley_loss(MINIMA["sharp"]), abs=1e-5)
    costs = shift_costs(0.25)
    assert costs["sharp"] == pytest.approx(0.8 * (1 - math.exp(-0.25**2 / (2 * 0.15**2))), rel=1e-3)
    assert costs["flat"] == pytest.approx(0.8 * (1 - math.exp(-0.25**2 / (2 * 0.8**2))), rel=2e-2)
    assert two_valley_loss(torch.linspace(-3, 3, 7).numpy()).shape == (7,)
