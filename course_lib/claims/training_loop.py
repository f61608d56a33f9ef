"""Claims of notebook 01 (the training loop): minibatch noise, GD against SGD, loaders, weight decay.

Each seed replaces the notebook's seeds (42 for the probe network and the weight-decay runs, 1 for
the GD/SGD network, the notebook's generator for the shuffles) by the claim's seed.
"""

from __future__ import annotations

import copy
import functools
import time

import numpy as np
import torch
import torch.nn.functional as F

from course_lib.claims._core import above, below, between, claim, course_data
from course_lib.config import is_quick, quick_or_full
from course_lib.data import InMemoryLoader, sample_minibatch, torchvision_loaders
from course_lib.experiments.minibatch import minibatch_gradient_noise
from course_lib.experiments.regularization import proximal_path, subgradient_path
from course_lib.experiments.weight_decay import WeightDecayExperiment
from course_lib.models import MLP
from course_lib.optimizers import sgd_step
from course_lib.seeding import seeded

NOTEBOOK = "01_training_loop"
BATCH_SIZES = (16, 64, 256, 1024)


@claim("01-gradient-noise-slope", "The measured points fall on a line of slope about −1: four times the batch, "
       "a quarter of the squared error (half the typical error).", NOTEBOOK, "§4 Minibatches",
       "−1.3 < slope < −0.7", between(-1.3, -0.7))
def gradient_noise_slope(seed: int) -> float:
    """Slope of log ‖g_B − ∇J‖² against log B for a seeded 784-100-10 MLP on 10,000 images."""
    data = course_data()
    with seeded(seed):
        probe = MLP(hidden_sizes=(100,))
    noise = minibatch_gradient_noise(probe, data.train_x[:10_000], data.train_y[:10_000], sample_minibatch,
                                     BATCH_SIZES, draws=quick_or_full(20, 100), seed=seed)
    return float(np.polyfit(np.log(BATCH_SIZES), np.log(noise), 1)[0])


@functools.lru_cache(maxsize=8)
def _gd_and_sgd_losses(seed: int, quick: bool) -> tuple[float, float]:
    """Final training loss of full-batch GD and of minibatch SGD (batch 100, lr 0.1), same start and epochs."""
    data = course_data()
    n_train, epochs = (2_000, 3) if quick else (50_000, 5)
    x, y = data.train_x[:n_train], data.train_y[:n_train]
    with seeded(seed):
        start = MLP(hidden_sizes=(64,))

    def loss_of(model) -> float:
        with torch.no_grad():
            return F.cross_entropy(model(x), y).item()

    gd = copy.deepcopy(start)
    for _ in range(epochs):
        F.cross_entropy(gd(x), y).backward()
        sgd_step(gd.parameters(), lr=0.1)
    sgd = copy.deepcopy(start)
    loader = InMemoryLoader(x, y, batch_size=100, shuffle=True, generator=torch.Generator().manual_seed(seed))
    for _ in range(epochs):
        for images, labels in loader:
            F.cross_entropy(sgd(images), labels).backward()
            sgd_step(sgd.parameters(), lr=0.1)
    return loss_of(gd), loss_of(sgd)


@claim("01-sgd-beats-gd-per-epoch", "For the same number of passes over the data, SGD's loss is far lower.",
       NOTEBOOK, "§4 Epochs, iterations, shuffling", "GD loss / SGD loss > 1 (value: the ratio)", above(1.0))
def sgd_beats_gd(seed: int) -> float:
    """Training loss of full-batch GD divided by that of minibatch SGD after the same epochs."""
    gd_loss, sgd_loss = _gd_and_sgd_losses(seed, is_quick())
    return gd_loss / sgd_loss


@claim("01-in-memory-loader-faster", "The in-memory loader is tens of times faster (than the DataLoader with "
       "per-image transforms): roughly 40 to 160 times in the course's measurements on two 2-core machines.", NOTEBOOK, "§5 Feeding minibatches",
       "DataLoader time / InMemoryLoader time > 30", above(30.0), tested=False)
def in_memory_speedup(seed: int) -> float:
    """Time of 10 (quick) or 50 batches of 256 from torchvision's DataLoader over that of InMemoryLoader."""
    data = course_data()
    n_batches = quick_or_full(10, 50)

    def seconds(batches) -> float:
        start = time.perf_counter()
        for index, _ in enumerate(batches):
            if index + 1 == n_batches:
                break
        return time.perf_counter() - start

    with seeded(seed):
        dataloader, _, _ = torchvision_loaders(batch_size=256)
        slow = seconds(dataloader)
    fast = seconds(InMemoryLoader(data.train_x, data.train_y, batch_size=256,
                                  generator=torch.Generator().manual_seed(seed)))
    return slow / fast


@functools.lru_cache(maxsize=8)
def _weight_decay_runs(seed: int, quick: bool):
    """The notebook's two runs, λ = 0 and λ = 0.01, from the seed's initial weights and minibatch order."""
    experiment = WeightDecayExperiment(course_data(), seed=seed)
    return experiment.run(0.0), experiment.run(1e-2)


def _weight_decay_claim(id: str, statement: str, rule: str, holds, tested: bool = False):
    return claim(id, statement, NOTEBOOK, "§8 Overfitting and regularization", rule, holds, tested=tested)


@_weight_decay_claim("01-no-decay-overfits", "Without regularization the network overfits: training accuracy "
                     "far above validation accuracy.", "train acc − val acc > 0.1 (λ = 0)", above(0.1))
def no_decay_gap(seed: int) -> float:
    without, _ = _weight_decay_runs(seed, is_quick())
    return float(without.train_acc[-1] - without.val_acc[-1])


@_weight_decay_claim("01-no-decay-val-loss-climbs", "Without regularization the validation loss, after an early "
                     "minimum, climbs again.", "final val loss − lowest val loss > 0.05 (λ = 0)", above(0.05))
def no_decay_val_loss_climb(seed: int) -> float:
    without, _ = _weight_decay_runs(seed, is_quick())
    return float(without.val_loss[-1] - without.val_loss.min())


@_weight_decay_claim("01-decay-shrinks-weights", "With weight decay the weights shrink instead of growing.",
                     "‖W‖ with decay / ‖W‖ without < 1", below(1.0))
def decay_weight_norm_ratio(seed: int) -> float:
    without, with_decay = _weight_decay_runs(seed, is_quick())
    return float(with_decay.weight_norm[-1] / without.weight_norm[-1])


@_weight_decay_claim("01-decay-training-loss-higher", "With weight decay the training loss stays higher.",
                     "final training loss with − without decay > 0", above(0.0))
def decay_training_loss_difference(seed: int) -> float:
    without, with_decay = _weight_decay_runs(seed, is_quick())
    return float(with_decay.train_loss[-1] - without.train_loss[-1])


@_weight_decay_claim("01-decay-lowers-val-loss", "With weight decay the validation loss climbs less and ends lower.",
                     "final val loss without − with decay > 0", above(0.0))
def decay_val_loss_gain(seed: int) -> float:
    without, with_decay = _weight_decay_runs(seed, is_quick())
    return float(without.val_loss[-1] - with_decay.val_loss[-1])


@_weight_decay_claim("01-decay-climbs-less", "With weight decay the validation loss climbs less (above its own "
                     "minimum).", "climb without − climb with decay > 0", above(0.0))
def decay_climb_difference(seed: int) -> float:
    without, with_decay = _weight_decay_runs(seed, is_quick())
    return float((without.val_loss[-1] - without.val_loss.min()) - (with_decay.val_loss[-1] - with_decay.val_loss.min()))


@_weight_decay_claim("01-decay-narrows-gap", "With weight decay the gap between training and validation accuracy "
                     "narrows a little in quick mode, by 0.1 to 0.8 points over seeds 0–4 (in full mode it hardly "
                     "moves: narrower on 3 of the 5 seeds, by under half a point).", "gap without − gap with decay > 0", above(0.0))
def decay_gap_difference(seed: int) -> float:
    without, with_decay = _weight_decay_runs(seed, is_quick())
    return float(without.generalization_gap - with_decay.generalization_gap)


@_weight_decay_claim("01-decay-accuracy-barely-changes", "The validation accuracy barely changes here (it can even "
                     "drop a little).", "|val acc with − without decay| < 0.05", below(0.05))
def decay_accuracy_change(seed: int) -> float:
    without, with_decay = _weight_decay_runs(seed, is_quick())
    return float(abs(with_decay.val_acc[-1] - without.val_acc[-1]))


@_weight_decay_claim("01-decay-val-acc-above-70", "With weight decay the network still reaches above 70 % validation "
                     "accuracy on 500 (1000) training images.", "val acc with decay > 0.7", above(0.7))
def decay_val_accuracy(seed: int) -> float:
    _, with_decay = _weight_decay_runs(seed, is_quick())
    return float(with_decay.val_acc[-1])


@claim("01-global-standardization-leaves-pixels-apart", "One global mean and std do not standardize each pixel: "
       "per-pixel means run from below −0.5 to above +0.5 and per-pixel stds differ by more than a factor 100.",
       NOTEBOOK, "§1 The data, and why we standardize it", "min mean < −0.5, max mean > 0.5, max std / min std > 100 (value: "
       "the std ratio, capped at 10⁶ where a pixel is constant over the half; NaN if the means do not span; seed s: a "
       "random half of the training images)", above(100.0))
def pixel_std_ratio(seed: int) -> float:
    data = course_data()
    half = torch.randperm(len(data.train_y), generator=torch.Generator().manual_seed(int(seed)))[:len(data.train_y) // 2]
    pixels = data.train_x[half].flatten(1)
    means, stds = pixels.mean(dim=0), pixels.std(dim=0, correction=0)
    spans = means.min() < -0.5 and means.max() > 0.5
    return float(min(stds.max() / stds.min(), 1e6)) if spans else float("nan")


L1 = dict(target=0.1, lam=0.5, lr=0.05, steps=200)


def _l1_start(seed: int) -> float:
    """The notebook's start 1.0 for seed 0, else a start drawn from ±U(0.2, 3)."""
    if seed == 0:
        return 1.0
    rng = np.random.default_rng(seed)
    return float(rng.choice([-1.0, 1.0]) * rng.uniform(0.2, 3.0))


@claim("01-l1-sgd-hovers", "With an L1 term plain SGD never lands on the minimizer 0: it keeps jumping across 0 by "
       "about ηλ.", NOTEBOOK, "§8 Overfitting and regularization", "no exact 0 in the last 100 of 200 steps, and "
       "max |w| there ≤ 1.2·ηλ (value: max |w| / ηλ; NaN if some step is exactly 0)",
       lambda value: bool(0.0 < value <= 1.2 + 1e-9))
def l1_sgd_hover(seed: int) -> float:
    tail = subgradient_path(start=_l1_start(seed), **L1)[-100:]
    return float(np.abs(tail).max() / (L1["lr"] * L1["lam"])) if (tail != 0).all() else float("nan")


@claim("01-l1-proximal-exact-zero", "A proximal step lands on 0 exactly and stays there.", NOTEBOOK,
       "§8 Overfitting and regularization", "w exactly 0 over the last 100 of 200 steps (value: the first step "
       "from which it is 0)", below(100.0))
def l1_proximal_zero(seed: int) -> float:
    path = proximal_path(start=_l1_start(seed), **L1)
    nonzero = np.flatnonzero(path != 0)
    return float(nonzero[-1] + 1) if nonzero.size else 0.0
