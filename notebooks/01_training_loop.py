# ---
# jupyter:
#   course:
#     exercises:
#     - sgd_step
#     - sample_minibatch
#     notebook: 01_training_loop
# ---

# %% [markdown]
# # 01 · The training loop
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/init-optim-course/init-optim-course/blob/main/notebooks/01_training_loop.ipynb)
#
# In this notebook you build the loop that trains every network in this course: you standardize
# FashionMNIST images, look inside an `nn.Module`, write the SGD step yourself, see why gradients
# must be reset after every step, compare full-batch gradient descent with minibatch SGD, time two
# ways of feeding minibatches, evaluate a model properly, and finally fight overfitting with L2
# regularization. Code cells marked **Exercise** raise `NotImplementedError` until you fill them in;
# the cell right after each exercise runs a self-check that tells you, in one sentence, whether your
# code is right. **Think!** boxes ask a question: answer it for yourself before reading on.

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
import copy
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
import torchvision
from torch import nn

from course_lib.carry_over import save_passed
from course_lib.checks import check_sample_minibatch, check_sgd_step
from course_lib.config import is_quick, quick_or_full
from course_lib.data import (
    InMemoryLoader,
    compute_normalization,
    load_fashion_mnist,
    prepare_fashion_mnist,
    split_indices,
    torchvision_loaders,
)
from course_lib.data import sample_minibatch as reference_sample_minibatch
from course_lib.device import get_device
from course_lib.exercises import student_or_reference
from course_lib.experiments.minibatch import minibatch_gradient_noise
from course_lib.experiments.regularization import proximal_path, subgradient_path
from course_lib.experiments.weight_decay import WeightDecayExperiment
from course_lib.grading import before_you_submit
from course_lib.models import MLP
from course_lib.optimizers import SGD
from course_lib.optimizers import sgd_step as reference_sgd_step
from course_lib.plotting import plot_training_curves, use_course_style
from course_lib.plotting_figures import plot_curves, plot_standardized_images
from course_lib.seeding import set_seed
from course_lib.training import evaluate, train_model
from course_lib.widgets import weight_decay_demo
from course_lib.widgets.common import show_figure
from course_lib.widgets.minibatch import draw_gradient_noise
from course_lib.widgets.weight_decay import draw_weight_decay

generator = set_seed(42)
device = get_device()
use_course_style()

# %% [markdown]
# ## 1. The data, and why we standardize it
#
# FashionMNIST has 70 000 grey-scale images of 28×28 pixels in 10 classes of clothing: 60 000 in
# the training file and 10 000 in the test file. `load_fashion_mnist` splits the training file
# (with a fixed seed) into 50 000 images to train on and 10 000 to validate on, and keeps every
# split in memory as tensors, already standardized.
#
# Raw pixels are integers from 0 to 255. Networks learn best when their inputs are centred on zero
# and of unit scale (LeCun et al., 1998, *Efficient BackProp*). Scale: the size of the first layer's
# pre-activations, and of its gradients, grows with the size of its inputs, and an input on a much
# larger scale than the others makes the loss far more curved along its weights, which slows
# gradient descent (notebook 03 measures this). Centre: the gradient of a unit's weight $w_p$ is its
# error signal times the input $x_p$; if every input is positive, all of a unit's weights get
# gradients of the same sign at each step, so they can only all grow or all shrink together and
# must zig-zag to reach weights of mixed signs. Two common recipes:
#
# **Min-max normalization** maps the range $[x_{\min}, x_{\max}]$ onto a chosen range $[l, u]$:
#
# $$x' = \frac{x - x_{\min}}{x_{\max} - x_{\min}}\,(u - l) + l .$$
#
# For pixels with $l = 0$, $u = 1$ this is simply $x / 255$ (what torchvision's `ToTensor` does).
#
# **Standardization** subtracts the mean and divides by the standard deviation, both measured on
# the training data:
#
# $$x' = \frac{x - \mu}{\sigma}, \qquad \mu = \frac{1}{N}\sum_{i=1}^{N} x_i, \qquad
# \sigma = \sqrt{\frac{1}{N}\sum_{i=1}^{N} (x_i - \mu)^2}.$$
#
# For images, one $\mu$ and one $\sigma$ are computed over all pixels of all training images (per
# colour channel for colour images). We divide by $N$, not $N - 1$: $\sigma$ describes these pixels
# rather than estimating the spread of some larger population, and with 47 million pixels the two
# agree to many digits anyway. In torch that is `std(correction=0)`; the plain `std()` divides by
# $N - 1$. Let us compute them from the raw training file.

# %%
data = load_fashion_mnist(device=device)
print(data)

raw_train = torchvision.datasets.FashionMNIST(prepare_fashion_mnist(), train=True, download=False)
raw_images = raw_train.data  # (60000, 28, 28) uint8 in [0, 255]
pixels = raw_images.float() / 255  # min-max normalized to [0, 1]
mean_by_hand, std_by_hand = pixels.mean().item(), pixels.std(correction=0).item()
mean_lib, std_lib = compute_normalization(raw_images)
print(f"by hand:    mean = {mean_by_hand:.4f}, std = {std_by_hand:.4f}")
print(f"course_lib: mean = {mean_lib:.4f}, std = {std_lib:.4f}")

train_indices, _ = split_indices(len(raw_images), 10_000, seed=42)
mean_split, std_split = compute_normalization(raw_images[train_indices])
print(f"only the 50 000 training-split images: mean = {mean_split:.4f}, std = {std_split:.4f}")

assert abs(mean_by_hand - 0.2860) < 1e-3 and abs(std_by_hand - 0.3530) < 1e-3
assert abs(mean_by_hand - mean_lib) < 1e-4 and abs(std_by_hand - std_lib) < 1e-4
assert abs(mean_split - mean_lib) < 2e-3 and abs(std_split - std_lib) < 2e-3

# %% [markdown]
# course_lib uses the statistics of the whole training file; strictly, the 10 000 validation images
# should not take part, but as you see the difference only shows in the third or fourth decimal.
#
# What does one global $\mu$ and $\sigma$ equalize? The data as a whole: all pixels together get mean 0
# and standard deviation 1. Not each pixel: LeCun et al.'s argument is about each *input*, and a
# corner pixel that is almost always background keeps its own mean and a tiny spread, while a pixel
# in the middle of the image varies a lot. Per pixel, over the 50 000 training images:

# %%
per_pixel = data.train_x.reshape(len(data.train_x), -1)
pixel_means, pixel_stds = per_pixel.mean(dim=0), per_pixel.std(dim=0, correction=0)
print(f"per-pixel means from {pixel_means.min().item():+.2f} to {pixel_means.max().item():+.2f}; "
      f"per-pixel stds from {pixel_stds.min().item():.3f} to {pixel_stds.max().item():.2f}")
assert pixel_means.min() < -0.5 < 0.5 < pixel_means.max() and pixel_stds.max() / pixel_stds.min() > 100

# %% [markdown]
# Global standardization puts every pixel on the same units and centres the data; per-pixel
# standardization (each pixel by its own mean and std) would equalize every input, at the price of
# blowing up the near-constant border pixels' noise. For images the global version is the
# convention, and it is what this course does.
#
# Now check the result on one minibatch of the standardized training data: its pixels should have a
# mean close to 0 and a standard deviation close to 1.

# %%
batch_x, batch_y = next(iter(InMemoryLoader(data.train_x, data.train_y, batch_size=256, generator=generator)))
batch_std = batch_x.std(correction=0).item()
print(f"batch: shape {tuple(batch_x.shape)}, mean = {batch_x.mean().item():.3f}, std = {batch_std:.3f}")
assert abs(batch_x.mean().item()) < 0.1 and abs(batch_std - 1) < 0.1

# %% [markdown]
# Here are a few images with their standardized pixel values. The background, a raw 0, becomes
# $-\mu/\sigma \approx -0.81$; the brightest pixels, a raw 255, become $(1 - \mu)/\sigma \approx 2.02$.

# %%
show_figure(plot_standardized_images(batch_x, batch_y.tolist(), data.classes, data.mean, data.std))
min_max_batch = batch_x.cpu() * data.std + data.mean  # undo the standardization: back to x/255

print("row 14, columns 10 to 17 of the first image:")
print("  raw:         ", min_max_batch[0, 0, 14, 10:18].mul(255).round().int().tolist())
print("  min-max:     ", [round(value, 2) for value in min_max_batch[0, 0, 14, 10:18].tolist()])
print("  standardized:", [round(value, 2) for value in batch_x[0, 0, 14, 10:18].cpu().tolist()])
background = -data.mean / data.std
assert abs(batch_x.min().item() - background) < 1e-4

# %% [markdown]
# **Think!** Why do we standardize the validation and test images with the *training* mean and
# standard deviation, rather than with their own?

# %% [markdown]
# *Write your answer here, then compare with the solution notebook.*

# %% [markdown]
# ## 2. `nn.Module` and its parameters
#
# Every PyTorch network is an `nn.Module`. You define the layers in `__init__` (after calling
# `super().__init__()`), and the computation in `forward`. Any `nn.Module` or `nn.Parameter`
# assigned as an attribute is *registered*: it shows up in `model.parameters()`, moves with
# `model.to(device)`, and is saved with `model.state_dict()`.

# %%
class TwoLayerNet(nn.Module):
    """x: (N, 1, 28, 28) → flatten → (N, 784) → Linear → ReLU → Linear → logits (N, 10)."""

    def __init__(self, n_inputs: int = 784, n_hidden: int = 64, n_classes: int = 10):
        super().__init__()
        self.hidden = nn.Linear(n_inputs, n_hidden)
        self.output = nn.Linear(n_hidden, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(torch.relu(self.hidden(x.flatten(start_dim=1))))


net = TwoLayerNet().to(device)
for name, parameter in net.named_parameters():
    print(f"{name:14s} shape {tuple(parameter.shape)!s:10s} requires_grad={parameter.requires_grad}")
n_parameters = sum(parameter.numel() for parameter in net.parameters())
print(f"{n_parameters} parameters in total")
assert n_parameters == 784 * 64 + 64 + 64 * 10 + 10

# %% [markdown]
# A module also carries a flag, `model.training`. `model.train()` and `model.eval()` set it, for the
# module and all its sub-modules. Our layers do not care, but layers such as dropout and batch
# normalization behave differently in the two modes, so a correct loop always sets it.

# %%
net.eval()
print("after net.eval():  net.training =", net.training, "| net.hidden.training =", net.hidden.training)
net.train()
print("after net.train(): net.training =", net.training)

# %% [markdown]
# course_lib's `MLP` is the same idea with a configurable list of hidden layers, kept in one
# `nn.Sequential` called `layers`, so `model.layers[0]` is the first `nn.Linear`. We use it from
# notebook 02 on.

# %%
print(MLP(hidden_sizes=(128, 64)))

# %% [markdown]
# ## 3. The training loop, one step at a time
#
# Training repeats five moves:
#
# 1. **forward**: `logits = model(x)`;
# 2. **loss**: `loss = loss_fn(logits, y)`, here the cross-entropy $-\log p_y$, averaged over the batch;
# 3. **backward**: `loss.backward()` computes $\partial\,\text{loss} / \partial p$ for every parameter $p$
#    and **adds** it to `p.grad`;
# 4. **step**: move every parameter against its gradient, $p \leftarrow p - \eta\, \nabla_p \text{loss}$;
# 5. **zero_grad**: reset the gradients before the next backward pass.
#
# Let us walk through one iteration on the minibatch from above.

# %%
loss_fn = nn.CrossEntropyLoss()
set_seed(0)
net = TwoLayerNet().to(device)

logits = net(batch_x)
loss = loss_fn(logits, batch_y)
print(f"logits {tuple(logits.shape)}, loss before the step = {loss.item():.4f}")
print("gradient before backward:", net.hidden.weight.grad)
loss.backward()
print(f"gradient after backward: shape {tuple(net.hidden.weight.grad.shape)}, "
      f"norm {net.hidden.weight.grad.norm().item():.4f}")

# %% [markdown]
# ### Why the gradients must be zeroed
#
# `backward()` does not overwrite `p.grad`; it **adds** to it. This is deliberate (it lets several
# losses, or several small batches, contribute to one step), but it means that if we forget to reset
# the gradients, every step uses the sum of all previous gradients. Watch the gradient norm grow as
# we run forward and backward on the *same* batch a few times without resetting:

# %%
first_gradient = net.hidden.weight.grad.clone()
for n_backward in (2, 3):
    loss_fn(net(batch_x), batch_y).backward()
    ratio = net.hidden.weight.grad.norm().item() / first_gradient.norm().item()
    print(f"after {n_backward} backward passes: gradient norm = {net.hidden.weight.grad.norm().item():.4f}"
          f" = {ratio:.2f} × the first one")
    assert torch.allclose(net.hidden.weight.grad, n_backward * first_gradient, rtol=1e-4, atol=1e-6)

net.zero_grad(set_to_none=True)
print("after net.zero_grad():", net.hidden.weight.grad)

# %% [markdown]
# Three backward passes give exactly three times the gradient: a step with these accumulated gradients
# would be three times too long, and in a real loop (a different batch each time) the step would be
# driven more and more by stale gradients of batches long gone.
#
# **Think!** Accumulating gradients on purpose can be useful. When?

# %% [markdown]
# *Write your answer here, then compare with the solution notebook.*

# %% [markdown]
# ### Exercise: the SGD step
#
# - **What to write:** one SGD step on every parameter that has a gradient, then clear the gradients,
#   so the next `backward()` starts from zero.
# - **The math:** for every parameter `p` with `p.grad is not None`: $p \leftarrow p - \eta\, \texttt{p.grad}$,
#   then `p.grad = None` (not `p.grad.zero_()`: the check asks for None, which is also what
#   `model.zero_grad()` leaves). Parameters without a gradient are left alone.
# - **Signature:** `sgd_step(params, lr) -> None`; `params` may be a generator such as
#   `model.parameters()`, which can be looped over only once.
# - **Example:** `loss.backward(); sgd_step(net.parameters(), lr=0.1)`
# - **The check tries:** three parameters (one without a gradient), three learning rates, three calls
#   in a row with fresh gradients, and compares with course_lib's reference after every call,
#   gradients set to None included.
# - **Tools:** `torch.no_grad()`, so the update itself is not recorded by autograd, and in-place
#   arithmetic on tensors (the parameter must stay the same tensor the model holds).

# %% course={"exercise": "sgd_step"}
def sgd_step(params, lr):
    """One SGD step, then zero_grad: p ← p − lr·p.grad for each p with a grad; then p.grad ← None.

    params: iterable of tensors with requires_grad (e.g. model.parameters()); lr: float, the step size η.
    """
    raise NotImplementedError("Exercise: sgd_step")


# %%
sgd_step_works = check_sgd_step(sgd_step)
save_passed("sgd_step", sgd_step, sgd_step_works)

# %% [markdown]
# The rest of the notebook trains with your `sgd_step` once it passes the check; until then it uses
# course_lib's reference version, so that every cell still runs.

# %%
step_function = student_or_reference(sgd_step, sgd_step_works, reference_sgd_step)

loss_before = loss_fn(net(batch_x), batch_y)
loss_before.backward()
step_function(net.parameters(), lr=0.1)
loss_after = loss_fn(net(batch_x), batch_y)
print(f"loss on this batch: {loss_before.item():.4f} before the step, {loss_after.item():.4f} after")
assert loss_after.item() < loss_before.item(), "one small step on this batch should lower its loss"
assert all(p.grad is None for p in net.parameters()), "the step leaves every p.grad at None"

# %% [markdown]
# ## 4. Gradient descent vs minibatch SGD
#
# The loss we minimize is an average over all $N$ training examples, and so is its gradient:
#
# $$L(W) = \frac{1}{N}\sum_{i=1}^{N} L_i(x_i, y_i, W), \qquad
# \nabla_W L(W) = \frac{1}{N}\sum_{i=1}^{N} \nabla_W L_i(x_i, y_i, W).$$
#
# **(Full-batch) gradient descent** computes this full sum before every single step. With
# $N = 50\,000$ that is a lot of work per step. **Stochastic gradient descent** estimates the sum
# from a small random **minibatch** of $B$ examples (32 to 256 are common) and steps right away.
#
# ### Minibatches: a cheap, unbiased estimate of the gradient
#
# Take $B$ indices $i_1, \dots, i_B$ drawn independently and uniformly from $\{1, \dots, N\}$ (with
# replacement: an index may come twice) and average over them:
#
# $$g_B(W) = \frac{1}{B}\sum_{b=1}^{B} \nabla_W L_{i_b}(x_{i_b}, y_{i_b}, W).$$
#
# Each term has expectation $\nabla_W L(W)$, so $\mathbb{E}[g_B] = \nabla_W L(W)$: the estimate is
# unbiased. Its noise shrinks with the batch size, $\mathbb{E}\,\|g_B - \nabla_W L\|^2 = \sigma^2 / B$,
# where $\sigma^2$ is the spread of the per-example gradients. That formula is for draws *with*
# replacement; a batch of $B$ *distinct* examples is a little less noisy, by the finite-population
# factor $(N - B)/(N - 1)$ (which is 0 for $B = N$: the whole data set has no sampling noise).
#
# ### Exercise: `sample_minibatch`
#
# - **What to write:** a function that draws a minibatch: `num_points` rows picked independently and
#   uniformly at random, with replacement, returned as the pair `(inputs, targets)`.
# - **The math:** $i_1, \dots, i_B \sim \mathrm{Uniform}\{0, \dots, N-1\}$ independently; return
#   $(x_{i_1}, \dots, x_{i_B})$ and $(y_{i_1}, \dots, y_{i_B})$, so `targets[k]` stays the label of `inputs[k]`.
# - **Signature:** `sample_minibatch(input_data, target_data, num_points=100) -> (inputs, targets)`, with
#   `input_data` of shape `(N, ...)`, `target_data` of shape `(N,)`, and results of shapes
#   `(num_points, ...)` and `(num_points,)` on the data's device.
# - **Example:** `images, labels = sample_minibatch(data.train_x, data.train_y, 64)`
# - **The check tries:** three batch sizes on a numbered data set, so it can see which rows came back:
#   shapes, rows copied unchanged and still paired, new rows on every call, no fixed block of rows,
#   a spread over the whole data set, repeated rows (draws *with* replacement: a permutation such as
#   `torch.randperm(N)[:num_points]` is refused), and every row reachable, the last one included.
# - **Tools:** PyTorch's random-integer sampling functions, and indexing a tensor with a tensor of
#   indices. Draw from the global generator (no seed of your own), so each call gives new rows.

# %% course={"exercise": "sample_minibatch"}
def sample_minibatch(input_data, target_data, num_points=100):
    """IID minibatch: indices i_1..i_B ~ Uniform{0..N−1}; returns (input_data[i], target_data[i])."""
    raise NotImplementedError("Exercise: sample_minibatch")


# %%
sampler_passed = check_sample_minibatch(sample_minibatch)
save_passed("sample_minibatch", sample_minibatch, sampler_passed)

# %% [markdown]
# The cells below, and notebook 04, use your sampler once it passes the check (it is saved for
# notebook 04 when it does); until then course_lib's reference, with a one-line note.

# %%
sampler = student_or_reference(sample_minibatch, sampler_passed, reference_sample_minibatch)

# %% [markdown]
# **Predict, then run.** If the batch grows 4 times, by how much should the squared error of the
# gradient estimate shrink? Fix a network at its initial weights, compute the exact gradient over
# 10,000 training images, then draw many minibatches of each size with your sampler and measure how
# far their gradient lands from the exact one.

# %%
set_seed(42)
probe = MLP(hidden_sizes=(100,)).to(device)
pool_x, pool_y = data.train_x[:10_000], data.train_y[:10_000]
BATCH_SIZES = (16, 64, 256, 1024)
gradient_noise = minibatch_gradient_noise(probe, pool_x, pool_y, sampler, BATCH_SIZES, draws=quick_or_full(20, 100))
slope = np.polyfit(np.log(BATCH_SIZES), np.log(gradient_noise), 1)[0]
show_figure(draw_gradient_noise(BATCH_SIZES, gradient_noise, slope))
print(f"squared error of the minibatch gradient: slope {slope:.2f} on log-log axes")
assert -1.3 < slope < -0.7, f"the gradient's squared error should fall as 1/B, measured slope {slope:.2f}"

# %% [markdown]
# The measured points fall on a line of slope about −1: four times the batch, a quarter of the squared
# error (half the typical error).
#
# ### Epochs, iterations, shuffling
#
# Training loops rarely draw independent minibatches. Instead:
#
# - **iteration**: one training step (forward, loss, backward, step, zero_grad);
# - **minibatch**: the examples used in one iteration;
# - **epoch**: one full pass over the training data;
# - **shuffling**: at the start of each epoch the data is put in a new random order and cut into
#   minibatches, so each example is used exactly once per epoch, in a different company each time
#   (sampling without replacement within the epoch; this is what `InMemoryLoader` and PyTorch's
#   `DataLoader` do).
#
# So one epoch is one iteration of gradient descent, but $\lceil N/B \rceil$ iterations of SGD, for
# the same amount of computation. Let us compare the two on the same data, from the same initial
# weights, for the same number of epochs.

# %%
n_train = quick_or_full(2_000, 50_000)
n_epochs = quick_or_full(3, 5)
batch_size = 100
learning_rate = 0.1
train_x, train_y = data.train_x[:n_train], data.train_y[:n_train]

set_seed(1)
initial_net = TwoLayerNet().to(device)


def mean_train_loss(model: nn.Module) -> float:
    """Cross-entropy of ``model`` on all of (train_x, train_y), without building a graph."""
    with torch.no_grad():
        return loss_fn(model(train_x), train_y).item()


gd_net = copy.deepcopy(initial_net)
gd_losses = [mean_train_loss(gd_net)]
for _ in range(n_epochs):
    loss = loss_fn(gd_net(train_x), train_y)  # the whole training set: one iteration per epoch
    loss.backward()
    step_function(gd_net.parameters(), lr=learning_rate)
    gd_losses.append(mean_train_loss(gd_net))

sgd_net = copy.deepcopy(initial_net)
sgd_losses = [mean_train_loss(sgd_net)]
loader = InMemoryLoader(train_x, train_y, batch_size=batch_size, shuffle=True, generator=generator)
for epoch in range(n_epochs):
    for images, labels in loader:  # a fresh shuffle every epoch, then ⌈N/B⌉ iterations
        loss = loss_fn(sgd_net(images), labels)
        loss.backward()
        step_function(sgd_net.parameters(), lr=learning_rate)
    sgd_losses.append(mean_train_loss(sgd_net))
    print(f"epoch {epoch + 1:2d}: training loss  GD {gd_losses[epoch + 1]:.3f} (1 iteration)   "
          f"SGD {sgd_losses[-1]:.3f} ({len(loader)} iterations)")

assert sgd_losses[-1] < gd_losses[-1]

# %%
show_figure(plot_curves({"gradient descent (1 step per epoch)": gd_losses,
                         f"minibatch SGD ({len(loader)} steps per epoch)": sgd_losses},
                        xlabel="epoch", ylabel="training loss", markers=True, figsize=(6, 3.5),
                        title=f"{n_train} images, same computation per epoch"))

# %% [markdown]
# For the same number of passes over the data, SGD's loss is far lower: it made $N/B$ small
# corrections per epoch where gradient descent made one careful one. The minibatch gradient is noisy,
# but it points downhill on average, and many cheap noisy steps beat a few expensive exact ones.
#
# **Think!** If instead we compared the two for the same number of *iterations*, which would win,
# and why do we not care?

# %% [markdown]
# *Write your answer here, then compare with the solution notebook.*

# %% [markdown]
# ## 5. Feeding minibatches: `DataLoader` vs an in-memory iterator
#
# PyTorch's usual tool is `torch.utils.data.DataLoader`: it asks a `Dataset` for one example at a
# time (here: decode a PIL image, `ToTensor`, `Normalize`) and stacks the examples into a batch.
# That is flexible (data larger than memory, random augmentation per image), but all this Python
# work per image is slow. FashionMNIST fits in memory many times over, so course_lib's `InMemoryLoader`
# keeps the whole standardized tensor on the device and cuts minibatches out of it with one
# indexing operation. Let us time the first few batches of each.

# %%
def seconds_for_batches(batches, n_batches: int) -> float:
    """Wall-clock time to draw ``n_batches`` minibatches and move them to the device."""
    start = time.perf_counter()
    for index, (images, labels) in enumerate(batches):
        images, labels = images.to(device), labels.to(device)
        if index + 1 == n_batches:
            break
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


n_batches = quick_or_full(10, 50)
dataloader_train, _, _ = torchvision_loaders(batch_size=256)
in_memory_train = InMemoryLoader(data.train_x, data.train_y, batch_size=256, generator=generator)
images_from_dataloader, _ = next(iter(dataloader_train))
images_in_memory, _ = next(iter(in_memory_train))
assert images_from_dataloader.shape == images_in_memory.shape == (256, 1, 28, 28)

dataloader_seconds = seconds_for_batches(dataloader_train, n_batches)
in_memory_seconds = seconds_for_batches(in_memory_train, n_batches)
fraction = n_batches / len(in_memory_train)
print(f"{n_batches} batches of 256 images ({fraction:.0%} of an epoch):")
print(f"  DataLoader (per-image transforms): {dataloader_seconds * 1000:8.1f} ms")
print(f"  InMemoryLoader:                    {in_memory_seconds * 1000:8.1f} ms  "
      f"({dataloader_seconds / in_memory_seconds:.0f}× faster)")
assert in_memory_seconds < dataloader_seconds, "the in-memory loader should be the faster one"

# %% [markdown]
# Both produce the same kind of batch, (256, 1, 28, 28) standardized images, but the in-memory loader
# is tens of times faster: roughly 40 to 160 times in the course's measurements on two 2-core machines (the
# cell above prints this run's ratio; it depends on the CPU). With a small network, data loading, not the network, would
# otherwise be the bottleneck of training.
#
# **Think!** When is the `DataLoader` still the right tool?

# %% [markdown]
# *Write your answer here, then compare with the solution notebook.*

# %% [markdown]
# ## 6. The evaluation loop
#
# To measure a model on validation or test data we
#
# - switch to evaluation mode, `model.eval()` (matters for dropout and batch norm);
# - turn off gradient tracking with `torch.no_grad()`: no graph, less memory, faster;
# - go through the data in order (no shuffling needed) and **sum** the loss and the number of correct
#   predictions, then divide by the number of examples, so that a smaller last batch counts for what
#   it is;
# - call `.item()` only at the end, because each `.item()` waits for the device.
#
# Here it is written out once, evaluating the SGD model from section 4 on the validation set.

# %%
def evaluate_written_out(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1024):
    """Mean cross-entropy and accuracy of ``model`` on x: (N, 1, 28, 28), y: (N,)."""
    was_training = model.training
    model.eval()
    summed_loss = torch.zeros((), device=x.device)
    n_correct = torch.zeros((), device=x.device)
    with torch.no_grad():
        for images, labels in InMemoryLoader(x, y, batch_size=batch_size, shuffle=False):
            logits = model(images)
            summed_loss += nn.functional.cross_entropy(logits, labels, reduction="sum")
            n_correct += (logits.argmax(dim=1) == labels).sum()
    model.train(was_training)
    return summed_loss.item() / len(y), n_correct.item() / len(y)


val_loss, val_accuracy = evaluate_written_out(sgd_net, data.val_x, data.val_y)
print(f"SGD model on {len(data.val_y)} validation images: mean loss {val_loss:.3f}, accuracy {val_accuracy:.1%}")
library_loss, library_accuracy = evaluate(sgd_net, data.val_x, data.val_y)
assert abs(val_loss - library_loss) < 1e-4 and abs(val_accuracy - library_accuracy) < 1e-6
assert val_accuracy > quick_or_full(0.6, 0.8)

# %% [markdown]
# `course_lib.training.evaluate` is exactly this loop; from now on we call it instead.
#
# **Think!** Why not average the per-batch mean losses?

# %% [markdown]
# *Write your answer here, then compare with the solution notebook.*

# %% [markdown]
# ## 7. Everything together: `course_lib.training`
#
# `train_model` runs the same loop (forward, loss, backward, step, zero_grad, with an optimizer object
# doing the step), evaluates on the validation set after each epoch with the loop above, keeps the best
# epoch's weights in a checkpoint, and caches the results: run the cell again and it loads them instead
# of training again. Here it trains course_lib's `MLP` with course_lib's `SGD` optimizer (the same
# update as your `sgd_step`, as an object). The course also ships the results of its own reference
# runs (`course_lib/results/`): a run whose settings, data and code are exactly the course's, like
# this one, loads from there in milliseconds and says so; `retrain=True`, or the environment variable
# `COURSE_RETRAIN=1`, trains it yourself. A run with your own code is never replaced by a stored one.

# %%
train_data = data.subset(n_train=quick_or_full(10_000, None), n_val=quick_or_full(2_000, None),
                         n_test=quick_or_full(2_000, None))
set_seed(42)
mlp = MLP(hidden_sizes=(256, 128)).to(device)
result = train_model(mlp, lambda params: SGD(params, lr=0.1), train_data,
                     epochs=quick_or_full(2, 10), batch_size=64,
                     name=quick_or_full("01_training_loop_mlp_sgd_quick", "01_training_loop_mlp_sgd"))
print(f"best epoch {result.best_epoch}: validation accuracy {max(result.history['val_acc']):.1%}, "
      f"test accuracy {result.test_acc:.1%}")
plot_training_curves({"MLP, SGD lr=0.1": result.history}, metric=["train_loss", "val_acc"])
plt.show()
assert max(result.history["val_acc"]) > quick_or_full(0.7, 0.85)

# %% [markdown]
# ## 8. Overfitting and regularization
#
# A model **overfits** when it does much better on its training data than on data it has not seen: it
# has learned the particular training examples rather than the pattern behind them. It happens most
# with large models and little data. **Regularization** adds a term to the loss that expresses a
# preference for "simpler" weights:
#
# $$L(W) = \underbrace{\frac{1}{N}\sum_{i=1}^{N} L_i\big(f(x_i, W), y_i\big)}_{\text{data loss}}
# \;+\; \lambda\, R(W),$$
#
# where the hyper-parameter $\lambda \ge 0$ sets the strength. The two classics:
#
# $$\text{L2: } R(W) = \tfrac12 \sum_{k,l} W_{k,l}^2, \qquad \text{L1: } R(W) = \sum_{k,l} |W_{k,l}|.$$
#
# (The factor ½ makes the L2 gradient $\lambda W$ rather than $2\lambda W$; the whole course writes L2
# this way.)
#
# Their preferences differ. Take the input $x = [1, 1, 1, 1]$ and two weight vectors,
# $w_1 = [1, 0, 0, 0]$ and $w_2 = [\tfrac14, \tfrac14, \tfrac14, \tfrac14]$. Both give the same output,
# $w_1^\top x = w_2^\top x = 1$, so the data loss cannot tell them apart. The penalties can:

# %%
x_example = torch.tensor([1.0, 1.0, 1.0, 1.0])
w_concentrated = torch.tensor([1.0, 0.0, 0.0, 0.0])
w_spread = torch.tensor([0.25, 0.25, 0.25, 0.25])
for name, w in (("w1 = [1, 0, 0, 0]", w_concentrated), ("w2 = [¼, ¼, ¼, ¼]", w_spread)):
    print(f"{name}:  prediction wᵀx = {(w @ x_example).item():.2f}   "
          f"L2 penalty ½Σw² = {0.5 * w.pow(2).sum().item():.4f}   L1 penalty Σ|w| = {w.abs().sum().item():.4f}")

assert (w_concentrated @ x_example).item() == (w_spread @ x_example).item()
assert w_spread.pow(2).sum().item() == 0.25 and w_concentrated.pow(2).sum().item() == 1.0
assert w_spread.abs().sum().item() == w_concentrated.abs().sum().item() == 1.0

# %% [markdown]
# L2 charges $w_1$ four times more than $w_2$: it prefers weights **spread out** over many inputs, so
# that no single input dominates the prediction. L1 charges both the same here; in general its
# minimizer is often **sparse**: many weights exactly zero.
#
# Reaching those zeros takes more than plain SGD, though. Take one weight with
# $J(w) = \tfrac12 (w - 0.1)^2 + \lambda |w|$ and $\lambda = 0.5$: since the data term pulls with
# less force (0.1) than the penalty pushes (0.5), the minimizer is exactly $w^* = 0$. Plain SGD
# steps along the subgradient $(w - 0.1) + \lambda\,\mathrm{sign}(w)$, whose second part flips sign
# whenever $w$ crosses 0, so $w$ keeps jumping across 0 by about $\eta\lambda$. A *proximal* step
# first takes the data step and then shrinks $w$ towards 0 by $\eta\lambda$, stopping at 0
# ("soft thresholding"), and lands on 0 exactly:

# %%
subgradient = subgradient_path(start=1.0, target=0.1, lam=0.5, lr=0.05, steps=200)
proximal = proximal_path(start=1.0, target=0.1, lam=0.5, lr=0.05, steps=200)
print(f"plain SGD, last 5 steps:  {np.array2string(subgradient[-5:], precision=4)}  "
      f"(exact zeros in the last 100 steps: {int((subgradient[-100:] == 0).sum())})")
print(f"proximal, last 5 steps:   {np.array2string(proximal[-5:], precision=4)}  "
      f"(exactly 0 from step {int(np.argmax(proximal == 0))} on)")
assert (subgradient[-100:] != 0).all() and np.abs(subgradient[-100:]).max() <= 0.05 * 0.5 * 1.2
assert (proximal[-100:] == 0).all()

# %% [markdown]
# So a network trained by SGD with an L1 term ends with many weights hovering near zero, not at
# zero; exact sparsity needs a proximal method (or setting small weights to zero afterwards).
#
# In the gradient step, L2 adds $\lambda W$ to the gradient, so each step first shrinks every weight by
# the factor $(1 - \eta\lambda)$: hence its other name, **weight decay**. (`torch.optim.SGD(...,
# weight_decay=wd)` adds $\text{wd}\cdot W$ to the gradient: the same, with $\lambda = \text{wd}$.) That
# identity holds for plain SGD only. With momentum, the $\lambda W$ term enters the velocity along with
# the data gradient, so each step's decay is carried into later steps and, with a steady velocity,
# amplified by up to $1/(1-\beta)$; shrinking the weights directly, outside the velocity, is a
# different algorithm, which Loshchilov & Hutter (2019) call SGDW. With an adaptive optimizer such as
# Adam (notebook 03) the L2 gradient is divided by the running size of each weight's gradients, so
# weights with large gradients are decayed less: L2 regularization and weight decay are then quite
# different things. Notebook 05 measures the difference and introduces AdamW, which decays every
# weight at the same rate; note that `torch.optim.AdamW(weight_decay=wd)` shrinks by $\eta\cdot\text{wd}$
# per step, while `torch.optim.SGD` and `torch.optim.Adam` add $\text{wd}\cdot W$ to the gradient.
#
# Let us see L2 work. We train an MLP with two hidden layers of 256 units on only 1 000 training
# images (500 in quick mode) for many epochs, once without and once with weight decay, from the same
# initial weights and with the same minibatch order.

# %%
experiment = WeightDecayExperiment(data)
without_decay = experiment.run(0.0)
with_decay = experiment.run(2e-2)
print(f"{len(experiment.train_x)} training images, {len(experiment.val_x)} validation images, "
      f"{experiment.epochs} epochs")
for run in (without_decay, with_decay):
    print(f"λ = {run.lam:<5g} train acc {run.train_acc[-1]:6.1%}  val acc {run.val_acc[-1]:6.1%}   "
          f"train loss {run.train_loss[-1]:.3f}  val loss {run.val_loss[-1]:.3f} (lowest {run.val_loss.min():.3f})"
          f"   ‖W‖ = {run.weight_norm[-1]:.1f}")
draw_weight_decay(with_decay, without_decay, metric="loss")
plt.show()

assert without_decay.train_acc[-1] - without_decay.val_acc[-1] > 0.1
assert without_decay.val_loss[-1] > without_decay.val_loss.min() + 0.05
assert with_decay.weight_norm[-1] < without_decay.weight_norm[-1]
assert with_decay.train_loss[-1] > without_decay.train_loss[-1]
assert with_decay.val_loss[-1] < without_decay.val_loss[-1]
assert with_decay.val_loss[-1] - with_decay.val_loss.min() < without_decay.val_loss[-1] - without_decay.val_loss.min()
if is_quick():  # in full mode (1000 images) the gap hardly moves: narrower on 3 of seeds 0-4, by under half a point
    assert with_decay.generalization_gap < without_decay.generalization_gap
assert with_decay.val_acc[-1] > 0.7
assert abs(with_decay.val_acc[-1] - without_decay.val_acc[-1]) < 0.05

# %% [markdown]
# Without regularization the training loss heads to zero (note the log scale) while the validation loss,
# after an early minimum, climbs again: the network grows its weights to become ever more confident on
# the training images, and so also on its mistakes on new ones. With weight decay the weights shrink
# instead of growing, the training loss stays higher (part of the objective is now the penalty), the
# validation loss climbs less, and the gap between training and validation accuracy narrows a little
# (by 0.1 to 0.8 points over seeds 0–4 in quick mode; in full mode it hardly moves, narrower on 3 of
# the 5 seeds, by under half a point).
#
# How large is the effect? The validation *accuracy* barely changes here (it can even drop a little).
# On this problem weight decay mainly stops the model from becoming over-confident, which is what the
# validation loss measures. Regularization is no substitute for more data, and too much of it makes the
# model too simple (underfitting).
#
# Now compare more values of λ. When the widget starts, it trains one network for each value on the
# slider (seven values, four in quick mode; a progress bar counts them; about half a minute in all), so
# moving the slider afterwards only redraws. The grey curves belong to the reference λ, which you can
# type in the box: a value that is not on the slider trains once, then it is kept too.

# %%
weight_decay_demo(experiment=experiment)

# %% [markdown]
# **Think!** What happens to the training accuracy and to the weight norm at the largest λ? What would
# you use to pick λ?

# %% [markdown]
# *Write your answer here, then compare with the solution notebook.*

# %% [markdown]
# ## Summary
#
# - Standardize inputs with the training set's mean and standard deviation (0.2860 and 0.3530 here).
# - An `nn.Module` registers the layers and parameters you assign to it; `train()`/`eval()` set its mode.
# - The loop: forward, loss, backward, step, zero_grad. `backward()` adds to `.grad`, so gradients
#   must be reset after every step.
# - Minibatch SGD makes $N/B$ cheap noisy steps per epoch and beats full-batch gradient descent for the
#   same computation; keeping the data in memory makes the minibatches nearly free.
# - Evaluate in eval mode, without gradients, summing over all examples.
# - L2 regularization (weight decay) prefers small, spread-out weights and reduces overfitting.
#
# Next, notebook 02 looks at the one thing this loop takes for granted: where the weights start.

# %% [markdown]
# ## References
#
# * LeCun, Y., Bottou, L., Orr, G. B. & Müller, K.-R. (1998). Efficient BackProp. In *Neural
#   Networks: Tricks of the Trade*, Springer.
# * Bottou, L., Curtis, F. E. & Nocedal, J. (2018). Optimization methods for large-scale machine
#   learning. *SIAM Review* 60(2). (Minibatch SGD and the variance of its gradient estimate.)
# * Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed., Wiley. (The finite-population factor
#   (N − B)/(N − 1) for sampling without replacement.)
# * Parikh, N. & Boyd, S. (2014). Proximal algorithms. *Foundations and Trends in Optimization* 1(3).
#   (Soft thresholding, the proximal step of the L1 penalty.)
# * Loshchilov, I. & Hutter, F. (2019). Decoupled weight decay regularization. ICLR.
# * Keskar, N. S. et al. (2017). On large-batch training for deep learning: generalization gap and
#   sharp minima. ICLR.
# * PyTorch documentation: `torch.nn.Module`, `torch.utils.data.DataLoader`, `torch.optim.SGD`.
# * Gallego-Posada, J., Mitliagkas, I. et al. (2021). *Neuromatch Academy Deep Learning, W1D5 Tutorial 1:
#   Optimization techniques.* https://deeplearning.neuromatch.io (CC BY 4.0). (The minibatch sampling
#   exercise.)
#
# The choice of topics follows a set of lecture slides on PyTorch training techniques; the course's
# README lists all its sources and licences.

# %% [markdown]
# ## Before you submit
#
# Save the notebook (Ctrl+S / Cmd+S), then run the cell below. It grades the file you saved with the
# same code as your instructor's `course-grade` (each exercise cell and its check, in a fresh process,
# in a few seconds) and shows the points per exercise with what each check says. It warns you first
# when the saved file is not what you ran: an exercise cell changed, or run, since you last saved. Hand
# in that saved `.ipynb` file. On Colab, download it first (File → Download → Download .ipynb).

# %%
before_you_submit("01_training_loop")
