"""Two-parameter loss surfaces, and a runner that records an optimizer's path over one.

- ``pathological_curvature``: a ravine, steep across (w1) and gently sloped along (w2);
- ``steep_optima``: three narrow Gaussian wells on an almost flat plain;
- ``LogisticSlice``: a logistic regression on real FashionMNIST images with every parameter frozen
  except one weight and one bias, a poorly conditioned but convex 2-D problem;
- ``surface_grid``: a whole grid of loss values in one vectorized call;
- ``run_trajectory``: the points an optimizer visits, as an array (num_steps, 3) of [w1, w2, loss].

Every loss function takes two tensors w1, w2 of any (broadcastable) shape and returns the loss
elementwise, so the same function draws a surface and trains two scalar parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

__all__ = [
    "pathological_curvature",
    "bivariate_gaussian",
    "steep_optima",
    "STEEP_OPTIMA_CENTERS",
    "Surface",
    "SURFACES",
    "surface_grid",
    "run_trajectory",
    "LogisticSlice",
    "fit_logistic_regression",
]

LossFn = Callable[[Tensor, Tensor], Tensor]


def pathological_curvature(w1: Tensor, w2: Tensor) -> Tensor:
    """A ravine along w1 = 0: J = tanh(w1)² + 0.01·|w1| + sigmoid(w2); w1, w2 broadcast together."""
    return torch.tanh(w1) ** 2 + 0.01 * torch.abs(w1) + torch.sigmoid(w2)


def bivariate_gaussian(w1: Tensor, w2: Tensor, mean: Sequence[float] = (0.0, 0.0),
                       std: Sequence[float] = (1.0, 1.0)) -> Tensor:
    """Density of an axis-aligned 2-D normal: exp(−(w1−μ1)²/2σ1² − (w2−μ2)²/2σ2²) / (2π·σ1·σ2)."""
    (mean1, mean2), (std1, std2) = mean, std
    exponent = -((w1 - mean1) ** 2) / (2 * std1**2) - ((w2 - mean2) ** 2) / (2 * std2**2)
    return torch.exp(exponent) / (2 * math.pi * std1 * std2)


STEEP_OPTIMA_CENTERS = ((1.0, -0.5), (-1.0, 0.5), (-0.5, -0.8))
STEEP_OPTIMA_STD = 0.2


def steep_optima(w1: Tensor, w2: Tensor) -> Tensor:
    """Three narrow wells: J = −Σ_k N((w1, w2); μ_k, 0.2²·I) with μ_k in ``STEEP_OPTIMA_CENTERS``."""
    std = (STEEP_OPTIMA_STD, STEEP_OPTIMA_STD)
    return -sum(bivariate_gaussian(w1, w2, mean=center, std=std) for center in STEEP_OPTIMA_CENTERS)


@dataclass(frozen=True)
class Surface:
    """A named 2-D loss with the plotting ranges, start point and optimizer settings used in the course.

    ``optimizer_settings`` maps a name in ``course_lib.optimizers.OPTIMIZERS`` to its keyword arguments.
    """

    name: str
    loss_fn: LossFn
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    init: tuple[float, float]
    optimizer_settings: dict[str, dict[str, float]] = field(default_factory=dict)

    def __call__(self, w1: Tensor, w2: Tensor) -> Tensor:
        return self.loss_fn(w1, w2)


SURFACES = {
    "pathological curvature": Surface(
        name="pathological curvature",
        loss_fn=pathological_curvature,
        x_range=(-5.0, 5.0),
        y_range=(-5.0, 5.0),
        init=(5.0, 5.0),
        optimizer_settings={"SGD": {"lr": 10.0}, "Momentum": {"lr": 10.0, "momentum": 0.9},
                            "Adam": {"lr": 1.0}},
    ),
    "steep optima": Surface(
        name="steep optima",
        loss_fn=steep_optima,
        x_range=(-2.0, 2.0),
        y_range=(-2.0, 2.0),
        init=(0.0, 0.0),
        optimizer_settings={"SGD": {"lr": 0.5}, "Momentum": {"lr": 1.0, "momentum": 0.9},
                            "Adam": {"lr": 0.2}},
    ),
}


def surface_grid(loss_fn: LossFn, x_range: Sequence[float], y_range: Sequence[float],
                 resolution: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Loss on a resolution × resolution grid in one call: W1, W2, Z each (resolution, resolution).

    Rows follow w2 and columns follow w1 (``meshgrid`` "xy" order), so ``Z[i, j] = J(W1[0, j], W2[i, 0])``
    and ``contourf(W1, W2, Z)`` / ``plot_surface(W1, W2, Z)`` draw it directly. Ranges include both ends.
    """
    resolution = int(resolution)
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2, got {resolution}")
    w1 = torch.linspace(float(x_range[0]), float(x_range[1]), resolution, dtype=torch.float64)
    w2 = torch.linspace(float(y_range[0]), float(y_range[1]), resolution, dtype=torch.float64)
    grid1, grid2 = torch.meshgrid(w1, w2, indexing="xy")
    with torch.no_grad():
        z = torch.as_tensor(loss_fn(grid1, grid2))
    if z.shape != grid1.shape:
        raise ValueError(f"the loss function returned shape {tuple(z.shape)} for a grid of shape "
                         f"{tuple(grid1.shape)}: it must work elementwise on tensors")
    return grid1.numpy(), grid2.numpy(), z.detach().cpu().double().numpy()


def run_trajectory(make_optimizer: Callable, loss_fn: LossFn, init: Sequence[float] = (5.0, 5.0),
                   num_steps: int = 100, dtype: torch.dtype = torch.float32) -> np.ndarray:
    """Optimize (w1, w2) from ``init``; returns (num_steps, 3) rows [w1, w2, J(w1, w2)] before each step.

    ``make_optimizer(params)`` builds the optimizer (course_lib or torch.optim) for ``[w]`` with
    ``w = (w1, w2)`` a single parameter of shape (2,). If the loss stops being finite (learning rate
    too large), the remaining rows are NaN.
    """
    num_steps = int(num_steps)
    weights = torch.nn.Parameter(torch.tensor([float(v) for v in init], dtype=dtype))
    if weights.shape != (2,):
        raise ValueError(f"init must hold two numbers (w1, w2), got {list(init)}")
    optimizer = make_optimizer([weights])
    points = torch.full((num_steps, 3), float("nan"), dtype=torch.float64)
    for step in range(num_steps):
        loss = loss_fn(weights[0], weights[1])
        if not torch.isfinite(loss):
            break
        points[step, :2] = weights.detach()
        points[step, 2] = loss.detach()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return points.numpy()


def _as_float64(value) -> Tensor:
    """A float64 CPU tensor (keeping autograd history) from a number, array or tensor."""
    if isinstance(value, Tensor):
        return value.to(device="cpu", dtype=torch.float64)
    return torch.as_tensor(np.asarray(value, dtype=np.float64))


class LogisticSlice:
    """A 784→10 softmax regression restricted to two free parameters: one weight and one bias.

    The frozen parameters come from ``base_weight`` (10, 784) and ``base_bias`` (10,) (kept whole as
    attributes, e.g. to show the class templates; ``fitted_point`` holds their values of w and b). The free
    weight w = W[c, p] connects pixel p to class c (``weight_index = (c, p)``); the free bias
    b = bias[k] belongs to class k (``bias_index = k``). With x: (N, 784) images and y: (N,) labels,

        J(w, b) = mean_n [ logsumexp_j z_nj − z_n,y_n ],  z_n = base_n + w·x_np·e_c + b·e_k,

    where base_n are the logits with W[c, p] and bias[k] set to zero. Only two logits move, so a
    whole grid of (w, b) values costs one pass over N numbers per point, no model copies.
    Everything is computed in float64 on the CPU (the data involved is N × 3 numbers).

    The default pair is the weight from pixel 40 (row 1, column 12: the neckline) to "Shirt" and the
    bias of "Bag". Shirt is the class the model is least sure about and the pixel is bright in many
    garments, so the weight moves many predictions (steep); bags are recognized confidently, so
    their bias barely matters (flat). The Hessian at the optimum is nearly diagonal with curvatures
    about 12× apart: a ravine along the bias axis.
    """

    DEFAULT_WEIGHT_INDEX = (6, 40)
    DEFAULT_BIAS_INDEX = 8
    HALF_WIDTH = 4.0
    START_OFFSET = (2.5, 3.5)
    _CHUNK_ELEMENTS = 2**22

    def __init__(self, x: Tensor, y: Tensor, base_weight: Tensor, base_bias: Tensor,
                 weight_index: tuple[int, int], bias_index: int):
        x = torch.as_tensor(x).detach().to("cpu", torch.float64).reshape(len(y), -1)
        y = torch.as_tensor(y).detach().to("cpu", torch.int64)
        weight = torch.as_tensor(base_weight).detach().to("cpu", torch.float64).clone()
        bias = torch.as_tensor(base_bias).detach().to("cpu", torch.float64).clone()
        num_classes, num_features = weight.shape
        if x.shape[1] != num_features or bias.shape != (num_classes,):
            raise ValueError(f"shapes do not fit: x {tuple(x.shape)}, weight {tuple(weight.shape)}, "
                             f"bias {tuple(bias.shape)}")
        weight_class, pixel = (int(i) for i in weight_index)
        bias_class = int(bias_index)
        if not (0 <= weight_class < num_classes and 0 <= pixel < num_features and 0 <= bias_class < num_classes):
            raise ValueError(f"weight_index {weight_index} or bias_index {bias_index} is out of range for "
                             f"a {num_classes}×{num_features} weight matrix")

        self.weight_class, self.pixel, self.bias_class = weight_class, pixel, bias_class
        self.base_weight, self.base_bias = weight, bias
        self.fitted_point = (float(weight[weight_class, pixel]), float(bias[bias_class]))
        self.x, self.y = x, y
        self.n_images = len(y)

        frozen_weight, frozen_bias = weight.clone(), bias.clone()
        frozen_weight[weight_class, pixel] = 0.0
        frozen_bias[bias_class] = 0.0
        base = x @ frozen_weight.T + frozen_bias
        self._pixel = x[:, pixel]
        self._same_class = weight_class == bias_class
        moving = [weight_class] if self._same_class else [weight_class, bias_class]
        others = [j for j in range(num_classes) if j not in moving]
        self._rest = torch.logsumexp(base[:, others], dim=1)
        self._base_w = base[:, weight_class]
        self._base_b = base[:, bias_class]
        self._target_const = base.gather(1, y[:, None]).mean()
        self._target_w = (self._pixel * (y == weight_class)).mean()
        self._target_b = (y == bias_class).double().mean()
        self._np_pixel, self._np_rest = self._pixel.numpy(), self._rest.numpy()
        self._np_base_w, self._np_base_b = self._base_w.numpy(), self._base_b.numpy()
        self._np_targets = tuple(float(t) for t in (self._target_const, self._target_w, self._target_b))
        self._optimum: tuple[float, float] | None = None

    @classmethod
    def from_data(cls, data=None, n_images: int = 500, weight_index: tuple[int, int] = DEFAULT_WEIGHT_INDEX,
                  bias_index: int = DEFAULT_BIAS_INDEX, seed: int = 42, fit_steps: int = 200,
                  fit_lr: float = 0.05) -> LogisticSlice:
        """The slice for ``n_images`` training images drawn with ``seed`` from ``data`` (FashionMNISTTensors).

        The frozen parameters come from full-batch gradient descent (``fit_steps`` steps of size
        ``fit_lr``, from zeros) on those images. ``data=None`` loads FashionMNIST.
        """
        if data is None:
            from course_lib.data import load_fashion_mnist

            data = load_fashion_mnist(device="cpu")
        n_available = len(data.train_y)
        if not 1 <= n_images <= n_available:
            raise ValueError(f"n_images must be between 1 and {n_available}, got {n_images}")
        order = torch.randperm(n_available, generator=torch.Generator().manual_seed(int(seed)))
        chosen = order[:n_images].to(data.train_y.device)
        x = data.train_x[chosen].reshape(n_images, -1).to("cpu", torch.float64)
        y = data.train_y[chosen].to("cpu")
        weight, bias = fit_logistic_regression(x, y, num_classes=len(data.classes), steps=fit_steps, lr=fit_lr)
        return cls(x, y, weight, bias, weight_index, bias_index)

    def __repr__(self) -> str:
        return (f"LogisticSlice(n_images={self.n_images}, weight=W[{self.weight_class}, {self.pixel}], "
                f"bias=b[{self.bias_class}])")

    def _log_partition(self, w: Tensor, b: Tensor) -> Tensor:
        """logsumexp_j z_nj for each (w, b): w, b (M,) → (M, N)."""
        w, b = w[:, None], b[:, None]
        if self._same_class:
            return torch.logaddexp(self._rest, self._base_w + w * self._pixel + b)
        moving_w = torch.logaddexp(self._rest, self._base_w + w * self._pixel)
        return torch.logaddexp(moving_w, self._base_b + b)

    def _chunks(self, w: Tensor, b: Tensor):
        """Flattened (w, b) in chunks small enough that a (chunk, N) temporary stays a few MB."""
        shape = torch.broadcast_shapes(w.shape, b.shape)
        w, b = w.expand(shape).reshape(-1), b.expand(shape).reshape(-1)
        size = max(1, self._CHUNK_ELEMENTS // self.n_images)
        return shape, [(w[i:i + size], b[i:i + size]) for i in range(0, max(len(w), 1), size)]

    def loss(self, w, b) -> Tensor:
        """J(w, b) elementwise: w, b numbers, arrays or tensors of broadcastable shape S → float64 tensor S.

        Differentiable with autograd when w or b require a gradient.
        """
        w, b = _as_float64(w), _as_float64(b)
        shape, chunks = self._chunks(w, b)
        means = [self._log_partition(wc, bc).mean(dim=1) for wc, bc in chunks]
        log_partition = torch.cat(means).reshape(shape)
        return log_partition - (self._target_const + w * self._target_w + b * self._target_b)

    __call__ = loss

    def loss_and_grad(self, w, b) -> tuple[Tensor, Tensor, Tensor]:
        """(J, ∂J/∂w, ∂J/∂b) in closed form, elementwise over broadcastable w, b of shape S (no autograd).

        ∂J/∂w = mean_n (softmax_c(z_n) − [y_n = c])·x_np;  ∂J/∂b = mean_n (softmax_k(z_n) − [y_n = k]).
        Returns float64 tensors of shape S.
        """
        w, b = (_as_float64(v).detach().numpy() for v in (w, b))
        shape = np.broadcast_shapes(w.shape, b.shape)
        w, b = np.broadcast_to(w, shape).ravel(), np.broadcast_to(b, shape).ravel()
        size = max(1, self._CHUNK_ELEMENTS // self.n_images)
        parts = [self._loss_grad_flat(w[i:i + size], b[i:i + size]) for i in range(0, max(len(w), 1), size)]
        return tuple(torch.from_numpy(np.concatenate(column).reshape(shape)) for column in zip(*parts, strict=True))

    def _probabilities(self, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """w, b: (M,) → log-partition and the softmax probabilities of classes c and k, each (M, N)."""
        logit_w = self._np_base_w + w[:, None] * self._np_pixel
        if self._same_class:
            logit_w += b[:, None]
            log_partition = np.logaddexp(self._np_rest, logit_w)
            prob_w = np.exp(logit_w - log_partition)
            return log_partition, prob_w, prob_w
        logit_b = self._np_base_b + b[:, None]
        log_partition = np.logaddexp(np.logaddexp(self._np_rest, logit_w), logit_b)
        return log_partition, np.exp(logit_w - log_partition), np.exp(logit_b - log_partition)

    def _loss_grad_flat(self, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Loss and gradient for (M,) points, NumPy in and out (the fast path for trajectories)."""
        log_partition, prob_w, prob_b = self._probabilities(w, b)
        targets = self._np_targets
        loss = log_partition.mean(axis=1) - (targets[0] + w * targets[1] + b * targets[2])
        grad_w = prob_w @ self._np_pixel / self.n_images - targets[1]
        grad_b = prob_b.mean(axis=1) - targets[2]
        return loss, grad_w, grad_b

    def hessian(self, w: float, b: float) -> np.ndarray:
        """The 2 × 2 Hessian of J at one point (w, b), in closed form.

        [[mean p_c(1−p_c)x², mean −p_c·p_k·x], [·, mean p_k(1−p_k)]] (for c = k the cross term is
        mean p_c(1−p_c)·x), with p the softmax probabilities of each image.
        """
        _, prob_w, prob_b = self._probabilities(np.array([float(w)]), np.array([float(b)]))
        prob_w, prob_b, pixel = prob_w[0], prob_b[0], self._np_pixel
        h_ww = np.mean(prob_w * (1 - prob_w) * pixel**2)
        h_bb = np.mean(prob_b * (1 - prob_b))
        cross = prob_w * (1 - prob_w) if self._same_class else -prob_w * prob_b
        h_wb = np.mean(cross * pixel)
        return np.array([[h_ww, h_wb], [h_wb, h_bb]])

    def optimum(self, max_iter: int = 100, tol: float = 1e-12) -> tuple[float, float]:
        """The minimizer (w*, b*) by damped Newton steps u ← u − t·H⁻¹∇J from the fitted values (cached)."""
        if self._optimum is not None:
            return self._optimum
        point = np.array(self.fitted_point)
        loss, grad_w, grad_b = self._loss_grad_flat(point[:1], point[1:])
        for _ in range(max_iter):
            gradient = np.concatenate([grad_w, grad_b])
            if np.abs(gradient).max() < tol:
                break
            direction = np.linalg.solve(self.hessian(*point), gradient)
            step = 1.0
            while True:
                candidate = point - step * direction
                new_loss, new_grad_w, new_grad_b = self._loss_grad_flat(candidate[:1], candidate[1:])
                if new_loss[0] <= loss[0] or step < 1e-10:
                    break
                step /= 2
            point, loss, grad_w, grad_b = candidate, new_loss, new_grad_w, new_grad_b
        self._optimum = (float(point[0]), float(point[1]))
        return self._optimum

    def curvatures(self) -> tuple[float, float]:
        """The Hessian's eigenvalues (λ_min, λ_max) at the optimum; GD is stable for lr < 2/λ_max."""
        smallest, largest = np.linalg.eigvalsh(self.hessian(*self.optimum()))
        return float(smallest), float(largest)

    @property
    def x_range(self) -> tuple[float, float]:
        """Default plotting range of the weight: w* ± HALF_WIDTH."""
        center = self.optimum()[0]
        return center - self.HALF_WIDTH, center + self.HALF_WIDTH

    @property
    def y_range(self) -> tuple[float, float]:
        """Default plotting range of the bias: b* ± HALF_WIDTH (same width, so the axes compare)."""
        center = self.optimum()[1]
        return center - self.HALF_WIDTH, center + self.HALF_WIDTH

    @property
    def default_init(self) -> tuple[float, float]:
        """A start point for trajectories: the optimum shifted by START_OFFSET, inside the default ranges."""
        (w_star, b_star), (dw, db) = self.optimum(), self.START_OFFSET
        return w_star + dw, b_star + db

    def grid(self, resolution: int = 100, x_range=None, y_range=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(W, B, Z) arrays (resolution, resolution) over the default (or given) ranges, one vectorized call."""
        return surface_grid(self.loss, x_range or self.x_range, y_range or self.y_range, resolution)

    def momentum_paths(self, lr, betas, init: Sequence[float] | None = None,
                       num_steps: int = 300) -> np.ndarray:
        """Heavy-ball runs v ← βv − η∇J; (w, b) ← (w, b) + v for several (η, β) at once (β = 0 is GD).

        ``lr`` and ``betas``: numbers or sequences, broadcast to M runs. Returns (M, num_steps, 3)
        rows [w, b, J] before each step; a run whose loss stops being finite is NaN from there on.
        """
        lrs, betas = np.broadcast_arrays(np.atleast_1d(np.asarray(lr, dtype=np.float64)),
                                         np.atleast_1d(np.asarray(betas, dtype=np.float64)))
        init = self.default_init if init is None else init
        w, b = np.full(lrs.shape, float(init[0])), np.full(lrs.shape, float(init[1]))
        velocity_w, velocity_b = np.zeros_like(w), np.zeros_like(b)
        paths = np.empty((len(lrs), int(num_steps), 3))
        with np.errstate(all="ignore"):
            for step in range(int(num_steps)):
                loss, grad_w, grad_b = self._loss_grad_flat(w, b)
                paths[:, step, 0], paths[:, step, 1], paths[:, step, 2] = w, b, loss
                velocity_w = betas * velocity_w - lrs * grad_w
                velocity_b = betas * velocity_b - lrs * grad_b
                w, b = w + velocity_w, b + velocity_b
        still_finite = np.logical_and.accumulate(np.isfinite(paths).all(axis=2), axis=1)
        paths[~still_finite] = np.nan
        return paths

    def condition_number(self) -> float:
        """λ_max / λ_min of the Hessian at the optimum: how unequal the two curvatures are."""
        smallest, largest = self.curvatures()
        return largest / smallest


def fit_logistic_regression(x: Tensor, y: Tensor, num_classes: int = 10, steps: int = 200,
                            lr: float = 0.05) -> tuple[Tensor, Tensor]:
    """Full-batch gradient descent from zeros on softmax cross-entropy: x (N, D), y (N,) → W (C, D), b (C,).

    ∇_W J = (softmax(xWᵀ + b) − onehot(y))ᵀ x / N;  ∇_b J = mean_n (softmax(x_n Wᵀ + b) − onehot(y_n)).
    """
    x = x.to(torch.float64)
    weight = torch.zeros(num_classes, x.shape[1], dtype=torch.float64)
    bias = torch.zeros(num_classes, dtype=torch.float64)
    error_offset = torch.nn.functional.one_hot(y, num_classes).to(torch.float64)
    for _ in range(int(steps)):
        error = torch.softmax(x @ weight.T + bias, dim=1).sub_(error_offset).div_(len(y))
        weight.sub_(error.T @ x, alpha=lr)
        bias.sub_(error.sum(dim=0), alpha=lr)
    return weight, bias
