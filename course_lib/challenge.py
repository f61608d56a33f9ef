"""The benchmark of the bonus challenge in notebook 04: a score made by the course's own training code.

``challenge_score.json`` (next to this module, committed with the course) holds the benchmark's
train/test loss and accuracy, the settings it was trained with, how those settings were tuned, what
the notebook's starting settings reach, and how and when it was produced. Instructors regenerate it
with ``python -m course_lib.challenge --produce`` (full FashionMNIST, CPU: a few minutes).

Pipeline:

1. ``build_model``: the MLP and initialization named by the settings;
2. ``train_settings``: train one setting with ``course_lib.training.train_model`` (weights of the best
   validation epoch);
3. ``produce_benchmark``: train every setting of ``TUNING_GRID``, keep the one with the best
   *validation* accuracy (the test set is only scored, never used to choose), train the notebook's
   starting settings ``TEMPLATE_SETTINGS`` the same way, check that they fall short of the
   benchmark on test accuracy (else the challenge would be won before it starts), write the file;
4. ``score_model``: mean loss and accuracy on the training and test splits;
5. ``compare_with_benchmark``: a student's model next to the stored benchmark, as a table.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import time
from pathlib import Path

import pandas as pd
import torch
from torch import nn

import course_lib
from course_lib.data import FashionMNISTTensors, load_fashion_mnist
from course_lib.init import INIT_SCHEMES
from course_lib.models import MLP
from course_lib.optimizers import OPTIMIZERS
from course_lib.seeding import set_seed
from course_lib.training import TrainResult, evaluate, train_model

BENCHMARK_PATH = Path(__file__).with_name("challenge_score.json")
TEMPLATE_SETTINGS = {  # the bonus cell's starting values in notebook 04
    "hidden_sizes": [200, 100, 50],
    "activation": "relu",
    "init": "kaiming",
    "optimizer": "Adam",
    "lr": 1e-3,
    "batch_size": 128,
    "epochs": 5,
    "seed": 42,
}
TUNING_GRID = {  # every combination is trained; the best validation accuracy is the benchmark
    "hidden_sizes": [[200, 100, 50], [512, 256], [1024, 512]],
    "lr": [1e-3, 3e-4],
    "epochs": [20],
}
SCORE_COLUMNS = ("train_loss", "test_loss", "train_acc", "test_acc")


class BenchmarkUnavailableError(RuntimeError):
    """The stored benchmark file is missing or unreadable."""


def build_model(settings: dict) -> MLP:
    """The seeded, initialized MLP described by ``settings`` (hidden_sizes, activation, init, seed)."""
    set_seed(settings["seed"])
    model = MLP(hidden_sizes=settings["hidden_sizes"], activation=settings["activation"])
    return INIT_SCHEMES[settings["init"]](model)


def score_model(model: nn.Module, data: FashionMNISTTensors) -> dict[str, float]:
    """Mean cross-entropy and accuracy on the training split and on the test split."""
    train_loss, train_acc = evaluate(model, data.train_x, data.train_y)
    test_loss, test_acc = evaluate(model, data.test_x, data.test_y)
    return {"train_loss": train_loss, "test_loss": test_loss, "train_acc": train_acc, "test_acc": test_acc}


def tuning_settings(grid: dict | None = None) -> list[dict]:
    """Every combination of ``grid`` (default ``TUNING_GRID``) on top of ``TEMPLATE_SETTINGS``."""
    grid = TUNING_GRID if grid is None else grid
    keys = list(grid)
    return [{**TEMPLATE_SETTINGS, **dict(zip(keys, values, strict=True))}
            for values in itertools.product(*(grid[key] for key in keys))]


def train_settings(settings: dict, data: FashionMNISTTensors, name: str,
                   checkpoint_dir: str | Path | None = None) -> tuple[MLP, TrainResult]:
    """Train ``settings`` with ``train_model`` (fresh, not from a cache); the model keeps its best epoch."""
    model = build_model(settings).to(data.device)
    optimizer_class, lr = OPTIMIZERS[settings["optimizer"]], settings["lr"]
    result = train_model(model, lambda params: optimizer_class(params, lr=lr), data, epochs=settings["epochs"],
                         batch_size=settings["batch_size"], name=name, checkpoint_dir=checkpoint_dir,
                         retrain=True, seed=settings["seed"], progress=False)
    return model, result


def best_validation_accuracy(result: TrainResult) -> float:
    return max(result.history["val_acc"], default=0.0)


def produce_benchmark(grid: dict | None = None, data: FashionMNISTTensors | None = None,
                      path: str | Path = BENCHMARK_PATH, checkpoint_dir: str | Path | None = None,
                      template: dict | None = None) -> dict:
    """Tune on the validation split, score the winner and the template on the test split, write ``path``.

    ``template`` defaults to ``TEMPLATE_SETTINGS``. Raises RuntimeError, writing nothing, when the
    template already reaches the benchmark's test accuracy.
    """
    template = TEMPLATE_SETTINGS if template is None else template
    data = data if data is not None else load_fashion_mnist()
    start = time.perf_counter()
    tuning, best = [], None
    for index, settings in enumerate(tuning_settings(grid)):
        model, result = train_settings(settings, data, name=f"challenge_tuning_{index}", checkpoint_dir=checkpoint_dir)
        row = {"settings": settings, "val_acc": best_validation_accuracy(result), "best_epoch": result.best_epoch}
        tuning.append(row)
        if best is None or row["val_acc"] > best[0]["val_acc"]:
            best = (row, model)
    template_model, template_result = train_settings(template, data, name="challenge_template",
                                                     checkpoint_dir=checkpoint_dir)
    row, model = best
    record = {
        "scores": score_model(model, data),
        "best_epoch": row["best_epoch"],
        "settings": row["settings"],
        "tuning": {"how": "every combination of the grid trained with train_model; the highest validation "
                          "accuracy (best epoch) wins; the test split is scored only for the winner",
                   "grid": grid or TUNING_GRID, "runs": tuning},
        "template": {"settings": template, "scores": score_model(template_model, data),
                     "val_acc": best_validation_accuracy(template_result)},
        "data": {"train": len(data.train_y), "val": len(data.val_y), "test": len(data.test_y)},
        "produced_by": {
            "command": "python -m course_lib.challenge --produce",
            "course_lib": course_lib.__version__,
            "torch": torch.__version__,
            "device": str(data.device),
            "machine": platform.machine(),
            "seconds": round(time.perf_counter() - start, 1),
            "date": time.strftime("%Y-%m-%d", time.gmtime()),
        },
    }
    if record["template"]["scores"]["test_acc"] >= record["scores"]["test_acc"]:
        raise RuntimeError("the notebook's starting settings already reach the tuned benchmark: widen the grid")
    Path(path).write_text(json.dumps(record, indent=2) + "\n")
    return record


def load_benchmark(path: str | Path = BENCHMARK_PATH) -> dict:
    """The stored benchmark record; BenchmarkUnavailableError (one line) when the file is missing or broken."""
    try:
        record = json.loads(Path(path).read_text())
        missing = [key for key in SCORE_COLUMNS if key not in record["scores"]]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BenchmarkUnavailableError(
            f"No usable benchmark at {path} ({type(error).__name__}); "
            "create it with: python -m course_lib.challenge --produce") from None
    if missing:
        raise BenchmarkUnavailableError(f"The benchmark at {path} lacks {', '.join(missing)}; regenerate it.")
    return record


def compare_with_benchmark(model: nn.Module, data: FashionMNISTTensors, label: str = "your model",
                           benchmark: dict | None = None) -> pd.DataFrame:
    """Rows: your model and the benchmark; columns: train/test loss and accuracy (accuracies in %)."""
    benchmark = benchmark if benchmark is not None else load_benchmark()
    rows = {label: score_model(model, data), "benchmark": benchmark["scores"]}
    table = pd.DataFrame(rows).T.loc[:, list(SCORE_COLUMNS)]
    table[["train_acc", "test_acc"]] *= 100
    return table.rename(columns={"train_acc": "train acc (%)", "test_acc": "test acc (%)",
                                 "train_loss": "train loss", "test_loss": "test loss"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--produce", action="store_true", help="tune and retrain the benchmark, rewrite the file")
    args = parser.parse_args(argv)
    if args.produce:
        record = produce_benchmark()
        print(f"Benchmark written to {BENCHMARK_PATH}: test accuracy {100 * record['scores']['test_acc']:.2f}% "
              f"(the notebook's starting settings: {100 * record['template']['scores']['test_acc']:.2f}%)")
    else:
        record = load_benchmark()
        print(json.dumps(record["scores"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
