"""How an initialization scheme and an activation shape the variance of every layer, measured.

1. ``explorer_batch``: one fixed batch of FashionMNIST images (a seeded standard-normal batch if the
   data is missing);
2. ``initialize``: one of ``course_lib.init``'s schemes applied to a network;
3. ``layer_statistics``: one forward and one backward pass of a fresh MLP on that batch → per-layer
   variance of the Linear outputs, of the weight gradients and of the gradients flowing back into
   each Linear output (``LayerStatistics``);
4. ``activation_curves``: tanh and sigmoid with their derivatives (autograd), where they saturate.

Nothing is trained: each call builds a new network of the chosen shape, initializes it and measures
it on the same batch, so the only thing that changes is the initialization.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.device import single_cpu_thread
from course_lib.errors import CourseInputError
from course_lib.init import init_equal_variance, init_kaiming, init_normal, init_xavier
from course_lib.models import MLP
from course_lib.seeding import seeded
from course_lib.validation import parse_choice

SCHEMES = {
    "normal(0, std²)": "normal",
    "equal variance 1/fan_in": "equal_variance",
    "Xavier 2/(fan_in+fan_out)": "xavier",
    "Kaiming 2/fan_in": "kaiming",
}
EXPLORER_ACTIVATIONS = {"identity": "identity", "tanh": "tanh", "ReLU": "relu", "Leaky-ReLU": "leaky_relu"}
MIN_DEPTH, MAX_DEPTH = 1, 12
MIN_WIDTH, MAX_WIDTH, WIDTH_STEP = 16, 512, 16
MIN_STD, MAX_STD = 1e-3, 1.0
BATCH_SIZE = 128
INPUT_SIZE = 784
NUM_CLASSES = 10


@dataclass(frozen=True)
class LayerStatistics:
    """Per-Linear-layer variances, first layer to output layer; every array has shape (depth + 1,).

    ``activation_variance``: Var(z_k) of the Linear outputs (forward signal); ``gradient_variance``:
    Var(∂L/∂W_k) (what the optimizer sees); ``backward_variance``: Var(∂L/∂z_k) (backward signal,
    the quantity Xavier's backward condition keeps constant).
    """

    activation_variance: np.ndarray
    gradient_variance: np.ndarray
    backward_variance: np.ndarray


def explorer_batch(batch_size: int = BATCH_SIZE, seed: int = 42) -> tuple[torch.Tensor, torch.Tensor, str]:
    """The first ``batch_size`` training images (x: (B, 784), standardized; y: (B,)) and where they came from.

    Falls back to a seeded standard-normal batch with random labels when FashionMNIST is unavailable.
    """
    try:
        from course_lib.data import load_fashion_mnist

        data = load_fashion_mnist(device=torch.device("cpu"), seed=seed)
        x = data.train_x[:batch_size].reshape(batch_size, -1).float()
        return x, data.train_y[:batch_size], "FashionMNIST"
    except Exception as error:  # the data module says why in one line; the demo still works without it
        reason = " ".join(str(error).split())[:160]
        print(f"FashionMNIST is not available ({reason}); the explorer uses a standard-normal batch instead.")
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(batch_size, INPUT_SIZE, generator=generator)
    y = torch.randint(0, NUM_CLASSES, (batch_size,), generator=generator)
    return x, y, "standard-normal noise"


def initialize(model: nn.Module, scheme: str, std: float) -> nn.Module:
    """Apply one of course_lib.init's schemes (``scheme`` a value of ``SCHEMES``) to ``model`` in place."""
    if scheme == "normal":
        return init_normal(model, std=std)
    if scheme == "equal_variance":
        return init_equal_variance(model)
    if scheme == "xavier":
        return init_xavier(model)
    if scheme == "kaiming":
        return init_kaiming(model)
    raise CourseInputError(f"Unknown scheme {scheme!r}; choose one of: {', '.join(SCHEMES.values())}.")


def layer_statistics(x: torch.Tensor, y: torch.Tensor, scheme: str, activation: str, depth: int, width: int,
                     std: float = 0.01, seed: int = 0) -> LayerStatistics:
    """Var of each Linear output z_k = W_k h_{k-1}, of each ∂L/∂W_k and of each ∂L/∂z_k, for an MLP with
    ``depth`` hidden layers of ``width`` units, initialized by ``scheme``; L = cross-entropy on
    (x: (B, 784), y: (B,)).

    The weights are drawn inside ``seeded(seed)``: the caller's random state is left alone.
    CourseInputError when a variance overflows (NaN or infinite: weights far too large for the depth).
    """
    with single_cpu_thread(), seeded(seed):
        with torch.device("meta"):
            model = MLP(input_size=x.shape[1], hidden_sizes=(width,) * depth, num_classes=NUM_CLASSES,
                        activation=activation)
        model = initialize(model.to_empty(device=x.device), scheme, std)
        hidden = x
        outputs = []
        for module in model.layers:
            hidden = module(hidden)
            if isinstance(module, nn.Linear):
                hidden.retain_grad()
                outputs.append(hidden)
        F.cross_entropy(hidden, y).backward()

        def variances(tensors):
            return torch.stack([tensor.detach().var() for tensor in tensors]).double().cpu().numpy()

        stats = LayerStatistics(variances(outputs),
                                variances(layer.weight.grad for layer in model.linear_layers()),
                                variances(output.grad for output in outputs))
    for name, values in (("activation", stats.activation_variance), ("gradient", stats.gradient_variance),
                         ("backward", stats.backward_variance)):
        if not np.all(np.isfinite(values)):
            raise CourseInputError(f"The {name} variance became NaN or infinite: the weights are too large for "
                                   "this depth; pick a smaller std or fewer layers.")
    return stats


SQUASHING_ACTIVATIONS = {"tanh": torch.tanh, "sigmoid": torch.sigmoid}


@dataclass(frozen=True)
class ActivationCurve:
    """An activation over a range: ``z`` (P,), ``value`` σ(z) (P,) and ``derivative`` σ′(z) (P,), by autograd."""

    z: np.ndarray
    value: np.ndarray
    derivative: np.ndarray


def activation_curves(names=("tanh", "sigmoid"), low: float = -6.0, high: float = 6.0,
                      points: int = 601) -> dict[str, ActivationCurve]:
    """σ(z) and σ′(z) for each named squashing activation of ``SQUASHING_ACTIVATIONS`` on ``points`` values of z
    from ``low`` to ``high``; the derivative comes from autograd (∂ Σσ(z_i)/∂z_i = σ′(z_i))."""
    curves = {}
    for name in names:
        function = parse_choice(name, SQUASHING_ACTIVATIONS, "activation")
        z = torch.linspace(float(low), float(high), int(points), dtype=torch.float64, requires_grad=True)
        value = function(z)
        (derivative,) = torch.autograd.grad(value.sum(), z)
        curves[name] = ActivationCurve(z=z.detach().numpy(), value=value.detach().numpy(),
                                       derivative=derivative.numpy())
    return curves
