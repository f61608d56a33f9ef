"""The benchmark of the bonus challenge in notebook 04: a score made by the course's own training code.

``challenge_score.json`` (next to this module, committed with the course) holds the benchmark's
train/test loss and accuracy, the settings it was trained with and how it was produced. Instructors
regenerate it with ``python -m course_lib.challenge --produce`` (full FashionMNIST, CPU: a minute or two).

Pipeline:

1. ``build_model``: the MLP and initialization named by the settings;
2. ``produce_benchmark``: train it with ``course_lib.training.train_model``, score it, write the file;
3. ``score_model``: mean loss and accuracy on the training and test splits;
4. ``compare_with_benchmark``: a student's model next to the stored benchmark, as a table.
"""

from __future__ import annotations

import argparse
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
from course_lib.training import evaluate, train_model

BENCHMARK_PATH = Path(__file__).with_name("challenge_score.json")
BENCHMARK_SETTINGS = {
    "hidden_sizes": [200, 100, 50],
    "activation": "relu",
    "init": "kaiming",
    "optimizer": "Adam",
    "lr": 1e-3,
    "batch_size": 128,
    "epochs": 15,
    "seed": 42,
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


def produce_benchmark(settings: dict | None = None, data: FashionMNISTTensors | None = None,
                      path: str | Path = BENCHMARK_PATH, checkpoint_dir: str | Path | None = None) -> dict:
    """Train the benchmark with ``train_model`` (best validation epoch), score it, write ``path`` as JSON."""
    settings = {**BENCHMARK_SETTINGS, **(settings or {})}
    data = data if data is not None else load_fashion_mnist()
    model = build_model(settings).to(data.device)
    optimizer_class, lr = OPTIMIZERS[settings["optimizer"]], settings["lr"]
    result = train_model(model, lambda params: optimizer_class(params, lr=lr), data,
                         epochs=settings["epochs"], batch_size=settings["batch_size"], name="benchmark",
                         checkpoint_dir=checkpoint_dir, retrain=True, seed=settings["seed"], progress=False)
    record = {
        "scores": score_model(model, data),
        "best_epoch": result.best_epoch,
        "settings": settings,
        "data": {"train": len(data.train_y), "val": len(data.val_y), "test": len(data.test_y)},
        "produced_by": {
            "command": "python -m course_lib.challenge --produce",
            "course_lib": course_lib.__version__,
            "torch": torch.__version__,
            "device": str(data.device),
            "machine": platform.machine(),
            "training_seconds": round(result.seconds, 1),
            "date": time.strftime("%Y-%m-%d", time.gmtime()),
        },
    }
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
    parser.add_argument("--produce", action="store_true", help="retrain the benchmark and rewrite the score file")
    args = parser.parse_args(argv)
    if args.produce:
        record = produce_benchmark()
        print(f"Benchmark written to {BENCHMARK_PATH}: test accuracy {100 * record['scores']['test_acc']:.2f}%")
    else:
        record = load_benchmark()
        print(json.dumps(record["scores"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
