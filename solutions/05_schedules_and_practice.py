# %% [markdown]
# # 05 · Schedules, AdamW, clipping, normalization, and watching training
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/init-optim-course/init-optim-course/blob/main/notebooks/05_schedules_and_practice.ipynb)
#
# The tutorials this course grew from stop at Adam with a constant learning rate. Almost every
# network trained today adds a few more pieces: a learning rate that warms up and then decays,
# AdamW's decoupled weight decay, gradient clipping, and normalization layers; and people who train
# networks watch per-layer statistics to find out why a run fails. This notebook takes each piece in
# turn, measures what it does on FashionMNIST, and ends with a default recipe and the evidence for
# each choice from notebooks 01 to 05. Three code cells are marked **Exercise**: they raise
# `NotImplementedError` until you fill them in, and the cell after each runs a self-check that
# answers in one sentence. Until your code passes, later cells use course_lib's reference and say
# so. **Think!** boxes ask a question: answer it for yourself before reading on.

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

import numpy as np
import pandas as pd
import torch

from course_lib.carry_over import load_passed
from course_lib.checks import check_adam, check_adamw, check_clip_grad_norm, check_warmup_cosine_lr
from course_lib.clipping import clip_grad_norm as reference_clip_grad_norm
from course_lib.data import load_fashion_mnist
from course_lib.device import get_device
from course_lib.exercises import student_or_reference
from course_lib.experiments.clipping import ClippingExperiment
from course_lib.experiments.compare_optimizers import OptimizerComparison
from course_lib.experiments.decay_groups import DecayGroupsComparison
from course_lib.experiments.decoupled_decay import DecayComparison
from course_lib.experiments.monitoring import BLIND_LABELS, MonitoringExperiment
from course_lib.experiments.normalization import (
    NormalizationTraining,
    normalized_layer_statistics,
    output_after_rescaling,
)
from course_lib.experiments.schedules import (
    START_PEAK_LR,
    START_WARMUP_STEPS,
    ScheduleExperiment,
    lr_range_test,
)
from course_lib.grading import before_you_submit
from course_lib.normalization import default_weight_variance
from course_lib.optimizers import SGD, SGDMomentum
from course_lib.optimizers import Adam as ReferenceAdam
from course_lib.optimizers import AdamW as ReferenceAdamW
from course_lib.plotting import use_course_style
from course_lib.schedules import SCHEDULES, lambda_lr, schedule_curve
from course_lib.schedules import warmup_cosine_lr as reference_warmup_cosine_lr
from course_lib.seeding import set_seed
from course_lib.widgets import adamw_demo, clipping_demo, normalization_demo, schedule_demo
from course_lib.widgets.clipping import draw_clipping
from course_lib.widgets.common import show_figure
from course_lib.widgets.decoupled_decay import draw_decay_comparison
from course_lib.widgets.monitor import watch_training
from course_lib.widgets.normalization import draw_depth_variance, draw_normalization_training
from course_lib.widgets.schedules import draw_range_test, draw_schedule_shapes, draw_warmup_comparison

set_seed(42)
device = get_device()
use_course_style()
data = load_fashion_mnist(device=torch.device("cpu"))
print(data)

# %% [markdown]
# Every experiment below trains small networks on a few thousand training images for a few hundred
# steps, on the CPU, so that each demo answers a slider within a few seconds. The effects we look at
# happen early in training, and that is enough to see them; the numbers are not what a long run on
# all 50,000 images would reach.
#
# ## 1. Learning-rate schedules
#
# Notebook 03 ended with RMSprop hovering around the optimum instead of settling: a step size that
# is right far from the optimum is too large close to it. A **schedule** changes the learning rate
# $\eta_t$ with the step $t = 0, 1, \dots, T-1$. The common ones, all written with the same
# arguments (total steps $T$, peak learning rate $\eta_{\text{peak}}$, warmup steps $W$, final
# learning rate $\eta_{\min}$):
#
# * **constant**: $\eta_t = \eta_{\text{peak}}$;
# * **step decay**: $\eta_{\text{peak}}$, multiplied by 0.1 after half of the steps and again after three
#   quarters;
# * **cosine** (Loshchilov & Hutter, 2017): $\eta_t = \eta_{\min} + \tfrac12(\eta_{\text{peak}} - \eta_{\min})
#   \big(1 + \cos(\pi t / T)\big)$, half a cosine wave from the peak down to $\eta_{\min}$;
# * **linear warmup + cosine**: first $W$ steps rising linearly to the peak, then the cosine over the
#   remaining $T - W$ steps;
# * **one-cycle** (Smith & Topin, 2019): a cosine rise from $\eta_{\text{peak}}/25$ to the peak over
#   $W$ steps, then a cosine fall to nearly zero.
#
# Here they are for $T = 200$, $\eta_{\text{peak}} = 0.1$, $W = 40$:

# %%
shapes = {name: schedule_curve(name, total_steps=200, peak_lr=0.1, warmup_steps=40) for name in SCHEDULES}
show_figure(draw_schedule_shapes(shapes, "five schedules, T = 200 steps, peak 0.1, warmup 40"))

# %% [markdown]
# Warmup starts with small steps, while the network and the optimizer's statistics settle, and only
# then takes the large steps that make progress. Goyal et al. (2017) introduced its linear form for
# large-batch SGD: when the batch grows $k$-fold they multiply the learning rate by $k$ (the *linear
# scaling rule*), and that large rate fails in the first steps unless it is reached over the first
# few epochs. The decay at the end
# gives small, careful steps where the loss surface is narrow.
#
# ### Exercise: `warmup_cosine_lr`
#
# - **What to write:** the learning rate of linear warmup followed by cosine decay, at one step.
# - **What it must do** ($W$ warmup steps, $T$ steps in all, `step` counted from 0):
#   - while $\text{step} < W$, rise linearly: $\eta = \eta_{\text{peak}} \cdot (\text{step} + 1)/W$, so
#     step 0 already has $\eta_{\text{peak}}/W$ and the last warmup step, $W - 1$, has the peak (even when
#     $\eta_{\text{peak}}/W$ is below $\eta_{\min}$: the warmup ignores $\eta_{\min}$);
#   - from step $W$ on, follow half a cosine wave, $\eta_{\min} + (\eta_{\text{peak}} - \eta_{\min})\cdot
#     \tfrac12(1 + \cos \pi p)$, where the progress $p$ grows linearly from 0 at step $W$ to 1 at
#     step $T$ (one past the last update); divide by $\max(1, T - W)$ so a warmup that takes all
#     the steps ($W = T$) does not divide by zero. With $W = T$ the cosine part is only ever asked
#     for at step $T$, where $p = 0$: the schedule then stays at the peak, and reaches $\eta_{\min}$
#     only when $W < T$.
# - **Signature:** `warmup_cosine_lr(step, total_steps, peak_lr, warmup_steps, min_lr=0.0) -> float`
# - **Example:** `warmup_cosine_lr(0, 20, 0.1, 5)` is 0.02 and `warmup_cosine_lr(5, 20, 0.1, 5)` is 0.1.
# - **The check tries:** every step from 0 to $T$ of six schedules: with and without warmup, with and
#   without $\eta_{\min}$, a warmup as long as the whole run, the default `min_lr`, and a warmup that
#   starts below $\eta_{\min}$.
# - **Tools:** `math.cos`, `math.pi`.
#
# **Derive first.** Write the progress $p$ as a formula in step, $W$ and $T$, and then $\eta$ for
# step $\ge W$. Check your formula at step $W$ and at step $T$: what learning rate must come out?
# And what is `warmup_cosine_lr(7, 20, 0.1, 5)`, to three digits?

# %% [markdown] tags=["solution"]
# $p = (\text{step} - W)/\max(1, T - W)$, so for step $\ge W$
# $\eta = \eta_{\min} + \tfrac12(\eta_{\text{peak}} - \eta_{\min})\big(1 + \cos(\pi (\text{step} - W)/\max(1, T - W))\big)$.
# At step $W$, $p = 0$ and $\cos 0 = 1$ give $\eta_{\text{peak}}$, continuing the warmup's last value;
# at step $T$ (with $W < T$), $p = 1$ and $\cos \pi = -1$ give $\eta_{\min}$. For step 7 of $T = 20$,
# $W = 5$: $p = 2/15$, $\cos(2\pi/15) \approx 0.914$, so $\eta \approx 0.1 \cdot \tfrac12 \cdot 1.914 \approx 0.0957$.

# %%
def warmup_cosine_lr(step, total_steps, peak_lr, warmup_steps, min_lr=0.0):
    """Learning rate at `step` (from 0) of T = total_steps: linear warmup to peak_lr over warmup_steps,
    then half a cosine wave from peak_lr down to min_lr at step T. Returns a float."""
    # BEGIN SOLUTION
    if step < warmup_steps:
        return peak_lr * (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return min_lr + 0.5 * (peak_lr - min_lr) * (1 + math.cos(math.pi * progress))
    # END SOLUTION


# %%
schedule_works = check_warmup_cosine_lr(warmup_cosine_lr)

# %%
my_warmup_cosine = student_or_reference(warmup_cosine_lr, schedule_works, reference_warmup_cosine_lr)

# %% [markdown]
# ### Training with a schedule: `LambdaLR`
#
# PyTorch applies a schedule through `torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)`: it
# sets each step's learning rate to the optimizer's base learning rate times `lr_lambda(t)`, where
# $t$ counts the calls to `scheduler.step()` made so far. So the base learning rate is set to
# $\eta_{\text{peak}}$ and `lr_lambda(t)` returns $\eta_t / \eta_{\text{peak}}$; you call
# `scheduler.step()` once after every `optimizer.step()`. `course_lib.schedules.lambda_lr` does
# exactly that for any schedule with our signature. Below, an Adam optimizer driven by your schedule
# for 20 steps: the learning rates it uses are the schedule's, step for step.

# %%
probe = torch.nn.Linear(2, 2)
probe_optimizer = torch.optim.Adam(probe.parameters())
scheduler = lambda_lr(probe_optimizer, my_warmup_cosine, total_steps=20, peak_lr=0.1, warmup_steps=5)
used = []
for _ in range(20):
    used.append(probe_optimizer.param_groups[0]["lr"])
    probe_optimizer.step()
    scheduler.step()
print("learning rates used:", np.round(used, 4).tolist())
assert np.allclose(used, schedule_curve(my_warmup_cosine, 20, 0.1, 5))

# %% [markdown]
# ### Try it: schedules on FashionMNIST
#
# The demo trains a network with Adam on 5,000 training images (10,000 outside quick mode) under the
# schedule you choose, and plots the learning rate, the minibatch loss and the validation loss.
# The network is either a plain MLP (784-128-128-10, ReLU, PyTorch's default initialization) or the
# same MLP with a LayerNorm after each hidden Linear (section 5 explains LayerNorm). For the
# schedules that warm up, the grey curves show the same run without warmup. Every setting you try is
# trained once, with a progress bar, and kept: going back to it is instant.

# %%
schedule_experiment = ScheduleExperiment(data, warmup_cosine=my_warmup_cosine)
schedule_demo(experiment=schedule_experiment)

# %% [markdown]
# Start where the demo starts, at a peak learning rate of 0.32 with LayerNorm, and move the warmup
# slider to 0. Then switch to the plain MLP. The next cell trains the runs this paragraph is about.

# %%
peak, warmup = START_PEAK_LR, START_WARMUP_STEPS
warmup_runs = {
    f"LayerNorm, peak {peak:.2g}, no warmup": schedule_experiment.run("warmup + cosine", peak, 0, "layer"),
    f"LayerNorm, peak {peak:.2g}, warmup {warmup}": schedule_experiment.run("warmup + cosine", peak, warmup, "layer"),
    f"plain, peak {peak:.2g}, no warmup": schedule_experiment.run("warmup + cosine", peak, 0, "none"),
    f"plain, peak {peak:.2g}, warmup {warmup}": schedule_experiment.run("warmup + cosine", peak, warmup, "none"),
}
show_figure(draw_warmup_comparison(warmup_runs, f"Adam, warmup + cosine, {schedule_experiment.total_steps} steps"))
for label, run in warmup_runs.items():
    outcome = "diverged" if run.diverged else f"validation accuracy {run.final_val_acc:.1%}"
    print(f"{label}: largest loss in the first 10 % of the steps {run.early_peak_loss():.3g}; {outcome}")
layer_cold, layer_warm, plain_cold, plain_warm = warmup_runs.values()
assert layer_cold.early_peak_loss() > 5 and layer_warm.early_peak_loss() < 3
assert layer_warm.final_val_acc > 0.8 and layer_cold.final_val_acc < layer_warm.final_val_acc - 0.08
assert plain_cold.diverged or plain_cold.final_val_acc < 0.3
assert plain_warm.diverged or plain_warm.final_val_acc < 0.3, "warmup should not rescue the plain MLP at this peak"
assert np.allclose(layer_warm.lr, schedule_curve(my_warmup_cosine, schedule_experiment.total_steps, peak, warmup))

# %% [markdown]
# With LayerNorm, a peak learning rate of 0.32 without warmup makes the loss jump above 5 in the
# first steps, and the run never recovers what it lost there: it ends well below the run with 50
# warmup steps, which trains smoothly to above 80 %. It is the effect Goyal et al. (2017) found for
# large-batch SGD, here with Adam on batches of 100: a learning rate that fails from the first step
# trains when it is reached gradually.
#
# The plain MLP, the network of notebooks 02–04, does **not** show it: at the same peak it fails with
# and without warmup. Warmup only protects the first steps, and for the plain MLP 0.32 is too large
# at any stage of training. Why are the first steps special for Adam? At step 1 the bias-corrected
# moments are $\hat m_1 = g_1$ and $\hat v_1 = g_1^2$, so *every* weight moves by $\eta$ whatever its
# gradient, and for a few steps $\hat v$ is an average over very few gradients, a noisy estimate
# (Liu et al., 2020, measure this variance and propose RAdam to tame it):

# %%
first_layer = schedule_experiment.fresh_model("layer").linear_layers()[0].weight
typical = math.sqrt(first_layer.detach().pow(2).mean().item())
print(f"typical first-layer weight at initialization: {typical:.3f}; Adam's first step moves every weight by "
      f"{peak:.2f}, {peak / typical:.0f} times as much")
assert peak / typical > 10

# %% [markdown]
# Steps fifteen times the size of the weights scramble the network in the first iterations. A
# LayerNorm after each Linear makes the next layer insensitive to how large the weights before it
# are (section 5 verifies this), so once warmup has let the weights grow and $\hat v$ settle, the
# same learning rate is harmless; without normalization, large steps stay harmful. Transformers are
# trained with warmup too, but the reason found there is more specific: Xiong et al. (2020) show
# that in the original Transformer, with LayerNorm *after* each residual block (Post-LN), the
# gradients of the last layers are large at initialization, so large early steps are unstable; with
# LayerNorm placed *before* each block (Pre-LN) they trained without warmup.
#
# For the plain MLP warmup still helps at a learning rate it can train with:

# %%
gentle = 0.03
plain_gentle = {warm: schedule_experiment.run("warmup + cosine", gentle, warm, "none") for warm in (0, warmup)}
for warm, run in plain_gentle.items():
    print(f"plain MLP, peak {gentle}, warmup {warm:2d}: largest early loss {run.early_peak_loss():.3g}, "
          f"validation accuracy {run.final_val_acc:.1%}")
assert plain_gentle[0].early_peak_loss() > 5 and plain_gentle[warmup].early_peak_loss() < 3
assert plain_gentle[warmup].final_val_acc > plain_gentle[0].final_val_acc

# %% [markdown]
# At 0.03 the plain MLP's loss still jumps in the first steps without warmup, and warmup removes the
# jump and ends higher: by 2–5 points of validation accuracy over seeds 0–4 in quick mode. It rescues
# a learning rate that is too high at the start; it is not a gain on top of a well-chosen one
# everywhere, and section 7 comes back to that.
#
# **Think!** Try the five schedules in the demo at a peak learning rate that works for all of them,
# say 0.01 with LayerNorm. Which ends with the lowest validation loss? Why might a schedule that
# decays to (almost) zero be a poor choice if you do not know in advance how long you will train?

# %% [markdown] tags=["solution"]
# It depends on how long the run is. In quick mode the two schedules that warm up (warmup + cosine,
# one-cycle) ended with the lowest validation loss on every seed we tried; with the full data the
# four schedules that decay end within a few thousandths of each other. In both, the constant
# schedule ends clearly above them (the cell below measures all five, and the paragraph after it
# says over how many seeds each statement holds). A schedule that decays to zero has the
# end of training built in: stopping it early leaves it at a learning rate that is still large, and
# training longer means restarting the schedule. That is why "warmup, then constant, then a short
# decay" schedules, or restarts (Loshchilov & Hutter, 2017), are used when the length of training is
# open.

# %% [markdown]
# *Spoiler for the Think! above.* The five schedules at a peak of 0.01 with LayerNorm (50 warmup
# steps for the two that warm up): the final validation loss and accuracy, the accuracy on the
# training images, and the mean minibatch loss over the last 10 % of the steps:

# %%
at_gentle_peak = {name: schedule_experiment.run(name, 0.01, warmup, "layer") for name in SCHEDULES}
schedule_table = pd.DataFrame({
    "final validation loss": {name: run.val_loss[-1] for name, run in at_gentle_peak.items()},
    "validation accuracy (%)": {name: 100 * run.final_val_acc for name, run in at_gentle_peak.items()},
    "training accuracy (%)": {name: 100 * run.train_acc for name, run in at_gentle_peak.items()},
    "late minibatch loss": {name: run.late_train_loss() for name, run in at_gentle_peak.items()},
})
print(schedule_table.round(3).to_string())
final_val_loss = schedule_table["final validation loss"]
warming = final_val_loss[["warmup + cosine", "one-cycle"]]
assert final_val_loss["constant"] > final_val_loss["warmup + cosine"] + 0.02
assert schedule_table["late minibatch loss"].idxmax() == "constant", "a constant rate keeps the noise floor"
assert schedule_table["training accuracy (%)"][warming.index].min() > schedule_table["training accuracy (%)"]["constant"]

# %% [markdown]
# Over seeds 0–4 in quick mode the two warmup schedules ended lowest every time, and the constant
# schedule 0.03–0.09 above warmup + cosine; but the constant schedule ended *highest* of all five in
# only 4 of the 5 seeds (on seed 2 step decay ended 0.014 to 0.016 above it, depending on the CPU), and the four decaying schedules
# spread by 0.03 to 0.05. With the full data (one run, the stored outputs) the picture is flatter: the
# four decaying schedules end within 0.005 of each other, cosine without warmup the lowest by a hair,
# and the constant schedule about 0.04 above them. So the gain from warmup at this gentle peak is a
# quick-mode finding; what holds in both modes is that decaying beats staying constant. Differences
# of a few hundredths in this table are within the spread between seeds.
#
# **Why decay at all?** Near a minimum the minibatch gradient is still noisy: its average points to
# the minimum, but each step adds a random kick of size proportional to $\eta$. With a constant rate,
# SGD never settles; it keeps moving in a cloud around the minimum whose size grows with $\eta$. For
# a one-dimensional bowl of curvature $\lambda$, $w_{t+1} = w_t - \eta(\lambda w_t + \xi_t)$ with
# gradient noise of variance $\sigma^2$, the spread settles where
# $v = (1 - \eta\lambda)^2 v + \eta^2\sigma^2$, that is $v = \eta\sigma^2/(\lambda(2 - \eta\lambda))
# \approx \eta\sigma^2/(2\lambda)$: the loss stays on a *noise floor* above the minimum, proportional to
# $\eta$. Only a smaller step lowers it, which is what the decay at the end does (Zhang et al.'s
# *Dive into Deep Learning*, chapter 12.11, makes the same argument). The last column shows the
# floor: the constant schedule's minibatch loss at the end stayed the highest on every seed we
# tried, 0.07–0.11 above the lowest. The training accuracy shows where the gain goes: the two
# warmup schedules also fit the training images best (89–90 % against 84–88 %), and every
# schedule ends roughly 2 to 5 points higher on the training images than on the validation images
# (at least 1.8 points on every seed 0–4), with no schedule consistently closing that gap.

# %% [markdown]
# ## 2. The learning-rate range test
#
# How do you find the peak learning rate in the first place? Notebook 04 scanned ten learning rates,
# 100 steps each, per optimizer. A single run can do it more cheaply. Smith (2017) introduced the
# idea: one run whose learning rate grows *linearly* while you watch the validation *accuracy*, to
# read off the lower and upper bounds of a cyclical learning rate. The version used here, and by
# most libraries today, is fastai's learning-rate finder (Gugger, 2018; Howard & Gugger, 2020): the
# learning rate grows exponentially, $\eta_t = \eta_{\min} (\eta_{\max}/\eta_{\min})^{t/(n-1)}$, from
# $10^{-5}$ to $10$ over $n = 300$ steps, and you plot the minibatch *loss* against it: at first
# nothing happens (the steps are too small), then the loss falls, then it turns up and explodes when
# the steps become too large. The noisy minibatch loss is smoothed with an exponential moving
# average (factor 0.98), and the suggestion is one tenth of the learning rate at the smoothed
# minimum.
#
# Why a tenth? Partly a safety margin: the minimum is already at the edge of stability. Partly the
# smoothing itself: an average with factor 0.98 remembers roughly the last $1/(1 - 0.98) = 50$
# steps, and 50 of the 300 steps span one of the sweep's six decades, so the smoothed loss at a
# learning rate mostly reports losses measured at rates up to ten times smaller. Its minimum lies to
# the right of the raw loss's lowest point (in all 15 runs of seeds 0–4, three optimizers each, by
# 1.2 to 11 times), and dividing by ten brings the suggestion back to the raw minimum or below it
# (0.13 to 1.1 times it). A centred average would not lag, but it needs the steps after each point,
# so it cannot stop the test once the loss explodes.
#
# The network and the minibatches are notebook 04's comparison setting (784-64-64-10, batch 64, the
# same seed). The green bands are the ranges notebook 04's assertions allow; the printed comparison
# uses the best learning rate of notebook 04's scan for each optimizer, which the cell reruns (about
# 15 seconds).

# %%
NOTEBOOK_04_BEST = {"SGD": (0.1, 0.32), "Momentum": (0.1, 0.32), "Adam": (1e-3, 1e-2)}
notebook_04_scan_lrs = 10.0 ** np.arange(-4, 0.6, 0.5)  # notebook 04's scan, rerun here: same network, seed, batches
notebook_04_scan = OptimizerComparison(data.train_x, data.train_y).learning_rate_scan(notebook_04_scan_lrs)
NOTEBOOK_04_MEASURED_BEST = {name: float(notebook_04_scan_lrs[np.nanargmin(row)]) for name, row in notebook_04_scan.iterrows()}
range_tests = [
    lr_range_test(lambda params: SGD(params, lr=1.0), data.train_x, data.train_y, "SGD"),
    lr_range_test(lambda params: SGDMomentum(params, lr=1.0, momentum=0.9), data.train_x, data.train_y, "Momentum"),
    lr_range_test(lambda params: ReferenceAdam(params, lr=1.0), data.train_x, data.train_y, "Adam"),
]
show_figure(draw_range_test(range_tests, NOTEBOOK_04_BEST))
suggestion_ratio = {}
for result in range_tests:
    best = NOTEBOOK_04_MEASURED_BEST[result.name]
    suggestion_ratio[result.name] = result.suggested_lr / best
    raw_minimum = result.lrs[int(np.nanargmin(result.losses))]
    print(f"{result.name:8s}: smoothed minimum at {result.min_loss_lr:.2g} (raw minimum at {raw_minimum:.2g}), "
          f"suggested {result.suggested_lr:.2g}, {suggestion_ratio[result.name]:.2f} × notebook 04's best {best:g}; "
          f"{len(result.lrs)} steps")
assert all(0.5 <= suggestion_ratio[name] <= 2 for name in ("Momentum", "Adam")), "within 2× of notebook 04's best"
assert 1 / 7 <= suggestion_ratio["SGD"] < 1, "for plain SGD the suggestion should lie below notebook 04's best"
by_name = {result.name: result for result in range_tests}
print(f"SGD's minimum lies {by_name['SGD'].min_loss_lr / by_name['Adam'].min_loss_lr:.0f} times further right than Adam's")
assert by_name["SGD"].min_loss_lr > 5 * by_name["Adam"].min_loss_lr

# %% [markdown]
# One run of at most 300 steps per optimizer suggests a learning rate within a factor of two of the
# best of notebook 04's scan (ten runs of 100 steps per optimizer) for momentum and Adam, on every
# seed we tried (0–4, each against its own scan). For plain SGD the suggestion lies below the best,
# by 1.7 to 6.4 times over those seeds: a safe start, not the best rate. The curves also show why
# each optimizer has its own range: Adam's smoothed loss bottoms out at a learning rate 12 to 29
# times smaller than plain SGD's (seeds 0–4).
#
# **Think!** The range test measures the loss at each learning rate *after* all the steps taken at
# smaller learning rates. What does that mean for how far you can trust the learning rate at the
# minimum? And why would you use the range test's suggestion as the *peak* of a warmup schedule
# rather than as a constant learning rate?

# %% [markdown] tags=["solution"]
# Each point of the curve depends on the history: by the time the test reaches a learning rate, the
# network has been trained for a while at smaller ones, and it is no longer at its initialization.
# The curve therefore tells which learning rate the network tolerates *after* a gentle start, much
# like a network after warmup, and it says little about very long training, where the loss surface
# changes. The minimum marks the edge where steps start to hurt; backing off by a factor of ten
# leaves a margin. Because the test itself starts small and grows, it measures exactly what a warmup
# schedule does: the suggestion is a good peak to warm up to, and a schedule that then decays copes
# with the later part of training, where a smaller learning rate is better.

# %% [markdown]
# ## 3. AdamW against Adam + L2
#
# Notebook 01 added an L2 penalty $\tfrac{\lambda}{2}\|w\|^2$ to the loss. Its gradient is $\lambda w$,
# so with plain SGD the update becomes $w \leftarrow w - \eta(g + \lambda w) = (1 - \eta\lambda)w - \eta g$:
# L2 regularization and *weight decay* (shrinking the weights by a constant factor each step) are the
# same thing. With Adam they are not (Loshchilov & Hutter, 2019). Adam + L2 feeds $g + \lambda w$ into
# both moments, so the decay term ends up divided by $\sqrt{\hat v} + \epsilon$ like the rest of the
# gradient: a weight whose gradients have been large (large $\hat v$) is decayed *less* than a weight
# whose gradients have been small. **AdamW** decouples the two: it first shrinks every weight,
#
# $$w \leftarrow w - \eta\,\lambda\, w,$$
#
# and then takes the ordinary Adam step with the gradient $g$ alone. Conventions differ: PyTorch's
# `torch.optim.AdamW` multiplies $\lambda$ by the learning rate $\eta$ (as above), while the paper
# multiplies it by the schedule's factor $\eta_t/\eta$ only, so the paper's $\lambda$ is about $\eta$
# times PyTorch's. We follow PyTorch, so a typical $\lambda$ is $10^{-2}$, and with $\eta = 10^{-3}$
# each step shrinks the weights by $10^{-5}$.
#
# **Predict first.** Two weights, both equal to 1, with $\eta = 10^{-3}$ and $\lambda = 10^{-2}$. Weight A's
# gradients have been about 1 in size for many steps, weight B's about 0.1. Roughly how much does
# one step of Adam + L2 shrink each of them (the part of the step that comes from $\lambda w$), and how
# much does one step of AdamW? Which weight does Adam + L2 decay more?

# %% [markdown] tags=["solution"]
# In Adam + L2 the term $\lambda w = 10^{-2}$ enters the gradient and is divided, like the rest, by
# $\sqrt{\hat v}$, about the size of the recent gradients: for A the decay part of the step is about
# $\eta\lambda w/1 = 10^{-5}$, for B about $\eta\lambda w/0.1 = 10^{-4}$, ten times more. AdamW shrinks
# both by exactly $\eta\lambda w = 10^{-5}$, whatever their gradients. So Adam + L2 decays the weight
# with the *small* gradients more, which is the effect the demo below measures layer by layer.

# %% [markdown]
# ### Exercise: `AdamW`, built on your Adam from notebook 03
#
# Your `Adam` from notebook 03 was saved when it passed its check there. The first line of the next
# cell loads it back (`course_lib.carry_over.load_passed`), runs its check again, and uses it if it
# still passes, otherwise course_lib's `Adam`; it prints which. `AdamW` subclasses it.
#
# - **What to write:** the body of `update(self, p, grad, state, group)` of `AdamW` (the constructor
#   is given: it adds `weight_decay` to the hyper-parameters every param group holds).
# - **The math:** first the decoupled decay $p \leftarrow p - \eta\lambda p$, in place, then the Adam
#   step of the parent class on the same `p`, with $\eta$ = `group["lr"]` and
#   $\lambda$ = `group["weight_decay"]`.
# - **Signature:** `AdamW(params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2)`;
#   `update(self, p, grad, state, group) -> None`.
# - **Example:** with $\eta = 0.1$ and $\lambda = 0.5$, a weight of 2.0 first becomes
#   $2.0 \cdot (1 - 0.05) = 1.9$, and then takes its Adam step.
# - **The check tries:** several steps on five cases (a strong decay, other betas, the default
#   `weight_decay`, all defaults, and a small regression) next to a reference that makes exactly the
#   updates of `torch.optim.AdamW`; it must match at every step. Then two param groups, the second
#   with `weight_decay=0`, and a `state_dict()` saved and loaded into a new optimizer. If the Adam your
#   class builds on does not pass `check_adam`, it says so first.
# - **Tools:** `super().update(…)` runs the parent class's Adam step: pass on the arguments your
#   `update` received, without `self`; in-place tensor methods.

# %%
Adam = load_passed("Adam", check_adam, ReferenceAdam, where="notebook 03")


class AdamW(Adam):
    """AdamW: p ← p − η·λ·p, then the Adam step (as torch.optim.AdamW)."""

    def __init__(self, params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, beta1, beta2, eps)
        self.add_default("weight_decay", weight_decay)

    def update(self, p, grad, state, group):
        # BEGIN SOLUTION
        p.mul_(1 - group["lr"] * group["weight_decay"])
        super().update(p, grad, state, group)
        # END SOLUTION


# %%
adamw_works = check_adamw(AdamW)

# %%
AdamWClass = student_or_reference(AdamW, adamw_works, ReferenceAdamW)

# %% [markdown]
# ### Try it: the same λ, two optimizers
#
# The demo trains an MLP (784-256-128-10) with Adam at $\eta = 10^{-3}$ on 4,000 images (8,000
# outside quick mode), once with L2 inside Adam (`course_lib.optimizers.AdamL2`, equivalent to
# `torch.optim.Adam(weight_decay=λ)`) and once with your AdamW, for the $\lambda$ on the slider. Left:
# how much each layer's weights shrank compared with the same training without decay. Middle: the
# first layer's 200,704 weights sorted into ten groups by how large their gradients were in the run
# without decay ($\sqrt{\hat v}$ at the end), smallest first, and how much each group shrank. Right:
# validation accuracy.

# %%
decay_comparison = DecayComparison(data, adamw_class=AdamWClass)
adamw_demo(comparison=decay_comparison)

# %% [markdown]
# At the demo's start, $\lambda = 10^{-2}$, the two are not even close in strength:

# %%
same_lambda = {method: decay_comparison.run(method, 1e-2) for method in ("Adam + L2", "AdamW")}
for method, run in same_lambda.items():
    print(f"{method:9s} at λ = 0.01: ‖W_k‖ / ‖W_k without decay‖ per layer "
          f"{np.round(decay_comparison.layer_shrink(run), 3).tolist()}")
assert decay_comparison.layer_shrink(same_lambda["Adam + L2"])[0] < 0.7
assert decay_comparison.layer_shrink(same_lambda["AdamW"]).min() > 0.98

# %% [markdown]
# L2 inside Adam divides the decay by $\sqrt{\hat v}$, and the gradients here are small
# ($\sqrt{\hat v}$ between about $10^{-4}$ and $3\cdot10^{-3}$, printed below), so the same
# $\lambda$ acts hundreds of times more strongly than AdamW's $\eta\lambda$. To compare *how* they
# decay, pick two settings that shrink the first layer by about the same amount: Adam + L2 with
# $\lambda = 10^{-3}$ and AdamW with $\lambda = 1$.

# %%
l2_run, adamw_run = decay_comparison.run("Adam + L2", 1e-3), decay_comparison.run("AdamW", 1.0)
show_figure(draw_decay_comparison(decay_comparison, {"Adam + L2": l2_run, "AdamW": adamw_run},
                                  "two settings that shrink the first layer by a similar amount"))
by_history = {name: decay_comparison.shrink_by_gradient_history(run) for name, run in
              {"Adam + L2": l2_run, "AdamW": adamw_run}.items()}
by_layer = {name: decay_comparison.layer_shrink(run) for name, run in {"Adam + L2": l2_run, "AdamW": adamw_run}.items()}
print("√v̂ of the ten groups (median):", np.array2string(decay_comparison.gradient_history_deciles(), precision=5))
for name in by_history:
    print(f"{name:9s} shrink by decile, smallest gradients first: {np.round(by_history[name], 2).tolist()}")
    print(f"{'':9s} shrink per layer: {np.round(by_layer[name], 3).tolist()}")
l2_gain = by_history["Adam + L2"][-1] - by_history["Adam + L2"][0]
adamw_gain = by_history["AdamW"][-1] - by_history["AdamW"][0]
print(f"largest-gradient group minus smallest-gradient group: Adam + L2 {l2_gain:+.2f}, AdamW {adamw_gain:+.2f}")
assert l2_gain > 0.2 and np.all(np.diff(by_history["Adam + L2"]) > -0.01), "L2 in Adam: large gradients, less decay"
assert adamw_gain < 0.02, "AdamW: the shrink should not grow with the gradient history"
assert by_layer["Adam + L2"][-1] - by_layer["Adam + L2"][0] > 0.05, "L2 in Adam: the logits layer decays least"
assert np.ptp(by_layer["Adam + L2"]) > 2 * np.ptp(by_layer["AdamW"])
accuracy = {"no decay": decay_comparison.baseline().val_acc[-1], "Adam + L2": l2_run.val_acc[-1],
            "AdamW": adamw_run.val_acc[-1]}
print("final validation accuracy:", {name: f"{value:.1%}" for name, value in accuracy.items()})
assert max(accuracy.values()) - min(accuracy.values()) < 0.02

# %% [markdown]
# With L2 inside Adam, the first-layer weights with the smallest gradient history shrank the most
# and the groups with larger gradients less and less; across layers, the first layer shrank most and
# the logits layer barely at all. AdamW shrank every group of the first layer by about the same
# factor, whatever its gradients, and its layers by similar factors (the spread that remains cannot
# come from the decay, which multiplies every weight by the same factor). That is the point of decoupling: the strength of
# the regularization is the same for every weight and does not depend on the optimizer's
# statistics. On this small problem neither setting changes the validation accuracy by even two
# points; Loshchilov & Hutter (2019) show that on image classification the decoupled version also
# generalizes better and makes the best $\lambda$ independent of the learning rate.

# %% [markdown]
# ### Your AdamW as PyTorch uses it: a scheduler, and a group without decay
#
# Your `AdamW` is a `torch.optim.Optimizer`, so PyTorch's tools work with it unchanged.
# `torch.optim.lr_scheduler.LambdaLR` sets `group["lr"]` before every step (here from your
# `warmup_cosine_lr`), and your `update` reads it from there. Param groups let some parameters be
# treated differently, and the usual AdamW recipe puts the **biases and the normalization layers'
# gains and shifts in a group with `weight_decay=0`**. Weight decay is there to keep the weight
# matrices small; a bias is a shift of a unit and a LayerNorm gain $\gamma$ a scale of it, and
# pulling either towards 0 has no reason behind it: a gain of 0 switches the unit off.
#
# The run below trains a LayerNorm MLP (784-128-128-10) with AdamW at $\lambda = 1$ under warmup +
# cosine (peak $3\cdot10^{-3}$), once decaying every parameter and once with the two groups
# (`course_lib.experiments.decay_groups`; your AdamW and your schedule once they pass their checks).

# %%
groups_comparison = DecayGroupsComparison(data, adamw_class=AdamWClass, schedule=my_warmup_cosine, weight_decay=1.0)
every_parameter, two_groups = groups_comparison.run(grouped=False), groups_comparison.run(grouped=True)
for label, run in (("decay on every parameter", every_parameter), ("no decay on biases and gains", two_groups)):
    print(f"{label:29s}: mean LayerNorm gain {run.gain:.3f}, ‖biases‖ {run.bias_norm:.3f}, "
          f"validation accuracy {run.val_acc[-1]:.1%}")
print(f"learning rate at steps 1, {groups_comparison.warmup_steps}, {groups_comparison.total_steps}: "
      f"{every_parameter.lrs[0]:.2g}, {every_parameter.lrs[groups_comparison.warmup_steps - 1]:.2g}, "
      f"{every_parameter.lrs[-1]:.2g}")
assert two_groups.gain - every_parameter.gain > 0.1, "decay should pull the gains below the no-decay run's"
assert abs(two_groups.val_acc[-1] - every_parameter.val_acc[-1]) < 0.02

# %% [markdown]
# Decaying every parameter pulled the LayerNorm gains well below 1, while in the no-decay group they
# stayed near 1; the accuracy moved by less than two points (the assertion above). In quick-mode runs
# on seeds 0–4 the gains ended at 0.87 against 1.04, and the no-decay group's accuracy differed by
# −0.1 to +0.4 points, less than the spread between seeds. So on this small network the no-decay
# group changes what the weights look like and barely changes how well the network does. At the
# more common $\lambda = 0.1$ the gains differ by a few percent only (quick mode, seeds 0–4: 1.02
# against 1.03). The practice matters more where the decay is strong and training long, as in the
# AdamW recipes of large models; here it is a habit that costs nothing.

# %% [markdown]
# ## 4. Gradient clipping
#
# Sometimes one minibatch produces a gradient far larger than the others: the loss surface has a
# steep wall (a "cliff", Pascanu et al., 2013), or the learning rate is large while the network is
# still far from anything sensible. A single large step can then throw the weights to a place from
# which training never recovers. **Clipping by the global norm** bounds every step: compute the norm
# of all gradients together, as one long vector,
#
# $$\|g\| = \sqrt{\textstyle\sum_{p} \|\nabla_p\|^2},$$
#
# and if $\|g\| > c$ (the `max_norm`), multiply every gradient by $c / (\|g\| + 10^{-6})$. The
# direction of the step is kept; only its length is capped. PyTorch's `torch.nn.utils.clip_grad_norm_`
# does this (it computes the factor as `max_norm / (total + 1e-6)` and clamps it at 1).
#
# ### Exercise: `clip_grad_norm`
#
# - **What to write:** gradient clipping by the total norm: measure all gradients together, scale
#   them all down by the same factor when they are too large, and report the norm you measured.
# - **The math:** $\text{total} = \sqrt{\sum_p \lVert g_p \rVert^2}$ over every parameter with a gradient
#   (skip those whose `.grad` is `None`); when $\text{total} > $ `max_norm`, scale every gradient **in
#   place** by `max_norm / (total + 1e-6)` (`p.grad.mul_(…)`; `p.grad = p.grad * …` would store a new
#   tensor instead); return the total *before* clipping as a Python float (`.item()` or `float(…)`,
#   not a tensor).
# - **Signature:** `clip_grad_norm(params, max_norm) -> float`; `params` may be a generator such as
#   `model.parameters()`, which can be looped over only once.
# - **Example:** two parameters with gradients $(3, 0)$ and $(0, 4)$ have a total norm of 5; with
#   `max_norm=1` both are scaled by $1/(5 + 10^{-6})$ and the function returns 5.0.
# - **The check tries:** five cases against `torch.nn.utils.clip_grad_norm_`: a list that needs
#   clipping, a `max_norm` far above the norm, a generator with a parameter that has no gradient, tiny
#   norms where the $10^{-6}$ matters, and an all-zero gradient; it also checks that the gradients
#   were changed in place and that the norm comes back as a float.
# - **Tools:** `torch.linalg.vector_norm` (or `Tensor.pow` and `sum`), `Tensor.mul_`.
#
# **Work it out first.** Three parameters have the gradients $(3, 4)$, $(12)$ and none at all, and
# `max_norm` is 6.5. What is the total norm, by what factor is each gradient multiplied (ignore the
# $10^{-6}$), what are the gradients afterwards, and what does the function return? And if
# `max_norm` were 20?

# %% [markdown] tags=["solution"]
# The total norm is $\sqrt{3^2 + 4^2 + 12^2} = \sqrt{169} = 13$, above 6.5, so both gradients are
# multiplied by $6.5/13 = 0.5$: they become $(1.5, 2)$ and $(6)$, whose total norm is exactly 6.5; the
# parameter without a gradient is skipped, and the function returns 13.0, the norm *before*
# clipping. With `max_norm` 20 nothing changes (13 < 20) and it still returns 13.0.

# %%
def clip_grad_norm(params, max_norm):
    """Scale all gradients together so that ‖g‖ ≤ max_norm: factor max_norm/(‖g‖ + 1e-6); return ‖g‖ before."""
    # BEGIN SOLUTION
    gradients = [p.grad for p in params if p.grad is not None]
    total = math.sqrt(sum(g.pow(2).sum().item() for g in gradients))
    if total > max_norm:
        for g in gradients:
            g.mul_(max_norm / (total + 1e-6))
    return total
    # END SOLUTION


# %%
clip_works = check_clip_grad_norm(clip_grad_norm)

# %%
my_clip = student_or_reference(clip_grad_norm, clip_works, reference_clip_grad_norm)

# %% [markdown]
# ### Try it: a run that overshoots
#
# The demo trains a deeper network (784-256-256-256-10, ReLU, Kaiming initialization) with SGD and
# momentum 0.9 (PyTorch's form) at a learning rate of 0.2, which is too large for its first steps.
# The clipping is done by your `clip_grad_norm` inside `course_lib.clipping.GradientClipping`, an
# optimizer wrapper whose `step()` clips before it steps, so the usual training step is unchanged.
# Grey: the run without clipping. Move `max_norm`, and watch which steps it touches.

# %%
clipping_experiment = ClippingExperiment(data, clip=my_clip)
clipping_demo(experiment=clipping_experiment)

# %%
unclipped = clipping_experiment.run(None)
clipped_at = {max_norm: clipping_experiment.run(max_norm) for max_norm in (3.0, 0.3)}
show_figure(draw_clipping(clipped_at[3.0], unclipped))
unclipped_outcome = (f"diverged at step {unclipped.diverged_at}" if unclipped.diverged
                     else f"validation accuracy {unclipped.val_acc:.1%}")
print(f"no clipping: {unclipped_outcome}; largest gradient norm {np.nanmax(unclipped.grad_norm):.3g}")
for max_norm, run in clipped_at.items():
    clipped_steps = np.flatnonzero(run.grad_norm > max_norm)
    print(f"max_norm {max_norm:g}: {run.clipped_fraction():.0%} of the steps clipped (median step {np.median(clipped_steps):.0f} "
          f"of {clipping_experiment.total_steps}), validation accuracy {run.val_acc:.1%}")
assert unclipped.diverged or unclipped.val_acc < clipped_at[3.0].val_acc - 0.1, "without clipping the run should fail"
assert not clipped_at[3.0].diverged and clipped_at[3.0].val_acc > 0.55
assert 0.02 < clipped_at[3.0].clipped_fraction() < 0.4
assert np.median(np.flatnonzero(clipped_at[3.0].grad_norm > 3.0)) < clipping_experiment.total_steps / 4
assert clipped_at[0.3].clipped_fraction() > 0.95 and clipped_at[0.3].val_acc > clipped_at[3.0].val_acc

# %% [markdown]
# Without clipping, the first steps overshoot and the gradient norm grows by orders of magnitude.
# Over seeds 0–4 (quick mode) the unclipped run diverged in 2 or 3 of the 5 (the count changes with
# the CPU: rounding decides whether a run on the edge recovers) and ended near chance, at 10–21 %, in
# all others but one: on one of the two CPUs we measured, seed 1 recovered to 48 %, still 21 points
# below its clipped run. Clipping at 3 trained every one of them, to 60–79 %. It clipped 17–26 % of
# the steps, half of them within the first 10–17 steps, where the gradients are largest, but also 3
# to 14 steps after step 30, so not only the start. That is clipping as a safeguard: it leaves ordinary
# steps alone and caps the large ones. Zhang et
# al. (2020) explain why this helps more than a smaller learning rate would: in neural networks the
# loss is most sharply curved exactly where the gradient is large, so the step should be shorter
# there and only there, which is what clipping does.
#
# At `max_norm` 0.3 almost every step is clipped. Then every *gradient* the optimizer sees has the
# same norm, 0.3, but the steps do not all have the same length: momentum adds up successive
# clipped gradients, so a step is anywhere up to $\eta \cdot 0.3/(1-\beta) = 10\,\eta \cdot 0.3$ at
# $\beta = 0.9$, long when successive gradients agree and short when they cancel. That is no longer a
# safeguard but a different optimizer (normalized gradient descent with momentum, at a smaller
# effective learning rate). It trains here too, even better in this short run (76–84 % against
# 60–79 % at `max_norm` 3, on each of seeds 0–4), but when clipping is always active the threshold
# has become a second learning rate to tune. A useful rule: measure the gradient norms of a healthy
# run, and clip a little above their typical size.

# %% [markdown]
# ## 5. Normalization layers, and PyTorch's default initialization
#
# Notebook 02 chose the weights' variance so that the signal keeps its size from layer to layer.
# **Normalization layers** enforce it directly. After a Linear layer computes $z$ (one row per
# example, one column per unit):
#
# * **BatchNorm** (Ioffe & Szegedy, 2015) standardizes each unit over the examples of the batch,
#   $\hat z = (z - \mu_{\text{batch}}) / \sqrt{\sigma^2_{\text{batch}} + \epsilon}$, then applies a
#   learned scale and shift, $\gamma \hat z + \beta$. In evaluation mode it uses running averages of
#   $\mu$ and $\sigma^2$ collected during training instead of the batch's.
# * **LayerNorm** (Ba et al., 2016) standardizes each example over the units of the layer, the same
#   way in training and evaluation, then applies $\gamma$ and $\beta$.
#
# Either way, the next layer receives values of unit size whatever the size of the weights before
# the normalization. Multiply the weights and biases of every hidden Linear by 10 or by 100, and a
# network with LayerNorm computes the same output; without it, the output changes completely:

# %%
probe_x = data.train_x[:64].reshape(64, -1)
for norm in ("none", "layer", "batch"):
    unscaled = output_after_rescaling(probe_x, norm, 1.0)
    changes = [(output_after_rescaling(probe_x, norm, factor) - unscaled).abs().max().item() for factor in (10.0, 100.0)]
    print(f"normalization {norm:5s}: largest change of the logits after scaling by 10, 100: "
          f"{changes[0]:.2g}, {changes[1]:.2g}")
    if norm == "none":
        assert min(changes) > 1.0
    else:
        assert max(changes) < 1e-3

# %% [markdown]
# (The $\epsilon = 10^{-5}$ inside the square root breaks this for weights so *small* that
# $\sigma^2$ approaches $\epsilon$.) The demo adds a normalization control to notebook 02's init
# explorer: choose an initialization, move the std over three orders of magnitude and the depth up
# to 12, and watch the three panels: the variance of what each hidden layer hands to the next (after
# normalization and ReLU), of the weight gradients, and of the gradients flowing back into each
# Linear output. It starts with BatchNorm; switch to "none" to see notebook 02's plots again.

# %%
explorer_x, explorer_y = data.train_x[:128].reshape(128, -1), data.train_y[:128]
normalization_demo(explorer_x, explorer_y)

# %% [markdown]
# The same measurement for every combination, at 6 hidden layers of 256 units:

# %%
inits = {"normal std 0.01": ("normal", 0.01), "normal std 0.1": ("normal", 0.1), "normal std 1": ("normal", 1.0),
         "Kaiming": ("kaiming", 0.01), "PyTorch default": ("pytorch default", 0.01)}
hidden_variance = pd.DataFrame({
    norm: {label: normalized_layer_statistics(explorer_x, explorer_y, norm, scheme, std).hidden_variance
           for label, (scheme, std) in inits.items()}
    for norm in ("none", "batch", "layer")})
spans = hidden_variance.map(lambda v: f"{v.min():.2g} … {v.max():.2g}")
print("Var(h_k) over the 6 hidden layers, smallest … largest:")
print(spans.to_string())
for norm in ("batch", "layer"):
    assert all(0.2 < v.min() and v.max() < 0.5 for v in hidden_variance[norm]), norm
all_plain = np.concatenate(hidden_variance["none"].to_list())
assert all_plain.max() / all_plain.min() > 1e20

# %% [markdown]
# Without normalization the hidden variance ranges over more than twenty orders of magnitude across
# these initializations and layers, as in notebook 02. With BatchNorm or LayerNorm it is between 0.2
# and 0.5 in every layer for every initialization: about 0.34, the variance of a ReLU applied to a
# standard normal variable, $\tfrac12 - \tfrac{1}{2\pi}$. The initialization no longer decides
# whether the signal reaches the last layer.
#
# Does that make a difference to training? A network with 6 hidden layers of 256 units, initialized
# with std 0.01 (notebook 02's vanishing case), trained with SGD and momentum 0.9 at $\eta = 0.05$:

# %%
norm_training = NormalizationTraining(data)
bad_init_runs = {f"{label}, std 0.01": norm_training.run(norm, "normal", 0.01)
                 for label, norm in (("no normalization", "none"), ("BatchNorm", "batch"), ("LayerNorm", "layer"))}
show_figure(draw_normalization_training(bad_init_runs, "6 hidden layers, N(0, 0.01²) weights, SGD + momentum"))
for label, run in bad_init_runs.items():
    print(f"{label}: validation accuracy before training, then after each epoch {np.round(run.val_acc, 3).tolist()}")
plain_run, batch_run, layer_run = bad_init_runs.values()
assert plain_run.final_val_acc < 0.2 and batch_run.final_val_acc > 0.7
assert plain_run.final_val_acc + 0.2 < layer_run.final_val_acc < batch_run.final_val_acc

# %% [markdown]
# Without normalization the network does not learn at all: its gradients vanish (notebook 02) and
# the validation accuracy stays at chance. With BatchNorm the same initialization trains to over
# 70 % within a few epochs; LayerNorm also trains, more slowly here.
#
# ### What `nn.Linear` does by default
#
# Every network in notebooks 03 and 04 that was not initialized explicitly used PyTorch's default,
# `nn.Linear.reset_parameters`: `kaiming_uniform_(weight, a=√5)`. The argument $a$ is a Leaky-ReLU
# slope, and the gain is $\sqrt{2/(1+a^2)} = \sqrt{1/3}$, so the weights are uniform on
# $\pm b$ with $b = \text{gain}\cdot\sqrt{3/d_{\text{in}}} = 1/\sqrt{d_{\text{in}}}$, and
# $\operatorname{Var}(W) = b^2/3 = 1/(3 d_{\text{in}})$. The bias is uniform on $\pm 1/\sqrt{d_{\text{in}}}$ too.
# Compared with Kaiming's $2/d_{\text{in}}$ for ReLU, that is six times smaller:

# %%
measured = torch.nn.Linear(1024, 512).weight.detach().var().item()
print(f"Var(W) of a fresh nn.Linear(1024, 512): {measured:.3g}; 1/(3·1024) = {default_weight_variance(1024):.3g}; "
      f"Kaiming 2/1024 = {2 / 1024:.3g}")
assert abs(measured / default_weight_variance(1024) - 1) < 0.05

# %% [markdown]
# With ReLU, each layer passes on half the second moment, so with the default the variance of the
# Linear outputs shrinks by about $\tfrac13 \cdot \tfrac12 = \tfrac16$ per layer, until the bias,
# whose variance $1/(3 \cdot 256)$ is added in every layer, stops it at about
# $\tfrac{6}{5} \cdot \tfrac{1}{3\cdot256} \approx 0.0016$ (the fixed point of $v = v/6 + 1/768$).
# Kaiming keeps it within a factor of about 2 of 1, as notebook 02 measured. Both are one draw of
# the weights: over seeds 0–4 the default's hidden layers 7 to 10 sat at 0.89 to 1.09 times that
# floor (the 10-unit output layer, an average over only ten units, at 0.2 to 1.8 times it), and
# Kaiming's hidden layers between 0.67 and 2.2.

# %%
depth_stats = {label: normalized_layer_statistics(explorer_x, explorer_y, "none", scheme, 0.01, depth=10).linear_variance
               for label, scheme in (("PyTorch default", "pytorch default"), ("Kaiming", "kaiming"))}
floor = 1.2 / (3 * 256)
show_figure(draw_depth_variance(depth_stats, floor, "Var(z_k) over 10 hidden layers of 256 units, no normalization"))
default_curve = depth_stats["PyTorch default"]
print("PyTorch default:", np.array2string(default_curve, precision=4))
print("Kaiming:        ", np.array2string(depth_stats["Kaiming"], precision=3))
assert all(4 < default_curve[k] / default_curve[k + 1] < 8 for k in (0, 1))
assert 0.5 * floor < default_curve[6:-1].min() and default_curve[6:-1].max() < 2 * floor  # hidden layers 7-10
assert all(0.4 < v < 2.5 for v in depth_stats["Kaiming"][:-1])

# %% [markdown]
# From the fifth layer on, most of the variance in a default-initialized network is the biases'
# own, $1/(3\cdot256)$ added in every layer whatever its input, while the part passed on from the
# input shrinks by another factor of six per layer. At 8 hidden layers, trained like the runs above:

# %%
deep_training = NormalizationTraining(data, depth=8)
deep_runs = {"PyTorch default": deep_training.run("none", "pytorch default"),
             "Kaiming": deep_training.run("none", "kaiming"),
             "PyTorch default + BatchNorm": deep_training.run("batch", "pytorch default")}
show_figure(draw_normalization_training(deep_runs, "8 hidden layers of 256 units, SGD + momentum"))
for label, run in deep_runs.items():
    print(f"{label}: validation accuracy before training, then after each epoch {np.round(run.val_acc, 3).tolist()}")
default_run, kaiming_run, default_batch_run = deep_runs.values()
assert default_run.val_acc[1] < 0.3 < 0.6 < min(kaiming_run.val_acc[1], default_batch_run.val_acc[1])
assert default_run.final_val_acc < min(kaiming_run.final_val_acc, default_batch_run.final_val_acc) - 0.1

# %% [markdown]
# PyTorch's default is fine for the shallow networks of notebooks 03 and 04, but a deep plain ReLU
# network with it is still at chance after the first epoch and stays far behind, while the same
# network with Kaiming initialization, or with BatchNorm after each Linear, is above 60 % after one
# epoch. Initialize deep ReLU networks explicitly, or normalize.

# %% [markdown]
# ## 6. Watching training
#
# When a run fails, the loss curve says *that* it fails, rarely *why*. `course_lib.monitor.TrainingMonitor`
# wraps an optimizer and records, at every step and for every Linear layer $k$:
#
# * the gradient norm $\|\nabla W_k\|$ that the optimizer is about to use;
# * the weight norm $\|W_k\|$;
# * the update-to-weight ratio $\|\Delta W_k\| / \|W_k\|$: how much of the layer one step changes.
#
# It is itself an optimizer (`zero_grad`, `step`), so the course's training step runs unchanged:
# `monitor = TrainingMonitor(model, optimizer)`, then `train_step(model, monitor, xb, yb)` and
# `monitor.log_loss(loss)`. A rule of thumb from practice (Karpathy's CS231n notes) says the update
# ratio should be around $10^{-3}$: much larger and the steps are too big, much smaller and the layer
# hardly learns.
#
# Below, four runs of the same network (784-256-256-256-10, ReLU) on the same minibatches with SGD
# and momentum 0.9. One is healthy. The others each have one thing broken: the learning rate is too
# high, the initialization is bad, or the gradients are never zeroed (the loop forgets
# `zero_grad()`, so every `backward()` adds to all earlier gradients). They are labelled A to D in
# an order that does not give them away. Each plot refreshes while its run trains (at most twice a
# second), with a progress bar.

# %%
monitoring = MonitoringExperiment(data)
records = {label: watch_training(monitoring, name, title=f"run {label}") for label, name in BLIND_LABELS.items()}

# %% [markdown]
# **Think!** Which run is healthy, and what is broken in each of the others? What in the plots tells
# you, and where does the $10^{-3}$ rule of thumb help, and where would it mislead you?

# %% [markdown] tags=["solution"]
# * **B is healthy**: the loss falls steadily, the gradient norms shrink, and the update ratios stay
#   within a factor of a few of $10^{-3}$ (most between $10^{-3}$ and $10^{-2}$) for the whole run.
# * **D has the learning rate too high**: at the very first step its update ratios are exactly ten
#   times the healthy run's (same gradients, ten times the learning rate), between 0.02 and 0.13,
#   and they grow from there; the weight norms grow, and here the loss explodes within a few dozen
#   steps. (Over seeds 0–4 this run diverged in only 2 or 3 of 5, depending on the CPU, and ran to
#   the end in the others; on every seed its update ratio over the first 10 steps was 17 to 69 times
#   the healthy one's, and every layer's weights grew, the layer that grew least by 1.8 to 11.5 times,
#   over two CPUs.)
# * **C has the bad initialization** (std 0.01): the gradient norms are several hundred times
#   smaller than the healthy run's, the loss sits at $\ln 10 \approx 2.3$ for a long time, and the
#   update ratios start around $10^{-4}$ or below, far under $10^{-3}$.
# * **A never zeroes its gradients**: its first step is *identical* to the healthy run's (same
#   gradients, same update), and its loss even falls for a few steps; but its gradient norms climb
#   steadily, because each "gradient" is the sum of all gradients so far, and then it diverges.
#
# Where the rule misleads: it is a snapshot. At the first step run A looks exactly as healthy as B,
# and later in run C the ratio reaches $10^{-3}$ while the loss is still far above the healthy
# run's, because the tiny weights make even small updates look large. The ratio also means something
# different for other optimizers: Adam moves every weight by about $\eta$ per step whatever the
# gradient, so its update ratio is close to $\eta$ divided by the typical size of a weight even when
# the gradients are garbage (for example, never zeroed). Read the ratio together with the loss and
# the gradient norms, and compare with a run you know is healthy.

# %% [markdown]
# *Spoiler for the Think! above.* The numbers behind the answer:

# %%
def ratio_summary(record, steps=slice(None)):
    """The median update ratio over the given steps and all layers."""
    return float(np.nanmedian(record.update_ratio[steps]))


for label, record in records.items():
    print(f"run {label} ({BLIND_LABELS[label]}): {record.steps} steps, median update ratio {ratio_summary(record):.2g} "
          f"(first 20 steps {ratio_summary(record, slice(0, 20)):.2g}), gradient norm at step 1 "
          f"{record.grad_norm[0].mean():.3g}, final loss {record.loss[-1]:.3g}")
healthy, never_zeroed, bad_init, too_high = records["B"], records["A"], records["C"], records["D"]
assert 3e-4 < ratio_summary(healthy) < 1e-2 and healthy.steps == monitoring.steps
assert np.mean((healthy.update_ratio > 3e-4) & (healthy.update_ratio < 3e-2)) > 0.95
assert np.allclose(too_high.update_ratio[0], 10 * healthy.update_ratio[0], rtol=1e-3)
assert ratio_summary(too_high, slice(0, 10)) > 10 * ratio_summary(healthy, slice(0, 10)) and too_high.steps < monitoring.steps
assert ratio_summary(bad_init, slice(0, 20)) < ratio_summary(healthy, slice(0, 20)) / 10
assert bad_init.grad_norm[0].max() < healthy.grad_norm[0].min() / 100 and bad_init.loss[:20].min() > 2.25
catches_up = int(np.argmax(np.nanmedian(bad_init.update_ratio, axis=1) >= 1e-3))
print(f"run C's median update ratio first reaches 1e-3 at step {catches_up + 1}, with a loss of "
      f"{bad_init.loss[catches_up]:.2f} (the healthy run's loss at that step: {healthy.loss[catches_up]:.2f})")
assert catches_up > 0 and bad_init.loss[catches_up] > healthy.loss[catches_up] + 0.5
assert np.allclose(never_zeroed.update_ratio[0], healthy.update_ratio[0]), "step 1 is identical"
assert never_zeroed.grad_norm[-2].mean() > 10 * never_zeroed.grad_norm[0].mean() and never_zeroed.steps < monitoring.steps
assert never_zeroed.loss[2] < never_zeroed.loss[0], "its loss first falls"
assert healthy.grad_norm[-1].mean() < healthy.grad_norm[0].mean()
assert np.all(too_high.weight_norm[-1] > 1.5 * too_high.weight_norm[0])

# %% [markdown]
# ## 7. Summary: a default recipe
#
# For a new network on a new dataset, a reasonable start, with the evidence this course collected.
# "Seeds 0–4" marks a finding that held on each of five seeds in quick mode; the rest is either a
# single run of the course or taken from the literature, and says so.
#
# | choice | why (where we measured it) |
# |---|---|
# | standardize the inputs | one global mean and std put all pixels on the same units, centred (notebook 01); per pixel, scales still differ; the per-input argument is LeCun et al.'s (1998) |
# | Kaiming initialization for ReLU networks, not PyTorch's default, in deep plain networks | the signal keeps its size over depth (notebook 02); the default shrinks it ~6× per layer and a deep network learned far more slowly (section 5, one seed) |
# | BatchNorm or LayerNorm after each hidden layer of a deep network | makes the signal independent of the init scale, trained from an init that did not train at all (section 5, one seed) |
# | minibatches of a few dozen to a few hundred | cheap, unbiased gradient estimates whose variance falls as 1/B (notebooks 01 and 04); the range itself is common practice, not measured here |
# | Adam (or AdamW) between 10⁻³ and 10⁻², or find the learning rate with a range test | Adam's best in notebook 04's scan was 3·10⁻³ on seeds 0–4, and one notch away from its best it lost less than 0.1 of loss (notebook 04, seeds 0–4); the range test's suggestion was within 2× of that best for Adam and momentum, seeds 0–4, and up to 6× too low for plain SGD (section 2) |
# | linear warmup when the learning rate must be high, then cosine decay | warmup rescued a peak rate that failed without it (LayerNorm at 0.32, seeds 0–4); at a rate that already trains (0.01) warmup + cosine ended with a lower validation loss than cosine alone, by 0.01–0.03, and accuracy within 2 points (section 1, seeds 0–4, quick mode; with the full data the two end within 0.005); decaying lowers the noise floor (section 1) |
# | AdamW for weight decay, not L2 inside Adam | decays every weight at the same rate (section 3); accuracy was the same within 1 point on seeds 0–4, so the case for AdamW here is its even decay, and Loshchilov & Hutter's (2019) results for better accuracy |
# | clip the global gradient norm a little above its typical size | without clipping the run of section 4 diverged or stayed near chance on 4 or 5 of seeds 0–4 (depending on the CPU) and ended at least 21 points below the clipped run on all five; with clipping at 3 it trained (seeds 0–4); clipping touched mostly the first steps, but also a few later ones |
# | watch per-layer gradient norms and update ratios | told apart three broken runs and a healthy one (section 6, one seed) |
# | steer by validation data; keep the test set for the end | notebook 04 |
#
# The same findings, stated by this notebook's own runs (the notebook tests compare this output with
# the stored one, so a finding that stops holding shows up here):

# %%
# NBVAL_CHECK_OUTPUT
findings = {
    "warmup rescues Adam at peak 0.32 with LayerNorm": layer_warm.final_val_acc > 0.8
    and layer_cold.final_val_acc < layer_warm.final_val_acc - 0.08 and layer_cold.early_peak_loss() > 5,
    "warmup does not rescue the plain MLP at that peak": plain_warm.diverged or plain_warm.final_val_acc < 0.3,
    "range test within 2x of notebook 04's best for momentum and Adam": all(
        0.5 <= suggestion_ratio[name] <= 2 for name in ("Momentum", "Adam")),
    "Adam + L2 decays large-gradient weights less; AdamW does not": l2_gain > 0.2 and adamw_gain < 0.02,
    "without clipping the run fails, clipping at 3 trains it": (unclipped.diverged or unclipped.val_acc < clipped_at[3.0].val_acc - 0.1)
    and not clipped_at[3.0].diverged and clipped_at[3.0].val_acc > 0.55,
    "BatchNorm trains from std 0.01 where the plain network does not": batch_run.final_val_acc > 0.7 > plain_run.final_val_acc,
    "PyTorch's default init slows a deep plain ReLU network down": default_run.final_val_acc
    < min(kaiming_run.final_val_acc, default_batch_run.final_val_acc) - 0.1,
    "the monitor tells the four runs apart": ratio_summary(too_high, slice(0, 10)) > 10 * ratio_summary(healthy, slice(0, 10))
    and ratio_summary(bad_init, slice(0, 20)) < ratio_summary(healthy, slice(0, 20)) / 10,
}
for finding, holds in findings.items():
    print(f"{'holds' if holds else 'DOES NOT HOLD'}: {finding}")

# %% [markdown]
# ## References
#
# * Ba, J. L., Kiros, J. R. & Hinton, G. E. (2016). Layer normalization. arXiv:1607.06450.
# * Goyal, P., Dollár, P., Girshick, R., Noordhuis, P., Wesolowski, L., Kyrola, A., Tulloch, A., Jia, Y. &
#   He, K. (2017). Accurate, large minibatch SGD: training ImageNet in 1 hour. arXiv:1706.02677.
# * Gugger, S. (2018). How do you find a good learning rate. Blog post, https://sgugger.github.io (the
#   learning-rate finder of fastai: exponential sweep, smoothed loss, a tenth of the minimum).
# * He, K., Zhang, X., Ren, S. & Sun, J. (2015). Delving deep into rectifiers. ICCV.
# * Howard, J. & Gugger, S. (2020). *Deep Learning for Coders with fastai and PyTorch*. O'Reilly.
# * Ioffe, S. & Szegedy, C. (2015). Batch normalization: accelerating deep network training by reducing
#   internal covariate shift. ICML.
# * Karpathy, A. (2016). CS231n course notes: Neural networks part 3, learning and evaluation (the
#   update-ratio rule of thumb).
# * Kingma, D. P. & Ba, J. (2015). Adam: a method for stochastic optimization. ICLR.
# * Liu, L., Jiang, H., He, P., Chen, W., Liu, X., Gao, J. & Han, J. (2020). On the variance of the adaptive
#   learning rate and beyond. ICLR.
# * Loshchilov, I. & Hutter, F. (2017). SGDR: stochastic gradient descent with warm restarts. ICLR.
# * Loshchilov, I. & Hutter, F. (2019). Decoupled weight decay regularization. ICLR.
# * Pascanu, R., Mikolov, T. & Bengio, Y. (2013). On the difficulty of training recurrent neural
#   networks. ICML.
# * Smith, L. N. (2017). Cyclical learning rates for training neural networks. WACV.
# * Smith, L. N. & Topin, N. (2019). Super-convergence: very fast training of neural networks using
#   large learning rates. SPIE Artificial Intelligence and Machine Learning for Multi-Domain Operations
#   Applications.
# * Xiong, R., Yang, Y., He, D., Zheng, K., Zheng, S., Xing, C., Zhang, H., Lan, Y., Wang, L. & Liu, T.-Y.
#   (2020). On layer normalization in the Transformer architecture. ICML.
# * Zhang, A., Lipton, Z. C., Li, M. & Smola, A. J. (2023). *Dive into Deep Learning*. Cambridge University
#   Press. (Chapter 12.11, learning-rate scheduling.)
# * Zhang, J., He, T., Sra, S. & Jadbabaie, A. (2020). Why gradient clipping accelerates training: a
#   theoretical justification for adaptivity. ICLR.
# * This notebook builds on the course's notebooks 01–04 and their sources: P. Lippe, *UvA Deep
#   Learning Tutorial 4: Initialization and Optimization* (CC BY-SA 4.0), and Neuromatch Academy,
#   *W1D5 Optimization techniques* (CC BY 4.0).

# %% [markdown]
# ## Before you submit
#
# Save the notebook (Ctrl+S / Cmd+S), then run the cell below. It grades the file you saved with the
# same code as your instructor's `course-grade` (each exercise cell and its check, in a fresh process,
# in a few seconds) and shows the points per exercise with what each check says. It warns you first
# when the saved file is not what you ran: an exercise cell changed, or run, since you last saved. Hand
# in that saved `.ipynb` file. On Colab, download it first (File → Download → Download .ipynb).

# %%
before_you_submit("05_schedules_and_practice")
