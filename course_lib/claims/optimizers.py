"""Claims of notebook 03 (optimizers): logistic regression on 500 images, the conditioning of its
two-parameter slice, momentum and RMSprop on that slice, the two surfaces, and overparameterization.

The seed replaces what the notebook fixes:
- §2: the 500 images (the notebook draws them with seed 42) and the starting weights;
- §3–§5: the notebook studies one slice (``LogisticSlice.course_default``, images drawn with 42) from
  one start. Its statements about that slice are deterministic (the same value on every seed; the
  statement says "on the notebook's slice"); the claims whose words reach further are measured on the
  slice built from the seed's 500 images instead;
- §7: the start on each surface, moved by up to 0.5 (pathological curvature) or 0.1 (steep optima)
  in each coordinate (seed 0: the notebook's start);
- §8: the initializations.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
import torch.nn.functional as F

from course_lib.claims._core import above, below, between, claim, course_data
from course_lib.config import is_quick
from course_lib.experiments.logistic_slice import (
    COURSE_PIXEL_SCALE,
    LogisticSlice,
    SliceWindow,
    minimize_logistic_loss,
)
from course_lib.experiments.momentum import MomentumExperiment, heavy_ball_paths
from course_lib.experiments.newton import newton_optimum
from course_lib.experiments.overparameterization import PerturbedInits, default_subset
from course_lib.experiments.surfaces import (
    STEEP_OPTIMA_CENTERS,
    SURFACES,
    SurfaceRuns,
    default_optimizers,
    run_trajectory,
)
from course_lib.optimizers import SGD
from course_lib.optimizers import rmsprop_update as reference_rmsprop_update
from course_lib.seeding import seeded

NOTEBOOK = "03_optimizers"
SECTION = "§8 Non-convexity and overparameterization"
LOGISTIC = "§2 A convex problem: logistic regression on 500 images"
CONDITIONING = "§3 Poor conditioning, in two dimensions"
MOMENTUM = "§4 Momentum"
RMSPROP = "§5 RMSprop: a learning rate per parameter"
SURFACE_SECTION = "§7 Surfaces that need momentum, and surfaces that need adaptive steps"
ALWAYS = lambda value: value == 1  # noqa: E731  (a predicate: the measured condition held)


def _images(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """§2's 500 training images, drawn with ``seed``: x (500, 784) float32, y (500,)."""
    data = course_data()
    chosen = torch.randperm(len(data.train_y), generator=torch.Generator().manual_seed(int(seed)))[:500]
    return data.train_x[chosen].flatten(1), data.train_y[chosen]


@claim("03-convexity-midpoint", "For random pairs of parameter vectors the loss at the midpoint is never above the "
       "average of the two losses.", NOTEBOOK, LOGISTIC, "smallest (average − midpoint loss) over 20 random pairs ≥ 0",
       lambda value: value >= 0)
def smallest_convexity_gap(seed: int) -> float:
    x, y = _images(seed)
    generator = torch.Generator().manual_seed(int(seed))
    gaps = []
    for _ in range(20):
        (wa, ba), (wb, bb) = [(0.1 * torch.randn(10, 784, generator=generator), torch.randn(10, generator=generator))
                              for _ in range(2)]
        losses = [F.cross_entropy(x @ w.T + b, y).item() for w, b in ((wa, ba), (wb, bb), ((wa + wb) / 2, (ba + bb) / 2))]
        gaps.append((losses[0] + losses[1]) / 2 - losses[2])
    return float(min(gaps))


@functools.lru_cache(maxsize=8)
def _logistic_gd(seed: int) -> tuple[list[float], list[float]]:
    """(cross-entropy, 0-1 loss) before each of §2's 200 full-batch steps of SGD(lr 0.05) on the seed's images."""
    x, y = _images(seed)
    with seeded(seed):
        model = torch.nn.Linear(784, 10)
    optimizer = SGD(model.parameters(), lr=0.05)
    cross_entropy, zero_one = [], []
    for _ in range(200):
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        cross_entropy.append(loss.item())
        zero_one.append((logits.argmax(dim=1) != y).float().mean().item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return cross_entropy, zero_one


@claim("03-logistic-gd-trains", "200 full-batch gradient steps (lr 0.05) more than halve the cross-entropy and bring "
       "the training error (0-1 loss) below 20 %.", NOTEBOOK, LOGISTIC,
       "final cross-entropy < ½ initial, and final 0-1 loss < 0.2 (value: the final 0-1 loss; NaN if the first fails)",
       below(0.2))
def logistic_final_error(seed: int) -> float:
    cross_entropy, zero_one = _logistic_gd(seed)
    return zero_one[-1] if cross_entropy[-1] < 0.5 * cross_entropy[0] else float("nan")


@functools.lru_cache(maxsize=8)
def _minimizers(seed: int):
    x, y = _images(seed)
    return minimize_logistic_loss(x, y, l2=0.0), minimize_logistic_loss(x, y, l2=1e-3), x.double(), y


@claim("03-500-images-separable", "500 images in 784 dimensions are separated perfectly by a linear classifier.",
       NOTEBOOK, LOGISTIC, "training accuracy of the unregularized L-BFGS fit = 1", ALWAYS)
def separable(seed: int) -> float:
    return float(_minimizers(seed)[0].accuracy == 1.0)


@claim("03-no-finite-minimizer", "Without L2 the loss has no finite minimizer: scaling the separating classifier up "
       "(‖W‖ = 5, 10, 20, 40) keeps lowering the loss, which stays above 0.", NOTEBOOK, LOGISTIC,
       "loss falls at each of the 3 doublings and stays > 0 (value: doublings that lower it; 0 if it reaches 0)",
       lambda value: value == 3)
def scaling_lowers_loss(seed: int) -> float:
    separator, _, x, y = _minimizers(seed)
    weight, bias = separator.weight / separator.weight_norm, separator.bias / separator.weight_norm
    losses = [F.cross_entropy(x @ (norm * weight).T + norm * bias, y).item() for norm in (5, 10, 20, 40)]
    return float(np.sum(np.diff(losses) < 0)) if min(losses) > 0 else 0.0


@claim("03-l2-minimizer", "With λ = 10⁻³ L-BFGS gets close to the minimizer (largest gradient component below 10⁻³) "
       "with weights at least five times smaller than without L2.", NOTEBOOK, LOGISTIC,
       "largest gradient component < 1e-3 and ‖W‖ with L2 < ‖W‖ without / 5 (value: the gradient; NaN if the "
       "second fails)", below(1e-3))
def l2_gradient(seed: int) -> float:
    separator, regularized, _, _ = _minimizers(seed)
    return regularized.gradient_max if regularized.weight_norm < separator.weight_norm / 5 else float("nan")


@functools.lru_cache(maxsize=8)
def _slice(images_seed: int):
    """(problem, optimum, window) of the slice built from the 500 images drawn with ``images_seed`` (42: the notebook's)."""
    problem = LogisticSlice.from_data(course_data(), seed=images_seed, pixel_scale=COURSE_PIXEL_SCALE)
    optimum = newton_optimum(problem)
    return problem, optimum, SliceWindow(optimum.point)


NOTEBOOK_IMAGES = 42


@claim("03-slice-ill-conditioned", "On the notebook's slice the condition number is above 100 (deterministic: the "
       "same on every seed; on slices built from other draws of 500 images it was 42 to 99, seeds 0–4).",
       NOTEBOOK, CONDITIONING, "κ = λ_max/λ_min of the notebook's slice > 100", above(100.0))
def condition_number(seed: int) -> float:
    return float(_slice(NOTEBOOK_IMAGES)[1].condition_number)


def _gd_errors(images_seed: int) -> np.ndarray:
    """|parameter − optimum| for GD with lr 0.1, 0.3, 1, 2 over 201 steps: (4, 201, 2)."""
    problem, optimum, window = _slice(images_seed)
    paths = heavy_ball_paths(problem, [0.1, 0.3, 1.0, 2.0], 0.0, window.start, num_steps=201)
    return np.abs(paths[:, :, :2] - list(optimum.point))


@claim("03-gd-follows-valley-floor", "On the notebook's slice, once in the valley the weight follows its floor: over "
       "the last 20 steps its error stays 10⁻³ times the bias error (deterministic).", NOTEBOOK, CONDITIONING,
       "weight error / bias error over the last 20 steps within (3e-4, 3e-3) for lr 0.3, 1, 2 (value: the "
       "largest)", between(3e-4, 3e-3))
def valley_floor_ratio(seed: int) -> float:
    errors = _gd_errors(NOTEBOOK_IMAGES)
    ratio = errors[1:, -20:, 0] / errors[1:, -20:, 1]
    return float(ratio.max()) if ratio.min() > 3e-4 else float("nan")


@claim("03-gd-bias-crawls", "On the notebook's slice, GD with lr 1 shrinks the bias error by less than 2 % per step "
       "(deterministic).", NOTEBOOK, CONDITIONING, "bias error ratio of the last step within (0.98, 1)",
       between(0.98, 1.0))
def bias_shrink(seed: int) -> float:
    errors = _gd_errors(NOTEBOOK_IMAGES)
    return float(errors[2, -1, 1] / errors[2, -2, 1])


@claim("03-gd-never-close", "On the notebook's slice no learning rate (0.1, 0.3, 1, 2) gets GD within 10⁻² of the "
       "optimum in 200 steps (deterministic).", NOTEBOOK, CONDITIONING,
       "best final distance of the four > 1e-2", above(1e-2))
def gd_best_distance(seed: int) -> float:
    return float(_gd_errors(NOTEBOOK_IMAGES)[:, -1].max(axis=1).min())


def _grid_best(images_seed: int) -> tuple[float, float]:
    """(best GD, best momentum) final distance after 200 steps over §4's grid of 21 lrs × 20 βs."""
    problem, optimum, window = _slice(images_seed)
    lrs, betas = np.meshgrid(np.logspace(-1, 1, 21), np.round(np.arange(0.0, 0.96, 0.05), 2), indexing="ij")
    final = heavy_ball_paths(problem, lrs.ravel(), betas.ravel(), window.start, num_steps=201)[:, -1, :2]
    distance = np.abs(final - list(optimum.point)).max(axis=1).reshape(lrs.shape)
    return float(np.nanmin(distance[:, 0])), float(np.nanmin(distance[:, 1:]))


@claim("03-momentum-tuned-within-1e-6", "On the notebook's slice momentum with lr 2.5 and β 0.75 gets within 10⁻⁶ of "
       "the optimum within 200 steps, GD with the same lr does not (deterministic).", NOTEBOOK, MOMENTUM,
       "momentum reaches 1e-6 within 200 steps and GD does not (value: momentum's step; NaN otherwise)",
       below(201))
def tuned_momentum_steps(seed: int) -> float:
    experiment = MomentumExperiment(_slice(NOTEBOOK_IMAGES)[0])
    gd_steps, momentum_steps = experiment.steps_to_tolerance(2.5, 0.75, 1e-6, num_steps=201)
    return float(momentum_steps) if momentum_steps is not None and gd_steps is None else float("nan")


@claim("03-momentum-grid-beats-gd", "On the notebook's slice, over the grid, the best GD stays more than 10⁻² away "
       "after 200 steps while the best momentum gets within 10⁻⁶ (deterministic).", NOTEBOOK, MOMENTUM,
       "best GD distance > 1e-2 and best momentum distance < 1e-6 (value: best GD distance; NaN if momentum "
       "misses)", above(1e-2))
def grid_best_gd(seed: int) -> float:
    best_gd, best_momentum = _grid_best(NOTEBOOK_IMAGES)
    return best_gd if best_momentum < 1e-6 else float("nan")


@claim("03-momentum-beats-gd-other-slices", "On slices built from other draws of 500 images the best momentum still "
       "ends at least 10⁴ times closer to the optimum than the best GD, though there the best GD can get closer than "
       "10⁻² (3·10⁻⁴ to 6·10⁻² over seeds 0–4).", NOTEBOOK, MOMENTUM,
       "best momentum distance / best GD distance over the grid < 1e-4, on the seed's slice", below(1e-4))
def momentum_advantage_elsewhere(seed: int) -> float:
    best_gd, best_momentum = _grid_best(seed)
    return best_momentum / best_gd


@functools.lru_cache(maxsize=2)
def _rmsprop_distances() -> tuple[np.ndarray, np.ndarray]:
    """(path (101, 2), |path − optimum| (101, 2)) of §5's RMSprop (lr 0.1, α 0.9) on the notebook's slice."""
    problem, optimum, window = _slice(NOTEBOOK_IMAGES)
    w = torch.tensor(window.start[0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor(window.start[1], dtype=torch.float64, requires_grad=True)
    squares = [torch.zeros_like(w), torch.zeros_like(b)]
    path = []
    for _ in range(101):
        path.append((w.item(), b.item()))
        reference_rmsprop_update(problem.loss(w, b), [w, b], squares, lr=0.1, alpha=0.9)
    path = np.array(path)
    return path, np.abs(path - list(optimum.point))


@claim("03-rmsprop-first-step", "RMSprop's first step moves both parameters by η/√(1 − α) ≈ 0.316, whatever their "
       "gradients (deterministic).", NOTEBOOK, RMSPROP, "|first step| / (η/√(1−α)) within (0.999, 1.001) for both "
       "parameters (value: the one farthest from 1)", between(0.999, 1.001))
def rmsprop_first_step(seed: int) -> float:
    path, _ = _rmsprop_distances()
    ratios = np.abs(path[1] - path[0]) / (0.1 / math.sqrt(1 - 0.9))
    return float(ratios[np.argmax(np.abs(ratios - 1))])


@claim("03-rmsprop-drifts-away", "On the notebook's slice RMSprop gets within 10⁻⁶ and then drifts away again, more "
       "than 100 times farther than its closest approach by step 100 (deterministic).", NOTEBOOK, RMSPROP,
       "distance at step 100 < 1e-6 and > 100 × closest approach (value: their ratio; NaN if above 1e-6)",
       above(100.0))
def rmsprop_drift(seed: int) -> float:
    _, distances = _rmsprop_distances()
    final, closest = distances[-1].max(), distances.max(axis=1).min()
    return float(final / closest) if final < 1e-6 else float("nan")


def _surface_paths(surface_name: str, seed: int, jitter: float) -> dict[str, np.ndarray]:
    """{optimizer: (100, 3)} from the surface's start moved by U(−jitter, jitter)² (seed 0: the notebook's start)."""
    surface = SURFACES[surface_name]
    offset = np.random.default_rng(seed).uniform(-jitter, jitter, 2) if seed else np.zeros(2)
    start = tuple(float(v) for v in np.asarray(surface.init, dtype=float) + offset)
    lrs = SurfaceRuns().default_lrs(surface_name)
    return {name: run_trajectory(lambda params, make=make, lr=lrs[name]: make(params, lr), surface.loss_fn,
                                 init=start, num_steps=100)
            for name, make in default_optimizers().items()}


RAVINE = "pathological curvature"


@claim("03-ravine-sgd-thrown-out", "In the ravine SGD descends along w2 (below −5 in 100 steps), but its w1 keeps "
       "being thrown out of the ravine and it ends on the flat part of tanh² (loss near 1).", NOTEBOOK,
       SURFACE_SECTION, "final w2 < −5, at least 2 throws from |w1| < 1.5 to |w1| > 3, final tanh(w1)² > 0.9 "
       "(value: the number of throws; NaN if another part fails)", lambda value: value >= 2)
def sgd_throws(seed: int) -> float:
    path = _surface_paths(RAVINE, seed, 0.5)["SGD"]
    w1 = path[:, 0]
    throws = np.flatnonzero((np.abs(w1[:-1]) < 1.5) & (np.abs(w1[1:]) > 3))
    return float(len(throws)) if path[-1, 1] < -5 and np.tanh(w1[-1]) ** 2 > 0.9 else float("nan")


@claim("03-ravine-adam-settles", "In the ravine Adam settles at w1 = 0 (|w1| < 0.1 over the last 20 of 100 steps, "
       "loss below 0.01) and gets more than 5 further along w2 than SGD.", NOTEBOOK, SURFACE_SECTION,
       "both parts hold (value: Adam's largest |w1| over the last 20 steps; NaN otherwise)", below(0.1))
def adam_in_ravine(seed: int) -> float:
    paths = _surface_paths(RAVINE, seed, 0.5)
    adam = paths["Adam"]
    further = adam[-1, 1] < paths["SGD"][-1, 1] - 5 and adam[-1, 2] < 0.01
    return float(np.abs(adam[-20:, 0]).max()) if further else float("nan")


@claim("03-ravine-momentum-settles-from-notebook-start", "From the notebook's start (5, 5) momentum settles at w1 = 0 "
       "within 100 steps; from starts moved by up to 0.5 it was still swinging across the ravine (|w1| up to 1) on 2 "
       "of seeds 1–4, though always more than 5 further along w2 than SGD.", NOTEBOOK, SURFACE_SECTION,
       "more than 5 further along w2 than SGD (value: momentum's largest |w1| over the last 20 steps, < 0.1 on "
       "seed 0; NaN if not further)", lambda value: bool(value == value))
def momentum_in_ravine(seed: int) -> float:
    paths = _surface_paths(RAVINE, seed, 0.5)
    momentum = paths["Momentum"]
    return float(np.abs(momentum[-20:, 0]).max()) if momentum[-1, 1] < paths["SGD"][-1, 1] - 5 else float("nan")


def _steep_distances(seed: int) -> dict[str, float]:
    return {name: min(math.dist(path[-1, :2], center) for center in STEEP_OPTIMA_CENTERS)
            for name, path in _surface_paths("steep optima", seed, 0.1).items()}


@claim("03-steep-adam-finds-a-well", "On the flat plain with steep wells Adam ends inside a well (within 0.05 of its "
       "centre) after 100 steps.", NOTEBOOK, SURFACE_SECTION, "Adam's distance to the nearest well < 0.05",
       below(0.05))
def adam_well_distance(seed: int) -> float:
    return _steep_distances(seed)["Adam"]


@claim("03-steep-sgd-momentum-miss", "On the flat plain SGD and momentum are not in a well after 100 steps (more than "
       "0.3 from the nearest centre).", NOTEBOOK, SURFACE_SECTION,
       "min(SGD, momentum) distance to the nearest well > 0.3", above(0.3))
def sgd_momentum_well_distance(seed: int) -> float:
    distances = _steep_distances(seed)
    return min(distances["SGD"], distances["Momentum"])


@functools.lru_cache(maxsize=8)
def _final_losses(seed: int, quick: bool) -> dict[tuple, object]:
    """{hidden sizes: (inits,) final training losses} for (10,) and (100, 100), as the notebook's comparison."""
    experiment = PerturbedInits(*default_subset(), seed=seed)
    steps, inits = (60, 5) if quick else (150, 7)
    return {hidden: experiment.loss_curves(hidden, 0.05, steps, inits)[:, -1] for hidden in [(10,), (100, 100)]}


@claim("03-wide-net-consistent", "Wider (and deeper) networks train more consistently across initializations: "
       "the spread of the final loss of the small network is more than 3 times the wide one's.", NOTEBOOK, SECTION,
       "std of final loss (10,) / std (100, 100) > 3", above(3.0))
def spread_ratio(seed: int) -> float:
    finals = _final_losses(seed, is_quick())
    return float(finals[(10,)].std() / finals[(100, 100)].std())


@claim("03-wide-net-lower", "Wider (and deeper) networks train faster: the wide network ends at a lower loss.",
       NOTEBOOK, SECTION, "mean final loss (10,) − mean final loss (100, 100) > 0", above(0.0))
def wide_lower(seed: int) -> float:
    finals = _final_losses(seed, is_quick())
    return float(finals[(10,)].mean() - finals[(100, 100)].mean())
