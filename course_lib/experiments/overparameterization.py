"""Non-convexity and overparameterization: gradient descent from several nearby initializations at once.

1. ``perturbed_copies``: K copies of one seeded MLP, every parameter nudged by noise_scale·N(0, 1)
   (a private generator), held as stacked tensors (``StackedMLP``) so one batched matrix product per
   layer serves all K networks;
2. ``PerturbedInits.loss_curves``: full-batch gradient descent on a small image subset with the
   course's one training step (``course_lib.training.train_step``) on the summed loss Σ_k J_k,
   whose gradient for network k is ∇J_k; curves cached per (hidden sizes, lr, K), a shorter run is
   a slice of a longer one;
3. ``count_parameters``: how many parameters a hidden-size setting has.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from course_lib.device import single_cpu_thread
from course_lib.errors import CourseInputError
from course_lib.models import MLP
from course_lib.optimizers import SGD
from course_lib.seeding import seeded
from course_lib.training import has_diverged, train_step
from course_lib.validation import parse_number

NOISE_SCALE = 0.2
MAX_INITS = 10
MAX_STEPS = 500


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
        with seeded(self.seed):
            return MLP(input_size=self.x.shape[1], hidden_sizes=hidden_sizes, num_classes=10, activation="relu")

    def loss_curves(self, hidden_sizes: tuple[int, ...], lr: float, num_steps: int, num_inits: int,
                    progress: bool = False) -> np.ndarray:
        """(num_inits, num_steps) training loss before each GD step w ← w − η∇J(w), one row per initialization."""
        hidden_sizes = tuple(int(parse_number(h, "hidden size", minimum=1, maximum=4096, integer=True))
                             for h in hidden_sizes)
        lr = parse_number(lr, "learning rate", minimum=0.0, maximum=100.0)
        if lr == 0:
            raise CourseInputError("learning rate: must be positive, got 0.")
        num_steps = int(parse_number(num_steps, "steps", minimum=1, maximum=MAX_STEPS, integer=True))
        num_inits = int(parse_number(num_inits, "initializations", minimum=1, maximum=MAX_INITS, integer=True))
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
        optimizer = SGD(nets.parameters, lr=lr)
        per_network: dict[str, torch.Tensor] = {}

        def summed_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
            """Σ_k J_k: its gradient for network k's parameters is ∇J_k, so one step trains all K."""
            losses = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels, reduction="none")
            losses = losses.reshape(num_inits, -1).mean(dim=1)
            per_network["losses"] = losses.detach()
            return losses.sum()

        for step in steps:
            train_step(nets.forward, optimizer, self.x, targets, summed_loss)
            curves[step] = per_network["losses"]
        curves = curves.T.numpy()
        if has_diverged(curves).any():
            raise CourseInputError(f"The loss exploded or became NaN with lr = {lr:g}: try a smaller learning rate.")
        return curves


def default_subset(n_images: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``n_images`` training images (500; 200 in quick mode) of the seeded FashionMNIST split."""
    from course_lib.config import quick_or_full
    from course_lib.data import load_fashion_mnist

    n_images = n_images or quick_or_full(200, 500)
    data = load_fashion_mnist(device="cpu")
    return data.train_x[:n_images], data.train_y[:n_images]
