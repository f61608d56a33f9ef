"""Notebook 04 trains the student's SGD and Adam for the first epochs of the course's stored runs and says
whether they follow them; the verdict must tell rounding apart from another update rule."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from course_lib.errors import CourseInputError
from course_lib.experiments.run_agreement import (
    LOSS_TOLERANCE,
    beside_course_runs,
    first_epochs,
    run_agreement,
)

COURSE = {"train_loss": [0.60, 0.39, 0.34, 0.31, 0.29, 0.28], "val_acc": [0.83, 0.81, 0.86, 0.83, 0.87, 0.87]}
SOLUTION_04 = Path(__file__).resolve().parents[2] / "solutions" / "04_minibatch_and_training.ipynb"


def test_a_run_that_differs_by_rounding_follows_the_course_run():
    yours = {"train_loss": [0.601, 0.388, 0.342], "val_acc": [0.829, 0.816, 0.860]}
    agreement = run_agreement(yours, COURSE)
    assert agreement.follows and agreement.epochs == 3
    assert agreement.loss_gap == pytest.approx(0.002 / 0.34) and agreement.loss_gap_epoch == 3
    assert agreement.accuracy_gap == pytest.approx(0.006)
    assert agreement.describe("SGD").startswith("Your SGD follows the course's run over epochs 1–3")


def test_another_update_rule_departs_and_the_message_names_the_epoch():
    yours = {"train_loss": [0.60, 0.39 * (1 + 2 * LOSS_TOLERANCE), 0.34], "val_acc": [0.83, 0.80, 0.86]}
    agreement = run_agreement(yours, COURSE)
    assert not agreement.follows and agreement.loss_gap_epoch == 2
    assert "departs from the course's run: in epoch 2 its training loss differs by 10.0 %" in agreement.describe("Adam")


def test_a_diverged_run_departs_with_a_plain_message():
    agreement = run_agreement({"train_loss": [0.6, math.nan], "val_acc": [0.83, 0.1]}, COURSE)
    assert not agreement.follows and math.isinf(agreement.loss_gap)
    assert "its loss is not a finite number" in agreement.describe("Adam")


@pytest.mark.parametrize("finished_epochs", [0, 2])
def test_a_run_train_model_stopped_as_diverged_departs_in_the_epoch_after_its_history(finished_epochs):
    """train_model stops at a loss that is not finite and keeps only the finished epochs: those alone
    would look like a run that follows the course's."""
    yours = {"train_loss": COURSE["train_loss"][:finished_epochs], "val_acc": COURSE["val_acc"][:finished_epochs]}
    agreement = run_agreement(yours, COURSE, diverged=True)
    assert not agreement.follows and agreement.loss_gap_epoch == finished_epochs + 1
    assert f"in epoch {finished_epochs + 1} its loss is not a finite number" in agreement.describe("Adam")


@pytest.mark.parametrize("yours, course, message", [
    ({"train_loss": [], "val_acc": []}, COURSE, "no finished epoch"),
    ({"train_loss": [0.6] * 5, "val_acc": [0.8] * 5}, first_epochs(COURSE, 4), "fewer than the 5")])
def test_runs_that_cannot_be_compared_say_why(yours, course, message):
    with pytest.raises(CourseInputError, match=message):
        run_agreement(yours, course)


def test_only_the_first_epochs_are_compared_where_rounding_alone_stays_within_the_tolerance():
    """YOUR_EPOCHS = 40 must not turn rounding drift late in the run into 'departs'."""
    yours = {"train_loss": COURSE["train_loss"][:5] + [0.28 * 1.2], "val_acc": COURSE["val_acc"]}
    assert run_agreement(yours, COURSE).follows and run_agreement(yours, COURSE).epochs == 5
    late = run_agreement(yours, COURSE, max_epochs=6)
    assert not late.follows and late.loss_gap_epoch == 6


def test_beside_course_runs_pairs_each_finished_run_with_as_many_epochs_of_the_course():
    class Result:
        def __init__(self, history):
            self.history = history

    course = {"SGD": Result(COURSE), "Adam": Result(COURSE)}
    yours = {"SGD": Result(first_epochs(COURSE, 2)), "Adam": Result({"train_loss": [], "val_acc": []})}
    pairs = beside_course_runs(yours, course)
    assert list(pairs) == ["your SGD", "course's SGD"], "a run that diverged in its first epoch has nothing to draw"
    assert pairs["your SGD"] is yours["SGD"] and pairs["course's SGD"] == first_epochs(COURSE, 2)


def test_first_epochs_cuts_every_metric():
    assert first_epochs(COURSE, 2) == {"train_loss": [0.60, 0.39], "val_acc": [0.83, 0.81]}


def test_the_solutions_own_optimizers_follow_the_course_runs_in_the_stored_solution():
    """The stored full-mode solution of 04 trained the solutions' sgd_step and Adam (make solutions runs 01 and
    03 first, which save them); both must follow the course's stored runs."""
    cells = json.loads(SOLUTION_04.read_text(encoding="utf-8"))["cells"]
    printed = "".join(text for cell in cells if cell["cell_type"] == "code" for output in cell.get("outputs", [])
                      for text in output.get("text", ""))
    assert "Your SGD follows the course's run over epochs 1–5" in printed
    assert "Your Adam follows the course's run over epochs 1–5" in printed
