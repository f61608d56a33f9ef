"""The course's stored reference runs (course_lib.result_store) as train_model uses them: loaded in place of
training when the fingerprint matches, never for other settings, other code or a student's optimizer,
retrained on request, and one clear line for a damaged entry."""

import copy
import json

import pytest
import torch
import torch.nn.functional as F

from course_lib import result_store, training
from course_lib.models import MLP
from course_lib.optimizers import SGD, StepFunctionOptimizer, sgd_step
from course_lib.seeding import set_seed
from course_lib.training import train_model


@pytest.fixture
def data(small_fashion):
    return small_fashion.subset(n_train=1000, n_val=300, n_test=300)


@pytest.fixture
def store(tmp_path, monkeypatch):
    """An empty store that train_model reads, and a checkpoint directory of its own."""
    path = tmp_path / "store"
    monkeypatch.setenv("COURSE_RESULT_STORE", str(path))
    monkeypatch.delenv("COURSE_RETRAIN", raising=False)
    return path


def fresh_model():
    set_seed(0)
    return MLP(hidden_sizes=(32,))


def course_sgd(lr=0.1):
    return lambda params: SGD(params, lr=lr)


def run(data, checkpoint_dir, make_optimizer=None, model=None, **options):
    return train_model(model or fresh_model(), make_optimizer or course_sgd(), data, epochs=2, batch_size=50,
                       name="reference", checkpoint_dir=checkpoint_dir, progress=False, **options)


def store_reference_run(data, store_dir, scratch, make_optimizer=None, weights=True):
    """Train the reference run and put it into the store the way tools.results does."""
    model = fresh_model()
    initial = copy.deepcopy(model.state_dict())
    result = run(data, scratch, make_optimizer, model=model, retrain=True)
    fingerprint = json.loads((scratch / "reference.json").read_text())["fingerprint"]
    fields = {key: value for key, value in vars(result).items() if key != "checkpoint_path"}
    result_store.save_stored_run("reference", fingerprint, fields, model.state_dict() if weights else None, initial,
                                 device="cpu", store_dir=store_dir)
    return result, model


def test_weights_survive_encoding_bit_for_bit():
    generator = torch.Generator().manual_seed(0)
    initial = {"w": torch.randn(30, 20, generator=generator), "b": torch.zeros(20),
               "h": torch.randn(5, generator=generator).half()}
    trained = {"w": initial["w"] + 1e-3 * torch.randn(30, 20, generator=generator), "b": torch.randn(20, generator=generator),
               "h": initial["h"] * 1.5, "count": torch.tensor(7), "new": torch.randn(3, 3, generator=generator)}
    decoded = result_store.decode_weights(result_store.encode_weights(trained, initial), initial)
    assert decoded.keys() == trained.keys()
    for key, tensor in trained.items():
        assert decoded[key].dtype == tensor.dtype and torch.equal(decoded[key], tensor), key
    # The XOR with the initial weights is what makes a little-moved weight cheap to store.
    plain = result_store.encode_weights(trained, {})
    assert len(result_store.encode_weights(trained, initial)) < len(plain)


def test_a_stored_run_loads_with_one_line_instead_of_training(data, store, tmp_path, capsys, monkeypatch):
    reference, trained_model = store_reference_run(data, store, tmp_path / "scratch")
    capsys.readouterr()
    monkeypatch.setattr(training, "train_one_epoch", lambda *args: pytest.fail("trained although the run is stored"))
    model = fresh_model()
    loaded = run(data, tmp_path / "student", model=model)
    assert loaded.from_store and loaded.from_cache
    assert loaded.history == reference.history and loaded.test_acc == reference.test_acc
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), trained_model.parameters(), strict=True))
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "loaded the course's stored run (trained on " in lines[0]
    assert "set retrain=True or COURSE_RETRAIN=1 to train it yourself" in lines[0]
    assert not (tmp_path / "student").exists()  # nothing written to the student's cache


def test_runs_without_a_progress_bar_say_it_once_per_process(data, store, tmp_path, capsys, monkeypatch):
    """A sweep of many stored runs (progress=False) prints the line once, not once per run."""
    store_reference_run(data, store, tmp_path / "scratch")
    monkeypatch.setattr(training, "_TOLD_ABOUT_STORE", set())
    capsys.readouterr()
    assert all(run(data, tmp_path / "student").from_store for _ in range(3))
    assert len(capsys.readouterr().out.strip().splitlines()) == 1
    loaded = train_model(fresh_model(), course_sgd(), data, epochs=2, batch_size=50, name="reference",
                         checkpoint_dir=tmp_path / "student", progress=True)
    assert loaded.from_store and "loaded the course's stored run" in capsys.readouterr().out


def test_a_history_only_entry_leaves_the_model_as_it_was(data, store, tmp_path):
    reference, _ = store_reference_run(data, store, tmp_path / "scratch", weights=False)
    model, untouched = fresh_model(), fresh_model()
    loaded = run(data, tmp_path / "student", model=model)
    assert loaded.from_store and loaded.history == reference.history
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), untouched.parameters(), strict=True))


@pytest.mark.parametrize("ask", ["argument", "environment"])
def test_retrain_or_course_retrain_trains_instead(data, store, tmp_path, monkeypatch, ask):
    reference, _ = store_reference_run(data, store, tmp_path / "scratch")
    if ask == "environment":
        monkeypatch.setenv("COURSE_RETRAIN", "1")
    retrained = run(data, tmp_path / "student", retrain=ask == "argument")
    assert not retrained.from_store and not retrained.from_cache
    assert retrained.history == reference.history  # the same run, trained again on the same machine


@pytest.mark.parametrize("change", ["learning rate", "epochs", "data", "initial weights"])
def test_any_other_setting_misses_the_store_and_trains(data, store, tmp_path, change):
    store_reference_run(data, store, tmp_path / "scratch")
    options = {"make_optimizer": course_sgd(0.05)} if change == "learning rate" else {}
    if change == "initial weights":
        set_seed(1)
        options["model"] = MLP(hidden_sizes=(32,))
    if change == "epochs":
        result = train_model(fresh_model(), course_sgd(), data, epochs=1, batch_size=50, name="reference",
                             checkpoint_dir=tmp_path / "student", progress=False)
    else:
        result = run(data.subset(n_train=900) if change == "data" else data, tmp_path / "student", **options)
    assert not result.from_store and not result.from_cache


def test_a_students_optimizer_with_the_same_maths_trains_live(data, store, tmp_path):
    """Other code, same update: the student's run is trained (and equals the reference), never loaded."""
    reference, _ = store_reference_run(data, store, tmp_path / "scratch",
                                       lambda params: StepFunctionOptimizer(params, lr=0.1, step_function=sgd_step))

    def my_sgd_step(params, lr):
        with torch.no_grad():
            for p in params:
                if p.grad is not None:
                    p.add_(p.grad, alpha=-lr)

    class MySGD(torch.optim.Optimizer):
        def __init__(self, params, lr):
            super().__init__(params, {"lr": lr})

        @torch.no_grad()
        def step(self):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.add_(p.grad, alpha=-group["lr"])

    for make_optimizer in (lambda params: StepFunctionOptimizer(params, lr=0.1, step_function=my_sgd_step),
                           lambda params: MySGD(params, lr=0.1)):
        result = run(data, tmp_path / "student", make_optimizer, retrain=False)
        assert not result.from_store and not result.from_cache
        for key, values in reference.history.items():
            assert result.history[key] == pytest.approx(values, abs=1e-4), key


def test_a_copy_of_the_reference_code_from_a_notebook_still_trains_live(data, store, tmp_path):
    """Even the reference's own text, run in a notebook (the carry-over loads a student's answer the same way),
    has another module, hence another fingerprint."""
    import inspect

    store_reference_run(data, store, tmp_path / "scratch",
                        lambda params: StepFunctionOptimizer(params, lr=0.1, step_function=sgd_step))
    namespace = {"__name__": "__main__"}
    source = ("from __future__ import annotations\nimport torch\nfrom course_lib.optimizers import _check_learning_rate\n"
              + inspect.getsource(sgd_step))
    exec(compile(source, "<notebook cell>", "exec"), namespace)
    result = run(data, tmp_path / "student",
                 lambda params: StepFunctionOptimizer(params, lr=0.1, step_function=namespace["sgd_step"]))
    assert not result.from_store


@pytest.mark.parametrize("damage", ["json", "weights", "other hash", "other shapes"])
def test_a_damaged_entry_says_so_in_one_line_and_trains(data, store, tmp_path, capsys, damage):
    store_reference_run(data, store, tmp_path / "scratch")
    entry = next(store.glob("*.json"))
    saved = json.loads(entry.read_text())
    if damage == "json":
        entry.write_text(entry.read_text()[:50])
    elif damage == "weights":
        (store / saved["weights"]).write_bytes(b"not lzma")
    elif damage == "other hash":
        saved["fingerprint"]["hash"] = "0" * 16
        entry.write_text(json.dumps(saved))
    else:
        state = {key: torch.zeros(3) for key in fresh_model().state_dict()}
        (store / saved["weights"]).write_bytes(result_store.encode_weights(state, {}))
    capsys.readouterr()
    model, untouched = fresh_model(), fresh_model()
    fingerprint = training.training_fingerprint(model, SGD(model.parameters(), lr=0.1), data, epochs=2,
                                                batch_size=50, seed=42, loss_fn=F.cross_entropy)
    assert training.load_stored_result(model, "reference", fingerprint) is None
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("The course's stored run for 'reference' cannot be used (")
    assert lines[0].endswith("training it instead.")
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), untouched.parameters(), strict=True))
    result = run(data, tmp_path / "student")
    assert not result.from_store and len(result.history["val_acc"]) == 2
