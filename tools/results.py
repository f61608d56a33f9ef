"""``make results``: regenerate the course's stored reference runs (``course_lib/results/``) by training them.

The reference runs are the notebooks' ``train_model`` calls whose result does not depend on the student's
code, in quick mode (the tests, CI) and full mode (students), each declared below exactly as its notebook
cell builds it (same data subset, seeds, model, optimizer, epochs, batch size, cache name):

- notebook 01, section 7: the MLP (256, 128) with course_lib's SGD: with its weights in full mode (the cell
  keeps the model, and the student may well evaluate it), history only in quick mode (no later cell uses
  the model, which then keeps its initial weights);
- notebook 04, section 4: the three optimizers on the deep MLP with course_lib's own SGD step function,
  SGDMomentum and Adam, the code a student who has not passed the exercises gets, with weights (the
  paired comparison that follows uses the trained models), in full mode only: in quick mode the three
  train in under 10 s each, not worth 6 MB of weights. A student whose ``sgd_step`` or ``Adam`` passed
  trains those two live (their fingerprints differ) and loads only momentum;
- notebook 04, section 6: the 24 runs of the sweep (history only: only the validation accuracy is used).

Not stored: the bonus challenge (``retrain=True``, the student's own settings).

Usage (from the repository root; COURSE_DATA_DIR as usual):

    python -m tools.results                    # both modes, from scratch
    python -m tools.results --mode quick       # one mode (about 30 s); the other mode's entries are kept
    python -m tools.results --mode full --only nb04_S   # the runs whose name contains the text
    python -m tools.results --mode full --missing       # the runs that have no entry yet
    python -m tools.results --check            # list stale entries (fingerprint no longer what the code gives)
    python -m tools.results --fill-cache       # train the runs the store lacks into the local cache (Binder)

Runs are trained on the CPU with one thread, and the entry records the date, the machine and torch's
version. The store is keyed by the fingerprint only, so these entries are found on any machine, a CUDA
one included (a GPU run would differ only in float rounding).
"""

from __future__ import annotations

import argparse
import copy
import itertools
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from course_lib import config, result_store
from course_lib.data import FashionMNISTTensors, load_fashion_mnist
from course_lib.init import init_kaiming, init_xavier
from course_lib.models import MLP
from course_lib.optimizers import SGD, Adam, SGDMomentum, StepFunctionOptimizer
from course_lib.optimizers import sgd_step as reference_sgd_step
from course_lib.seeding import set_seed
from course_lib.training import train_model, training_fingerprint

MODES = ("quick", "full")


@dataclass(frozen=True)
class RunSetup:
    """Everything ``train_model`` gets for one run, built fresh (model with its initial weights)."""

    model: torch.nn.Module
    make_optimizer: Callable
    data: FashionMNISTTensors
    options: dict  # epochs, batch_size, seed (train_model's keywords)


@dataclass(frozen=True)
class ReferenceRun:
    """A notebook's run: ``name`` (the notebook's cache name), its ``mode``, ``build(data)`` → RunSetup from the
    full FashionMNIST tensors; ``keeps_model``: the cell leaves the trained model to the student (its weights
    are stored in full mode); ``model_used_later``: a later cell computes with it (a history-only entry
    would not do, so in quick mode, where only histories are stored, the run is not stored)."""

    name: str
    mode: str
    build: Callable[[FashionMNISTTensors], RunSetup]
    keeps_model: bool
    model_used_later: bool = False

    @property
    def stores_weights(self) -> bool:
        return self.keeps_model and self.mode == "full"

    def fingerprint(self, data: FashionMNISTTensors) -> dict:
        """What ``train_model`` would compute for this run now (nothing is trained)."""
        setup = self.build(data)
        optimizer = setup.make_optimizer(setup.model.parameters())
        options = {"seed": 42, **setup.options}
        return training_fingerprint(setup.model, optimizer, setup.data, epochs=options["epochs"],
                                    batch_size=options["batch_size"], seed=options["seed"], loss_fn=F.cross_entropy)


def _pick(mode: str, quick, full):
    return quick if mode == "quick" else full


def _notebook01_runs(mode: str) -> list[ReferenceRun]:
    def build(data):
        train_data = data.subset(n_train=_pick(mode, 10_000, None), n_val=_pick(mode, 2_000, None),
                                 n_test=_pick(mode, 2_000, None))
        set_seed(42)
        model = MLP(hidden_sizes=(256, 128))
        return RunSetup(model, lambda params: SGD(params, lr=0.1), train_data,
                        {"epochs": _pick(mode, 2, 10), "batch_size": 64})

    return [ReferenceRun(_pick(mode, "01_training_loop_mlp_sgd_quick", "01_training_loop_mlp_sgd"), mode, build,
                         keeps_model=True)]


def _notebook04_optimizer_runs(mode: str) -> list[ReferenceRun]:
    recipes = {
        "SGD": lambda params: StepFunctionOptimizer(params, lr=0.1, step_function=reference_sgd_step),
        "SGD + momentum": lambda params: SGDMomentum(params, lr=0.1, momentum=0.9),
        "Adam": lambda params: Adam(params, lr=1e-3),
    }

    def builder(make_optimizer):
        def build(data):
            training_data = data.subset(n_train=8000, n_val=1000, n_test=2000) if mode == "quick" else data
            set_seed(42)
            base_model = init_kaiming(MLP(hidden_sizes=(512, 256, 256, 128), activation="relu"))
            return RunSetup(copy.deepcopy(base_model), make_optimizer, training_data,
                            {"epochs": _pick(mode, 4, 40), "batch_size": 256})
        return build

    return [ReferenceRun(f"nb04_{label.replace(' + ', '_')}_{mode}", mode, builder(make), keeps_model=True,
                         model_used_later=True)
            for label, make in recipes.items()]


def _notebook04_sweep_runs(mode: str) -> list[ReferenceRun]:
    inits = {"Xavier": init_xavier, "Kaiming": init_kaiming}
    optimizers = {"SGD": SGD, "Adam": Adam}
    runs = []
    for init_name, activation, optimizer_name, lr in itertools.product(inits, ["relu", "tanh"], optimizers,
                                                                       [1e-3, 1e-2, 1e-1]):
        def build(data, init=inits[init_name], activation=activation, cls=optimizers[optimizer_name], lr=lr):
            sweep_data = data.subset(n_train=_pick(mode, 2000, 20_000), n_val=_pick(mode, 1000, 5000),
                                     n_test=_pick(mode, 500, 10_000))
            set_seed(0)
            model = init(MLP(hidden_sizes=(100, 100), activation=activation))
            return RunSetup(model, lambda params: cls(params, lr=lr), sweep_data,
                            {"epochs": _pick(mode, 2, 5), "batch_size": 64})

        runs.append(ReferenceRun(f"nb04_sweep_{init_name}_{activation}_{optimizer_name}_{lr:g}_{mode}", mode,
                                 build, keeps_model=False))
    return runs


def declared_runs(modes=MODES, only: str = "") -> list[ReferenceRun]:
    """Every notebook run that does not depend on the student's code, of the given modes, whose name contains
    ``only``, in the notebooks' order."""
    runs = [run for mode in modes for run in
            (*_notebook01_runs(mode), *_notebook04_optimizer_runs(mode), *_notebook04_sweep_runs(mode))]
    return [run for run in runs if only in run.name]


def reference_runs(modes=MODES, only: str = "") -> list[ReferenceRun]:
    """The declared runs that the store holds: every full-mode run (weights where ``keeps_model``: about 2 MB
    a run, which pays for 40-epoch runs), and the quick-mode runs whose model no later cell uses (histories
    only: notebook 04's three quick runs train in under 10 s each)."""
    return [run for run in declared_runs(modes, only) if run.mode == "full" or not run.model_used_later]


def stored_entries(store_dir: Path | None = None) -> dict[str, dict]:
    """{file name: entry} of every ``<hash>.json`` in the store."""
    import json

    directory = Path(store_dir or config.result_store_dir())
    return {path.name: json.loads(path.read_text()) for path in sorted(directory.glob("*.json"))}


def _differences(old, new, prefix="") -> list[str]:
    """The paths at which two fingerprints differ, e.g. ["optimizer.lr: 0.1 → 0.2"]."""
    if isinstance(old, dict) and isinstance(new, dict):
        return [line for key in sorted(old.keys() | new.keys()) if key != "hash"
                for line in _differences(old.get(key), new.get(key), f"{prefix}{key}.")]
    return [] if old == new else [f"{prefix.rstrip('.')}: {old!r} → {new!r}"]


def stale_entries(data: FashionMNISTTensors, store_dir: Path | None = None) -> list[str]:
    """One line per stored entry whose fingerprint is not what the current code computes for its run (or whose
    run is no longer declared), naming what changed; [] when the store is current. Trains nothing."""
    runs = {run.name: run for run in reference_runs()}
    problems = []
    for file_name, entry in stored_entries(store_dir).items():
        run = runs.get(entry.get("name"))
        if run is None:
            problems.append(f"{file_name}: '{entry.get('name')}' is not one of the reference runs")
            continue
        current = run.fingerprint(data)
        if current["hash"] != entry["fingerprint"]["hash"] or file_name != f"{current['hash']}.json":
            changed = "; ".join(_differences(entry["fingerprint"], current)[:4]) or "the hash's inputs"
            problems.append(f"{file_name}: '{run.name}' is stale ({changed}); run make results")
    return problems


# Agreement between a stored history and a retrained one: on the machine that made the store they are
# identical; another CPU (other vector instructions, another summation order) changes the last float bits,
# and training amplifies that. Measured 2026-12-07, the quick store made on one AMD EPYC and retrained on
# another with AVX-512: 01's SGD run (lr 0.1, 2 epochs) moved its training loss by 0.03 %, its validation
# and test losses by up to 1.6 % and its accuracies by 0.3 points. A change the fingerprint cannot see (the
# shuffle drawn in reverse) moved the retrained runs' validation losses by 24-50 % and accuracies by 4-11
# points. The tolerances sit between the two: losses relative, accuracies absolute (fractions).
LOSS_TOLERANCE = 0.05
ACCURACY_TOLERANCE = 0.015


def retrained_differences(run: ReferenceRun, data: FashionMNISTTensors, entry: dict, checkpoint_dir: Path) -> list[str]:
    """Retrain ``run`` and compare with its stored ``entry``: one line per history value, best epoch or test
    score that differs by more than the tolerances (losses by more than ``LOSS_TOLERANCE`` of the stored
    value, accuracies by more than ``ACCURACY_TOLERANCE``); [] when they agree."""
    _, fields, _, _ = train_reference_run(run, data, checkpoint_dir, progress=False)
    stored = entry["result"]

    def allowed(label: str, old: float | None) -> float:
        return ACCURACY_TOLERANCE if "acc" in label else LOSS_TOLERANCE * abs(old or 0.0)

    pairs = [(f"{key}[{epoch}]", old, new) for key in stored["history"]
             for epoch, (old, new) in enumerate(itertools.zip_longest(stored["history"][key], fields["history"][key]))]
    pairs += [("test_loss", stored["test_loss"], fields["test_loss"]), ("test_acc", stored["test_acc"], fields["test_acc"])]
    mismatches = [f"{run.name} {label}: stored {old}, retrained {new}" for label, old, new in pairs
                  if old is None or new is None or abs(old - new) > allowed(label, old)]
    if stored["best_epoch"] != fields["best_epoch"]:
        mismatches.append(f"{run.name} best_epoch: stored {stored['best_epoch']}, retrained {fields['best_epoch']}")
    return mismatches


def train_reference_run(run: ReferenceRun, data: FashionMNISTTensors, checkpoint_dir: Path, progress: bool = True):
    """Train ``run`` as ``train_model`` does in the notebook (retrain=True, one CPU thread); returns (fingerprint,
    result fields, best weights, initial weights)."""
    import json

    setup = run.build(data)
    initial = copy.deepcopy(setup.model.state_dict())
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = train_model(setup.model, setup.make_optimizer, setup.data, name=run.name, retrain=True,
                             checkpoint_dir=checkpoint_dir, progress=progress, **setup.options)
    finally:
        torch.set_num_threads(threads)
    fingerprint = json.loads((checkpoint_dir / f"{run.name}.json").read_text())["fingerprint"]
    fields = asdict(result)
    fields.pop("checkpoint_path")
    return fingerprint, fields, copy.deepcopy(setup.model.state_dict()), initial


def regenerate(modes, only: str = "", missing: bool = False, store_dir: Path | None = None) -> None:
    """Remove the entries of the runs of ``modes`` whose name contains ``only`` (and entries of no declared run),
    then train and store those runs; with ``missing``, only train the runs that have no entry yet."""
    directory = Path(store_dir or config.result_store_dir())
    runs = reference_runs(modes, only)
    if missing:
        present = {entry.get("name") for entry in stored_entries(directory).values()}
        runs = [run for run in runs if run.name not in present]
    declared = {run.name for run in reference_runs()}
    regenerated = {run.name for run in runs}
    for file_name, entry in stored_entries(directory).items():
        if entry.get("name") in regenerated or entry.get("name") not in declared:
            (directory / file_name).unlink()
            if entry.get("weights"):
                (directory / entry["weights"]).unlink(missing_ok=True)
    data = load_fashion_mnist(device="cpu")
    with tempfile.TemporaryDirectory() as scratch:
        for number, run in enumerate(runs, 1):
            start = time.perf_counter()
            fingerprint, fields, state, initial = train_reference_run(run, data, Path(scratch),
                                                                      progress=not run.name.startswith("nb04_sweep"))
            written = result_store.save_stored_run(run.name, fingerprint, fields, state if run.stores_weights else None,
                                                   initial, device="cpu", store_dir=directory)
            size = sum(path.stat().st_size for path in written)
            print(f"[{number}/{len(runs)}] {run.name}: {time.perf_counter() - start:.1f} s, {size / 1e3:.0f} kB",
                  flush=True)
    total = sum(path.stat().st_size for path in directory.iterdir() if path.is_file())
    print(f"store {directory}: {len(list(directory.glob('*.json')))} runs, {total / 1e6:.2f} MB")


def fill_cache(mode: str) -> list[str]:
    """Train into the local cache (``config.checkpoint_dir()``, under the notebooks' cache names) every reference
    run of ``mode`` that the store lacks, so that the notebooks load it (Binder's postBuild calls this);
    a run already cached loads instead of training. Returns the names of the runs it filled."""
    data = load_fashion_mnist(device="cpu")
    filled = []
    for run in declared_runs((mode,)):
        if result_store.entry_path(run.fingerprint(data)["hash"]).is_file():
            continue
        setup = run.build(data)
        result = train_model(setup.model, setup.make_optimizer, setup.data, name=run.name, **setup.options)
        print(f"{run.name}: {'already cached' if result.from_cache else f'trained in {result.seconds:.0f} s'}",
              flush=True)
        filled.append(run.name)
    print(f"{len(filled)} of the {len(declared_runs((mode,)))} {mode}-mode reference runs are not in the store; "
          "each is in the cache now.")
    return filled


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=(*MODES, "both"), default="both")
    parser.add_argument("--only", default="", help="only the runs whose name contains this text")
    parser.add_argument("--missing", action="store_true", help="only the runs that have no entry yet")
    parser.add_argument("--check", action="store_true", help="list stale entries instead of training")
    parser.add_argument("--fill-cache", action="store_true",
                        help="train the runs of this mode (COURSE_QUICK) that the store lacks into the local cache")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale_entries(load_fashion_mnist(device="cpu"))
        print("\n".join(problems) if problems else "every stored run is current")
        return 1 if problems else 0
    if args.fill_cache:
        fill_cache("quick" if config.is_quick() else "full")
        return 0
    regenerate(MODES if args.mode == "both" else (args.mode,), args.only, args.missing)
    return 0


if __name__ == "__main__":
    sys.exit(main())
