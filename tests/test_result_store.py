"""The shipped store of reference runs (course_lib/results/, made by ``make results``) is current: every entry's
fingerprint is what the current code computes for its run (no training), and a cheap subset retrains to the
stored histories. Each check is also shown catching a planted change."""

import json
import shutil

import pytest
import torch

from course_lib import config
from course_lib.optimizers import SGD
from tools import results

# Cheap to retrain (a few seconds together): notebook 01's quick run and two of the quick sweep's runs.
RETRAINED = ("01_training_loop_mlp_sgd_quick", "nb04_sweep_Kaiming_relu_SGD_0.1_quick",
             "nb04_sweep_Xavier_tanh_Adam_0.001_quick")


def shipped_entry(name):
    entries = [entry for entry in results.stored_entries().values() if entry["name"] == name]
    assert len(entries) == 1, f"the store holds {len(entries)} entries for {name}; run make results"
    return entries[0]


def copy_entries(names, destination):
    """A store holding only the shipped entries of ``names``."""
    destination.mkdir()
    for path in config.result_store_dir().glob("*.json"):
        if json.loads(path.read_text())["name"] in names:
            shutil.copy(path, destination / path.name)
    return destination


def test_the_store_is_small_and_holds_every_quick_mode_run():
    """Quick mode is what the tests run; a full-mode run the store lacks trains as it always did."""
    names = {entry["name"] for entry in results.stored_entries().values()}
    assert {run.name for run in results.reference_runs(("quick",))} <= names
    size = sum(path.stat().st_size for path in config.result_store_dir().iterdir())
    assert size < 12e6, f"the store takes {size / 1e6:.1f} MB"


def test_every_stored_run_is_current(fashion_data):
    assert results.stale_entries(fashion_data) == []


def test_the_staleness_check_names_a_planted_change(fashion_data, tmp_path, monkeypatch):
    store = copy_entries({"01_training_loop_mlp_sgd_quick", "nb04_sweep_Kaiming_relu_SGD_0.1_quick"}, tmp_path / "s")
    assert results.stale_entries(fashion_data, store) == []

    with monkeypatch.context() as patch:  # a changed learning rate
        patch.setattr(results, "SGD", lambda params, lr: SGD(params, lr=2 * lr))
        stale = results.stale_entries(fashion_data, store)
    assert len(stale) == 2 and all("optimizer.lr: 0.1 → 0.2" in line and "run make results" in line for line in stale)

    def update(self, p, grad, state, group):  # a changed line of the optimizer's code, the same maths
        p.add_(grad, alpha=-group["lr"])

    monkeypatch.setattr(SGD, "update", update)
    stale = results.stale_entries(fashion_data, store)
    assert len(stale) == 2 and all("optimizer.code" in line for line in stale)


@pytest.mark.slow
def test_a_cheap_subset_retrains_to_the_stored_history(fashion_data, tmp_path):
    runs = {run.name: run for run in results.reference_runs(("quick",))}
    for name in RETRAINED:
        assert results.retrained_differences(runs[name], fashion_data, shipped_entry(name), tmp_path) == []


def test_the_retraining_check_catches_a_change_the_fingerprint_cannot_see(fashion_data, tmp_path, monkeypatch):
    """Another shuffle (as a new torch version could draw) keeps every fingerprint but changes the run."""
    name = RETRAINED[1]
    run = {run.name: run for run in results.reference_runs(("quick",))}[name]
    real_randperm = torch.randperm
    monkeypatch.setattr(torch, "randperm", lambda n, **kwargs: real_randperm(n, **kwargs).flip(0))
    assert run.fingerprint(fashion_data)["hash"] == shipped_entry(name)["fingerprint"]["hash"]
    differences = results.retrained_differences(run, fashion_data, shipped_entry(name), tmp_path)
    assert differences and all(line.startswith(f"{name} ") for line in differences)
