"""The bonus challenge's benchmark: the committed score file is complete and plausible, producing it
with our training code gives a file whose numbers are the model's real scores, and the comparison
table puts a student's model next to it."""

import json

import pytest

from course_lib.challenge import (
    BENCHMARK_SETTINGS,
    BenchmarkUnavailableError,
    build_model,
    compare_with_benchmark,
    load_benchmark,
    produce_benchmark,
    score_model,
)

TINY = {"hidden_sizes": [16], "epochs": 2, "batch_size": 64}


def test_committed_benchmark_records_scores_settings_and_how_it_was_made():
    record = load_benchmark()
    scores = record["scores"]
    assert 0.85 < scores["test_acc"] < 0.95 and 0.85 < scores["train_acc"] <= 1.0
    assert 0.0 < scores["train_loss"] < scores["test_loss"] < 0.6
    assert record["settings"] == BENCHMARK_SETTINGS
    assert record["produced_by"]["command"] == "python -m course_lib.challenge --produce"
    assert record["data"] == {"train": 50_000, "val": 10_000, "test": 10_000}


@pytest.mark.slow
def test_produced_file_holds_the_trained_models_real_scores(small_fashion, tmp_path):
    path = tmp_path / "score.json"
    record = produce_benchmark(TINY, small_fashion, path=path, checkpoint_dir=tmp_path)
    assert json.loads(path.read_text()) == load_benchmark(path) == json.loads(json.dumps(record))
    assert record["settings"]["hidden_sizes"] == [16] and record["best_epoch"] in (1, 2)
    assert record["scores"]["test_acc"] > 0.5
    assert (tmp_path / "benchmark.pt").exists()


def test_comparison_table_puts_a_model_next_to_the_benchmark(small_fashion, tmp_path):
    model = build_model({**BENCHMARK_SETTINGS, **TINY})
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
