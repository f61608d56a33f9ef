"""A real-data 2-D loss surface: logistic regression on FashionMNIST with all but two parameters frozen.

- ``fit_logistic_regression``: the 784→10 softmax regression whose parameters are frozen;
- ``minimize_logistic_loss``: the same regression minimized to its end (L-BFGS), with an optional L2
  term, to ask whether a finite minimizer exists at all;
- ``LogisticSlice``: J(w, b) when only one weight w and one bias b move: its value, gradient and
  Hessian, in closed form and vectorized over many (w, b) at once;
- ``SliceWindow``: the part of the (w, b) plane the course looks at, and where paths start.

Its minimizer is found by ``course_lib.experiments.newton``; optimizer paths over it are in
``course_lib.experiments.momentum``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from course_lib.experiments.surfaces import surface_grid

__all__ = ["COURSE_PIXEL_SCALE", "LogisticFit", "LogisticSlice", "SliceWindow", "fit_logistic_regression",
           "minimize_logistic_loss"]

COURSE_PIXEL_SCALE = 3.0


def _as_float64(value) -> Tensor:
    """A float64 CPU tensor (keeping autograd history) from a number, array or tensor."""
    if isinstance(value, Tensor):
        return value.to(device="cpu", dtype=torch.float64)
    return torch.as_tensor(np.asarray(value, dtype=np.float64))


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


@dataclass(frozen=True)
class LogisticFit:
    """Where L-BFGS stopped on J(W, b) + (l2/2)·‖W‖²: weight (C, D), bias (C,), the objective there,
    the largest |gradient| component, the training accuracy and ‖W‖."""

    weight: Tensor
    bias: Tensor
    objective: float
    gradient_max: float
    accuracy: float
    weight_norm: float


def minimize_logistic_loss(x: Tensor, y: Tensor, l2: float = 0.0, num_classes: int = 10,
                           max_iter: int = 100) -> LogisticFit:
    """L-BFGS (strong Wolfe line search, float64, from zeros) on the mean cross-entropy plus (l2/2)·‖W‖².

    x: (N, D), y: (N,). With ``l2 > 0`` the objective is strictly convex in W and has exactly one
    minimizer, which L-BFGS approaches; with ``l2 = 0`` and separable data the loss only approaches
    its infimum 0 as ‖W‖ grows, and the run stops where the gradient underflows its tolerance.
    """
    x = x.detach().reshape(len(y), -1).to("cpu", torch.float64)
    y = y.detach().to("cpu")
    weight = torch.zeros(num_classes, x.shape[1], dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(num_classes, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight, bias], lr=1.0, max_iter=int(max_iter), tolerance_grad=1e-12,
                                  tolerance_change=0.0, history_size=20, line_search_fn="strong_wolfe")

    def objective() -> Tensor:
        optimizer.zero_grad()
        value = torch.nn.functional.cross_entropy(x @ weight.T + bias, y) + 0.5 * l2 * weight.pow(2).sum()
        value.backward()
        return value

    optimizer.step(objective)
    value = objective().detach()
    gradient_max = float(torch.cat([weight.grad.flatten(), bias.grad]).abs().max())
    with torch.no_grad():
        accuracy = float(((x @ weight.T + bias).argmax(dim=1) == y).double().mean())
    return LogisticFit(weight.detach(), bias.detach(), float(value), gradient_max, accuracy,
                       float(weight.detach().norm()))


class LogisticSlice:
    """A softmax regression restricted to two free parameters: one weight w = W[c, p] and one bias b = bias[k].

    The frozen parameters come from ``base_weight`` (C, D) and ``base_bias`` (C,) (kept whole as
    attributes; ``fitted_point`` holds their values of w and b). With x: (N, D) inputs and y: (N,) labels,

        J(w, b) = mean_n [ logsumexp_j z_nj − z_n,y_n ],  z_n = base_n + w·x_np·e_c + b·e_k,

    where base_n are the logits with W[c, p] and bias[k] set to zero. Only two logits move, so a
    whole grid of (w, b) values costs one pass over N numbers per point. Everything is float64 on the
    CPU. The formulas are written once, on arrays of either kind: torch tensors (``loss``, so autograd
    can differentiate it) or NumPy arrays (``loss_and_grad``, the fast path for many small steps).
    The closed-form gradient and Hessian use the softmax probabilities the loss implies:
    ∂J/∂w = mean_n (p_nc − [y_n = c])·x_np and ∂J/∂b = mean_n (p_nk − [y_n = k]).
    """

    DEFAULT_WEIGHT_INDEX = (6, 40)
    DEFAULT_BIAS_INDEX = 8
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
        self._same_class = weight_class == bias_class
        moving = [weight_class] if self._same_class else [weight_class, bias_class]
        others = [j for j in range(num_classes) if j not in moving]
        self._torch = {"pixel": x[:, pixel].contiguous(), "rest": torch.logsumexp(base[:, others], dim=1),
                       "base_w": base[:, weight_class].contiguous(), "base_b": base[:, bias_class].contiguous()}
        self._numpy = {name: tensor.numpy() for name, tensor in self._torch.items()}
        self._target_const = float(base.gather(1, y[:, None]).mean())
        self._target_w = float((x[:, pixel] * (y == weight_class)).mean())
        self._target_b = float((y == bias_class).double().mean())

    @classmethod
    def from_data(cls, data=None, n_images: int = 500, weight_index: tuple[int, int] = DEFAULT_WEIGHT_INDEX,
                  bias_index: int = DEFAULT_BIAS_INDEX, seed: int = 42, fit_steps: int = 200,
                  fit_lr: float = 0.05, pixel_scale: float = 1.0) -> LogisticSlice:
        """The slice for ``n_images`` training images drawn with ``seed`` from ``data`` (FashionMNISTTensors).

        The frozen parameters come from ``fit_logistic_regression`` (``fit_steps`` steps of size
        ``fit_lr`` from zeros) on those images. ``pixel_scale`` multiplies the free weight's pixel
        (input p) after that fit, as if that one input were not standardized; the free weight then
        meets a curvature ``pixel_scale²`` times larger, and its fitted value is divided by
        ``pixel_scale``, so the model's predictions are unchanged. ``data=None`` loads FashionMNIST.
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
        pixel_scale = float(pixel_scale)
        if not pixel_scale > 0:
            raise ValueError(f"pixel_scale must be positive, got {pixel_scale}")
        x[:, weight_index[1]] *= pixel_scale
        weight[:, weight_index[1]] /= pixel_scale
        return cls(x, y, weight, bias, weight_index, bias_index)

    @classmethod
    def course_default(cls, data=None) -> LogisticSlice:
        """The slice notebook 03 and its momentum demo study: 500 images, the default weight and bias,
        the weight's pixel scaled by ``COURSE_PIXEL_SCALE`` (a condition number above 100)."""
        return cls.from_data(data, pixel_scale=COURSE_PIXEL_SCALE)

    def __repr__(self) -> str:
        return (f"LogisticSlice(n_images={self.n_images}, weight=W[{self.weight_class}, {self.pixel}], "
                f"bias=b[{self.bias_class}])")

    # --- the formulas, once, for torch tensors or NumPy arrays w, b of shape (M,) ---------------------

    def _data(self, array) -> dict:
        return self._numpy if isinstance(array, np.ndarray) else self._torch

    def _probabilities(self, w, b):
        """The log-partition logsumexp_j z_nj and the softmax probabilities p_c and p_k, each (M, N)."""
        xp, data = (np, self._numpy) if isinstance(w, np.ndarray) else (torch, self._torch)
        logit_w = data["base_w"] + w[:, None] * data["pixel"]
        if self._same_class:
            logit_w = logit_w + b[:, None]
            log_partition = xp.logaddexp(data["rest"], logit_w)
            prob_w = xp.exp(logit_w - log_partition)
            return log_partition, prob_w, prob_w
        logit_b = data["base_b"] + b[:, None]
        log_partition = xp.logaddexp(xp.logaddexp(data["rest"], logit_w), logit_b)
        return log_partition, xp.exp(logit_w - log_partition), xp.exp(logit_b - log_partition)

    def _mean_loss(self, log_partition, w, b):
        """J for each of the M points: mean_n logsumexp_j z_nj − mean_n z_n,y_n."""
        return log_partition.mean(1) - (self._target_const + w * self._target_w + b * self._target_b)

    def loss_and_grad_flat(self, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(J, ∂J/∂w, ∂J/∂b) for w, b: NumPy arrays (M,) → three (M,) arrays; the fast path of optimizer runs."""
        log_partition, prob_w, prob_b = self._probabilities(w, b)
        grad_w = prob_w @ self._numpy["pixel"] / self.n_images - self._target_w
        grad_b = prob_b.mean(1) - self._target_b
        return self._mean_loss(log_partition, w, b), grad_w, grad_b

    # --- public, broadcasting entry points -------------------------------------------------------------

    def _chunk_size(self) -> int:
        """Points per chunk, so that a (chunk, N) temporary stays a few MB."""
        return max(1, self._CHUNK_ELEMENTS // self.n_images)

    def loss(self, w, b) -> Tensor:
        """J(w, b) elementwise: w, b numbers, arrays or tensors of broadcastable shape S → float64 tensor S.

        Differentiable with autograd when w or b require a gradient.
        """
        w, b = _as_float64(w), _as_float64(b)
        shape = torch.broadcast_shapes(w.shape, b.shape)
        w, b = w.expand(shape).reshape(-1), b.expand(shape).reshape(-1)
        size = self._chunk_size()
        losses = [self._mean_loss(self._probabilities(w[i:i + size], b[i:i + size])[0], w[i:i + size], b[i:i + size])
                  for i in range(0, max(len(w), 1), size)]
        return torch.cat(losses).reshape(shape)

    __call__ = loss

    def loss_and_grad(self, w, b) -> tuple[Tensor, Tensor, Tensor]:
        """(J, ∂J/∂w, ∂J/∂b) in closed form, elementwise over broadcastable w, b of shape S (no autograd).

        Returns float64 tensors of shape S.
        """
        w, b = (_as_float64(v).detach().numpy() for v in (w, b))
        shape = np.broadcast_shapes(w.shape, b.shape)
        w, b = np.broadcast_to(w, shape).ravel(), np.broadcast_to(b, shape).ravel()
        size = self._chunk_size()
        parts = [self.loss_and_grad_flat(w[i:i + size], b[i:i + size]) for i in range(0, max(len(w), 1), size)]
        return tuple(torch.from_numpy(np.concatenate(column).reshape(shape)) for column in zip(*parts, strict=True))

    def gradient_scale(self, w: float, b: float) -> tuple[float, float]:
        """The size of the terms each gradient component sums: (mean_n p_c·|x_p| + |t_w|, mean_n p_k + t_b).

        Rounding in float64 leaves an error of a few machine epsilons times these in the computed
        gradient, so no solver can push |∂J| much below ε times them (see ``experiments.newton``).
        """
        _, prob_w, prob_b = self._probabilities(np.array([float(w)]), np.array([float(b)]))
        scale_w = float((prob_w[0] * np.abs(self._numpy["pixel"])).mean() + abs(self._target_w))
        return scale_w, float(prob_b[0].mean() + self._target_b)

    def hessian(self, w: float, b: float) -> np.ndarray:
        """The 2 × 2 Hessian of J at one point (w, b), in closed form.

        [[mean p_c(1−p_c)x², mean −p_c·p_k·x], [·, mean p_k(1−p_k)]] (for c = k the cross term is
        mean p_c(1−p_c)·x), with p the softmax probabilities of each image.
        """
        _, prob_w, prob_b = self._probabilities(np.array([float(w)]), np.array([float(b)]))
        prob_w, prob_b, pixel = prob_w[0], prob_b[0], self._numpy["pixel"]
        h_ww = np.mean(prob_w * (1 - prob_w) * pixel**2)
        h_bb = np.mean(prob_b * (1 - prob_b))
        cross = prob_w * (1 - prob_w) if self._same_class else -prob_w * prob_b
        h_wb = np.mean(cross * pixel)
        return np.array([[h_ww, h_wb], [h_wb, h_bb]])


@dataclass(frozen=True)
class SliceWindow:
    """The square of the (w, b) plane the course draws, centred on a point (usually the optimum),
    and the start of every optimizer path drawn in it: the centre shifted by ``start_offset``."""

    center: tuple[float, float]
    half_width: float = 4.0
    start_offset: tuple[float, float] = (2.5, 3.5)

    @property
    def x_range(self) -> tuple[float, float]:
        return self.center[0] - self.half_width, self.center[0] + self.half_width

    @property
    def y_range(self) -> tuple[float, float]:
        return self.center[1] - self.half_width, self.center[1] + self.half_width

    @property
    def start(self) -> tuple[float, float]:
        return self.center[0] + self.start_offset[0], self.center[1] + self.start_offset[1]

    def grid(self, loss_fn, resolution: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(W, B, Z) arrays (resolution, resolution) of ``loss_fn`` over the window, one vectorized call."""
        return surface_grid(loss_fn, self.x_range, self.y_range, resolution)
