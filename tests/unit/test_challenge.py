"""The bonus challenge's benchmark: the committed score file is complete and plausible, producing it
with our training code gives a file whose numbers are the model's real scores, and the comparison
table puts a student's model next to it."""

import json

import pytest

from course_lib.challenge import (
    TEMPLATE_SETTINGS,
    BenchmarkUnavailableError,
    build_model,
    compare_with_benchmark,
    load_benchmark,
    produce_benchmark,
    score_model,
    tuning_settings,
)

TINY = {"hidden_sizes": [16], "epochs": 2, "batch_size": 64}
TINY_GRID = {"hidden_sizes": [[16], [32]], "lr": [1e-3], "epochs": [2], "batch_size": [64]}


def test_committed_benchmark_records_scores_settings_and_how_it_was_made():
    record = load_benchmark()
    scores = record["scores"]
    assert 0.85 < scores["test_acc"] < 0.95 and 0.85 < scores["train_acc"] <= 1.0
    assert 0.0 < scores["train_loss"] < scores["test_loss"] < 0.6
    assert record["settings"] in tuning_settings(record["tuning"]["grid"])
    assert record["produced_by"]["command"] == "python -m course_lib.challenge --produce"
    assert record["data"] == {"train": 50_000, "val": 10_000, "test": 10_000}


def test_the_benchmark_was_chosen_on_validation_and_the_notebooks_start_does_not_reach_it():
    record = load_benchmark()
    runs = record["tuning"]["runs"]
    assert [run["settings"] for run in runs] == tuning_settings(record["tuning"]["grid"])
    assert record["settings"] == max(runs, key=lambda run: run["val_acc"])["settings"]
    assert record["template"]["settings"] == TEMPLATE_SETTINGS
    assert record["template"]["scores"]["test_acc"] < record["scores"]["test_acc"], "the challenge must be a target"


@pytest.mark.slow
def test_produced_file_holds_the_trained_models_real_scores(small_fashion, tmp_path):
    path = tmp_path / "score.json"
    weak_template = {**TEMPLATE_SETTINGS, "hidden_sizes": [4], "epochs": 1, "lr": 1e-4, "batch_size": 64}
    record = produce_benchmark(TINY_GRID, small_fashion, path=path, checkpoint_dir=tmp_path, template=weak_template)
    assert json.loads(path.read_text()) == load_benchmark(path) == json.loads(json.dumps(record))
    assert record["settings"]["hidden_sizes"] in ([16], [32]) and record["best_epoch"] in (1, 2)
    assert len(record["tuning"]["runs"]) == 2 and record["scores"]["test_acc"] > 0.5
    assert (tmp_path / "challenge_tuning_0.pt").exists() and (tmp_path / "challenge_template.pt").exists()


def test_comparison_table_puts_a_model_next_to_the_benchmark(small_fashion, tmp_path):
    model = build_model({**TEMPLATE_SETTINGS, **TINY})
    table = compare_with_benchmark(model, small_fashion, label="mine")
    assert list(table.index) == ["mine", "benchmark"]
    assert list(table.columns) == ["train loss", "test loss", "train acc (%)", "test acc (%)"]
    scores = score_model(model, small_fashion)
    assert table.loc["mine", "test acc (%)"] == pytest.approx(100 * scores["test_acc"])
    assert table.loc["benchmark", "test acc (%)"] == pytest.approx(100 * load_benchmark()["scores"]["test_acc"])


@pytest.mark.parametrize("content", [None, "{not json", '{"scores": {"test_acc": 0.9}}'])
def test_missing_or_broken_file_is_one_clear_line(tmp_path, content):
    path = tmp_path / "score.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(BenchmarkUnavailableError) as error:
        load_benchmark(path)
    assert "\n" not in str(error.value)


@pytest.mark.slow
def test_a_benchmark_the_template_already_reaches_is_refused(small_fashion, tmp_path):
    path = tmp_path / "score.json"
    strong_template = {**TEMPLATE_SETTINGS, "hidden_sizes": [64], "epochs": 3, "batch_size": 64}
    weak_grid = {"hidden_sizes": [[4]], "lr": [1e-4], "epochs": [1], "batch_size": [64]}
    with pytest.raises(RuntimeError, match="starting settings already reach"):
        produce_benchmark(weak_grid, small_fashion, path=path, checkpoint_dir=tmp_path, template=strong_template)
    assert not path.exists()


def test_the_template_is_what_the_notebooks_bonus_cell_starts_from():
    import re
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "solutions" / "04_minibatch_and_training.py").read_text()
    cell = source[source.index("HIDDEN_SIZES = "):source.index("make_my_optimizer")]
    assert f"HIDDEN_SIZES = {tuple(TEMPLATE_SETTINGS['hidden_sizes'])}" in cell
    assert f'ACTIVATION = "{TEMPLATE_SETTINGS["activation"]}"' in cell
    assert float(re.search(r"^LR = (\S+)$", cell, re.MULTILINE).group(1)) == TEMPLATE_SETTINGS["lr"]
    assert f"BATCH_SIZE = {TEMPLATE_SETTINGS['batch_size']}" in cell
    assert f"MAX_EPOCHS = quick_or_full(1, {TEMPLATE_SETTINGS['epochs']})" in cell
    assert "Adam(params, lr=LR)" in source[source.index("make_my_optimizer"):][:80]
