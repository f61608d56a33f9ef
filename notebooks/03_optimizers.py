# ---
# jupyter:
#   course:
#     exercises:
#     - momentum_update
#     - rmsprop_update
#     - Adam
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
#
# Two tutorials are this notebook's sources, and are called by these names below: "the UvA
# tutorial", the UvA Deep Learning course's Tutorial 4, *Optimization and Initialization* (Phillip
# Lippe, CC BY-SA 4.0: SGD, momentum and Adam written from scratch as one update rule each, the
# test surfaces and their learning rates), and "the
# Neuromatch tutorial", Neuromatch Academy's Deep Learning W1D5, *Optimization techniques*
# (Gallego-Posada, Mitliagkas et al., CC BY 4.0: the two-parameter slice, the momentum and RMSprop
# exercises, overparameterization). Both are cited at the end.

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

from course_lib.carry_over import save_passed
from course_lib.checks import check_adam, check_momentum_update, check_rmsprop_update
from course_lib.config import quick_or_full
from course_lib.data import FASHION_CLASSES, load_fashion_mnist
from course_lib.device import get_device
from course_lib.exercises import student_or_reference
from course_lib.experiments.bias_correction import bias_correction_steps
from course_lib.experiments.logistic_slice import LogisticSlice, SliceWindow, minimize_logistic_loss
from course_lib.experiments.momentum import MomentumExperiment, heavy_ball_paths
from course_lib.experiments.newton import newton_optimum
from course_lib.experiments.overparameterization import PerturbedInits, default_subset
from course_lib.experiments.surfaces import STEEP_OPTIMA_CENTERS, SurfaceRuns, run_trajectory
from course_lib.grading import before_you_submit
from course_lib.optimizers import SGD, CourseOptimizer, SGDMomentum
from course_lib.optimizers import Adam as ReferenceAdam
from course_lib.optimizers import momentum_update as reference_momentum_update
from course_lib.optimizers import rmsprop_update as reference_rmsprop_update
from course_lib.plotting import plot_bias_correction, use_course_style
from course_lib.plotting_figures import (
    plot_class_templates,
    plot_curves,
    plot_distance_comparison,
    plot_distance_panels,
    plot_loss_curves_by_network,
    plot_momentum_grid,
    plot_slice_views,
)
from course_lib.seeding import set_seed
from course_lib.widgets import momentum_demo, overparameterization_demo, surface_demo
from course_lib.widgets.common import show_figure
from course_lib.widgets.momentum import draw_momentum
from course_lib.widgets.optimizer_state import show_param_groups_and_state
from course_lib.widgets.surfaces import draw_coordinates, draw_surface_runs

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
# Because only $f$ changes, every optimizer in this course is a real PyTorch optimizer, a subclass
# of `torch.optim.Optimizer`, written on one small base class of the course, `CourseOptimizer`. Its
# `step()` walks the optimizer's *param groups* and, for each parameter `p` that received a
# gradient, calls one method, `update(p, grad, state, group)`, which each optimizer implements:
# `grad` is `p.grad`, `state` is the parameter's own dict of remembered values, and `group` holds
# the hyper-parameters (`group["lr"]`, …). `zero_grad()`, `state_dict()` and learning-rate
# schedulers come from `torch.optim.Optimizer` unchanged. Here is the base class's `step` and the
# whole of SGD:

# %%
print(inspect.getsource(CourseOptimizer.step))
print(inspect.getsource(CourseOptimizer._update_with_state))
print(inspect.getsource(SGD))

# %% [markdown]
# `step` runs under `torch.no_grad()`, so the update itself is not recorded by autograd, and
# `p.add_` changes the parameter in place, so the model keeps pointing at the same tensor. An
# optimizer with state says what it starts from in `init_state(p)` (for momentum, a zero velocity);
# `step` creates it the first time `p` is updated and passes the same dict to every later call.
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
# the *speed* of the optimizer, not about where it ends up, *if* it has a minimum to end up in
# (the end of this section checks).
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

show_figure(plot_curves(history, xlabel="gradient-descent step", ylabel="loss on the 500 images"))
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
show_figure(plot_class_templates(logistic.weight, FASHION_CLASSES))

# %% [markdown]
# **Where is the minimum?** 500 images in 784 dimensions can almost always be separated perfectly by
# a linear classifier. If some $(W, b)$ classifies every image correctly, then scaling it up,
# $(tW, tb)$ with $t \to \infty$, makes every margin larger and the cross-entropy smaller, towards 0
# but never reaching it: the unregularized loss has **no finite minimizer**, and gradient descent
# would run forever with $\lVert W \rVert$ growing. Adding a small L2 term, $J(W, b) +
# \tfrac{\lambda}{2}\lVert W \rVert^2$, makes the objective strictly convex in $W$, and a minimizer
# exists. It is unique in $W$, but not in $b$: the bias is not penalized, and adding the same constant
# to all ten biases adds it to every score, which leaves the softmax and the loss unchanged, so the
# minimizers form a line $b^\star + c\,\mathbf 1$. Both problems, on our 500 images (L-BFGS, a
# quasi-Newton method, runs each for at most 100 iterations):

# %%
separator = minimize_logistic_loss(X, y, l2=0.0)
print(f"no L2: training accuracy {separator.accuracy:.0%}, loss {separator.objective:.1e}, ‖W‖ = {separator.weight_norm:.0f}")
direction = (separator.weight / separator.weight_norm, separator.bias / separator.weight_norm)
scaled_losses = [F.cross_entropy(X.double() @ (norm * direction[0]).T + norm * direction[1], y).item()
                 for norm in (5, 10, 20, 40)]
print("the same classifier scaled to ‖W‖ = 5, 10, 20, 40: loss " + ", ".join(f"{loss:.1e}" for loss in scaled_losses))
regularized = minimize_logistic_loss(X, y, l2=1e-3)
print(f"with λ = 1e-3: objective {regularized.objective:.4f}, ‖W‖ = {regularized.weight_norm:.2f}, "
      f"largest gradient component {regularized.gradient_max:.1e}")
assert separator.accuracy == 1.0, "the 500 images are linearly separable"
assert all(np.diff(scaled_losses) < 0) and min(scaled_losses) > 0, "scaling up keeps lowering the loss"
assert regularized.gradient_max < 1e-3 and regularized.weight_norm < separator.weight_norm / 5

# %% [markdown]
# Without L2, L-BFGS stops at a loss of about $10^{-12}$ only because the gradient became too small
# to measure; along the same direction, every doubling of the weights lowers the loss further, and
# so on forever.
# With $\lambda = 10^{-3}$ L-BFGS ends (after its 100 iterations) where the largest gradient component
# is a few times $10^{-5}$, as printed: close to the minimizer, not at it to float64 precision, with
# weights an order of magnitude smaller. The two-parameter slices below do not need
# the L2 term: with the other 7 848 parameters frozen, the two free ones cannot separate the images
# by themselves, so their loss has a minimum, which we compute to machine precision and check.
#
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
#
# The weight belongs to one pixel (near the neckline, feeding the class "Shirt"); the bias to the
# class "Bag". One more change makes the problem as badly conditioned as real networks often are: we
# deliberately multiply that one pixel by 3. (This is a rescaling chosen for the demonstration, not
# what skipping standardization would do: an unstandardized pixel, $x/255$, is about 2.8 times
# *smaller* than a standardized one, and the raw 0–255 value about 90 times larger. Notebook 01's
# global standardization gives all pixels the same units but leaves each pixel its own spread, so
# inputs on different scales remain.) The weight's fitted value shrinks by 3 to match, so the model's
# predictions do not change, but the loss now curves $3^2 = 9$ times more steeply along the weight.

# %%
problem = LogisticSlice.course_default(data)
optimum = newton_optimum(problem)
window = SliceWindow(optimum.point)
w_star, b_star = optimum.point
curvature_min, curvature_max = optimum.curvatures
print(problem)
print(f"free weight: pixel {problem.pixel} (row {problem.pixel // 28}, column {problem.pixel % 28}) → class "
      f"'{FASHION_CLASSES[problem.weight_class]}'; free bias: class '{FASHION_CLASSES[problem.bias_class]}'")
print(f"optimum (Newton): w* = {w_star:.6f}, b* = {b_star:.6f}")
print(f"curvatures at the optimum: {curvature_min:.4f} and {curvature_max:.4f} "
      f"(condition number {optimum.condition_number:.1f})")

# %%
show_figure(plot_slice_views(problem.loss, window.x_range, window.y_range, (w_star, b_star)))

# %% [markdown]
# The surface is a long, narrow valley: steep across the weight axis, nearly flat along the bias
# axis.
#
# **Finding the optimum with Newton's method.** To measure how far an optimizer is from the
# optimum, we need the optimum itself, to machine precision. With only two parameters we can afford
# second-order information: near a point $u = (w, b)$ the loss is approximately quadratic,
# $J(u + \delta) \approx J(u) + \nabla J^\top \delta + \tfrac12 \delta^\top H \delta$, whose minimum is at
# $\delta = -H^{-1}\nabla J$. Newton's method repeats $u \leftarrow u - H^{-1}\nabla J(u)$ and, close
# to the optimum, doubles the number of correct digits at every step. `newton_optimum(problem)` did
# that (halving a step that would make the gradient larger). It stops once the gradient is as small
# as float64 arithmetic can tell from zero: each gradient component is a mean of 500 terms, and
# rounding leaves an error of a few machine epsilons ($\varepsilon \approx 2.2\cdot10^{-16}$) times the
# size of those terms. Demanding a smaller gradient would be demanding luck in the rounding.

# %%
_, grad_w, grad_b = problem.loss_and_grad(w_star, b_star)
print(f"∇J(w*, b*) = ({float(grad_w):.1e}, {float(grad_b):.1e}) after {optimum.iterations} Newton steps; "
      f"rounding limit ({optimum.tolerance[0]:.1e}, {optimum.tolerance[1]:.1e})")
assert abs(float(grad_w)) <= optimum.tolerance[0] and abs(float(grad_b)) <= optimum.tolerance[1]
assert min(optimum.curvatures) > 0, "both curvatures positive: a minimum"

# %% [markdown]
# The Hessian's eigenvalues, the *curvatures* printed above, differ by the condition number
# $\kappa = \lambda_{\max}/\lambda_{\min}$, above 100 here. Gradient descent is only stable for
# $\eta < 2/\lambda_{\max}$, and then the flat direction shrinks its error by a factor
# $1 - \eta\lambda_{\min}$ per step; since $\eta\lambda_{\min} < (2/\lambda_{\max})\,\lambda_{\min} = 2/\kappa$,
# that factor is above $1 - 2/\kappa$: with $\kappa \approx 113$, at best about 2 % per step. Watch the distance to the optimum, per parameter, for a few learning rates over 200 steps:

# %%
print(f"condition number κ = {optimum.condition_number:.0f}; GD is stable for lr < 2/λ_max = {optimum.stable_lr:.2f}")
assert optimum.condition_number > 100
learning_rates = [0.1, 0.3, 1.0, 2.0]
gd_paths = heavy_ball_paths(problem, learning_rates, 0.0, window.start, num_steps=201)
gd_errors = np.abs(gd_paths[:, :, :2] - [w_star, b_star])
show_figure(plot_distance_panels({f"GD, lr = {lr:g}": errors for lr, errors in zip(learning_rates, gd_errors, strict=True)}))
weight_error, bias_error = gd_errors[2, -1]
bias_shrink = gd_errors[2, -1, 1] / gd_errors[2, -2, 1]
print(f"GD with lr = 1 after 200 steps: weight off by {weight_error:.1e} (closest on the way: "
      f"{gd_errors[2, :, 0].min():.1e}), bias off by {bias_error:.1e}, the bias error shrinking "
      f"{1 - bias_shrink:.1%} per step")
error_ratio = gd_errors[1:, -20:, 0] / gd_errors[1:, -20:, 1]
print(f"weight error / bias error over the last 20 steps for lr = 0.3, 1, 2: "
      f"between {error_ratio.min():.1e} and {error_ratio.max():.1e}")
print(f"best of the four after 200 steps: {gd_errors[:, -1].max(axis=1).min():.1e} from the optimum")
assert weight_error < 1e-2 * bias_error
assert weight_error > 10 * gd_errors[2, :, 0].min(), "the weight error should level off, not keep shrinking"
assert 3e-4 < error_ratio.min() and error_ratio.max() < 3e-3, "the weight should follow the valley floor"
assert 0.98 < bias_shrink < 1, "the bias crawls"
assert gd_errors[:, -1].max(axis=1).min() > 1e-2, "no learning rate gets GD close in 200 steps"

# %% [markdown]
# Gradient descent takes the same learning rate in both directions. The weight (high curvature)
# moves fast at first, but only until it reaches the floor of the valley. That floor is slightly
# tilted: the best weight for a given bias is not $w^*$ unless the bias is $b^*$ too. So from then
# on the weight simply follows the floor. Its error stops falling (with lr = 1 it dips once, where
# the weight passes $w^*$, then levels off) and from then on shrinks only as fast as the bias error,
# staying about a thousand times smaller than it. The bias (low curvature) crawls, under 1 % closer
# per step with lr = 1, so the weight waits for it. Raising the learning rate helps the bias, until
# the weight direction becomes unstable at $\eta = 2/\lambda_{\max} \approx 2.2$: after 200 steps
# none of the four learning rates has GD within $10^{-2}$ of the optimum.
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
# ### Exercise: `momentum_update`
#
# - **What to write:** one heavy-ball step for a list of parameters. Compute the gradient of `loss`
#   with respect to `params`, then change every velocity in `grad_vel` and every parameter **in
#   place**, so the velocities are still there at the next call.
# - **The math:** for each parameter $w$ and its own velocity $v$: $v \leftarrow \beta v - \eta \nabla J(w)$,
#   then $w \leftarrow w + v$.
# - **Signature:** `momentum_update(loss, params, grad_vel, lr=1e-3, beta=0.8) -> None`; `grad_vel[i]`
#   has the shape of `params[i]`.
# - **Example:** create the velocities once, before the loop, `velocities = [torch.zeros(()), torch.zeros(())]`;
#   then each step calls `momentum_update(problem.loss(w, b), [w, b], velocities, lr=1.0, beta=0.9)`
#   with that same list (a fresh list of zeros at every call would throw the velocity away).
# - **The check tries:** five small regression problems (the last with three parameters of one shape),
#   three successive calls on each, four settings of `lr` and `beta` and the defaults, and compares
#   parameters and velocities with course_lib's reference after every call.
# - **Tools:** `torch.autograd.grad` (gradients without touching `.grad`), `torch.no_grad()`, and the
#   in-place tensor methods (`Tensor.mul_`, `Tensor.add_`, …).

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
momentum_step = student_or_reference(momentum_update, momentum_works, reference_momentum_update)

lr, beta = 1.0, 0.9
w = torch.tensor(window.start[0], dtype=torch.float64, requires_grad=True)
b = torch.tensor(window.start[1], dtype=torch.float64, requires_grad=True)
velocities = [torch.zeros_like(w), torch.zeros_like(b)]
autograd_path = []
for _ in range(100):
    autograd_path.append((w.item(), b.item()))
    momentum_step(problem.loss(w, b), [w, b], velocities, lr=lr, beta=beta)
closed_form_path = heavy_ball_paths(problem, lr, beta, window.start, num_steps=100)[0, :, :2]
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
# optimum, in both parameters, within 200 steps. Then look at what GD does with the same learning
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
# A coarse grid search finds one: the final distance after 200 steps for 21 learning rates and 20
# values of $\beta$ at once (the column $\beta = 0$ is plain GD).

# %%
grid_lrs = np.logspace(-1, 1, 21)
grid_betas = np.round(np.arange(0.0, 0.96, 0.05), 2)
lr_grid, beta_grid = np.meshgrid(grid_lrs, grid_betas, indexing="ij")
final = heavy_ball_paths(problem, lr_grid.ravel(), beta_grid.ravel(), window.start, num_steps=201)[:, -1, :2]
final_distance = np.abs(final - [w_star, b_star]).max(axis=1).reshape(lr_grid.shape)

show_figure(plot_momentum_grid(final_distance, grid_lrs, grid_betas))

TUNED_LR, TUNED_BETA = 2.5, 0.75
gd_steps, momentum_steps = momentum_experiment.steps_to_tolerance(TUNED_LR, TUNED_BETA, 1e-6, num_steps=201)
print(f"lr = {TUNED_LR}, β = {TUNED_BETA}: momentum within 1e-6 at step {momentum_steps}; "
      f"GD with the same lr: {gd_steps or 'not within 200 steps'}")
assert momentum_steps is not None and momentum_steps <= 200 and gd_steps is None

best_gd = np.nanmin(final_distance[:, 0])
best_momentum = np.nanmin(final_distance[:, 1:])
print(f"best over the grid after 200 steps: GD {best_gd:.1e}, momentum {best_momentum:.1e}")
assert best_momentum < 1e-6 < 1e-2 < best_gd

# %% [markdown]
# The bright band runs diagonally: a larger learning rate wants a smaller β. Even at its best
# learning rate GD stays more than $10^{-2}$ away, while momentum with a tuned β gets within
# $10^{-6}$: with the best settings, heavy-ball momentum shrinks the error by about
# $(\sqrt\kappa - 1)/(\sqrt\kappa + 1)$ per step near the optimum, GD only by
# $(\kappa - 1)/(\kappa + 1)$ (Polyak, 1964).
#
# How much of this is our slice? The course's claims suite (`make claims`, `claims/REPORT.md`)
# rebuilt the slice from five other random draws of 500 images: there the problem is less badly
# conditioned ($\kappa$ from 42 to 99) and the best GD on the same grid gets closer, to between
# $3\cdot10^{-4}$ and $6\cdot10^{-2}$, but the best momentum still ended at least $10^{4}$ times closer
# than the best GD on every draw. The picture at the tuned setting:

# %%
show_figure(draw_momentum(momentum_experiment, TUNED_LR, TUNED_BETA, 200))

# %% [markdown]
# ### Two ways to write momentum
#
# The heavy-ball form above scales the gradient by $\eta$ inside the velocity. Many texts (and
# course_lib's `SGDMomentum`, as in the UvA tutorial, and Adam's first moment, which section 6 builds)
# use an exponential moving average instead: $m_t = \beta m_{t-1} + (1-\beta) g_t$, $w_t = w_{t-1} - \eta m_t$.
# Multiply the EMA by $-\eta$ and compare: $v_t := -\eta m_t$ satisfies
# $v_t = \beta v_{t-1} - \eta(1-\beta) g_t$, which is heavy-ball with learning rate $\eta(1-\beta)$.
# The two forms trace **the same path** when the heavy-ball learning rate is $\eta(1-\beta)$; in the
# EMA form, $\eta$ is the size of a step once the velocity has built up, independent of $\beta$.
#
# **PyTorch uses the heavy-ball form.** `torch.optim.SGD(lr=η, momentum=β)` keeps a buffer
# $b_t = \beta b_{t-1} + g_t$ and steps $w_t = w_{t-1} - \eta\, b_t$; with $v_t := -\eta b_t$ this is
# $v_t = \beta v_{t-1} - \eta g_t$, exactly the heavy-ball update at the same $\eta$ (the cell below
# checks that the two paths agree to rounding). Only the EMA form differs: with a steady gradient
# heavy-ball's step grows to $\eta g/(1-\beta)$, ten times the EMA form's at $\beta = 0.9$, so a
# learning rate tuned for the EMA form must be multiplied by $(1-\beta)$ for torch or heavy-ball.

# %%
eta, beta = 2.0, 0.9
ema_path = run_trajectory(lambda params: SGDMomentum(params, lr=eta, momentum=beta), problem.loss,
                          init=window.start, num_steps=100, dtype=torch.float64)
heavy_ball_path = heavy_ball_paths(problem, eta * (1 - beta), beta, window.start, num_steps=100)[0]
print(f"EMA momentum (η = {eta}) vs heavy ball (η(1−β) = {eta * (1 - beta):.2f}): largest difference "
      f"{np.abs(ema_path - heavy_ball_path).max():.1e}")
torch_path = run_trajectory(lambda params: torch.optim.SGD(params, lr=eta * (1 - beta), momentum=beta), problem.loss,
                            init=window.start, num_steps=100, dtype=torch.float64)
print(f"torch.optim.SGD(lr = η(1−β), momentum = β) vs the EMA form: largest difference "
      f"{np.abs(ema_path - torch_path).max():.1e}")
torch_same_lr = run_trajectory(lambda params: torch.optim.SGD(params, lr=eta, momentum=beta), problem.loss,
                              init=window.start, num_steps=100, dtype=torch.float64)
heavy_ball_same_lr = heavy_ball_paths(problem, eta, beta, window.start, num_steps=100)[0]
print(f"torch.optim.SGD(lr = η, momentum = β) vs heavy ball at the same η: largest difference "
      f"{np.abs(torch_same_lr - heavy_ball_same_lr).max():.1e}")
assert np.allclose(ema_path, heavy_ball_path, atol=1e-10) and np.allclose(ema_path, torch_path, atol=1e-10)
assert np.allclose(torch_same_lr, heavy_ball_same_lr, atol=1e-10)

# %% [markdown]
# ## 5. RMSprop: a learning rate per parameter
#
# Momentum still uses one learning rate for all parameters. RMSprop rescales each parameter's step
# by a running estimate of the size of its gradients:
#
# $$s_t = \alpha s_{t-1} + (1-\alpha)\, g_t^2, \qquad w_{t+1} = w_t - \eta \frac{g_t}{\sqrt{s_t + \epsilon}},$$
#
# where squaring, square root and division act element by element and $\epsilon$ (e.g. $10^{-8}$)
# keeps the division safe when $s_t$ is tiny. A parameter whose recent gradients are large takes
# smaller steps, one whose gradients are small takes larger ones. That is the *size of the
# gradient*, not the curvature: a steep straight slope has large gradients and no curvature, and
# near an optimum a strongly curved direction has small gradients. RMSprop evens out gradient sizes;
# it does not measure curvature the way Newton's method does.
#
# **Where ε sits.** This exercise (like the Neuromatch tutorial it follows) puts ε inside the square
# root, $\sqrt{s_t + \epsilon}$. `torch.optim.RMSprop` and `torch.optim.Adam`, and course_lib's
# `RMSprop` and `Adam` classes, put it outside, $\sqrt{s_t} + \epsilon$. The two differ only when
# $s_t$ is as small as ε; keep the form your code is compared with.
#
# ### Exercise: `rmsprop_update`
#
# - **What to write:** one RMSprop step for a list of parameters: compute the gradient of `loss`,
#   then change every running average in `grad_sq` and every parameter **in place**.
# - **The math:** for each parameter $w$, its gradient $g$ and its own average $s$:
#   $s \leftarrow \alpha s + (1-\alpha) g^2$, then $w \leftarrow w - \eta\, g / \sqrt{s + \epsilon}$, element by element.
# - **Signature:** `rmsprop_update(loss, params, grad_sq, lr=1e-3, alpha=0.8, epsilon=1e-8) -> None`.
# - **Example:** as for momentum, create `averages = [torch.zeros(()), torch.zeros(())]` once, then each
#   step calls `rmsprop_update(problem.loss(w, b), [w, b], averages, lr=0.1, alpha=0.9)`.
# - **The check tries:** six problems like momentum's, three calls each, four settings and the
#   defaults; one setting has a large ε = 0.25, where $\sqrt{s + \epsilon}$ and $\sqrt{s} + \epsilon$
#   differ by about 10 %, so ε must sit where the math above puts it. It names the usual slips (g
#   instead of g², α and 1 − α swapped, no square root, ε outside the root, …).
# - **Tools:** as for momentum, plus `torch.sqrt`.

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
rmsprop_step = student_or_reference(rmsprop_update, rmsprop_works, reference_rmsprop_update)

w = torch.tensor(window.start[0], dtype=torch.float64, requires_grad=True)
b = torch.tensor(window.start[1], dtype=torch.float64, requires_grad=True)
squares = [torch.zeros_like(w), torch.zeros_like(b)]
rmsprop_path = []
for _ in range(101):
    rmsprop_path.append((w.item(), b.item()))
    rmsprop_step(problem.loss(w, b), [w, b], squares, lr=0.1, alpha=0.9)
rmsprop_distance = np.abs(np.array(rmsprop_path) - [w_star, b_star])
gd_distance = np.abs(gd_paths[2, :101, :2] - [w_star, b_star])

show_figure(plot_distance_comparison({"GD, lr = 1": gd_distance, "RMSprop, lr = 0.1": rmsprop_distance}))
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
correction = bias_correction_steps(steps=30, beta1=0.9, beta2=0.999, gradient=1.0)
plot_bias_correction(correction)
plt.show()
print(f"first step: {correction.raw[0]:.2f} η without the correction, {correction.corrected[0]:.2f} η with it")
assert np.allclose(correction.corrected, 1.0) and correction.raw[0] > 3

# %% [markdown]
# ### Exercise: `Adam`
#
# - **What to write:** the body of `update(self, p, grad, state, group)` in the class below. The
#   constructor and `init_state` are given: the constructor hands the hyper-parameters to
#   `CourseOptimizer`, which keeps them in the param group, and `init_state(p)` says what each
#   parameter starts from, the step count $t$ = `state["step"]` = 0 and the two moments
#   `state["m"]`, `state["v"]`, zeros of `p`'s shape. `step()` calls `update` under
#   `torch.no_grad()` for every parameter with a gradient, always with that parameter's own `state`.
# - **The math:** $t \leftarrow t + 1$; $m \leftarrow \beta_1 m + (1-\beta_1) g$; $v \leftarrow \beta_2 v + (1-\beta_2) g^2$;
#   $\hat m = m/(1-\beta_1^t)$, $\hat v = v/(1-\beta_2^t)$; $w \leftarrow w - \eta\, \hat m/(\sqrt{\hat v} + \epsilon)$,
#   with $g$ = `grad`, $\eta$ = `group["lr"]`, $\beta_1$ = `group["beta1"]`, $\beta_2$ = `group["beta2"]`,
#   $\epsilon$ = `group["eps"]` (ε outside the square root, as in `torch.optim.Adam`).
# - **Signature:** `Adam(params, lr, beta1=0.9, beta2=0.999, eps=1e-8)`;
#   `update(self, p, grad, state, group) -> None` changes `p` in place and keeps $t$, $m$, $v$ in
#   `state` (change them in place, or store the new values back: `state["m"] = …`).
# - **Example:** `optimizer = Adam([w], lr=0.1)`, then per step `optimizer.zero_grad()`, `loss.backward()`,
#   `optimizer.step()`.
# - **The check tries:** three linear problems whose gradients it controls (default betas;
#   β₁ = 0.8, β₂ = 0.95, ε = 1e-7; and a large ε = 0.5, where it matters on which side of the square
#   root ε sits) for four steps and a small regression for five, against course_lib's Adam after
#   every step, and names the usual slips (no bias correction, betas swapped, state not kept
#   between steps, …). Then it tries your class as PyTorch code will use it: two param groups with
#   their own `lr` and betas, and a `state_dict()` saved from one optimizer and loaded into a new one.
# - **Tools:** `state[...]` and `group[...]`, in-place tensor methods, `torch.sqrt` (or `Tensor.sqrt`).

# %% course={"exercise": "Adam"}
class Adam(CourseOptimizer):
    """Adam: m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; w ← w − η·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)."""

    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(params, lr=lr, beta1=beta1, beta2=beta2, eps=eps)

    def init_state(self, p):
        return {"step": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)}

    def update(self, p, grad, state, group):
        raise NotImplementedError("Exercise: Adam.update")


# %%
adam_works = check_adam(Adam)
save_passed("Adam", Adam, adam_works)  # notebook 05 builds its AdamW on your Adam once it passes

# %% [markdown]
# ### Param groups and state: where a PyTorch optimizer keeps things
#
# Your class is now an ordinary PyTorch optimizer, so it keeps its numbers where every
# `torch.optim` optimizer does. `optimizer.param_groups` is a list of dicts, one per group of
# parameters, each holding its parameters and its own hyper-parameters; a learning-rate scheduler
# changes `group["lr"]` there, and two groups can have different settings (notebook 05 gives
# biases a group without weight decay). `optimizer.state[p]` is the dict your `update` receives as
# `state`. `optimizer.state_dict()` saves both, so a training run can be stopped and resumed. Two
# steps on a tiny problem, weights and bias in two groups with their own learning rates
# (your Adam if it passed its check, else course_lib's):

# %%
adam_class = student_or_reference(Adam, adam_works, ReferenceAdam, name="Adam")
show_param_groups_and_state(adam_class)

# %% [markdown]
# ## 7. Surfaces that need momentum, and surfaces that need adaptive steps
#
# Real loss surfaces have millions of dimensions, but two hand-made 2-D surfaces from the UvA
# tutorial isolate two typical difficulties. We run SGD, momentum (EMA form, β = 0.9) and Adam with
# the tutorial's learning rates, 100 steps each. Do not carry these learning rates over to a
# network: a good learning rate depends on how steep and how curved the surface is, and these two
# toy surfaces are very gentle away from their ravine and wells, so they need far bigger steps.

# %%
surface_runs = SurfaceRuns(optimizers={"Adam": lambda params, lr: adam_class(params, lr=lr)})


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

# %% [markdown]
# The paths overlap on the surface, so look at each coordinate against the step:

# %%
show_figure(draw_coordinates(curvature_paths))
for name, path in curvature_paths.items():
    print(f"{name:9s} w2: {path[0, 1]:+.1f} → {path[-1, 1]:+.1f}; last 20 steps: max |w1| = "
          f"{np.abs(path[-20:, 0]).max():.3f}; final loss {path[-1, 2]:.4f} (tanh(w1)² = {np.tanh(path[-1, 0])**2:.3f})")
sgd_w1 = curvature_paths["SGD"][:, 0]
thrown_out = np.flatnonzero((np.abs(sgd_w1[:-1]) < 1.5) & (np.abs(sgd_w1[1:]) > 3))
print(f"SGD is thrown from near the ravine (|w1| < 1.5) to |w1| > 3 at steps {thrown_out.tolist()}")
assert curvature_paths["SGD"][-1, 1] < -5, "SGD does descend along w2"
assert len(thrown_out) >= 2 and np.abs(sgd_w1[-20:]).min() > 1.0, "its w1 keeps being thrown out of the ravine"
assert np.tanh(sgd_w1[-1]) ** 2 > 0.9, "SGD's loss stays near 1 because of w1, out on the flat part of tanh²"
for name in ("Momentum", "Adam"):
    assert np.abs(curvature_paths[name][-20:, 0]).max() < 0.1 and curvature_paths[name][-1, 2] < 0.01
    assert curvature_paths[name][-1, 1] < curvature_paths["SGD"][-1, 1] - 5, f"{name} gets much further along w2"

# %% [markdown]
# SGD does move along the ravine: its $w_2$ falls from 5 to below $-6$ in 100 steps. What keeps its
# loss near 1 is $w_1$. With a learning rate of 10, every time $w_1$ comes near the ravine the steep
# wall (the gradient of $\tanh^2$, largest around $|w_1| \approx 0.7$) throws it far out, to
# $|w_1| > 3$, onto the flat part of $\tanh^2$ where the loss is almost 1 and the gradient almost 0;
# from there it creeps back, mostly down the gentle $0.01\,|w_1|$ slope, until the next throw. Along
# $w_2$ it keeps going, but ever more slowly, since $\sigma'(w_2)$ fades as $w_2$ falls. Momentum
# averages the alternating $w_1$ kicks away in its velocity, so from $(5, 5)$ $w_1$ settles at 0
# within the 100 steps (from starts moved by up to 0.5 it was still swinging across the ravine, by up
# to 1, in 2 of 4 tries; the averaging takes time), while the steady
# $w_2$ gradient accumulates: the velocity keeps it moving along the floor even as $\sigma'(w_2)$
# fades, to $w_2 \approx -13$. Adam divides each coordinate's step by the size of its recent
# gradients, so the steep wall no longer decides how far $w_1$ jumps, and the tiny $w_2$ gradient
# still gives full-size steps.
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
# Gradient descent can then end in different places from different starts.
#
# The demo below takes one seeded initialization of an MLP, makes several copies with
# $0.2 \cdot \mathcal N(0, 1)$ added to every parameter, and trains every copy with full-batch gradient
# descent on a small set of images (all copies at once, as stacked tensors). That is no small
# nudge: PyTorch's default initialization gives a layer with $d$ inputs weights of standard
# deviation $1/\sqrt{3d}$, 0.021 for the first layer's 784 inputs and 0.058 for 100 inputs, so the
# added noise is 1 to 10 times the weights' own size. The copies are different, larger
# initializations that share a common part, not nearby starts. In a convex problem every start
# would still end at the same loss. Choose the hidden sizes, the learning rate, the
# number of steps and of initializations; a progress bar shows while it trains, and results are
# cached.

# %%
overparameterization_experiment = PerturbedInits(*default_subset())
overparameterization_demo(experiment=overparameterization_experiment, num_steps=quick_or_full(60, 150),
                          num_inits=quick_or_full(5, 7))

# %% [markdown]
# The same comparison as a statement: the spread of the final loss across these initializations
# for a small network and for a wide one. (On seeds 0–4 the small network's spread was 12 to 72
# times the wide one's. With copies that really are nearby, each parameter nudged by half its own
# layer's standard deviation, the gap shrinks to 1.1 to 14 times on those seeds, and the wide
# network ended lower after 60 steps in only 2 of the 5: the demo's large nudges are what make the
# difference this clear.)

# %%
comparison_steps, comparison_inits = quick_or_full(60, 150), quick_or_full(5, 7)
curves = {hidden: overparameterization_experiment.loss_curves(hidden, 0.05, comparison_steps, comparison_inits)
          for hidden in [(10,), (100, 100)]}
show_figure(plot_loss_curves_by_network(curves))
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
# *flatness* of the minimum that training ends in (sharp minima generalized worse in their
# experiments), though Dinh et al. (2017) showed that sharpness depends on how the weights are
# parametrized: rescaling the layers of a ReLU network can make the same function's minimum as sharp
# as you like. Notebook 04 compares the optimizers on a real network.
#
# **Think!** A gradient only describes the loss at one point. Momentum and RMSprop squeeze a little
# more out of the gradients they have already computed. What else could an optimizer measure or
# remember to take better steps, and what would that cost per step?

# %% [markdown]
# *Write your answer here, then compare with the solution notebook.*

# %% [markdown]
# ## References
#
# * Polyak, B. T. (1964). Some methods of speeding up the convergence of iteration methods. *USSR
#   Computational Mathematics and Mathematical Physics* 4(5). (Heavy-ball momentum and its rate.)
# * Sutskever, I., Martens, J., Dahl, G. & Hinton, G. (2013). On the importance of initialization and
#   momentum in deep learning. ICML.
# * Tieleman, T. & Hinton, G. (2012). Lecture 6.5, RMSprop. *Neural Networks for Machine Learning*, Coursera.
# * Kingma, D. P. & Ba, J. (2015). Adam: A method for stochastic optimization. ICLR.
# * Nocedal, J. & Wright, S. J. (2006). *Numerical Optimization*, 2nd ed., Springer. (Newton's method,
#   L-BFGS, condition numbers.)
# * Wilson, A. C. et al. (2017). The marginal value of adaptive gradient methods in machine learning. NeurIPS.
# * Keskar, N. S. et al. (2017). On large-batch training for deep learning: generalization gap and
#   sharp minima. ICLR.
# * Dinh, L., Pascanu, R., Bengio, S. & Bengio, Y. (2017). Sharp minima can generalize for deep nets. ICML.
# * Lippe, P. (2021). *UvA Deep Learning Tutorial 4: Optimization and Initialization.* University of
#   Amsterdam. https://uvadlc-notebooks.readthedocs.io (CC BY-SA 4.0).
# * Gallego-Posada, J., Mitliagkas, I. et al. (2021). *Neuromatch Academy Deep Learning, W1D5 Tutorial 1:
#   Optimization techniques.* https://deeplearning.neuromatch.io (CC BY 4.0).

# %% [markdown]
# ## Before you submit
#
# Save the notebook (Ctrl+S / Cmd+S), then run the cell below. It grades the file you saved with the
# same code as your instructor's `course-grade` (each exercise cell and its check, in a fresh process,
# in a few seconds) and shows the points per exercise with what each check says. It warns you first
# when the saved file is not what you ran: an exercise cell changed, or run, since you last saved. Hand
# in that saved `.ipynb` file. On Colab, download it first (File → Download → Download .ipynb).

# %%
before_you_submit("03_optimizers")
