"""Non-convexity and overparameterization: train several nearby initializations side by side.

Pipeline (the recipe of ``widgets.common``):

1. ``PerturbedInits`` builds one MLP per hidden-size setting (seeded), makes ``num_inits`` copies with
   every parameter nudged by ``noise_scale``·N(0, 1), and trains all copies at once with full-batch
   gradient descent on a small image subset: the copies' weights are stacked into (K, out, in) tensors,
   so one batched matrix product per layer serves all K networks. Loss curves are cached per
   (hidden sizes, lr, K), and a shorter run is a slice of a longer one.
2. ``draw_loss_curves`` plots one loss curve per initialization.
3. ``overparameterization_demo`` wraps both (hidden sizes, lr, steps, number of initializations),
   with a progress bar while it trains.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from tqdm.auto import tqdm

from course_lib.device import single_cpu_thread
from course_lib.widgets.common import CourseInputError, demo_interactive, in_ipython_kernel

HIDDEN_CHOICES = ("10", "20, 20", "100, 100")
NOISE_SCALE = 0.2
MAX_INITS = 10
MAX_STEPS = 500


def parse_hidden_sizes(text: str) -> tuple[int, ...]:
    """'20, 20' → (20, 20); CourseInputError for anything that is not a list of positive whole numbers."""
    parts = [part.strip() for part in str(text).split(",")]
    if not all(part.isdigit() and 0 < int(part) <= 4096 for part in parts):
        raise CourseInputError(f"hidden sizes: {text!r} should look like '10' or '100, 100' (whole numbers ≤ 4096).")
    return tuple(int(part) for part in parts)


class StackedMLP:
    """K ReLU MLPs of the same shape held as stacked tensors: W_l (K, out, in), b_l (K, out).

    ``forward(x)``: x (N, D) shared by all K networks → logits (K, N, C).
    """

    def __init__(self, weights: list[torch.Tensor], biases: list[torch.Tensor]):
        self.weights = [w.detach().clone().requires_grad_() for w in weights]
        self.biases = [b.detach().clone().requires_grad_() for b in biases]

    @property
    def parameters(self) -> list[torch.Tensor]:
        return self.weights + self.biases

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        first_w, first_b = self.weights[0], self.biases[0]
        count, width, fan_in = first_w.shape
        h = (x @ first_w.reshape(count * width, fan_in).T).reshape(len(x), count, width).transpose(0, 1)
        h = h + first_b[:, None, :]
        for w, b in zip(self.weights[1:], self.biases[1:], strict=True):
            h = torch.baddbmm(b[:, None, :], torch.relu(h), w.transpose(1, 2))
        return h


def perturbed_copies(model: torch.nn.Module, num_inits: int, noise_scale: float,
                     generator: torch.Generator) -> StackedMLP:
    """``num_inits`` copies of ``model``'s Linear layers, each parameter θ + noise_scale·ε, ε ~ N(0, 1)."""
    weights, biases = [], []
    for layer in model.linear_layers():
        w, b = layer.weight.detach(), layer.bias.detach()
        weights.append(w + noise_scale * torch.randn((num_inits, *w.shape), generator=generator))
        biases.append(b + noise_scale * torch.randn((num_inits, *b.shape), generator=generator))
    return StackedMLP(weights, biases)


def count_parameters(hidden_sizes: tuple[int, ...], input_size: int = 784, num_classes: int = 10) -> int:
    sizes = (input_size, *hidden_sizes, num_classes)
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True))


class PerturbedInits:
    """Loss curves of gradient descent from ``num_inits`` perturbations of one seeded initialization.

    ``x``: (N, ...) images, ``y``: (N,) labels (flattened and moved to the CPU); the networks are
    ``course_lib.models.MLP`` with ReLU and PyTorch's default initialization, then perturbed.
    """

    def __init__(self, x: torch.Tensor, y: torch.Tensor, noise_scale: float = NOISE_SCALE, seed: int = 42):
        self.x = x.detach().reshape(len(x), -1).float().cpu()
        self.y = y.detach().long().cpu()
        self.noise_scale = float(noise_scale)
        self.seed = int(seed)
        self._cache: dict[tuple, np.ndarray] = {}

    def _base_model(self, hidden_sizes: tuple[int, ...]) -> torch.nn.Module:
        from course_lib.models import MLP

        generator_state = torch.random.get_rng_state()
        try:
            torch.manual_seed(self.seed)
            return MLP(input_size=self.x.shape[1], hidden_sizes=hidden_sizes, num_classes=10, activation="relu")
        finally:
            torch.random.set_rng_state(generator_state)

    def loss_curves(self, hidden_sizes: tuple[int, ...], lr: float, num_steps: int, num_inits: int,
                    progress: bool = False) -> np.ndarray:
        """(num_inits, num_steps) training loss before each GD step w ← w − η∇J(w), one row per initialization."""
        hidden_sizes, lr = tuple(int(h) for h in hidden_sizes), float(lr)
        num_steps, num_inits = int(num_steps), int(num_inits)
        if not math.isfinite(lr) or lr <= 0:
            raise CourseInputError(f"the learning rate must be a positive number, got {lr!r}.")
        if not (1 <= num_steps <= MAX_STEPS and 1 <= num_inits <= MAX_INITS):
            raise CourseInputError(f"steps must lie in 1…{MAX_STEPS} and initializations in 1…{MAX_INITS}.")
        key = (hidden_sizes, lr, num_inits)
        cached = self._cache.get(key)
        if cached is None or cached.shape[1] < num_steps:
            self._cache[key] = self._train(hidden_sizes, lr, num_steps, num_inits, progress)
        return self._cache[key][:, :num_steps]

    def _train(self, hidden_sizes, lr, num_steps, num_inits, progress) -> np.ndarray:
        with single_cpu_thread():
            return self._train_single_threaded(hidden_sizes, lr, num_steps, num_inits, progress)

    def _train_single_threaded(self, hidden_sizes, lr, num_steps, num_inits, progress) -> np.ndarray:
        """The matrices here are small: one thread is as fast as two, and far faster on a busy CPU."""
        generator = torch.Generator().manual_seed(self.seed + 1)
        nets = perturbed_copies(self._base_model(hidden_sizes), num_inits, self.noise_scale, generator)
        targets = self.y.repeat(num_inits)
        curves = torch.empty(num_steps, num_inits)
        steps = tqdm(range(num_steps), desc=f"training {num_inits} nets {hidden_sizes}", leave=True,
                     disable=not progress)
        for step in steps:
            logits = nets.forward(self.x)
            losses = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets, reduction="none")
            losses = losses.reshape(num_inits, -1).mean(dim=1)
            curves[step] = losses.detach()
            gradients = torch.autograd.grad(losses.sum(), nets.parameters)
            with torch.no_grad():
                for p, g in zip(nets.parameters, gradients, strict=True):
                    p.sub_(lr * g)
        curves = curves.T.numpy()
        if not np.all(np.isfinite(curves)):
            raise CourseInputError(f"The loss became NaN or infinite with lr = {lr:g}: try a smaller learning rate.")
        return curves


def draw_loss_curves(curves: np.ndarray, hidden_sizes: tuple[int, ...], lr: float, input_size: int = 784) -> Figure:
    """One training-loss curve per initialization; the title gives the spread of the final losses."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    steps = np.arange(curves.shape[1])
    for index, curve in enumerate(curves):
        ax.plot(steps, curve, lw=1.2, alpha=0.85, label=f"init {index + 1}" if index < 3 else None)
    final = curves[:, -1]
    ax.set_xlabel("gradient-descent step")
    ax.set_ylabel("training loss")
    ax.set_ylim(0, 3)
    hidden = ", ".join(map(str, hidden_sizes))
    ax.set_title(f"hidden sizes {hidden}: {count_parameters(hidden_sizes, input_size):,} parameters, lr = {lr:.3g}\n"
                 f"final loss {final.mean():.3f} ± {final.std():.3f} (spread over {len(final)} inits)", fontsize=10)
    fig.tight_layout()
    return fig


def default_subset(n_images: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``n_images`` training images (500; 200 in quick mode) of the seeded FashionMNIST split."""
    from course_lib.config import quick_or_full
    from course_lib.data import load_fashion_mnist

    n_images = n_images or quick_or_full(200, 500)
    data = load_fashion_mnist(device="cpu")
    return data.train_x[:n_images], data.train_y[:n_images]


def overparameterization_demo(experiment: PerturbedInits | None = None, hidden: str = "10", lr: float = 0.05,
                              num_steps: int = 150, num_inits: int = 7) -> widgets.interactive:
    """Controls: hidden sizes, learning rate (log scale), steps, number of perturbed initializations."""
    experiment = experiment or PerturbedInits(*default_subset())

    def show(hidden, lr, num_steps, num_inits):
        hidden_sizes = parse_hidden_sizes(hidden)
        curves = experiment.loss_curves(hidden_sizes, lr, num_steps, num_inits, progress=in_ipython_kernel())
        return draw_loss_curves(curves, hidden_sizes, lr, input_size=experiment.x.shape[1])

    style = {"description_width": "initial"}
    return demo_interactive(
        show,
        hidden=widgets.Dropdown(options=list(HIDDEN_CHOICES), value=hidden, description="hidden sizes"),
        lr=widgets.FloatLogSlider(value=lr, base=10, min=-3, max=0, step=0.1, description="learning rate",
                                  readout_format=".3g", continuous_update=False, style=style),
        num_steps=widgets.IntSlider(value=num_steps, min=10, max=MAX_STEPS, step=10, description="steps",
                                    continuous_update=False),
        num_inits=widgets.IntSlider(value=num_inits, min=2, max=MAX_INITS, step=1, description="initializations",
                                    continuous_update=False, style=style),
    )
