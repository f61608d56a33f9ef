"""Claims of notebook 02 (initialization): saturation, vanishing and exploding, Xavier, Kaiming, Leaky-ReLU.

Every measurement is the notebook's: one forward and one backward pass of the 784-512-256-256-128-10
MLP on its fixed batch of training images, with the weights drawn from the claim's seed instead of
the notebook's 42. Nothing is trained.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
from torch import nn

from course_lib.claims._core import above, below, between, claim, course_data
from course_lib.config import is_quick
from course_lib.experiments.symmetry import constant_init_symmetry
from course_lib.init import init_constant, init_equal_variance, init_kaiming, init_normal, init_xavier
from course_lib.models import MLP
from course_lib.plotting import (
    collect_activations,
    collect_gradients,
    collect_input_gradients,
    collect_weights,
    layer_variances,
)
from course_lib.seeding import seeded

NOTEBOOK = "02_initialization"
FAN_OUT = (512, 256, 256, 128, 10)
LEAKY_SLOPE = 0.5


def _normal_weights_and_biases(model, std=0.01):
    """N(0, std²) for every weight and bias (the UvA tutorial's variant; biases drawn after the weights)."""
    init_normal(model, std=std)
    for layer in model.linear_layers():
        nn.init.normal_(layer.bias, 0.0, std)
    return model


INITS = {
    "normal 0.01": lambda model: init_normal(model, std=0.01),
    "normal 0.01 with biases": _normal_weights_and_biases,
    "normal 0.1": lambda model: init_normal(model, std=0.1),
    "normal 0.05": lambda model: init_normal(model, std=0.05),
    "normal 0.3": lambda model: init_normal(model, std=0.3),
    "equal variance": init_equal_variance,
    "xavier": init_xavier,
    "kaiming": init_kaiming,
    "kaiming leaky-corrected": lambda model: init_kaiming(model, gain_squared=2 / (1 + LEAKY_SLOPE**2)),
}


def _batch(quick: bool):
    data = course_data()
    size = 512 if quick else 1024
    return data.train_x[:size], data.train_y[:size]


def _model(activation: str, init: str, seed: int) -> MLP:
    with seeded(seed):
        if activation == "leaky":
            model = MLP(activation="identity")
            for index in range(1, len(model.layers), 2):
                model.layers[index] = nn.LeakyReLU(LEAKY_SLOPE)
        else:
            model = MLP(activation=activation)
        return INITS[init](model)


@functools.lru_cache(maxsize=64)
def layer_stats(activation: str, init: str, seed: int, quick: bool) -> dict[str, list[float]]:
    """{kind: [Var per Linear layer 1..5]} for kind in weights, activations, gradients, input gradients."""
    model = _model(activation, init, seed)
    x, y = _batch(quick)
    collected = {"weights": collect_weights(model), "activations": collect_activations(model, x),
                 "gradients": collect_gradients(model, x, y), "input gradients": collect_input_gradients(model, x, y)}
    return {kind: list(layer_variances(values).values()) for kind, values in collected.items()}


def _stats(activation: str, init: str, seed: int) -> dict[str, list[float]]:
    return layer_stats(activation, init, seed, is_quick())


def forward_ratio(stats) -> float:
    """Var(output of Linear 4) / Var(output of Linear 1)."""
    return stats["activations"][3] / stats["activations"][0]


def measured_backward(stats) -> float:
    """Var(∂ℓ/∂h) at Linear 2's input / at Linear 5's input."""
    return stats["input gradients"][1] / stats["input gradients"][4]


def predicted_backward(stats, derivative_factor: float = 1.0) -> float:
    """Π over Linear 2, 3, 4 of d_y·Var(W)·c (c = 1 linear, ½ ReLU)."""
    return math.prod(FAN_OUT[k] * stats["weights"][k] * derivative_factor for k in (1, 2, 3))


def backward_summed(stats) -> float:
    """The backward ratio summed over units: d·Var(∂ℓ/∂h) at Linear 2's input (512) over Linear 5's (128)."""
    return measured_backward(stats) * FAN_OUT[0] / FAN_OUT[3]


def _farthest_from_one(values) -> float:
    """The value whose log is farthest from 0: the worst departure from 'steady'."""
    return float(max(values, key=lambda v: abs(math.log(v))))


def _tanh_first_layer(init: str, seed: int) -> np.ndarray:
    model = _model("tanh", init, seed)
    x, _ = _batch(is_quick())
    return next(iter(collect_activations(model, x).values()))


def _claim(id, statement, section, rule, holds, mode="quick"):
    return claim(id, statement, NOTEBOOK, section, rule, holds, mode=mode)


@_claim("02-tanh-std0.3-saturates", "With std 0.3 most first-layer units are saturated.", "§4 Large weights",
        "fraction of |tanh(z)| > 0.99 in Linear 1 > 0.5", above(0.5))
def tanh_saturated_fraction(seed: int) -> float:
    return float(np.mean(np.abs(np.tanh(_tanh_first_layer("normal 0.3", seed))) > 0.99))


@_claim("02-tanh-std0.3-derivative", "With std 0.3 the average tanh derivative of the first layer is below 0.2.",
        "§4 Large weights", "mean tanh′ in Linear 1 < 0.2", below(0.2))
def tanh_mean_derivative(seed: int) -> float:
    return float(np.mean(1 - np.tanh(_tanh_first_layer("normal 0.3", seed)) ** 2))


@_claim("02-tanh-larger-weights-smaller-derivative", "Larger weights mean smaller tanh derivatives (std 0.01, "
        "0.05, 0.1, 0.3).", "§4 Large weights", "mean tanh′ of Linear 1 falls at each of the 3 steps "
        "(value: steps that fall)", lambda value: value == 3)
def tanh_derivative_falls(seed: int) -> float:
    means = [np.mean(1 - np.tanh(_tanh_first_layer(init, seed)) ** 2)
             for init in ("normal 0.01", "normal 0.05", "normal 0.1", "normal 0.3")]
    return float(np.sum(np.diff(means) < 0))


@_claim("02-std0.01-vanishes", "With std 0.01 the signal vanishes, forward and backward.", "§5 / §9",
        "max(forward ratio, summed backward ratio) < 1e-3", below(1e-3))
def small_std_vanishes(seed: int) -> float:
    stats = _stats("identity", "normal 0.01", seed)
    return float(max(forward_ratio(stats), backward_summed(stats)))


@_claim("02-bias-floor", "With N(0, 0.01²) biases the activations stop shrinking at a floor of the order of 10⁻⁴ "
        "(3·10⁻⁵ to 1.5·10⁻⁴ over seeds 0–4), set by the biases' variance 10⁻⁴.", "§5 / §9",
        "1e-5 < Var(Linear 5 output) < 1e-3", between(1e-5, 1e-3))
def bias_floor(seed: int) -> float:
    return float(_stats("identity", "normal 0.01 with biases", seed)["activations"][-1])


@_claim("02-std0.1-explodes", "With std 0.1 the variance explodes, into the hundreds by the last layer.",
        "§5 / §9", "Var(Linear 5 output) > 100 (and forward ratio > 10)", above(100.0))
def large_std_explodes(seed: int) -> float:
    stats = _stats("identity", "normal 0.1", seed)
    return float(stats["activations"][-1]) if forward_ratio(stats) > 10 else float("nan")


@_claim("02-std0.1-backward-grows", "With std 0.1 the gradient grows on its way back.", "§7 / §9",
        "summed backward ratio > 10", above(10.0))
def large_std_backward(seed: int) -> float:
    return float(backward_summed(_stats("identity", "normal 0.1", seed)))


@_claim("02-equal-variance-steady", "With Var(w) = 1/d_x every hidden layer keeps the variance close to 1.",
        "§6 Equal variance", "hidden-layer variance farthest from 1 within (0.8, 1.25)", between(0.8, 1.25))
def equal_variance_steady(seed: int) -> float:
    return _farthest_from_one(_stats("identity", "equal variance", seed)["activations"][:4])


@_claim("02-output-layer-scatters-most", "Over ten draws of the weights the median variance is close to 1 in every "
        "layer (hidden layers 0.94 to 1.00, Linear 5 0.83 to 1.00 over five groups of ten seeds), and Linear 5 "
        "scatters the most, 1.2 to 3.0 times as widely as the widest hidden layer.", "§6 Equal variance",
        "range of Var(Linear 5) / largest range of a hidden layer > 1, with the hidden medians within (0.85, 1.15) "
        "and Linear 5's within (0.75, 1.25) (value: the ratio; seed s draws the ten seeds 10s … 10s + 9)",
        above(1.0))
def output_layer_scatter(seed: int) -> float:
    x, _ = _batch(is_quick())
    runs = np.array([list(layer_variances(collect_activations(_model("identity", "equal variance", 10 * seed + k),
                                                               x)).values()) for k in range(10)])
    medians = np.median(runs, axis=0)
    if not (np.all((medians[:4] > 0.85) & (medians[:4] < 1.15)) and 0.75 < medians[4] < 1.25):
        return float("nan")
    return float(np.ptp(runs[:, 4]) / np.ptp(runs[:, :4], axis=0).max())


@_claim("02-backward-follows-prediction", "The measured backward factors follow the prediction "
        "Π d_y·Var(W) to within 20 % (std 0.01, std 0.1, equal variance, Xavier); the worst case was off by 2 to "
        "15 % over seeds 0–4.", "§7 Backward pass", "largest |measured/predicted − 1| < 0.2", below(0.2))
def backward_prediction_error(seed: int) -> float:
    cases = ("normal 0.01", "normal 0.1", "equal variance", "xavier")
    errors = [abs(measured_backward(s) / predicted_backward(s) - 1)
              for s in (_stats("identity", case, seed) for case in cases)]
    return float(max(errors))


@_claim("02-xavier-weight-gradients-grow", "With Xavier the weight gradients grow 25- to 40-fold from Linear 1 "
        "to Linear 5 (over seeds 0–4).", "§7 Backward pass", "20 < Var(∂J/∂W₅)/Var(∂J/∂W₁) < 60",
        between(20.0, 60.0))
def xavier_weight_gradient_growth(seed: int) -> float:
    gradients = _stats("identity", "xavier", seed)["gradients"]
    return float(gradients[4] / gradients[0])


@_claim("02-xavier-largest-step-last-layer", "With Xavier the largest step of the weight gradients' growth is in the "
        "last layer.", "§7 Backward pass", "Var(∂J/∂W₅)/Var(∂J/∂W₄) > Var(∂J/∂W₄)/Var(∂J/∂W₁) (value: their ratio)",
        above(1.0))
def xavier_last_step(seed: int) -> float:
    gradients = _stats("identity", "xavier", seed)["gradients"]
    return float((gradients[4] / gradients[3]) / (gradients[3] / gradients[0]))


@_claim("02-xavier-tanh-first-layer", "With Xavier and tanh the variance starts at about 1.2.", "§7 Xavier with tanh",
        "1.0 < Var(Linear 1 output) < 1.5", between(1.0, 1.5))
def xavier_tanh_start(seed: int) -> float:
    return float(_stats("tanh", "xavier", seed)["activations"][0])


@_claim("02-xavier-tanh-shrinks-gently", "With Xavier and tanh the variance shrinks towards about 0.25 by the last "
        "hidden layer (Linear 4 / Linear 1 about 0.25).", "§7 Xavier with tanh", "0.1 ≤ forward ratio ≤ 0.4",
        lambda value: bool(0.1 <= value <= 0.4))
def xavier_tanh_forward(seed: int) -> float:
    return float(forward_ratio(_stats("tanh", "xavier", seed)))


@_claim("02-xavier-tanh-gradients-flow", "With Xavier and tanh the gradients still flow.", "§7 / §9",
        "summed backward ratio > 1/3", above(1 / 3))
def xavier_tanh_backward(seed: int) -> float:
    return float(backward_summed(_stats("tanh", "xavier", seed)))


@_claim("02-kaiming-relu-steady", "With Kaiming and ReLU the variance of the hidden layers' outputs stays close to 1 "
        "all the way through.", "§8 ReLU and Kaiming", "hidden-layer variance farthest from 1 within (0.7, 1.4)",
        between(0.7, 1.4))
def kaiming_relu_steady(seed: int) -> float:
    return _farthest_from_one(_stats("relu", "kaiming", seed)["activations"][:4])


@_claim("02-summed-gradient-kept", "Equal variance (linear) and Kaiming (ReLU) keep the gradient summed over units.",
        "§7 / §9", "both summed backward ratios within (0.8, 1.25) (value: the one farthest from 1)",
        between(0.8, 1.25))
def summed_gradient_kept(seed: int) -> float:
    return _farthest_from_one([backward_summed(_stats("identity", "equal variance", seed)),
                               backward_summed(_stats("relu", "kaiming", seed))])


@_claim("02-xavier-too-small-for-relu", "Xavier is too small for ReLU: the forward signal shrinks (vs Kaiming).",
        "§8 / §9", "forward ratio Xavier / Kaiming (ReLU) < 0.5", below(0.5))
def xavier_relu_forward(seed: int) -> float:
    return float(forward_ratio(_stats("relu", "xavier", seed)) / forward_ratio(_stats("relu", "kaiming", seed)))


@_claim("02-xavier-relu-backward", "With Xavier and ReLU the backward factor is about 1/18 as predicted "
        "(measured: about 1/16), less than half of Kaiming's.", "§8 ReLU and Kaiming",
        "measured within 25 % of its prediction and < ½ Kaiming's (value: measured)",
        between(1 / 18 / 1.25, 1 / 18 * 1.25))
def xavier_relu_backward(seed: int) -> float:
    xavier, kaiming = _stats("relu", "xavier", seed), _stats("relu", "kaiming", seed)
    measured = measured_backward(xavier)
    if abs(measured / predicted_backward(xavier, 0.5) - 1) > 0.25 or measured > 0.5 * measured_backward(kaiming):
        return float("nan")
    return float(measured)


@_claim("02-leaky-corrected-gain-steady", "With the corrected gain 2/(1+a²) the Leaky-ReLU(0.5) network stays near 1.",
        "§8 Leaky-ReLU", "largest hidden-layer variance < 1.5", below(1.5))
def leaky_corrected(seed: int) -> float:
    return float(max(_stats("leaky", "kaiming leaky-corrected", seed)["activations"][:4]))


@_claim("02-leaky-relu-gain-grows", "With ReLU's gain the Leaky-ReLU(0.5) network grows by (1 + a²) = 1.25 per layer.",
        "§8 Leaky-ReLU", "Var(Linear 4)/Var(Linear 1) > 1.4 (1.25³ ≈ 1.95)", above(1.4))
def leaky_relu_gain(seed: int) -> float:
    return float(forward_ratio(_stats("leaky", "kaiming", seed)))


@functools.lru_cache(maxsize=8)
def _constant_run(seed: int, quick: bool):
    """§3's constant initialization (0.005, zero biases, identity activation) on a batch drawn with ``seed``."""
    data = course_data()
    size = 512 if quick else 1024
    chosen = torch.randperm(len(data.train_y), generator=torch.Generator().manual_seed(int(seed)))[:size]
    model = init_constant(MLP(activation="identity"), value=0.005)
    return constant_init_symmetry(model, data.train_x[chosen], data.train_y[chosen], steps=20, lr=0.01)


CONSTANT = "§3 Constant initialization never breaks the symmetry"


@claim("02-constant-no-hidden-gradient", "With every weight 0.005 and zero biases no gradient reaches the hidden "
       "layers at the first step, and within each row of the output layer's gradient all entries are equal.",
       NOTEBOOK, CONSTANT, "largest hidden weight gradient / output layer's < 1e-6 and relative spread within an "
       "output row < 1e-4 (value: the first; NaN if the second fails)", below(1e-6))
def constant_hidden_gradient(seed: int) -> float:
    run = _constant_run(seed, is_quick())
    return run.hidden_gradient if run.output_row_spread < 1e-4 else float("nan")


@claim("02-constant-symmetry-kept", "After 20 gradient-descent steps every layer has moved, but the units of each "
       "hidden layer are still identical.", NOTEBOOK, CONSTANT, "every layer moved by > 1e-2 (relative), hidden "
       "rows differ by < 1e-4 (value: the largest row difference; NaN if a layer did not move)", below(1e-4))
def constant_rows_differ(seed: int) -> float:
    run = _constant_run(seed, is_quick())
    return float(run.rows_differ[:-1].max()) if (run.moved > 1e-2).all() else float("nan")
