"""course_lib.run_estimate: the machine's speed from a matmul benchmark (tested with a fake clock), a run's
FLOPs counted exactly, and the line train_model prints before a long run (with a fake machine speed).
No timed assertions."""

import itertools

import pytest
import torch

from course_lib import run_estimate
from course_lib.models import MLP
from course_lib.optimizers import SGD
from course_lib.seeding import set_seed
from course_lib.training import train_model


def test_the_matmul_peak_counts_2n3_flops_per_product_over_the_clocks_seconds():
    ticks = itertools.count(0.0, 0.25)  # every reading of the clock is a quarter second later
    peak = run_estimate.measure_matmul_peak(size=64, min_seconds=0.5, clock=lambda: next(ticks))
    assert peak == 2 * 64**3 * 2 / 0.5  # two products in the half second after the first reading


def test_training_flops_are_forward_and_backward_on_training_and_forward_on_validation():
    model = MLP(hidden_sizes=(32,))
    x = torch.zeros(100, 1, 28, 28)
    forward = 2 * (784 * 32 + 32 * 10)
    # backward: every weight's gradient (as many FLOPs as the forward pass) and the hidden layer's input
    # gradient; the first layer's input needs none.
    backward = forward + 2 * 32 * 10
    assert run_estimate.training_flops(model, x, x[:40], batch_size=10, epochs=3) == 3 * (
        100 * (forward + backward) + 40 * forward)
    assert all(p.grad is None for p in model.parameters())


def test_the_estimate_adds_the_matrix_work_and_the_per_step_cost():
    peak = 50e9
    seconds = run_estimate.estimate_seconds(7e11, 1000, peak)
    assert seconds == pytest.approx((7e11 / run_estimate.EFFICIENCY + 1000 * run_estimate.STEP_COST_FLOPS) / peak)
    assert run_estimate.estimate_seconds(7e11, 1000, 2 * peak) == pytest.approx(seconds / 2)


@pytest.mark.parametrize("peak, announced", [(1e7, True), (1e15, False)])
def test_announce_speaks_only_above_twenty_seconds(capsys, peak, announced):
    seconds = run_estimate.announce("run", 1e9, 10, 3, peak=peak)
    out = capsys.readouterr().out
    assert (seconds > run_estimate.ANNOUNCE_ABOVE_S) == announced == bool(out)
    if announced:
        assert out.startswith("'run' will train for about ") and "(3 epochs, 0.001 TFLOP; " in out
        assert "run at 0.01 GFLOP/s" in out


def test_train_model_announces_a_long_run_before_training_it_and_not_a_loaded_one(small_fashion, tmp_path, capsys,
                                                                                   monkeypatch):
    monkeypatch.setenv("COURSE_RESULT_STORE", str(tmp_path / "empty store"))
    monkeypatch.setattr(run_estimate, "matmul_peak", lambda: 1e6)  # a very slow fake machine

    def run():
        set_seed(0)
        return train_model(MLP(hidden_sizes=(16,)), lambda params: SGD(params, lr=0.1), small_fashion, epochs=1,
                           batch_size=100, name="slow", checkpoint_dir=tmp_path, progress=False)

    trained = run()
    lines = capsys.readouterr().out.strip().splitlines()
    assert not trained.from_cache and len(lines) == 1 and lines[0].startswith("'slow' will train for about ")
    assert "minutes on this machine (1 epoch, " in lines[0]
    assert run().from_cache and capsys.readouterr().out == ""
