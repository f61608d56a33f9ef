# %% [markdown]
# # 02 · Initialization
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/init-optim-course/init-optim-course/blob/main/notebooks/02_initialization.ipynb)
#
# Before the first training step, every weight of a network needs a value. This notebook shows why
# that choice decides whether a deep network can learn at all: you will see a constant
# initialization collapse a layer into a single neuron, large weights saturate tanh, small weights
# make the signal vanish and slightly larger ones make it explode. Then you derive, step by step,
# the two schemes used today, Xavier (Glorot & Bengio, 2010) and Kaiming (He et al., 2015), write
# them yourself, and check that they keep the variance of activations and gradients steady from
# layer to layer. Code cells marked **Exercise** raise `NotImplementedError` until you fill them in;
# the cell right after each exercise runs a self-check that tells you, in one sentence, whether your
# code is right. Until then, later cells use course_lib's reference and say so. **Think!** boxes ask
# a question, and **Predict, then run** prompts ask you to guess a result before a cell shows it:
# answer for yourself before reading on.
#
# The experiments follow the UvA Deep Learning course's Tutorial 4, *Optimization and Initialization*
# (Phillip Lippe, University of Amsterdam, CC BY-SA 4.0), called "the UvA tutorial" below; an
# appendix at the end compares our numbers with the ones it reports.

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
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from torch import nn

from course_lib.checks import check_kaiming_init, check_xavier_init
from course_lib.config import quick_or_full
from course_lib.data import compute_normalization, load_fashion_mnist
from course_lib.device import get_device
from course_lib.exercises import student_or_reference
from course_lib.experiments.initialization import activation_curves
from course_lib.experiments.symmetry import constant_init_symmetry
from course_lib.grading import before_you_submit
from course_lib.init import init_constant, init_equal_variance, init_kaiming, init_normal, init_xavier
from course_lib.models import MLP
from course_lib.plotting import (
    collect_activations,
    inspect_layers,
    layer_variances,
    plot_activation_saturation,
    use_course_style,
)
from course_lib.seeding import set_seed
from course_lib.widgets import init_explorer

set_seed(42)
device = get_device()
use_course_style()
pd.set_option("display.width", 160)  # print wide tables on one line

# %% [markdown]
# ## 1. What a good initialization does
#
# A network is a chain of layers. Whatever scale the signal has when it leaves one layer, the next
# layer multiplies it again. Two things should therefore hold when training starts:
#
# 1. **Forward:** the variance of the activations stays about the same from the first layer to the
#    last. If it shrinks, deep layers see an almost constant input and cannot tell examples apart;
#    if it grows, it heads for infinity (or saturates the non-linearities).
# 2. **Backward:** the variance of the gradient that flows back into each layer stays about the
#    same too. If it shrinks on the way back, the first layers hardly learn; if it grows, their
#    updates blow up, and no single learning rate suits every layer.
#
# Both depend on the scale of the input too, so we start from standardized data.
#
# ## 2. Standardized data and the network
#
# `load_fashion_mnist` returns the images standardized with one mean and one standard deviation,
# measured over all 60 000 images of the training file, including the 10 000 that are held out for
# validation (notebook 01 explains why that is harmless). We undo the standardization of the
# 50 000 images we train on and recompute the two numbers from them: they agree with the stored ones
# to about three decimals. Then we check one batch.

# %%
data = load_fashion_mnist(device=device)
pixels = data.train_x * data.std + data.mean  # back to pixel / 255, in [0, 1]
mean, std = compute_normalization(pixels)
print(f"the 50 000 training-split images: mean {mean:.4f}, std {std:.4f}")
print(f"used to standardize (all 60 000): mean {data.mean:.4f}, std {data.std:.4f}")
assert abs(mean - data.mean) < 1e-3 and abs(std - data.std) < 1e-3

BATCH_SIZE = quick_or_full(512, 1024)
x_batch, y_batch = data.train_x[:BATCH_SIZE], data.train_y[:BATCH_SIZE]
batch_std = x_batch.std(correction=0)
print(f"one batch of {BATCH_SIZE}: mean {x_batch.mean():.3f}, std {batch_std:.3f}, "
      f"min {x_batch.min():.3f}, max {x_batch.max():.3f}")
assert abs(x_batch.mean()) < 0.1 and abs(batch_std - 1) < 0.1

# %% [markdown]
# Mean about 0 and standard deviation about 1, as intended. The minimum is about −0.81 and the
# maximum about +2.02, not ±1: most FashionMNIST pixels are black background, so the mean sits close
# to the dark end.
#
# Every experiment below uses this one batch, and the course's network: 784 inputs, hidden layers
# of 512, 256, 256 and 128 units, and 10 outputs. We start with the **identity** activation, so the
# network is a chain of linear maps and the arithmetic stays simple; non-linearities come later.
# `model.layers` alternates `nn.Linear` and activation modules, so the five Linear layers sit at
# indices 0, 2, 4, 6 and 8.

# %%
print(MLP(activation="identity"))

# %% [markdown]
# Two small helpers run the same measurements for every initialization: `fresh_model` builds the
# network with a fixed seed and initializes it; `inspect_layers` (from `course_lib.plotting`) measures
# four things per Linear layer on the batch, draws the distributions you ask for, prints their
# variances rounded, and returns them:
#
# - the **weights** $W$;
# - the **activations**, the outputs of the Linear layers on the batch;
# - the **weight gradients** $\partial J/\partial W$ of the mean cross-entropy $J$ over the batch
#   (one backward pass), which is what an optimizer uses;
# - the **input gradients** $\partial \ell/\partial h$: for each example, the gradient of its own
#   loss $\ell$ with respect to the input $h$ of the layer (for Linear 1, the image). This is the
#   signal that travels backwards from layer to layer, and the one section 7 analyses.
#
# The variances use every value; each histogram draws a random sample of 8 000 values per layer,
# which shows the same shape and draws much faster.

# %%
def fresh_model(activation, init, seed=42):
    """A new seeded 784-512-256-256-128-10 MLP with ``activation``, initialized in place by ``init(model)``."""
    set_seed(seed)
    model = MLP(activation=activation).to(device)
    init(model)
    return model


LAYERS = [f"Linear {k}" for k in range(1, 6)]


# %% [markdown]
# ## 3. Constant initialization never breaks the symmetry
#
# Zero weights are clearly a bad start: every output and every gradient that passes through a weight
# would be zero. What about all weights equal to a small constant, say 0.005, with zero biases?
#
# **Predict, then run.** For one image, how many different values will the 512 outputs of Linear 1
# take? And the gradients of their weights?

# %%
const_model = fresh_model("identity", lambda model: init_constant(model, value=0.005))
const_stats = inspect_layers(const_model, x_batch, y_batch, "constant 0.005")

# %% [markdown]
# Each unit of a layer sums the same inputs with the same weights, so for a given image all 512
# units of Linear 1 output the same number, and likewise in every later layer. The ten logits are
# therefore equal, the softmax gives every class probability $p_k = 0.1$, and the error at the
# logits, $p_k - y_k$ with $y$ the one-hot label, adds up to $1 - 1 = 0$ over the classes. A unit of
# Linear 4's output receives $\sum_k w\,(p_k - y_k)$ back from the logits, and because every one
# of those weights is the same $w$, that sum is $w \cdot 0 = 0$. So **no gradient reaches the
# hidden layers at all**: their weight and input gradients in the table are 0 up to float rounding
# (variances of $10^{-18}$ and below). Only the output layer gets a gradient, and within each of its
# rows all 128 entries are equal, because its 128 inputs are.
#
# After one step the rows of the output layer differ (one per class), so from the second step on
# the hidden layers do receive gradients. The cell below checks the gradients at the start, then
# takes 20 plain gradient-descent steps and asks whether the units of a layer ever become different.

# %%
run = constant_init_symmetry(const_model, x_batch, y_batch, steps=20, lr=0.01)
print(f"largest weight gradient of Linear 1-4, relative to Linear 5's: {run.hidden_gradient:.0e}")
print(f"Linear 5: largest difference within a row of its gradient, relative: {run.output_row_spread:.0e}")
assert run.hidden_gradient < 1e-6, "no gradient should reach the hidden layers"
assert run.output_row_spread < 1e-4, "the columns of Linear 5's gradient should be equal"
symmetry = pd.DataFrame({"moved": run.moved, "rows differ by": run.rows_differ,
                         "columns differ by": run.columns_differ}, index=LAYERS)
print("after 20 steps of gradient descent (lr 0.01, 128 images), relative to each layer's largest weight:")
print(symmetry.map("{:.1e}".format))
assert all(symmetry["moved"] > 1e-2), "every layer should have been trained"
assert all(symmetry["rows differ by"].iloc[:4] < 1e-4), "the units of each hidden layer should still be identical"
assert all(symmetry["columns differ by"].iloc[1:] < 1e-4)
symmetry_kept = bool(all(symmetry["rows differ by"].iloc[:4] < 1e-4))

# %% [markdown]
# Training does move the hidden weights, by a few percent in Linear 1 up to more than 20 % in
# Linear 4, but every unit of a layer by exactly the same amount: the rows of each hidden layer are
# still identical, and Linear 2, 3 and 4 each still hold one single value (Linear 1 has one value
# per pixel, Linear 5 one per class). Each hidden layer behaves like **one** neuron however wide it
# is, and gradient descent cannot change that, because identical units always receive identical
# updates. Random initialization is there to break this symmetry.
#
# ## 4. Large weights saturate tanh and sigmoid
#
# Random weights break the symmetry, but their scale matters. Squashing activations such as tanh
# and sigmoid are almost flat for large |z|: their derivative, which multiplies every gradient that
# flows back through them, is then close to zero. The plot shows both functions and their
# derivatives (computed with autograd).

# %%
plot_activation_saturation(activation_curves(("tanh", "sigmoid")), saturated_beyond=3.0)
plt.show()

# %% [markdown]
# How large is "large"? A tanh network initialized with N(0, std²) weights, for a few values of std.
# For each hidden layer we report the fraction of saturated units (|tanh(z)| > 0.99) and the mean
# derivative tanh′(z) = 1 − tanh²(z) over the batch, computed from the Linear outputs z.
#
# **Predict, then run.** Linear 1 sums 784 standardized pixels. Roughly what std of its output z do you
# expect for weights of std 0.3, and so what fraction of its units will be saturated?

# %%
saturation_rows = {}
for weight_std in (0.01, 0.05, 0.1, 0.3):
    model = fresh_model("tanh", lambda model, s=weight_std: init_normal(model, std=s))
    hidden_z = list(collect_activations(model, x_batch).values())[:4]
    saturation_rows[f"std {weight_std}: saturated fraction"] = [float(np.mean(np.abs(np.tanh(h)) > 0.99))
                                                              for h in hidden_z]
    saturation_rows[f"std {weight_std}: mean tanh′"] = [float(np.mean(1 - np.tanh(h) ** 2)) for h in hidden_z]
saturation = pd.DataFrame(saturation_rows, index=[f"Linear {k}" for k in range(1, 5)]).T.round(3)
saturation

# %%
mean_derivative_first_layer = [saturation.loc[f"std {s}: mean tanh′", "Linear 1"] for s in (0.01, 0.05, 0.1, 0.3)]
assert np.all(np.diff(mean_derivative_first_layer) < 0), "larger weights should mean smaller tanh derivatives"
assert saturation.loc["std 0.3: saturated fraction", "Linear 1"] > 0.5
assert saturation.loc["std 0.3: mean tanh′", "Linear 1"] < 0.2

# %% [markdown]
# With std 0.3 most first-layer units are saturated and the average derivative is below 0.2: the
# gradient that reaches the first layer is cut by that factor at every tanh it passes. Sigmoid is
# worse still: even at z = 0 its derivative is only 0.25.
#
# ## 5. One variance for every layer: vanishing and exploding
#
# Back to the identity network. The simplest random scheme draws every weight from the same
# N(0, std²) and sets the biases to zero. With std = 0.01:
#
# **Predict, then run.** A layer with 512 inputs and weights of std 0.01 multiplies the variance of
# the signal by about $512 \times 0.01^2 \approx 0.05$ (section 6 derives why). What is left of it after
# five layers?

# %%
small_stats = inspect_layers(fresh_model("identity", lambda model: init_normal(model, std=0.01)),
                             x_batch, y_batch, "N(0, 0.01²)")

# %% [markdown]
# The activations shrink by a large factor in every layer. The UvA tutorial this notebook builds on
# also drew the *biases* from N(0, std²); a bias adds its own variance, std² = 10⁻⁴, to every
# layer's output, so its activations stop shrinking at a floor of the order of 10⁻⁴ (3·10⁻⁵ to
# 1.5·10⁻⁴ over seeds 0–4). With zero biases, as here, nothing stops them. Here is the tutorial's
# variant for comparison. Its weights are the very same draw as above (same seed, biases drawn
# afterwards), so from here on a case whose weights repeat an earlier one shows only its gradients
# and activations.

# %%
def normal_weights_and_biases(model, std=0.01):
    """N(0, std²) for every weight and every bias, as in the original tutorial."""
    init_normal(model, std=std)
    with torch.no_grad():
        for layer in model.linear_layers():
            layer.bias.normal_(0.0, std)
    return model


SHOWN_WEIGHTS_BEFORE = ("gradients", "activations")  # plots for a case whose weights were drawn before
small_with_bias_stats = inspect_layers(fresh_model("identity", normal_weights_and_biases), x_batch, y_batch,
                                       "N(0, 0.01²) weights and biases", plots=SHOWN_WEIGHTS_BEFORE)
assert small_with_bias_stats["weights"] == small_stats["weights"]

# %% [markdown]
# A ten times larger std, 0.1:

# %%
large_stats = inspect_layers(fresh_model("identity", lambda model: init_normal(model, std=0.1)),
                             x_batch, y_batch, "N(0, 0.1²), zero biases")

# %% [markdown]
# Now the variance explodes, into the hundreds by the last layer. Some std in between would work for
# *this* network, but it would have to be searched again for every change of width or depth. We want
# a rule that follows from the layer's shape.
#
# ## 6. Equal variance: Var(W) = 1/d<sub>x</sub>
#
# Take one linear layer $y = Wx + b$ with $x \in \mathbb{R}^{d_x}$, $y \in \mathbb{R}^{d_y}$, and
# assume the inputs $x_j$ have mean 0 and variance $\sigma_x^2$, the weights $w_{ij}$ are independent
# of the inputs and of each other with mean 0, and $b = 0$. A bias is the same for every example, so
# it adds no useful randomness; zero is the natural choice.
#
# For independent $A$ and $B$ with zero mean: $\operatorname{Var}(AB) = \mathbb{E}[A^2]\,\mathbb{E}[B^2] -
# (\mathbb{E}[A]\,\mathbb{E}[B])^2 = \operatorname{Var}(A)\operatorname{Var}(B)$. The variance of a sum is
# the sum of the variances when the terms are *uncorrelated*. They are here, because the weights
# have mean zero and are independent of each other and of the inputs: for $j \neq k$,
# $\mathbb{E}[w_{ij}x_j\, w_{ik}x_k] = \mathbb{E}[w_{ij}]\,\mathbb{E}[w_{ik}]\,\mathbb{E}[x_j x_k] = 0$,
# even if the pixels $x_j$ and $x_k$ are correlated (neighbouring pixels are). Without zero-mean
# independent weights that step fails. So
#
# $$
# \operatorname{Var}(y_i) = \operatorname{Var}\Big(\sum_{j=1}^{d_x} w_{ij} x_j\Big)
# = \sum_{j=1}^{d_x} \operatorname{Var}(w_{ij})\operatorname{Var}(x_j)
# = d_x \operatorname{Var}(w)\,\sigma_x^2 .
# $$
#
# Asking for $\operatorname{Var}(y_i) = \sigma_x^2$ gives
#
# $$ \operatorname{Var}(w) = \frac{1}{d_x} . $$
#
# Any zero-mean distribution with that variance will do; here a normal one (`init_equal_variance`).
# The std-0.01 network had $d_x \operatorname{Var}(w) = 784 \cdot 10^{-4} \approx 0.08$ in its first
# layer (shrink) and the std-0.1 one $7.8$ (grow), which is exactly what we saw.
#
# **Predict, then run.** With $\operatorname{Var}(w) = 1/d_x$ in every layer of the identity network,
# what should the activation variances of Linear 1 to 4 be? And the backward signal?

# %%
equal_stats = inspect_layers(fresh_model("identity", init_equal_variance), x_batch, y_batch, "equal variance 1/d_x")

# %% [markdown]
# Every hidden layer now keeps the variance close to 1 (about 0.9 to 0.96 here). The output layer,
# Linear 5, lands lower, at about 0.73, while the UvA tutorial reports 1.0 to 1.15 for all five
# layers. Both are single random draws, and the rule sets the variance only on average over draws
# of the weights. An output unit's variance is $w_i^\top \Sigma\, w_i$, where $w_i$ is its weight
# row and $\Sigma$ the covariance of the layer's inputs. Image pixels are strongly correlated, so
# $\Sigma$ is dominated by a few directions, and that number changes a lot from one random row to
# the next. A hidden layer averages it over 128 to 512 units; Linear 5 has only 10. Ten other seeds
# show how far each layer moves:

# %%
seed_runs = pd.DataFrame(
    [layer_variances(collect_activations(fresh_model("identity", init_equal_variance, seed=seed), x_batch))
     for seed in range(10)])
seed_runs.columns = LAYERS
print("equal variance, activation variance over 10 seeds:")
print(seed_runs.describe().loc[["min", "50%", "max"]].rename(index={"50%": "median"}).round(2))
assert all(0.85 < seed_runs[layer].median() < 1.15 for layer in LAYERS[:4]), "≈ 1 on average in every hidden layer"
assert 0.75 < seed_runs["Linear 5"].median() < 1.25
widest_hidden = max(np.ptp(seed_runs[layer]) for layer in LAYERS[:4])
print(f"range of Linear 5 / widest range of a hidden layer: {np.ptp(seed_runs['Linear 5']) / widest_hidden:.2f}")
assert np.ptp(seed_runs["Linear 5"]) > 2 * widest_hidden, "here Linear 5 scatters more than twice as widely"

# %% [markdown]
# The median is close to 1 in every layer, the output layer included, and Linear 5 scatters the
# most: here more than twice as widely as any hidden layer. Our 0.73 and the tutorial's 1.05 are
# both ordinary draws. How much more Linear 5 scatters is itself a matter of the draws: over five
# groups of ten seeds (0–9, 10–19, …, 40–49) its range was 1.2 to 3.0 times the widest hidden
# layer's, its median 0.83 to 1.00, and the hidden layers' medians 0.94 to 1.00.
#
# ## 7. The backward pass, and Xavier initialization
#
# Gradients flow the other way. For the same layer, the gradient with respect to the input is
# $\frac{\partial L}{\partial x_j} = \sum_{i=1}^{d_y} w_{ij} \frac{\partial L}{\partial y_i}$: the same
# kind of sum, now over the $d_y$ outputs. With the same assumptions,
#
# $$
# \operatorname{Var}\Big(\frac{\partial L}{\partial x_j}\Big)
# = d_y \operatorname{Var}(w)\operatorname{Var}\Big(\frac{\partial L}{\partial y_i}\Big),
# \qquad\text{so a stable backward pass needs}\qquad \operatorname{Var}(w) = \frac{1}{d_y} .
# $$
#
# Both conditions hold at once only when $d_x = d_y$. Glorot & Bengio (2010) proposed a compromise,
# the harmonic mean of the two targets $1/d_x$ and $1/d_y$:
#
# $$
# \operatorname{Var}(w) = \frac{2}{\frac{1}{1/d_x} + \frac{1}{1/d_y}} = \frac{2}{d_x + d_y} .
# $$
#
# It is usually drawn from a uniform distribution $U(-a, a)$, whose variance is $a^2/3$ (it cannot
# produce the occasional very large weight a normal distribution can). Setting
# $a^2/3 = 2/(d_x + d_y)$ gives the bound
#
# $$ W \sim U\big(-a, a\big), \qquad a = \sqrt{\frac{6}{d_x + d_y}} . $$
#
# ### Exercise: `xavier_init(model)`
#
# - **What to write:** initialize every `nn.Linear` of `model` in place with the uniform Xavier
#   distribution above, set the biases to zero, and return the model.
# - **The math:** $W \sim U(-a, a)$ with $a = \sqrt{6/(d_x + d_y)}$, where a Linear layer's weight has
#   shape `(out_features, in_features)` $= (d_y, d_x)$; $b = 0$.
# - **Signature:** `xavier_init(model) -> model`
# - **Example:** `xavier_init(MLP(activation="tanh"))`
# - **The check tries:** a seeded MLP with deliberately unequal widths (512 → 256 → 1024 → 64), so that
#   $1/d_x$, $1/d_y$ and $2/(d_x + d_y)$ all differ; it compares each layer's weight variance and
#   distribution with the target and names the formula your variances follow when it is a common slip.
# - **Tools:** `model.modules()`, `torch.no_grad()`, and the in-place random fills of a tensor
#   (`Tensor.uniform_`, `Tensor.zero_`).

# %%
def xavier_init(model):
    """Glorot & Bengio (2010): W ~ U(−a, a), a = √(6/(d_x + d_y)), for every nn.Linear; b = 0. Returns model."""
    # BEGIN SOLUTION
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.Linear):
                fan_out, fan_in = layer.weight.shape
                bound = math.sqrt(6.0 / (fan_in + fan_out))
                layer.weight.uniform_(-bound, bound)
                if layer.bias is not None:
                    layer.bias.zero_()
    return model
    # END SOLUTION


# %%
xavier_passed = check_xavier_init(xavier_init)

# %% [markdown]
# The experiments below use your `xavier_init` once it passes the check; until then they use
# course_lib's reference and print one line saying so.
#
# **Predict, then run.** Linear 2 maps 512 inputs to 256 outputs. By what factor will Xavier make its
# output variance differ from its input variance in the identity network?

# %%
xavier = student_or_reference(xavier_init, xavier_passed, init_xavier)
xavier_stats = inspect_layers(fresh_model("identity", xavier), x_batch, y_batch, "Xavier, identity")

# %% [markdown]
# The activations now grow slowly, by the factor $d_x \operatorname{Var}(w) = 2d_x/(d_x + d_y)$ that
# the compromise leaves in each layer: 4/3 in Linear 2 and Linear 4, which halve the width, 1 in
# Linear 3. The last layer stands out: it maps 128 inputs to only 10 outputs, so $2/(d_x+d_y)$ is
# far from the forward target $1/d_x$ there, and the factor is $256/138 \approx 1.9$ (measured: about
# 1.6, an average over only 10 units).
#
# Now the backward pass, the last row of the table. The derivation says that on the way back a
# layer multiplies the variance of the input gradient by $d_y \operatorname{Var}(w)$. From the input
# of Linear 5 back to the input of Linear 2 the gradient passes through Linear 4, 3 and 2, so the
# prediction is the product of those three factors. The cell computes it from the actual weights
# and compares it with the measurement, for the four initializations of the linear network so far.

# %%
FAN_OUT = [layer.out_features for layer in MLP().linear_layers()]  # d_y of Linear 1..5


def predicted_backward(stats, derivative_factor=1.0):
    """Π over Linear 2, 3, 4 of d_y·Var(W)·c, where c = E[f′(z)²] of the activation f (1 linear, ½ ReLU)."""
    return math.prod(FAN_OUT[k] * stats["weights"][k] * derivative_factor for k in (1, 2, 3))


def measured_backward(stats):
    """Var(∂ℓ/∂h) at the input of Linear 2 divided by Var(∂ℓ/∂h) at the input of Linear 5."""
    input_gradients = stats["input gradients"]
    return input_gradients[1] / input_gradients[4]


def backward_table(cases):
    """{case: (stats, c)} → DataFrame of predicted and measured backward factors; printed rounded."""
    table = pd.DataFrame({case: {"predicted": predicted_backward(stats, c), "measured": measured_backward(stats)}
                          for case, (stats, c) in cases.items()}).T
    print("Var(∂ℓ/∂h) at Linear 2's input / at Linear 5's input:")
    print(table.map("{:.3g}".format))
    return table


backward = backward_table({"N(0, 0.01²), zero biases": (small_stats, 1.0),
                           "N(0, 0.1²), zero biases": (large_stats, 1.0),
                           "equal variance": (equal_stats, 1.0), "Xavier, identity": (xavier_stats, 1.0)})
assert np.allclose(backward["measured"], backward["predicted"], rtol=0.2)

weight_gradients = xavier_stats["gradients"]
print(f"Xavier, weight gradients: Linear 4 / Linear 1 = {weight_gradients[3] / weight_gradients[0]:.2g}, "
      f"Linear 5 / Linear 4 = {weight_gradients[4] / weight_gradients[3]:.2g}")
assert 20 < weight_gradients[4] / weight_gradients[0] < 60
assert weight_gradients[4] / weight_gradients[3] > weight_gradients[3] / weight_gradients[0]

# %% [markdown]
# The measurements follow the prediction to within 20 % (the check above); over seeds 0–4 the worst
# of the four cases was off by 2 to 15 %, and by under 5 % on three of the five. With one std for
# every layer each layer contributes the factor $d_y\,\sigma^2$, so the gradient shrinks about $10^5$-fold over
# three layers with std 0.01 and grows about eightfold with std 0.1, and every further layer would
# multiply it again. With $\operatorname{Var}(w) = 1/d_x$ the factor is
# $\frac{256}{512}\cdot\frac{256}{256}\cdot\frac{128}{256} = \frac{1}{4}$, and with Xavier
# $\frac{2}{3}\cdot 1\cdot\frac{2}{3} = \frac{4}{9}$. Neither depends on the depth: the width ratios
# telescope to 128/512, the widths at the two ends, however many 256-wide layers sit in between.
# Per unit, the gradient's variance just follows the widths; summed over all units of a layer's input
# (variance × width) the equal-variance rule keeps it: $\frac{1}{4}\cdot\frac{512}{128} = 1$.
# Xavier's compromise shrinks the per-unit gradient variance 2.25-fold ($\frac{4}{9}$) instead of
# 4-fold ($\frac{1}{4}$), at the price of the slow forward growth above.
#
# The weight gradients $\partial J/\partial W$ grow more steeply, about 40-fold from Linear 1 to
# Linear 5 here (25- to 40-fold over seeds 0–4). A weight gradient is a layer's output gradient times its input,
# $\partial J/\partial W = \frac{1}{N}\sum_n (\partial \ell_n/\partial y_n)\, h_n^\top$, so it also
# inherits the growth of the activations, and the largest step is in the last layer. Its output
# gradient is the one at the logits, before the 128 → 10 layer scales it by
# $d_y \operatorname{Var}(w) = 10 \cdot 2/138 \approx 0.14$ on the way back. That is a one-off factor
# from having only 10 outputs, not something that compounds with depth.
#
# ### Xavier with tanh
#
# Near zero, $\tanh(z) \approx z$ with slope 1, so for small activations a tanh network behaves like
# the linear one and Xavier's derivation should roughly carry over.

# %%
xavier_tanh_stats = inspect_layers(fresh_model("tanh", xavier), x_batch, y_batch, "Xavier, tanh", color="C1")

# %% [markdown]
# The variance starts at about 1.2 and shrinks towards about 0.25 by the last hidden layer, far more
# gently than with std 0.01, and the distributions stay concentrated in the region where tanh is
# nearly linear, so the gradients flow. Xavier works well enough for tanh at this depth.
#
# **Think!** Suppose every layer of a network had the same width $d$. What does Xavier's
# $\operatorname{Var}(w) = 2/(d_x + d_y)$ become, and what are then its forward and backward factors
# per layer?
# %% [markdown] tags=["solution"]
# With $d_x = d_y = d$ it becomes $2/(2d) = 1/d$: exactly the equal-variance rule. Both factors are
# then $d \cdot 1/d = 1$, forward ($d_x \operatorname{Var}(w)$) and backward ($d_y \operatorname{Var}(w)$),
# so both conditions hold exactly. The compromise only costs something where the width changes,
# as in the first and last layers of our network.

# %% [markdown]
# ## 8. ReLU and Kaiming initialization
#
# ReLU, $h = \max(0, z)$, is not linear near zero: it discards half of its input. Redo the forward
# computation for a layer $y = Wh$ whose input is the ReLU output of the previous layer's
# pre-activations $z$, assumed symmetric around 0 with variance $\operatorname{Var}(z)$. Now
# $\mathbb{E}[h] \neq 0$, but the weights still have mean 0, so
#
# $$
# \operatorname{Var}(w_{ij} h_j) = \mathbb{E}[w_{ij}^2]\,\mathbb{E}[h_j^2] - \mathbb{E}[w_{ij}]^2\,\mathbb{E}[h_j]^2
# = \operatorname{Var}(w)\,\mathbb{E}[h^2] .
# $$
#
# The second moment of the ReLU output keeps only the positive half of a symmetric distribution:
#
# $$
# \mathbb{E}[h^2] = \int_{0}^{\infty} z^2\, p(z)\, dz = \frac{1}{2}\int_{-\infty}^{\infty} z^2\, p(z)\, dz
# = \frac{1}{2}\operatorname{Var}(z) .
# $$
#
# Hence $\operatorname{Var}(y_i) = d_x \operatorname{Var}(w) \cdot \tfrac{1}{2}\operatorname{Var}(z)$,
# and keeping $\operatorname{Var}(y_i) = \operatorname{Var}(z)$ needs
#
# $$ \operatorname{Var}(w) = \frac{2}{d_x} . $$
#
# That factor 2 is the **Kaiming** (He) initialization (He et al., 2015). It uses $d_x$ only, with no
# harmonic compromise: He et al. show that the forward version ($2/d_x$) and the backward version
# ($2/d_y$) each keep the gradients stable through the network; the two differ only by a constant
# factor that depends on the first and last widths, not on the depth. The first layer is special:
# its input is the standardized data, not a ReLU output, so no half was discarded and
# $\operatorname{Var}(w) = 1/d_x$ is right there.
#
# ### Exercise: `kaiming_init(model)`
#
# - **What to write:** initialize the Linear layers of `model` in place for a ReLU network, set the
#   biases to zero, and return the model.
# - **The math:** the first `nn.Linear` gets $W \sim N(0, 1/d_x)$ (its input is the standardized data),
#   every later one $W \sim N(0, 2/d_x)$; $b = 0$.
# - **Signature:** `kaiming_init(model) -> model`
# - **Example:** `kaiming_init(MLP(activation="relu"))`
# - **The check tries:** the same unequal-width MLP as for Xavier, layer by layer, first layer apart,
#   and names a factor of 2 in the wrong place or a fan-out used for a fan-in.
# - **Tools:** as for Xavier, with `Tensor.normal_`.

# %%
def kaiming_init(model):
    """He et al. (2015): W ~ N(0, 2/d_x) for Linear layers fed by a ReLU, N(0, 1/d_x) for the first; b = 0."""
    # BEGIN SOLUTION
    linear_layers = [module for module in model.modules() if isinstance(module, nn.Linear)]
    with torch.no_grad():
        for index, layer in enumerate(linear_layers):
            gain = 1.0 if index == 0 else 2.0
            layer.weight.normal_(0.0, math.sqrt(gain / layer.in_features))
            if layer.bias is not None:
                layer.bias.zero_()
    return model
    # END SOLUTION


# %%
kaiming_passed = check_kaiming_init(kaiming_init)

# %% [markdown]
# **Predict, then run.** With Kaiming weights, should the ReLU network's hidden-layer variances stay
# near 1, grow, or shrink? And with Xavier weights instead?

# %%
kaiming = student_or_reference(kaiming_init, kaiming_passed, init_kaiming)
kaiming_relu_stats = inspect_layers(fresh_model("relu", kaiming), x_batch, y_batch, "Kaiming, ReLU", color="C2")

# %% [markdown]
# The variance of the hidden layers' outputs stays close to 1 all the way through. For contrast, the
# same ReLU network with Xavier: each layer multiplies the variance by
# $d_x \cdot \frac{2}{d_x + d_y} \cdot \frac{1}{2} = \frac{d_x}{d_x + d_y}$, that is by 0.67, 0.5 and 0.67
# in the hidden layers here. Its weights are the same draw as in the Xavier, identity case above.

# %%
xavier_relu_stats = inspect_layers(fresh_model("relu", xavier), x_batch, y_batch, "Xavier, ReLU",
                                   plots=SHOWN_WEIGHTS_BEFORE)
assert xavier_relu_stats["weights"] == xavier_stats["weights"]

# %% [markdown]
# Backward, a ReLU lets the gradient through only where $z > 0$, which halves its variance: the
# factor $c = \mathbb{E}[f'(z)^2]$ in `predicted_backward` is ½. Kaiming's factor 2 makes up for it,
# so each layer multiplies by $d_y \cdot \frac{2}{d_x} \cdot \frac{1}{2} = \frac{d_y}{d_x}$, the same
# width ratio, 1/4 in total, as equal variance in the linear network. With Xavier's smaller weights
# the prediction is $\frac{1}{3}\cdot\frac{1}{2}\cdot\frac{1}{3} = \frac{1}{18}$ (measured: about 1/16),
# and again each further layer would shrink it more.

# %%
relu_backward = backward_table({"Kaiming, ReLU": (kaiming_relu_stats, 0.5), "Xavier, ReLU": (xavier_relu_stats, 0.5)})
assert np.allclose(relu_backward["measured"], relu_backward["predicted"], rtol=0.25)
assert relu_backward.loc["Xavier, ReLU", "measured"] < 0.5 * relu_backward.loc["Kaiming, ReLU", "measured"]

# %% [markdown]
# **Think!** Section 6 derived the equal-variance rule for inputs of mean zero, and a ReLU's outputs are
# all positive. Which step of the derivation needs a mean of zero, the inputs' or the weights'? Why
# does the Kaiming rule still come out right?

# %% [markdown] tags=["solution"]
# The weights'. $\operatorname{Var}(w h) = \mathbb{E}[w^2]\,\mathbb{E}[h^2] - \mathbb{E}[w]^2\,\mathbb{E}[h]^2$ loses its
# second term because $\mathbb{E}[w] = 0$, whatever $\mathbb{E}[h]$ is; and the terms of the sum are
# uncorrelated because the weights are zero-mean and independent, again whatever the inputs do. What
# the positive inputs change is the size of $\mathbb{E}[h^2]$: for a ReLU it is $\operatorname{Var}(z)/2$,
# not $\operatorname{Var}(h)$, and that is exactly the half Kaiming's factor 2 puts back. Zero-mean
# *weights* are what the derivation cannot do without.

# %% [markdown]
# ### Leaky-ReLU and `torch.nn.init.calculate_gain`
#
# Leaky-ReLU keeps a slope $a$ on the negative side, $h = \max(z, a z)$. Its second moment is
# $\mathbb{E}[h^2] = \tfrac{1}{2}\operatorname{Var}(z) + \tfrac{a^2}{2}\operatorname{Var}(z)
# = \tfrac{1 + a^2}{2}\operatorname{Var}(z)$, so the weights need
# $\operatorname{Var}(w) = \frac{2}{(1 + a^2)\, d_x}$. PyTorch tabulates a gain per activation in
# `torch.nn.init.calculate_gain` and scales both schemes by its square: `nn.init.kaiming_normal_`
# draws $\operatorname{Var}(w) = \text{gain}^2 / d_x$, and `nn.init.xavier_uniform_` draws
# $\operatorname{Var}(w) = \text{gain}^2 \cdot 2/(d_x + d_y)$ (not $\text{gain}^2/d_x$).
# We check our formula against it, then see the factor at work with a large slope, $a = 0.5$. The
# weights of these two networks are Kaiming's draw at a slightly different scale, so again only
# their gradients and activations are drawn.

# %%
slopes = (0.01, 0.1, 0.5)
gains = pd.DataFrame({
    "torch gain²": [nn.init.calculate_gain("leaky_relu", a) ** 2 for a in slopes],
    "2 / (1 + a²)": [2 / (1 + a**2) for a in slopes],
}, index=[f"leaky_relu, a = {a}" for a in slopes])
for name in ("linear", "sigmoid", "tanh", "relu"):
    gains.loc[name, "torch gain²"] = nn.init.calculate_gain(name) ** 2
print(gains.round(4))
assert np.allclose(gains["torch gain²"].iloc[:3], gains["2 / (1 + a²)"].iloc[:3])


torch_xavier_variance = torch.nn.init.xavier_uniform_(torch.empty(256, 512), gain=5 / 3).var().item()
print(f"xavier_uniform_(gain=5/3) on a 256×512 weight: Var = {torch_xavier_variance:.5f}; "
      f"gain²·2/(d_x+d_y) = {(5 / 3) ** 2 * 2 / (512 + 256):.5f}, gain²/d_x = {(5 / 3) ** 2 / 512:.5f}")
assert abs(torch_xavier_variance / ((5 / 3) ** 2 * 2 / (512 + 256)) - 1) < 0.02


def leaky_model(init):
    set_seed(42)
    model = MLP(activation="identity").to(device)
    for index in range(1, len(model.layers), 2):
        model.layers[index] = nn.LeakyReLU(0.5)
    return init(model)


# course_lib's Kaiming initializer takes the hidden layers' gain² (2 for ReLU by default)
leaky_corrected = inspect_layers(leaky_model(lambda m: init_kaiming(m, gain_squared=2 / (1 + 0.5**2))),
                                 x_batch, y_batch, "Leaky-ReLU(0.5), gain² = 2/(1+a²)", plots=SHOWN_WEIGHTS_BEFORE)
leaky_relu_gain = inspect_layers(leaky_model(init_kaiming), x_batch, y_batch, "Leaky-ReLU(0.5), ReLU's gain² = 2",
                                 plots=SHOWN_WEIGHTS_BEFORE)

# %% [markdown]
# With the ReLU factor the Leaky-ReLU network grows by $(1 + a^2) = 1.25$ per layer; the corrected
# gain keeps it near 1. For the default slope $a = 0.01$ the correction is $1.0001$, which is why
# Kaiming's ReLU rule is also used for Leaky-ReLU in practice.

# %%
assert max(leaky_corrected["activations"][:4]) < 1.5
assert leaky_relu_gain["activations"][3] / leaky_relu_gain["activations"][0] > 1.4

# %% [markdown]
# ## 9. All the findings, side by side
#
# Every initialization of this notebook, measured on the same batch:

# %%
ours = {
    "N(0, 0.01²), zero biases": small_stats,
    "N(0, 0.01²) weights and biases": small_with_bias_stats,
    "N(0, 0.1²), zero biases": large_stats,
    "equal variance": equal_stats,
    "Xavier, identity": xavier_stats,
    "Xavier, tanh": xavier_tanh_stats,
    "Kaiming, ReLU": kaiming_relu_stats,
    "Xavier, ReLU": xavier_relu_stats,
}

# %% [markdown]
# The findings in two numbers per case. **Forward**: the variance of Linear 4's output over Linear
# 1's, what three hidden layers do to the signal. **Backward**: the input-gradient variance summed
# over the units (variance × width) at Linear 2's input over the same at Linear 5's input, what
# the same three layers do to the gradient on its way back; summing over units takes out the width
# ratio of section 7. Running this cell re-checks every claim of this notebook.

# %%
def forward_ratio(stats):
    """Var(output of Linear 4) / Var(output of Linear 1)."""
    activations = stats["activations"]
    return activations[3] / activations[0]


def backward_ratio(stats):
    """d·Var(∂ℓ/∂h) at Linear 2's input (d = 512) / the same at Linear 5's input (d = 128)."""
    return measured_backward(stats) * FAN_OUT[0] / FAN_OUT[3]


findings = pd.DataFrame({"forward": {case: forward_ratio(stats) for case, stats in ours.items()},
                         "backward": {case: backward_ratio(stats) for case, stats in ours.items()}})
print(findings.map("{:.2g}".format))
forward, backward_summed = findings["forward"], findings["backward"]
assert forward["N(0, 0.01²), zero biases"] < 1e-3 and backward_summed["N(0, 0.01²), zero biases"] < 1e-3  # vanish
assert 1e-5 < small_with_bias_stats["activations"][-1] < 1e-3          # floor of the order of the biases' 1e-4
assert forward["N(0, 0.1²), zero biases"] > 10 and large_stats["activations"][-1] > 100  # explodes into the hundreds
assert backward_summed["N(0, 0.1²), zero biases"] > 10
assert all(0.8 < v < 1.25 for v in equal_stats["activations"][:4])     # ≈ 1 in every hidden layer
assert 1.0 < xavier_tanh_stats["activations"][0] < 1.5 and 0.1 <= forward["Xavier, tanh"] <= 0.4  # 1.2 → ~0.25
assert backward_summed["Xavier, tanh"] > 1 / 3                         # but the gradients still flow
assert all(0.7 < v < 1.4 for v in kaiming_relu_stats["activations"][:4])  # ≈ 1 in the hidden layers
for case in ("equal variance", "Kaiming, ReLU"):
    assert 0.8 < backward_summed[case] < 1.25                          # the summed gradient is kept
assert forward["Xavier, ReLU"] < 0.5 * forward["Kaiming, ReLU"]        # Xavier is too small for ReLU
assert backward_summed["Xavier, ReLU"] < 0.5 * backward_summed["Kaiming, ReLU"]

# %% [markdown]
# The same findings in words, with bounds that sit far from every ratio above: *vanishes* below
# 1/100, *shrinks* below 1/3, *steady* within a factor 3 either way, *grows* up to ×20, *explodes*
# beyond. These words must come out the same for any batch size, so the notebook tests compare this
# cell's printout with the stored one: if a finding changes, the difference shows up there too.

# %%
# NBVAL_CHECK_OUTPUT
def in_words(ratio):
    """A ratio of variances over three layers, in words."""
    if ratio < 1e-2:
        return "vanishes"
    if ratio < 1 / 3:
        return "shrinks"
    if ratio <= 3:
        return "steady"
    return "grows" if ratio <= 20 else "explodes"


print(findings.map(in_words).rename(columns={"forward": "forward, Linear 1 → 4",
                                             "backward": "backward, Linear 5 → 2"}).to_string())
print(f"constant 0.005: the units of each hidden layer are still identical after 20 steps: {symmetry_kept}")

# %% [markdown]
# One std for all layers makes both directions vanish or explode. Equal variance and Kaiming keep
# both steady for their activation; Xavier keeps the linear network steady, and with tanh lets the
# activations shrink while the gradients still flow; with ReLU, Xavier's weights are too small in
# both directions.
#
# ## 10. The init explorer
#
# Try any combination yourself. The explorer builds a network with the chosen number of hidden
# layers, all of the same width, initializes it, and measures on one fixed batch of 128 training
# images three variances per Linear layer: of its output z (the forward signal), of its weight
# gradient ∂L/∂W (what the optimizer sees), and of the gradient ∂L/∂z flowing back into its output
# (the backward signal). Nothing is trained, so each change takes a fraction of a second. Things to try:
#
# - Kaiming + ReLU at 12 layers, then switch to Xavier: how fast does the signal fade?
# - normal(0, std²) with identity: find the std that keeps the variance flat at width 256. Does it
#   still work at width 64?
# - Kaiming + tanh, and Xavier + tanh at 12 layers.

# %%
init_explorer()

# %% [markdown]
# **Think!**
#
# 1. The UvA tutorial says that with Xavier the tanh network's variance "stabilizes around 0.25".
#    Set the explorer to Xavier + tanh and 12 hidden layers. Does it settle, or keep shrinking?
#    Why? What would multiplying the weights by `calculate_gain("tanh")` = 5/3 change?
# 2. Our `kaiming_init` gives the first layer $1/d_x$, not $2/d_x$. What would go wrong with $2/d_x$
#    there, and how badly?

# %% [markdown] tags=["solution"]
# 1. It keeps shrinking, slowly. For every $z \neq 0$, $|\tanh z| < |z|$, so
#    $\operatorname{Var}(\tanh z) < \operatorname{Var}(z)$: with equal widths ($d_x = d_y$, Xavier gives
#    exactly $1/d_x$) each layer can only lose variance. The loss is small once the values are small,
#    because tanh is almost linear near 0: $\tanh z \approx z - z^3/3$ gives
#    $\mathbb{E}[\tanh^2 z] \approx v - 2v^2$ for $z \sim N(0, v)$, so $v_{k+1} \approx v_k - 2 v_k^2$,
#    which decays like $1/(2k)$: 0.25 after a few layers, about 0.05 after ten. In the tutorial's
#    network the narrowing last hidden layer (256 → 128) gives a small boost, which looks like a
#    plateau. With the gain 5/3 each layer multiplies the variance by $25/9 \approx 2.8$ before tanh
#    squashes it; the two effects balance at a fixed point near 1.2 that the variance reaches after a
#    couple of layers and then keeps, at any depth. That is what the gain is for.
# 2. Nothing dramatic: the input is standardized data, not a ReLU output, so no half has been
#    removed and $2/d_x$ simply doubles the first layer's output variance. Because every later layer
#    preserves the variance, the whole network then runs at variance ≈ 2 instead of ≈ 1, a constant
#    factor that does not grow with depth (the self-check accepts both). The factor 2 only matters
#    where it compensates for a ReLU, and there it compounds: a missing factor 2 in every layer
#    halves the variance $L$ times.

# %% [markdown]
# ## Summary
#
# - Constant weights make all units of a layer identical forever: one effective neuron per layer.
# - Too large weights saturate tanh and sigmoid, whose derivatives then choke the gradients.
# - One std for all layers makes activations and gradients vanish (std 0.01) or explode (std 0.1).
# - Var(W) = 1/d<sub>x</sub> keeps forward variance, 1/d<sub>y</sub> keeps backward variance; Xavier takes
#   2/(d<sub>x</sub> + d<sub>y</sub>), uniform bound √(6/(d<sub>x</sub> + d<sub>y</sub>)), and suits
#   tanh networks of moderate depth.
# - ReLU halves the second moment, so Kaiming doubles the weight variance: 2/d<sub>x</sub>;
#   Leaky-ReLU needs 2/((1 + a²) d<sub>x</sub>). `torch.nn.init.calculate_gain` tabulates these gains.
# - The appendix below compares our numbers with the UvA tutorial's.

# %% [markdown]
# ## Appendix: our numbers next to the UvA tutorial's
#
# The table puts the per-layer activation variances measured above (Linear outputs, batch of
# images from the training split) next to those the UvA tutorial reports for the same network.
# Ours come from a different random draw and, in quick mode, a smaller batch, so single digits
# differ; the pattern is what should agree. Where the tutorial's run differs from ours in more than
# the draw, its row says how: its std-0.1 network also drew the biases from N(0, 0.1²), while ours
# has zero biases (with biases of variance 0.01 against activations in the tens and hundreds, that
# changes little).

# %%
TUTORIAL_REFERENCE = {  # our case: (how the tutorial's run differed, its activation variances of Linear 1..5)
    "N(0, 0.01²) weights and biases": ("", [0.0783, 0.00406, 0.000223, 0.000116, 8.16e-05]),
    "N(0, 0.1²), zero biases": ("biases N(0, 0.1²)", [8.08, 37.9, 96.4, 237.3, 303.4]),
    "equal variance": ("", [1.009, 1.070, 1.126, 1.131, 1.050]),
    "Xavier, identity": ("", [1.221, 1.584, 1.543, 2.021, 2.687]),
    "Xavier, tanh": ("", [1.205, 0.592, 0.296, 0.250, 0.273]),
    "Kaiming, ReLU": ("", [1.026, 1.010, 1.016, 1.140, 0.469]),
}
rows = {}
for case, stats in ours.items():
    rows[(case, "this notebook")] = stats["activations"]
    if case in TUTORIAL_REFERENCE:
        difference, reported = TUTORIAL_REFERENCE[case]
        rows[(case, f"UvA tutorial, {difference}" if difference else "UvA tutorial")] = reported
comparison = pd.DataFrame.from_dict(rows, orient="index", columns=LAYERS)
comparison.index = pd.MultiIndex.from_tuples(comparison.index, names=["initialization", "source"])
comparison.map("{:.3g}".format)  # strings, so the plain-text and the HTML view both show 3 digits

# %% [markdown]
# ## References
#
# - X. Glorot and Y. Bengio. *Understanding the difficulty of training deep feedforward neural
#   networks.* AISTATS 2010.
# - K. He, X. Zhang, S. Ren and J. Sun. *Delving Deep into Rectifiers: Surpassing Human-Level
#   Performance on ImageNet Classification.* ICCV 2015.
# - LeCun, Y., Bottou, L., Orr, G. B. & Müller, K.-R. (1998). Efficient BackProp. In *Neural Networks:
#   Tricks of the Trade*, Springer. (Why inputs are standardized; the 1/d<sub>x</sub> rule.)
# - PyTorch documentation: `torch.nn.init` (`calculate_gain`, `xavier_uniform_`, `kaiming_normal_`).
# - P. Lippe (2021). *UvA Deep Learning Tutorial 4: Optimization and Initialization.* University of
#   Amsterdam. https://uvadlc-notebooks.readthedocs.io (CC BY-SA 4.0; the experiments this notebook
#   reproduces).

# %% [markdown]
# ## Before you submit
#
# Save the notebook (Ctrl+S / Cmd+S), then run the cell below. It grades the file you saved with the
# same code as your instructor's `course-grade` (each exercise cell and its check, in a fresh process,
# in a few seconds) and shows the points per exercise with what each check says. It warns you first
# when the saved file is not what you ran: an exercise cell changed, or run, since you last saved. Hand
# in that saved `.ipynb` file. On Colab, download it first (File → Download → Download .ipynb).

# %%
before_you_submit("02_initialization")
