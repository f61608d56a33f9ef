"""train_model / evaluate: learning, the best-epoch checkpoint, the result cache and its failure modes."""

import json
import re

import pytest
import torch
import torch.nn.functional as F

from course_lib import training
from course_lib.data import InMemoryLoader
from course_lib.models import MLP
from course_lib.seeding import set_seed
from course_lib.training import HISTORY_KEYS, checkpoint_paths, evaluate, train_model, train_one_epoch


def small_model(seed=0):
    set_seed(seed)
    return MLP(hidden_sizes=(64,))


def sgd(lr=0.05):
    return lambda params: torch.optim.SGD(params, lr=lr, momentum=0.9)


def train(data, checkpoint_dir, model=None, make_optimizer=None, **kwargs):
    options = {"epochs": 2, "name": "tiny", "checkpoint_dir": checkpoint_dir, "progress": False, **kwargs}
    return train_model(model or small_model(), make_optimizer or sgd(), data, **options)


@pytest.fixture
def data(small_fashion):
    return small_fashion.subset(n_train=1000, n_val=300, n_test=300)


def test_evaluate_matches_a_direct_computation_and_restores_the_mode(data):
    model = small_model()
    x, y = data.val_x[:100], data.val_y[:100]
    with torch.no_grad():
        logits = model(x)
    loss, accuracy = evaluate(model, x, y, batch_size=32)
    assert loss == pytest.approx(F.cross_entropy(logits, y).item(), rel=1e-5)
    assert accuracy == pytest.approx((logits.argmax(1) == y).float().mean().item())
    assert model.training
    model.eval()
    evaluate(model, x, y)
    assert not model.training


def test_training_learns_and_keeps_the_best_epoch(data, tmp_path):
    model = small_model()
    result = train(data, tmp_path, model=model, epochs=3)
    assert not result.from_cache and not result.diverged
    assert all(len(result.history[key]) == 3 for key in HISTORY_KEYS)
    assert result.history["val_acc"][-1] > 0.6
    assert result.history["train_loss"][-1] < result.history["train_loss"][0]
    val_acc = result.history["val_acc"]
    assert result.best_epoch == val_acc.index(max(val_acc)) + 1
    assert (result.test_loss, result.test_acc) == pytest.approx(evaluate(model, data.test_x, data.test_y))
    weights_path, results_path = checkpoint_paths("tiny", tmp_path)
    assert result.checkpoint_path == weights_path and weights_path.exists() and results_path.exists()
    saved = torch.load(weights_path, weights_only=True)
    assert all(torch.equal(saved[key], value) for key, value in model.state_dict().items())


def test_same_seed_gives_the_same_history(data, tmp_path):
    first = train(data, tmp_path, retrain=True)
    second = train(data, tmp_path, retrain=True)
    assert first.history == second.history


def test_second_call_reuses_the_cache_without_training(data, tmp_path, monkeypatch):
    trained_model = small_model()
    first = train(data, tmp_path, model=trained_model)

    def no_training(*args, **kwargs):
        raise AssertionError("train_model trained although a matching cache exists")

    monkeypatch.setattr(training, "train_one_epoch", no_training)
    loads = []
    real_load = torch.load
    monkeypatch.setattr(torch, "load", lambda *args, **kwargs: loads.append(kwargs) or real_load(*args, **kwargs))
    model = small_model()
    cached = train(data, tmp_path, model=model)
    assert cached.from_cache
    assert cached.history == first.history and cached.best_epoch == first.best_epoch
    assert cached.test_acc == first.test_acc and cached.seconds == first.seconds
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), trained_model.parameters(), strict=True))
    assert loads and all(kwargs.get("weights_only") is True for kwargs in loads)


def test_retrain_ignores_the_cache(data, tmp_path):
    train(data, tmp_path)
    assert not train(data, tmp_path, retrain=True).from_cache


def test_other_settings_retrain_with_one_line(data, tmp_path, capsys):
    train(data, tmp_path)
    capsys.readouterr()
    result = train(data, tmp_path, make_optimizer=sgd(lr=0.01))
    assert not result.from_cache
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines == ["Cached results for 'tiny' were made with other settings; retraining."]
    assert not train(data, tmp_path, model=small_model(seed=1), make_optimizer=sgd(lr=0.01)).from_cache


@pytest.mark.parametrize("corrupt", ["weights", "results"])
def test_corrupt_cache_prints_one_line_and_retrains(data, tmp_path, capsys, corrupt):
    train(data, tmp_path)
    weights_path, results_path = checkpoint_paths("tiny", tmp_path)
    (weights_path if corrupt == "weights" else results_path).write_bytes(b"\x00garbage\xff" * 100)
    capsys.readouterr()
    result = train(data, tmp_path)
    output = capsys.readouterr()
    assert not result.from_cache
    assert len(output.out.strip().splitlines()) == 1 and "retraining" in output.out
    assert "Traceback" not in output.out + output.err
    assert train(data, tmp_path).from_cache


def test_checkpoint_of_another_architecture_leaves_the_model_untouched_and_retrains(data, tmp_path, capsys):
    """A valid .pt of another MLP (same first layer, different rest) next to a matching JSON."""
    train(data, tmp_path)
    weights_path, results_path = checkpoint_paths("tiny", tmp_path)
    other = MLP(hidden_sizes=(64, 32))
    assert other.state_dict()["layers.0.weight"].shape == small_model().state_dict()["layers.0.weight"].shape
    torch.save(other.state_dict(), weights_path)
    fingerprint = json.loads(results_path.read_text())["fingerprint"]
    model = small_model()
    initial = {key: value.clone() for key, value in model.state_dict().items()}
    capsys.readouterr()
    assert training.load_cached_result(model, "tiny", fingerprint, tmp_path) is None
    assert all(torch.equal(value, initial[key]) for key, value in model.state_dict().items())
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "does not fit this model" in lines[0] and "retraining" in lines[0], lines
    result = train(data, tmp_path)
    assert not result.from_cache and len(capsys.readouterr().out.strip().splitlines()) == 1
    assert train(data, tmp_path).from_cache


def test_diverging_run_stops_with_one_line(data, tmp_path, capsys):
    result = train(data, tmp_path, make_optimizer=lambda params: torch.optim.SGD(params, lr=1e8), epochs=3)
    assert result.diverged
    output = capsys.readouterr().out.strip().splitlines()
    assert len(output) == 1 and "smaller learning rate" in output[0]


def test_progress_bar_can_be_turned_off(data, tmp_path, capsys):
    train(data, tmp_path, name="quiet", progress=False)
    assert capsys.readouterr().err == ""
    train(data, tmp_path, name="chatty", progress=True)
    assert "chatty" in capsys.readouterr().err


def test_names_become_safe_file_names(tmp_path):
    weights_path, results_path = checkpoint_paths("Adam lr=1e-3/run #1", tmp_path)
    assert weights_path.parent == tmp_path and results_path.parent == tmp_path
    assert weights_path.name == "Adam_lr=1e-3_run_1.pt"


def test_optimizer_without_set_to_none_works(data, tmp_path):
    class PlainSGD:
        def __init__(self, params):
            self.params, self.lr = list(params), 0.1

        def zero_grad(self):
            for p in self.params:
                p.grad = None

        @torch.no_grad()
        def step(self):
            for p in self.params:
                p.add_(p.grad, alpha=-self.lr)

    result = train(data, tmp_path, make_optimizer=PlainSGD)
    assert result.history["val_acc"][-1] > 0.5
    saved = json.loads(checkpoint_paths("tiny", tmp_path)[1].read_text())
    assert saved["fingerprint"]["optimizer"]["lr"] == 0.1


def test_epoch_reads_the_device_once_not_per_step(data, monkeypatch):
    model = small_model()
    loader = InMemoryLoader(data.train_x, data.train_y, batch_size=50)
    reads = []
    real_item = torch.Tensor.item
    monkeypatch.setattr(torch.Tensor, "item", lambda self: reads.append(1) or real_item(self))
    loss, accuracy = train_one_epoch(model, torch.optim.SGD(model.parameters(), lr=0.05), loader, F.cross_entropy)
    assert len(loader) == 20 and len(reads) <= 2
    assert 0 < loss < 10 and 0 <= accuracy <= 1


def _tiny_loader(n=40, batch_size=10):
    generator = torch.Generator().manual_seed(0)
    x, y = torch.randn(n, 784, generator=generator), torch.randint(0, 10, (n,), generator=generator)
    return InMemoryLoader(x, y, batch_size, shuffle=True, generator=torch.Generator().manual_seed(1))


def test_train_minibatches_runs_every_epoch_and_reports_each_step():
    model, events = small_model(), []
    run = training.train_minibatches(model, torch.optim.SGD(model.parameters(), lr=0.01), _tiny_loader(), epochs=3,
                                     on_step=lambda step, total: events.append(("step", step, total)),
                                     after_epoch=lambda epoch: events.append(("epoch", epoch)))
    assert run.diverged_at is None and run.losses.shape == (12,) and bool((run.losses > 0).all())
    assert [event for event in events if event[0] == "epoch"] == [("epoch", 1), ("epoch", 2), ("epoch", 3)]
    assert [event[1:] for event in events if event[0] == "step"] == [(step, 12) for step in range(1, 13)]
    assert run.padded_losses(15)[:12].tolist() == run.losses.tolist()
    assert torch.isnan(torch.tensor(run.padded_losses(15)[12:])).all()


def test_train_minibatches_stops_at_the_first_diverged_loss_and_skips_that_epochs_hook():
    model, epochs_done, seen = small_model(), [], []
    run = training.train_minibatches(model, torch.optim.SGD(model.parameters(), lr=1e4), _tiny_loader(), epochs=5,
                                     after_step=lambda step, loss: seen.append(loss),
                                     after_epoch=epochs_done.append)
    assert run.diverged_at == len(run.losses) == len(seen) < 20
    assert training.has_diverged(run.losses[-1]) and not training.has_diverged(run.losses[:-1]).any()
    assert len(epochs_done) == (run.diverged_at - 1) // 4


def test_train_minibatches_stops_after_max_steps_across_epochs():
    model = small_model()
    run = training.train_minibatches(model, torch.optim.SGD(model.parameters(), lr=0.01), _tiny_loader(), epochs=3,
                                     max_steps=6)
    assert run.losses.shape == (6,) and run.diverged_at is None


def course_adam(lr=1e-3):
    from course_lib.optimizers import Adam

    return lambda params: Adam(params, lr=lr)


def test_a_longer_run_resumes_from_a_shorter_one_exactly(data, tmp_path, capsys):
    straight = train(data, tmp_path / "straight", make_optimizer=course_adam(), epochs=4)
    train(data, tmp_path / "resumed", make_optimizer=course_adam(), epochs=2)
    resumed = train(data, tmp_path / "resumed", make_optimizer=course_adam(), epochs=4, resume=True)
    assert "Resuming 'tiny' after epoch 2 of 4." in capsys.readouterr().out
    assert resumed.history == straight.history
    assert (resumed.best_epoch, resumed.test_acc, resumed.test_loss) == (straight.best_epoch, straight.test_acc,
                                                                         straight.test_loss)


def test_an_interrupted_run_resumes_where_it_stopped(data, tmp_path, capsys):
    calls = {"count": 0}
    batches_per_epoch = -(-len(data.train_y) // 256)

    def interrupted_loss(logits, targets):
        calls["count"] += 1
        if calls["count"] == 2 * batches_per_epoch + 2:
            raise KeyboardInterrupt
        return F.cross_entropy(logits, targets)

    def plain_loss(logits, targets):
        return F.cross_entropy(logits, targets)

    interrupted_loss.__qualname__ = plain_loss.__qualname__ = "cross_entropy"
    straight = train(data, tmp_path / "straight", make_optimizer=course_adam(), epochs=4, loss_fn=plain_loss)
    with pytest.raises(KeyboardInterrupt):
        train(data, tmp_path / "cut", make_optimizer=course_adam(), epochs=4, loss_fn=interrupted_loss)
    resumed = train(data, tmp_path / "cut", make_optimizer=course_adam(), epochs=4, resume=True, loss_fn=plain_loss)
    assert re.search(r"Resuming .tiny. after epoch [123] of 4", capsys.readouterr().out)
    assert resumed.history == straight.history


def test_resume_holds_the_optimizer_state_and_refuses_other_settings(data, tmp_path, capsys):
    train(data, tmp_path, make_optimizer=course_adam(), epochs=1)
    saved = torch.load(training.resume_path("tiny", tmp_path), weights_only=True)
    assert saved["epoch"] == 1 and all(state["step"] > 0 for state in saved["optimizer"]["state"].values())
    train(data, tmp_path, make_optimizer=course_adam(lr=2e-3), epochs=2, resume=True)
    assert "made with other settings; training from the start" in capsys.readouterr().out
    training.resume_path("tiny", tmp_path).write_bytes(b"not a checkpoint")
    result = train(data, tmp_path, make_optimizer=course_adam(), epochs=2, resume=True, retrain=True)
    assert "unreadable" in capsys.readouterr().out and len(result.history["val_acc"]) == 2


def test_the_fingerprint_tells_a_students_optimizer_from_the_reference(data):
    from course_lib.optimizers import SGD, StepFunctionOptimizer, sgd_step

    def my_sgd_step(params, lr):
        for p in params:
            p.data -= lr * p.grad
            p.grad = None

    def fingerprint(make_optimizer):
        model = small_model()
        return training.training_fingerprint(model, make_optimizer(model.parameters()), data, epochs=1,
                                             batch_size=32, seed=0, loss_fn=F.cross_entropy)["hash"]

    reference = fingerprint(lambda ps: StepFunctionOptimizer(ps, lr=0.1, step_function=sgd_step))
    assert reference == fingerprint(lambda ps: StepFunctionOptimizer(ps, lr=0.1, step_function=sgd_step))
    assert reference != fingerprint(lambda ps: StepFunctionOptimizer(ps, lr=0.1, step_function=my_sgd_step))

    class SGD(SGD):  # noqa: F811 - a student's class with the reference's name
        def update(self, p, grad, state, group):
            p.sub_(grad * group["lr"])

    from course_lib.optimizers import SGD as ReferenceSGD

    assert fingerprint(lambda ps: ReferenceSGD(ps, lr=0.1)) != fingerprint(lambda ps: SGD(ps, lr=0.1))
    grouped = fingerprint(lambda ps: ReferenceSGD([{"params": list(ps)[:1]}, {"params": list(ps)[1:], "lr": 0.5}],
                                                  lr=0.1))
    assert grouped != fingerprint(lambda ps: ReferenceSGD(ps, lr=0.1))
