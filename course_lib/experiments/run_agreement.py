"""How closely a run of the student's optimizer follows the course's run of the same recipe.

Notebook 04 trains the student's SGD and Adam for the first epochs of a run the course ships in full
(``course_lib/results/``): the same initial weights, the same minibatches in the same order
(``train_model`` seeds its shuffles), the same learning rate. Only the update's code differs. Two
correct codes of one formula still round differently (``p -= lr * g`` and ``p.add_(g, alpha=-lr)``
differ in the last bit now and then) and training amplifies such differences, so the runs are compared
with a tolerance, on the quantity that moves least from epoch to epoch: the mean training loss of each
epoch, L_e (yours) against C_e (the course's), relative gap max_e |L_e − C_e| / C_e.

Measured on the course's 2-core machine (2026-12-07), notebook 04's network and seed: the solutions'
own ``sgd_step`` and ``Adam`` (the course's formulas, their operations in another order) stayed within
1.3 % and 0.7 % of the course's training loss over 5 epochs in one re-run and 0.6 % and 0.6 % in
another (0.2 % and 0.8 % over 4), while their validation accuracy, which jumps more, differed by up to
1.1 points. ``LOSS_TOLERANCE`` leaves room above that.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from course_lib.errors import CourseInputError

LOSS_TOLERANCE = 0.05


@dataclass(frozen=True)
class RunAgreement:
    """``epochs`` compared; ``loss_gap``: the largest relative gap of the per-epoch training loss, at
    ``loss_gap_epoch`` (from 1; inf when your loss is not finite); ``accuracy_gap``: the largest
    absolute gap of the validation accuracy (a fraction, 0.011 = 1.1 points); ``follows``:
    ``loss_gap <= LOSS_TOLERANCE``."""

    epochs: int
    loss_gap: float
    loss_gap_epoch: int
    accuracy_gap: float
    follows: bool

    def describe(self, label: str) -> str:
        """One line for the notebook on ``label``'s run (e.g. "SGD")."""
        span = f"epoch{'s 1–' + str(self.epochs) if self.epochs > 1 else ' 1'}"
        if self.follows:
            return (f"Your {label} follows the course's run over {span}: training loss within "
                    f"{100 * self.loss_gap:.1f} % in every epoch, validation accuracy within "
                    f"{100 * self.accuracy_gap:.1f} points (the course's re-runs of the same formulas, their "
                    "operations in another order, differed by up to 1.3 % in loss and 1.1 points in accuracy).")
        gap = "its loss is not a finite number" if math.isinf(self.loss_gap) else (
            f"its training loss differs by {100 * self.loss_gap:.1f} % (rounding alone stays within "
            f"{100 * LOSS_TOLERANCE:.0f} %)")
        return (f"Your {label} departs from the course's run: in epoch {self.loss_gap_epoch} {gap}. It passed its "
                "check, yet its update is not the course's formula: compare it with the formula in the notebook "
                "that defines it, fix it there and run its check again (that saves the new version), then run "
                "this cell again. The second figure below shows the course's runs, not yours.")


COMPARED_EPOCHS = 5


def run_agreement(yours: Mapping[str, Sequence[float]], course: Mapping[str, Sequence[float]],
                  diverged: bool = False, max_epochs: int = COMPARED_EPOCHS) -> RunAgreement:
    """Compare the histories (``TrainResult.history``: "train_loss" and "val_acc", one value per epoch) of
    your run and the course's over the first ``max_epochs`` epochs yours has (over more, training amplifies
    rounding past ``LOSS_TOLERANCE``); the course's run may be longer. ``diverged`` (``TrainResult.diverged``):
    your run stopped at a loss that was not finite, in the epoch after its history ends; it departs there,
    however closely its finished epochs followed."""
    if not diverged:
        yours = first_epochs(yours, max_epochs)
    epochs = len(yours.get("train_loss", []))
    if diverged:
        return RunAgreement(epochs, math.inf, epochs + 1, math.nan, False)
    if epochs == 0:
        raise CourseInputError("your run has no finished epoch to compare")
    if len(course.get("train_loss", [])) < epochs:
        raise CourseInputError(f"the course's run has {len(course.get('train_loss', []))} epochs, "
                               f"fewer than the {epochs} of yours")
    loss_gaps = [abs(mine - theirs) / theirs if math.isfinite(mine) else math.inf
                 for mine, theirs in zip(yours["train_loss"], course["train_loss"][:epochs], strict=True)]
    worst = max(range(epochs), key=lambda epoch: loss_gaps[epoch])
    accuracy_gap = max(abs(mine - theirs) for mine, theirs
                       in zip(yours["val_acc"], course["val_acc"][:epochs], strict=False)) if yours.get("val_acc") else math.nan
    return RunAgreement(epochs, loss_gaps[worst], worst + 1, accuracy_gap, loss_gaps[worst] <= LOSS_TOLERANCE)


def first_epochs(history: Mapping[str, Sequence[float]], epochs: int) -> dict[str, list[float]]:
    """The first ``epochs`` values of every metric of ``history``, to draw beside a shorter run."""
    return {key: list(values)[:epochs] for key, values in history.items()}


def beside_course_runs(yours: Mapping, course: Mapping) -> dict:
    """``{"your L": your result, "course's L": the course's history cut to as many epochs}`` for each label L
    of ``yours`` (TrainResults keyed by label, e.g. "SGD") whose run finished an epoch, in that order: the
    curves ``plot_training_curves`` draws to show your runs on top of the course's."""
    pairs = {}
    for label, result in yours.items():
        epochs = len(result.history["train_loss"])
        if epochs:
            pairs[f"your {label}"] = result
            pairs[f"course's {label}"] = first_epochs(course[label].history, epochs)
    return pairs
