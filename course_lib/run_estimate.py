"""How long a ``train_model`` run will take on this machine, said before a long run starts.

1. ``matmul_peak``: this machine's fp32 matrix-multiply speed (FLOP/s), from a short benchmark (about
   0.1 s, run once per process): 2n³ floating-point operations per n×n product, timed on torch's
   current thread count, the count the training runs on.
2. ``training_flops``: the run's floating-point operations, counted by torch's ``FlopCounterMode`` on
   one minibatch forward and backward pass (on a copy of the model: the model and its gradients are
   left as they are) and one evaluation batch, scaled to epochs × (training + validation examples).
3. ``estimate_seconds`` = (FLOPs / ``EFFICIENCY`` + steps × ``STEP_COST_FLOPS``) / peak: the loop's matrix
   products run at ``EFFICIENCY`` × the matmul peak, and each minibatch step costs as much again as
   ``STEP_COST_FLOPS`` of matmul work (the optimizer's elementwise updates, Python, small kernels), which
   is most of the time for small models and minibatches.
4. ``announce``: the line ``train_model`` prints when the estimate exceeds ``ANNOUNCE_ABOVE_S``.
"""

from __future__ import annotations

import copy
import functools
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

ANNOUNCE_ABOVE_S = 20.0
# Least-squares fit of seconds × peak = FLOPs / EFFICIENCY + steps × STEP_COST_FLOPS over one epoch of five
# runs on the course's 2-core machine, one thread (2026-12-07; peak 39-44 GFLOP/s under load): MLPs 100-100
# and 256-128 at batch 64 (SGD, Adam) and 512-256-256-128 at batch 256 (SGD, Adam). It gave 0.73 and
# 1.0e8; each run's prediction came within 20 % of its time.
EFFICIENCY = 0.7
STEP_COST_FLOPS = 1e8


def measure_matmul_peak(size: int = 384, min_seconds: float = 0.1, clock: Callable[[], float] = time.perf_counter) -> float:
    """FLOP/s of fp32 (size × size) @ (size × size) products, repeated until ``min_seconds`` have passed by
    ``clock`` (after one untimed warm-up product). Uses its own random generator."""
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(size, size, generator=generator)
    b = torch.randn(size, size, generator=generator)
    a @ b
    repeats, start = 0, clock()
    while True:
        a @ b
        repeats += 1
        elapsed = clock() - start
        if elapsed >= min_seconds:
            return 2 * size**3 * repeats / elapsed


@functools.cache
def matmul_peak() -> float:
    """``measure_matmul_peak()``, measured once per process."""
    return measure_matmul_peak()


def training_flops(model: torch.nn.Module, train_x: torch.Tensor, val_x: torch.Tensor, batch_size: int, epochs: int,
                   loss_fn=None) -> float:
    """Floating-point operations of ``epochs`` epochs of ``train_model``: per epoch, forward and backward on
    every training example (x: (N, ...)) and a forward pass on every validation example."""
    loss_fn = loss_fn or F.cross_entropy
    copy_ = copy.deepcopy(model)
    batch = train_x[: max(1, min(batch_size, len(train_x)))]
    with FlopCounterMode(display=False) as counter:
        logits = copy_(batch)
        loss_fn(logits, logits.argmax(dim=1)).backward()
    train_per_example = counter.get_total_flops() / len(batch)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        copy_(batch)
    eval_per_example = counter.get_total_flops() / len(batch)
    return epochs * (train_per_example * len(train_x) + eval_per_example * len(val_x))


def estimate_seconds(flops: float, steps: int, peak: float) -> float:
    """Seconds for ``flops`` of training in ``steps`` minibatch steps on a machine whose matmul peak is ``peak``."""
    return (flops / EFFICIENCY + steps * STEP_COST_FLOPS) / peak


def announce(name: str, flops: float, steps: int, epochs: int, peak: float | None = None) -> float:
    """Print how long the run will take when that is over ``ANNOUNCE_ABOVE_S``; returns the estimate (s).
    ``peak``: the machine's matmul FLOP/s (default: ``matmul_peak()``, measured once per process)."""
    peak = matmul_peak() if peak is None else peak
    seconds = estimate_seconds(flops, steps, peak)
    if seconds > ANNOUNCE_ABOVE_S:
        duration = f"{seconds / 60:.0f} minutes" if seconds >= 90 else f"{seconds:.0f} s"
        print(f"'{name}' will train for about {duration} on this machine ({epochs} epoch{'' if epochs == 1 else 's'}, "
              f"{flops / 1e12:.2g} TFLOP; this machine's matrix products run at {peak / 1e9:.3g} GFLOP/s).")
    return seconds
