# ---
# jupyter:
#   course:
#     notebook: 03_optimizers
# ---

# %% [markdown]
# # 03 · Optimizers
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/init-optim-course/init-optim-course/blob/main/notebooks/03_optimizers.ipynb)
#
# An optimizer turns gradients into parameter updates. In this notebook you look at what makes that
# hard even for a convex model: a logistic regression on FashionMNIST whose parameters have very
# different curvatures (*poor conditioning*). You then write momentum, RMSprop and Adam (Kingma &
# Ba, 2015) yourself, watch them on loss surfaces built to trouble plain gradient descent, and end
# with non-convex networks, where making the network wider makes training easier. Code cells marked
# **Exercise** raise `NotImplementedError` until you fill them in; the cell right after each exercise
# runs a self-check that tells you, in one sentence, whether your code is right. Until then, later
# cells use course_lib's reference and say so. **Think!** boxes ask a question: answer it for
# yourself before reading on.

# %%
# Set-up: on Google Colab this installs course_lib and turns on widget support; elsewhere it does nothing.
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "course_lib @ git+https://github.com/init-optim-course/init-optim-course"], check=True)
    from google.colab import output

    output.enable_custom_widget_manager()

# %% tags=["grading-setup"]
import inspect
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.checks import check_adam, check_momentum_update, check_rmsprop_update
from course_lib.config import quick_or_full
from course_lib.data import FASHION_CLASSES, load_fashion_mnist
from course_lib.device import get_device
from course_lib.optimizers import SGD, OptimizerTemplate, SGDMomentum
from course_lib.optimizers import momentum_update as reference_momentum_update
from course_lib.optimizers import rmsprop_update as reference_rmsprop_update
from course_lib.plotting import plot_surface, use_course_style
from course_lib.seeding import set_seed
from course_lib.surfaces import STEEP_OPTIMA_CENTERS, LogisticSlice, run_trajectory
from course_lib.widgets import momentum_demo, overparameterization_demo, surface_demo
from course_lib.widgets.common import show_figure
from course_lib.widgets.momentum import MomentumExperiment, draw_momentum
from course_lib.widgets.overparameterization import PerturbedInits, default_subset
from course_lib.widgets.surfaces import SurfaceRuns, draw_surface_runs

generator = set_seed(42)
device = get_device()
use_course_style()
# Every computation here is small (at most 500 images at a time): on a CPU one thread is as fast as
# several, and it does not fight over the cores with other programs.
torch.set_num_threads(1)

# %% [markdown]
# ## 1. What an optimizer is
#
# Training changes the parameters $w$ step by step. At step $t$ the optimizer sees the current
# parameters $w_{t-1}$, the gradient of the loss there, $g_t = \nabla J(w_{t-1})$, and a learning
# rate $\eta$, and returns the next parameters:
#
# $$w_t = f(w_{t-1}, g_t, \eta).$$
#
# Optimizers differ only in $f$, and in what they remember between steps (a *state*, such as a
# running average of past gradients). Plain (stochastic) gradient descent has no state:
#
# $$w_t = w_{t-1} - \eta\, g_t .$$
#
# Because only $f$ changes, course_lib writes every optimizer on one template: `step()` loops over
# the parameters that received a gradient and calls `update_param(p)`, which each optimizer
# implements. `zero_grad()` forgets the gradients of the previous step. Here is the template and
# the whole of SGD:

# %%
print(inspect.getsource(OptimizerTemplate.step))
print(inspect.getsource(SGD))

# %% [markdown]
# `step` runs under `torch.no_grad()`, so the update itself is not recorded by autograd, and
# `p.add_` changes the parameter in place, so the model keeps pointing at the same tensor. Any
# optimizer with state keeps it in a dict keyed by the parameter, e.g. `self.velocity[p]`.
#
# ## 2. A convex problem: logistic regression on 500 images
#
# We start with the simplest classifier: a linear map from the 784 pixels to 10 class scores,
# $z = Wx + b$ with $W \in \mathbb{R}^{10\times784}$, $b \in \mathbb{R}^{10}$, followed by a softmax.
# What we care about is the **0-1 loss** (the fraction of wrong predictions), but it is piecewise
# constant in $W$ and $b$: its gradient is zero almost everywhere and tells the optimizer nothing.
# We minimize a smooth *surrogate* instead, the cross-entropy
#
# $$J(W, b) = \frac{1}{N}\sum_{n=1}^{N} \Big[\log \sum_{j} e^{z_{nj}} - z_{n,y_n}\Big],$$
#
# which is **convex** in $(W, b)$: log-sum-exp is convex and $z$ is linear in the parameters. A
# convex loss has no local minima other than the global ones, so whatever goes wrong below is about
# the *speed* of the optimizer, not about where it ends up.
#
# To keep every step cheap we use a fixed subset of 500 training images (the same 500 images are
# used in section 3).

# %%
data = load_fashion_mnist(device=device)
subset = torch.randperm(len(data.train_y), generator=torch.Generator().manual_seed(42))[:500].to(data.train_y.device)
X, y = data.train_x[subset].flatten(1), data.train_y[subset]
print(f"X: {tuple(X.shape)}, y: {tuple(y.shape)}, classes in the subset: {torch.bincount(y, minlength=10).tolist()}")

# %% [markdown]
# Before training, a quick numerical look at convexity: for random pairs of parameter vectors
# $\theta_a, \theta_b$, the loss at the midpoint is never above the average of the two losses,
# $J\big(\tfrac{\theta_a+\theta_b}{2}\big) \le \tfrac{J(\theta_a) + J(\theta_b)}{2}$.

# %%
def cross_entropy_at(weight, bias):
    """J(W, b) on the subset: weight (10, 784), bias (10,)."""
    return F.cross_entropy(X @ weight.T + bias, y).item()


gaps = []
for _ in range(20):
    (wa, ba), (wb, bb) = [(0.1 * torch.randn(10, 784, device=device), torch.randn(10, device=device))
                          for _ in range(2)]
    midpoint = cross_entropy_at((wa + wb) / 2, (ba + bb) / 2)
    gaps.append((cross_entropy_at(wa, ba) + cross_entropy_at(wb, bb)) / 2 - midpoint)
print(f"average minus midpoint loss over 20 random pairs: min {min(gaps):.3f}, max {max(gaps):.3f}")
assert min(gaps) >= 0

# %% [markdown]
# Now train it with our SGD (full batch: every step uses all 500 images), recording the
# cross-entropy we optimize and the 0-1 loss we care about.

# %%
set_seed(42)
logistic = nn.Linear(784, 10).to(device)
optimizer = SGD(logistic.parameters(), lr=0.05)
num_steps = 200
history = {"cross-entropy": [], "0-1 loss": []}
for _ in range(num_steps):
    logits = logistic(X)
    loss = F.cross_entropy(logits, y)
    history["cross-entropy"].append(loss.item())
    history["0-1 loss"].append((logits.argmax(dim=1) != y).float().mean().item())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

fig, ax = plt.subplots(figsize=(7, 3.5))
for name, values in history.items():
    ax.plot(values, label=name)
ax.set_xlabel("gradient-descent step")
ax.set_ylabel("loss on the 500 images")
ax.legend()
plt.show()
print(f"after {num_steps} steps: cross-entropy {history['cross-entropy'][-1]:.3f}, "
      f"training accuracy {1 - history['0-1 loss'][-1]:.1%}")
assert history["cross-entropy"][-1] < 0.5 * history["cross-entropy"][0]
assert history["0-1 loss"][-1] < 0.2

# %% [markdown]
# The cross-entropy falls smoothly while the 0-1 loss moves in jumps of 1/500: the surrogate gives
# a useful gradient at every step, the 0-1 loss only counts.
#
# **Interpretability.** Class $j$'s score is $z_j = \sum_p W_{jp} x_p + b_j$, a weighted sum of
# pixels. Drawing each row of $W$ as a 28×28 image shows which pixels push an image towards that
# class (red) or away from it (blue): each row is a *template* of its class.

# %%
templates = logistic.weight.detach().cpu().reshape(10, 28, 28)
limit = templates.abs().max().item()
fig, axes = plt.subplots(2, 5, figsize=(12, 5.4))
for ax, template, name in zip(axes.flat, templates, FASHION_CLASSES, strict=True):
    ax.imshow(template, cmap="coolwarm", vmin=-limit, vmax=limit)
    ax.set_title(name, fontsize=10)
    ax.axis("off")
fig.suptitle("Rows of W as 28×28 templates (red: evidence for the class, blue: against)")
plt.show()

# %% [markdown]
# **Think!** The trouser template is mostly a pair of vertical stripes with a gap. Why is the gap
# blue rather than just white?

# %% [markdown]
# *Write your answer here, then compare with the solution notebook.*

# %% [markdown]
# ## 3. Poor conditioning, in two dimensions
#
# Even this convex problem can be slow to optimize, because its parameters are not equally
# sensitive. To *see* it, we freeze all 7 850 parameters of a fitted logistic regression except
# two — one weight $w$ and one bias $b$ — and study the loss as a function of those two:
# $J(w, b)$ is a 2-D surface we can plot. `LogisticSlice` does this for the same 500 images; it
# evaluates a whole grid of $(w, b)$ values in one vectorized call.

# %%
problem = LogisticSlice.from_data(data, n_images=500)
w_star, b_star = problem.optimum()
curvature_min, curvature_max = problem.curvatures()
print(problem)
print(f"free weight: pixel {problem.pixel} (row {problem.pixel // 28}, column {problem.pixel % 28}) → class "
      f"'{FASHION_CLASSES[problem.weight_class]}'; free bias: class '{FASHION_CLASSES[problem.bias_class]}'")
print(f"optimum (Newton): w* = {w_star:.6f}, b* = {b_star:.6f}")
print(f"curvatures at the optimum: {curvature_min:.4f} and {curvature_max:.4f} "
      f"(condition number {problem.condition_number():.1f})")

# %%
fig = plt.figure(figsize=(13, 4.8))
ax2d = fig.add_subplot(1, 2, 1)
plot_surface(problem.loss, problem.x_range, problem.y_range, ax=ax2d, resolution=80, title="J(w, b), from above")
ax2d.plot(w_star, b_star, marker="*", color="lime", ms=14, ls="none")
ax2d.set_xlabel("weight w")
ax2d.set_ylabel("bias b")
ax3d = fig.add_subplot(1, 2, 2, projection="3d")
plot_surface(problem.loss, problem.x_range, problem.y_range, plot_3d=True, ax=ax3d, resolution=50,
             title="the same surface in 3-D")
ax3d.set_xlabel("weight w")
ax3d.set_ylabel("bias b")
ax3d.view_init(elev=30, azim=-130)
plt.show()

# %% [markdown]
# The surface is a long, shallow valley: steep across the weight axis, nearly flat along the bias
# axis.
#
# **Finding the optimum with Newton's method.** To measure how far an optimizer is from the
# optimum, we need the optimum itself, to machine precision. With only two parameters we can afford
# second-order information: near a point $u = (w, b)$ the loss is approximately quadratic,
# $J(u + \delta) \approx J(u) + \nabla J^\top \delta + \tfrac12 \delta^\top H \delta$, whose minimum is at
# $\delta = -H^{-1}\nabla J$. Newton's method repeats $u \leftarrow u - H^{-1}\nabla J(u)$ and, close
# to the optimum, doubles the number of correct digits at every step. `problem.optimum()` did that
# (with a step-halving safeguard); the gradient there is zero to machine precision:

# %%
_, grad_w, grad_b = problem.loss_and_grad(w_star, b_star)
print(f"∇J(w*, b*) = ({float(grad_w):.1e}, {float(grad_b):.1e})")
assert abs(float(grad_w)) < 1e-10 and abs(float(grad_b)) < 1e-10

# %% [markdown]
# The Hessian's eigenvalues, the *curvatures* printed above, differ by a factor of about
# `condition_number()`. Gradient descent is only stable for $\eta < 2/\lambda_{\max}$, and then the
# flat direction shrinks its error by a factor $(1 - \eta\lambda_{\min})$ per step: with a large
# condition number, that is close to 1. Watch the distance to the optimum, per parameter, for a few
# learning rates:

# %%
learning_rates = [0.3, 1.0, 3.0, 10.0]
gd_paths = problem.momentum_paths(learning_rates, 0.0, num_steps=101)
fig, axes = plt.subplots(1, len(learning_rates), figsize=(14, 3.4), sharey=True)
for ax, lr, path in zip(axes, learning_rates, gd_paths, strict=True):
    ax.semilogy(np.abs(path[:, 0] - w_star), label="weight")
    ax.semilogy(np.abs(path[:, 1] - b_star), label="bias")
    ax.set_title(f"GD, lr = {lr:g}")
    ax.set_xlabel("step")
axes[0].set_ylabel("|parameter − optimum|")
axes[0].legend()
plt.show()
gd_errors = np.abs(gd_paths[:, :, :2] - [w_star, b_star])
weight_error, bias_error = gd_errors[1, -1]
print(f"GD with lr = 1 after 100 steps: weight off by {weight_error:.1e} (closest on the way: "
      f"{gd_errors[1, :, 0].min():.1e}), bias off by {bias_error:.1e}")
error_ratio = gd_errors[1:, -20:, 0] / gd_errors[1:, -20:, 1]
print(f"weight error / bias error over the last 20 steps for lr = 1, 3, 10: "
      f"between {error_ratio.min():.1e} and {error_ratio.max():.1e}")
assert weight_error < 1e-2 * bias_error
assert weight_error > 10 * gd_errors[1, :, 0].min(), "the weight error should level off, not keep shrinking"
assert 1e-3 < error_ratio.min() and error_ratio.max() < 1e-2, "the weight should follow the valley floor"

# %% [markdown]
# Gradient descent takes the same learning rate in both directions. The weight (high curvature)
# moves fast at first, but only until it reaches the floor of the valley. That floor is slightly
# tilted: the best weight for a given bias is not $w^*$ unless the bias is $b^*$ too. So from then
# on the weight simply follows the floor. Its error stops falling (with lr = 1 it dips once, where
# the weight passes $w^*$, then levels off at about $4\cdot10^{-3}$) and from then on shrinks only
# as fast as the bias error, staying a few hundred times smaller than it. The bias (low curvature) crawls, about 1 % closer per step with
# lr = 1, so the weight waits for it. Raising the learning rate helps the bias, until the weight
# direction becomes unstable at $\eta \approx 2/\lambda_{\max}$.
#
# ## 4. Momentum
#
# Momentum remembers where it was going. The *heavy-ball* update adds a fraction $\beta$ of the
# previous step to the gradient step:
#
# $$w_{t+1} = w_t - \eta \nabla J(w_t) + \beta\,(w_t - w_{t-1}).$$
#
# Call the last step the *velocity*, $v_{t-1} := w_t - w_{t-1}$. Then the update becomes a
# recursion in two lines,
#
# $$v_t = \beta v_{t-1} - \eta \nabla J(w_t), \qquad w_{t+1} = w_t + v_t,$$
#
# with $v_0 = 0$. Note the **plus** sign in the second line: the minus is already inside $v$.
# Unrolled, $v_t = -\eta \sum_{k \le t} \beta^{t-k} \nabla J(w_k)$: gradients that keep pointing the
# same way (along the flat valley) add up to a step about $1/(1-\beta)$ times larger, while
# gradients that flip sign (across the steep walls) cancel.
#
# **Exercise: `momentum_update`.** Compute the gradient of `loss` with respect to `params` (use
# `torch.autograd.grad`, so nothing accumulates in `.grad` between calls), then update each
# velocity in `grad_vel` and each parameter **in place** (e.g. `vel.mul_(…)`, `par += …` inside
# `torch.no_grad()`), so that the velocities are still there at the next call.

# %% course={"exercise": "momentum_update"}
def momentum_update(loss, params, grad_vel, lr=1e-3, beta=0.8):
    """One heavy-ball step: v ← βv − η∇J(w); w ← w + v, for each (parameter, velocity) pair, in place.

    loss: scalar tensor; params: list of tensors with requires_grad; grad_vel: list of tensors shaped like
    params (the velocities, kept between calls); lr: η; beta: β. Returns None.
    """
    raise NotImplementedError("Exercise: momentum_update")


# %%
momentum_works = check_momentum_update(momentum_update)

# %% [markdown]
# Your momentum on the slice: 100 steps, one autograd call per step. The demo below runs the same
# recursion with a closed-form gradient for many settings at once; both must trace the same path.

# %%
momentum_step = momentum_update if momentum_works else reference_momentum_update
if not momentum_works:
    print("Your momentum_update has not passed its check yet: this cell uses course_lib's reference.")

lr, beta = 1.0, 0.9
w = torch.tensor(problem.default_init[0], dtype=torch.float64, requires_grad=True)
b = torch.tensor(problem.default_init[1], dtype=torch.float64, requires_grad=True)
velocities = [torch.zeros_like(w), torch.zeros_like(b)]
autograd_path = []
for _ in range(100):
    autograd_path.append((w.item(), b.item()))
    momentum_step(problem.loss(w, b), [w, b], velocities, lr=lr, beta=beta)
closed_form_path = problem.momentum_paths(lr, beta, num_steps=100)[0, :, :2]
print(f"largest difference between the two paths: {np.abs(np.array(autograd_path) - closed_form_path).max():.1e}")
assert np.allclose(autograd_path, closed_form_path, atol=1e-9)

# %% [markdown]
# ### Momentum vs gradient descent, live
#
# The left panel shows the distance to the optimum of each parameter (log scale) for GD (black)
# and momentum (red), with the weight solid and the bias dotted; the dashed line is $10^{-6}$. The
# right panel shows both paths over the loss surface.
#
# **Your task:** tune the learning rate and $\beta$ so that momentum gets within $10^{-6}$ of the
# optimum, in both parameters, within 100 steps. Then look at what GD does with the same learning
# rate.

# %%
momentum_experiment = MomentumExperiment(problem)
momentum_demo(experiment=momentum_experiment)

# %% [markdown]
# **Think!** How does this example show poor conditioning, and how does momentum help? Do you see
# oscillations, and for which method and parameter?

# %% [markdown]
# *Write your answer here, then compare with the solution notebook.*

# %% [markdown]
# ### Spoiler: one answer to the task
#
# **Try the task with the sliders above before you read on:** the next cells give an answer away.
#
# A coarse grid search finds one: the final distance after 100 steps for 11 learning rates and 20
# values of $\beta$ at once (the column $\beta = 0$ is plain GD).

# %%
grid_lrs = np.logspace(-1, 1.5, 11)
grid_betas = np.round(np.arange(0.0, 0.96, 0.05), 2)
lr_grid, beta_grid = np.meshgrid(grid_lrs, grid_betas, indexing="ij")
final = problem.momentum_paths(lr_grid.ravel(), beta_grid.ravel(), num_steps=101)[:, -1, :2]
final_distance = np.abs(final - [w_star, b_star]).max(axis=1).reshape(lr_grid.shape)

fig, ax = plt.subplots(figsize=(9, 4.5))
image = ax.imshow(np.log10(np.nan_to_num(final_distance, nan=1e3) + 1e-16), origin="lower", aspect="auto",
                  cmap="magma_r", vmin=-15, vmax=1)
ax.set_xticks(range(len(grid_betas))[::2], [f"{b:.1f}" for b in grid_betas[::2]])
ax.set_yticks(range(len(grid_lrs))[::2], [f"{lr:.2g}" for lr in grid_lrs[::2]])
ax.set_xlabel("momentum β (0 = gradient descent)")
ax.set_ylabel("learning rate")
ax.grid(False)
fig.colorbar(image, label="log10 distance to the optimum after 100 steps")
plt.show()

TUNED_LR, TUNED_BETA = 10.0, 0.5
gd_steps, momentum_steps = momentum_experiment.steps_to_tolerance(TUNED_LR, TUNED_BETA, 1e-6, num_steps=101)
print(f"lr = {TUNED_LR}, β = {TUNED_BETA}: momentum within 1e-6 at step {momentum_steps}; "
      f"GD with the same lr: {gd_steps or 'not within 100 steps'}")
assert momentum_steps is not None and momentum_steps <= 100 and gd_steps is None

best_gd = np.nanmin(final_distance[:, 0])
best_momentum = np.nanmin(final_distance[:, 1:])
print(f"best over the grid after 100 steps: GD {best_gd:.1e}, momentum {best_momentum:.1e}")
assert best_momentum < 1e-3 * best_gd

# %% [markdown]
# The bright band runs diagonally: a larger learning rate wants a smaller β. With the best learning
# rate for GD (close to $2/(\lambda_{\min}+\lambda_{\max})$) GD also gets close, but momentum with a
# tuned β beats the best GD by many orders of magnitude. The picture at the tuned setting:

# %%
show_figure(draw_momentum(momentum_experiment, TUNED_LR, TUNED_BETA, 100))

# %% [markdown]
# ## 5. RMSprop: a learning rate per parameter
#
# Momentum still uses one learning rate for all parameters. RMSprop rescales each parameter's step
# by a running estimate of the size of its gradients:
#
# $$s_t = \alpha s_{t-1} + (1-\alpha)\, g_t^2, \qquad w_{t+1} = w_t - \eta \frac{g_t}{\sqrt{s_t + \epsilon}},$$
#
# where squaring, square root and division act element by element and $\epsilon$ (e.g. $10^{-8}$)
# keeps the division safe when $s_t$ is tiny. A parameter with large gradients (steep direction)
# takes smaller steps, one with small gradients (flat direction) larger ones.
#
# **Exercise: `rmsprop_update`.** As for momentum: compute the gradient of `loss`, then update each
# running average in `grad_sq` and each parameter in place.

# %% course={"exercise": "rmsprop_update"}
def rmsprop_update(loss, params, grad_sq, lr=1e-3, alpha=0.8, epsilon=1e-8):
    """One RMSprop step: s ← αs + (1−α)g²; w ← w − η·g/√(s+ε), element-wise and in place.

    loss: scalar tensor; params: list of tensors with requires_grad; grad_sq: list of tensors shaped like
    params (running means of squared gradients, kept between calls). Returns None.
    """
    raise NotImplementedError("Exercise: rmsprop_update")


# %%
rmsprop_works = check_rmsprop_update(rmsprop_update)

# %% [markdown]
# RMSprop on the slice, next to GD with the learning rate we used above:

# %%
rmsprop_step = rmsprop_update if rmsprop_works else reference_rmsprop_update
if not rmsprop_works:
    print("Your rmsprop_update has not passed its check yet: this cell uses course_lib's reference.")

w = torch.tensor(problem.default_init[0], dtype=torch.float64, requires_grad=True)
b = torch.tensor(problem.default_init[1], dtype=torch.float64, requires_grad=True)
squares = [torch.zeros_like(w), torch.zeros_like(b)]
rmsprop_path = []
for _ in range(101):
    rmsprop_path.append((w.item(), b.item()))
    rmsprop_step(problem.loss(w, b), [w, b], squares, lr=0.1, alpha=0.9)
rmsprop_distance = np.abs(np.array(rmsprop_path) - [w_star, b_star])
gd_distance = np.abs(gd_paths[1, :, :2] - [w_star, b_star])

fig, ax = plt.subplots(figsize=(7, 3.6))
for name, distance, color in [("GD, lr = 1", gd_distance, "black"), ("RMSprop, lr = 0.1", rmsprop_distance, "C2")]:
    ax.semilogy(distance[:, 0], "-", color=color, label=f"{name}, weight")
    ax.semilogy(distance[:, 1], ":", color=color, label=f"{name}, bias")
ax.set_xlabel("step")
ax.set_ylabel("|parameter − optimum|")
ax.legend(fontsize=8)
plt.show()
print(f"RMSprop after 100 steps: weight off by {rmsprop_distance[-1, 0]:.1e}, bias off by {rmsprop_distance[-1, 1]:.1e}")
first_step = np.abs(np.diff(rmsprop_path[:2], axis=0))[0]
closest = rmsprop_distance.max(axis=1).min()
print(f"first step (lr = 0.1, α = 0.9): Δw = {first_step[0]:.4f}, Δb = {first_step[1]:.4f}; "
      f"η/√(1−α) = {0.1 / np.sqrt(1 - 0.9):.4f}")
print(f"closest approach {closest:.1e}, then back out to {rmsprop_distance[-1].max():.1e} at step 100")
assert np.allclose(first_step, 0.1 / np.sqrt(1 - 0.9), rtol=1e-3)
assert rmsprop_distance[-1].max() < 1e-6
assert rmsprop_distance[-1].max() > 100 * closest, "RMSprop should drift away again after its closest approach"

# %% [markdown]
# Both of RMSprop's parameters move at a similar pace, whatever the size of their gradients. The
# first step is the same in both directions and larger than $\eta$: with $s_0 = 0$, the first average
# is $s_1 = (1-\alpha)\,g_1^2$, so the step is $\eta\,|g_1|/\sqrt{(1-\alpha)g_1^2} = \eta/\sqrt{1-\alpha}$,
# about $3.2\,\eta$ for $\alpha = 0.9$ (and $10\,\eta$ for the common default $\alpha = 0.99$). As $s_t$
# fills up with gradients of a steady size, the step shrinks towards $\eta$. RMSprop reaches the
# optimum in both directions without tuning a β for this problem. Near the optimum the gradients,
# and with them $s_t$, shrink, so the effective step $\eta/\sqrt{s_t}$ grows again: after its closest
# approach RMSprop drifts away and hovers around the optimum instead of settling exactly, one reason
# to decay the learning rate late in training.
#
# ## 6. Adam: momentum and RMSprop, with bias correction
#
# Adam (Kingma & Ba, 2015) keeps both running averages, of the gradient ($m$, *first moment*) and
# of its square ($v$, *second moment*), and steps along $m$ scaled per parameter by $\sqrt{v}$:
#
# $$m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,$$
# $$\hat m_t = \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t}, \qquad
#   w_t = w_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}.$$
#
# **Why the bias correction.** Both averages start at zero. After one step, $m_1 = (1-\beta_1) g_1$:
# with $\beta_1 = 0.9$ that is a tenth of the gradient, and with $\beta_2 = 0.999$, $v_1$ is a
# thousandth of $g_1^2$. If the gradient were constant, $g_t = g$, then
# $m_t = (1-\beta_1)\sum_{k<t} \beta_1^k\, g = (1-\beta_1^t)\, g$: dividing by $1-\beta_1^t$ gives back
# exactly $g$ from the first step on. The same holds for $v$. Without the correction the first
# steps would be badly scaled (the ratio $m/\sqrt{v}$ would start near $0.1/\sqrt{0.001} \approx 3$
# times too large). The correction fades as $\beta^t \to 0$.

# %%
constant_gradient, steps = 1.0, np.arange(1, 31)
m_raw = (1 - 0.9**steps) * constant_gradient
v_raw = (1 - 0.999**steps) * constant_gradient**2
fig, ax = plt.subplots(figsize=(7, 3.2))
ax.plot(steps, m_raw / np.sqrt(v_raw), label="m / √v (no correction)")
ax.plot(steps, (m_raw / (1 - 0.9**steps)) / np.sqrt(v_raw / (1 - 0.999**steps)), label="m̂ / √v̂ (corrected)")
ax.set_xlabel("step t (constant gradient g = 1)")
ax.set_ylabel("step size in units of η")
ax.legend()
plt.show()

# %% [markdown]
# **Exercise: `Adam`.** The constructor is given: it stores the hyper-parameters and, for each
# parameter, the step count $t$ and the two moments, in dicts keyed by the parameter. Write
# `update_param(p)`: advance $t$, update $m$ and $v$ with `p.grad` (in place, or by storing the new
# tensors back in the dicts), bias-correct them and change `p` in place. `step()` from
# `OptimizerTemplate` already runs it under `torch.no_grad()` for every parameter with a gradient.

# %% course={"exercise": "Adam"}
class Adam(OptimizerTemplate):
    """Adam: m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; w ← w − η·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)."""

    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(params, lr)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.param_step = {p: 0 for p in self.params}
        self.param_momentum = {p: torch.zeros_like(p) for p in self.params}
        self.param_2nd_momentum = {p: torch.zeros_like(p) for p in self.params}

    def update_param(self, p):
        raise NotImplementedError("Exercise: Adam.update_param")


# %%
adam_works = check_adam(Adam)

# %% [markdown]
# ### Two ways to write momentum
#
# The heavy-ball form above scales the gradient by $\eta$ inside the velocity. Many texts (and
# course_lib's `SGDMomentum`, as in the UvA tutorial, and Adam's first moment) use an exponential
# moving average instead: $m_t = \beta m_{t-1} + (1-\beta) g_t$, $w_t = w_{t-1} - \eta m_t$.
# Multiply the EMA by $-\eta$ and compare: $v_t := -\eta m_t$ satisfies
# $v_t = \beta v_{t-1} - \eta(1-\beta) g_t$, which is heavy-ball with learning rate $\eta(1-\beta)$.
# The two forms trace **the same path** when the heavy-ball learning rate is $\eta(1-\beta)$; in the
# EMA form, $\eta$ is the size of a step once the velocity has built up, independent of $\beta$.

# %%
eta, beta = 2.0, 0.9
ema_path = run_trajectory(lambda params: SGDMomentum(params, lr=eta, momentum=beta), problem.loss,
                          init=problem.default_init, num_steps=100, dtype=torch.float64)
heavy_ball_path = problem.momentum_paths(eta * (1 - beta), beta, num_steps=100)[0]
print(f"EMA momentum (η = {eta}) vs heavy ball (η(1−β) = {eta * (1 - beta):.2f}): largest difference "
      f"{np.abs(ema_path - heavy_ball_path).max():.1e}")
assert np.allclose(ema_path, heavy_ball_path, atol=1e-10)

# %% [markdown]
# ## 7. Surfaces that need momentum, and surfaces that need adaptive steps
#
# Real loss surfaces have millions of dimensions, but two hand-made 2-D surfaces from the UvA
# tutorial isolate two typical difficulties. We run SGD, momentum (EMA form, β = 0.9) and Adam with
# the tutorial's learning rates, 100 steps each. Do not carry these learning rates over to a
# network: a good learning rate depends on how steep and how curved the surface is, and these two
# toy surfaces are very gentle away from their ravine and wells, so they need far bigger steps.

# %%
if adam_works:
    surface_runs = SurfaceRuns(optimizers={"Adam": lambda params, lr: Adam(params, lr=lr)})
else:
    surface_runs = SurfaceRuns()
    print("Your Adam has not passed its check yet: the Adam paths below use course_lib's reference Adam.")


def show_paths(surface_name, num_steps=100):
    """2-D and 3-D views of the three optimizers' paths on one surface; returns the paths."""
    surface = surface_runs.surfaces[surface_name]
    paths = surface_runs.paths(surface_name, surface_runs.default_lrs(surface_name), num_steps)
    for plot_3d in (False, True):
        show_figure(draw_surface_runs(surface, paths, plot_3d=plot_3d))
    return paths


# %% [markdown]
# ### Pathological curvature
#
# $J(w_1, w_2) = \tanh(w_1)^2 + 0.01\,|w_1| + \sigma(w_2)$: a ravine along $w_1 = 0$ whose walls
# are steep, while the floor descends gently as $w_2$ decreases. Starting at $(5, 5)$:

# %%
curvature_paths = show_paths("pathological curvature")
for name, path in curvature_paths.items():
    print(f"{name:9s} last 20 steps: max |w1| = {np.abs(path[-20:, 0]).max():.3f}; final loss {path[-1, 2]:.4f}")
assert np.abs(curvature_paths["SGD"][-20:, 0]).max() > 1.0 and curvature_paths["SGD"][-1, 2] > 0.5
for name in ("Momentum", "Adam"):
    assert np.abs(curvature_paths[name][-20:, 0]).max() < 0.1 and curvature_paths[name][-1, 2] < 0.01

# %% [markdown]
# SGD jumps from wall to wall: once it reaches the ravine, the steep $w_1$ gradient sends it across,
# and it never settles, so it hardly descends along $w_2$. With momentum the alternating $w_1$
# gradients cancel in the velocity, while the small but steady $w_2$ gradient accumulates: it
# slides down the floor of the ravine. Adam normalizes each coordinate's step, so the steep wall no
# longer dictates the step size.
#
# ### Steep optima
#
# Three narrow wells (Gaussians of width 0.2) in a plain that is almost perfectly flat. Starting at
# $(0, 0)$, where the gradient is tiny:

# %%
steep_paths = show_paths("steep optima")


def distance_to_nearest_well(point):
    return min(math.dist(point, center) for center in STEEP_OPTIMA_CENTERS)


for name, path in steep_paths.items():
    print(f"{name:9s} ends at ({path[-1, 0]:+.2f}, {path[-1, 1]:+.2f}), "
          f"{distance_to_nearest_well(path[-1, :2]):.3f} from the nearest well; final loss {path[-1, 2]:.3f}")
assert distance_to_nearest_well(steep_paths["Adam"][-1, :2]) < 0.05
for name in ("SGD", "Momentum"):
    assert distance_to_nearest_well(steep_paths[name][-1, :2]) > 0.3

# %% [markdown]
# The two surfaces' findings in words. The notebook tests compare this cell's printout with the
# stored one, so if a finding changes, the difference shows up there as well as in the checks above.

# %%
# NBVAL_CHECK_OUTPUT
reached = {
    "pathological curvature": {name: np.abs(path[-20:, 0]).max() < 0.1 and path[-1, 2] < 0.01
                               for name, path in curvature_paths.items()},
    "steep optima": {name: distance_to_nearest_well(path[-1, :2]) < 0.05 for name, path in steep_paths.items()},
}
for surface_name, outcome in reached.items():
    print(f"{surface_name}: settles in the minimum within 100 steps: "
          f"{', '.join(name for name, ok in outcome.items() if ok)}; "
          f"does not: {', '.join(name for name, ok in outcome.items() if not ok)}")

# %% [markdown]
# SGD creeps while the gradient is tiny; when it finally reaches the rim of a well, the gradient is
# suddenly huge and throws it far out onto the plain, where it is stuck again. Momentum behaves the
# same, and the one enormous gradient overwhelms its velocity. Only Adam, whose step size does not
# depend on how large the gradient is, walks steadily off the plateau and into a well, and stays.
#
# ### Try it yourself
#
# Pick a surface (the learning rates reset to the tutorial's), change each optimizer's learning
# rate, and switch between the 2-D and 3-D views. Can you find an SGD learning rate that works on
# the pathological curvature? A momentum learning rate that reaches a steep well?

# %%
surface_demo(runs=surface_runs)

# %% [markdown]
# ## 8. Non-convexity, and overparameterization to the rescue
#
# One hidden layer is enough to make the loss non-convex: permuting hidden units gives equivalent
# networks at different points, and the straight line between two of them runs over higher loss.
# Gradient descent can then end in different places from different starts, and a start that is
# slightly different can lead somewhere quite different.
#
# The demo below takes one seeded initialization of an MLP, makes several copies with every
# parameter nudged by $0.2 \cdot \mathcal N(0, 1)$, and trains every copy with full-batch gradient
# descent on a small set of images (all copies at once, as stacked tensors). In a convex problem,
# nearby starts would give almost the same curves. Choose the hidden sizes, the learning rate, the
# number of steps and of initializations; a progress bar shows while it trains, and results are
# cached.

# %%
overparameterization_experiment = PerturbedInits(*default_subset())
overparameterization_demo(experiment=overparameterization_experiment, num_steps=quick_or_full(60, 150),
                          num_inits=quick_or_full(5, 7))

# %% [markdown]
# The same comparison as a statement: the spread of the final loss across nearby initializations
# for a small network and for a wide one.

# %%
comparison_steps, comparison_inits = quick_or_full(60, 150), quick_or_full(5, 7)
curves = {hidden: overparameterization_experiment.loss_curves(hidden, 0.05, comparison_steps, comparison_inits)
          for hidden in [(10,), (100, 100)]}
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), sharey=True)
for ax, (hidden, runs) in zip(axes, curves.items(), strict=True):
    ax.plot(runs.T, lw=1.2)
    ax.set_title(f"hidden sizes {hidden}: final loss {runs[:, -1].mean():.3f} ± {runs[:, -1].std():.3f}")
    ax.set_xlabel("gradient-descent step")
axes[0].set_ylabel("training loss")
axes[0].set_ylim(0, 3)
plt.show()
small_spread, wide_spread = (runs[:, -1].std() for runs in curves.values())
assert small_spread > 3 * wide_spread
assert curves[(100, 100)][:, -1].mean() < curves[(10,)][:, -1].mean()

# %% [markdown]
# **Think!** Wider (and deeper) networks train faster and more consistently across
# initializations. Why might that be? What are the downsides of fighting non-convexity this way?

# %% [markdown]
# *Write your answer here, then compare with the solution notebook.*

# %% [markdown]
# ## 9. Which optimizer?
#
# Momentum fixes the zig-zag of poor conditioning, adaptive methods (RMSprop, Adam) fix badly
# scaled gradients, and Adam combines both, which is why it is the usual first choice. It is not
# always the best final choice: Wilson et al. (2017) found that adaptive methods can generalize worse
# than well-tuned SGD with momentum, and Keskar et al. (2017) related generalization to the
# *flatness* of the minimum that training ends in (sharp minima generalize worse). Notebook 04
# compares the optimizers on a real network.
#
# **Think!** A gradient only describes the loss at one point. Momentum and RMSprop squeeze a little
# more out of the gradients they have already computed. What else could an optimizer measure or
# remember to take better steps, and what would that cost per step?

# %% [markdown]
# *Write your answer here, then compare with the solution notebook.*
