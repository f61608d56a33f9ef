"""Step time of course_lib's from-scratch optimizers against torch.optim's single-tensor loops.

What is measured: ``optimizer.step()`` alone, on the course's 784-512-256-256-128-10 ReLU MLP
(633,226 parameters), with the same gradients every step (one backward pass on a fixed batch,
copied into each model), for

- ``course_lib.optimizers.SGDMomentum(lr=η, momentum=β)`` vs ``torch.optim.SGD(lr=η(1−β), momentum=β)``,
- ``course_lib.optimizers.RMSprop`` vs ``torch.optim.RMSprop``,
- ``course_lib.optimizers.Adam`` vs ``torch.optim.Adam``,
- ``course_lib.optimizers.AdamW`` vs ``torch.optim.AdamW``,

torch.optim with ``foreach=False`` (a Python loop over the parameters, like ours). Course and torch
blocks alternate within each round so that load from other processes hits both alike. The figure
is the median over rounds of the time per step; ratio = course_lib / torch (target ≤ 1.5). torch
runs on one thread by default: with two threads on a busy 2-core machine, OpenMP barriers wait for
a descheduled thread and step times swing by 10× or more.

Usage: python benchmarks/optimizer_step.py [--rounds 15] [--steps 10] [--threads 1] [--quick]
Last stdout line: JSON with per-optimizer step times (µs) and ratios.
"""

from __future__ import annotations

import argparse
import copy
import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from _common import emit_json, progress, run_conditions

from course_lib.models import MLP
from course_lib.optimizers import Adam, AdamW, RMSprop, SGDMomentum

HIDDEN_SIZES = (512, 256, 256, 128)
TARGET_RATIO = 1.5
LR, BETA = 1e-3, 0.9

# name → (course_lib factory, torch.optim factory), both callable(params) and equivalent step for step.
OPTIMIZER_PAIRS: dict[str, tuple[Callable, Callable]] = {
    "SGDMomentum": (
        lambda params: SGDMomentum(params, lr=LR, momentum=BETA),
        lambda params: torch.optim.SGD(params, lr=LR * (1 - BETA), momentum=BETA, foreach=False),
    ),
    "RMSprop": (
        lambda params: RMSprop(params, lr=LR),
        lambda params: torch.optim.RMSprop(params, lr=LR, foreach=False),
    ),
    "Adam": (
        lambda params: Adam(params, lr=LR),
        lambda params: torch.optim.Adam(params, lr=LR, foreach=False),
    ),
    "AdamW": (
        lambda params: AdamW(params, lr=LR, weight_decay=1e-2),
        lambda params: torch.optim.AdamW(params, lr=LR, weight_decay=1e-2, foreach=False),
    ),
}


def model_with_gradients(batch_size: int = 256, seed: int = 0) -> MLP:
    """The benchmark MLP with ``p.grad`` filled by one cross-entropy backward pass on a seeded batch."""
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = MLP(input_size=784, hidden_sizes=HIDDEN_SIZES, num_classes=10)
    x = torch.randn(batch_size, 784, generator=generator)
    y = torch.randint(0, 10, (batch_size,), generator=generator)
    F.cross_entropy(model(x), y).backward()
    return model


def parameters_with_gradients(template: MLP) -> list[torch.nn.Parameter]:
    """A fresh copy of ``template``'s parameters, each with a copy of its gradient (deepcopy drops grads)."""
    clone = copy.deepcopy(template)
    for source, target in zip(template.parameters(), clone.parameters(), strict=True):
        target.grad = source.grad.clone()
    return list(clone.parameters())


def seconds_per_step(optimizer, steps: int) -> float:
    """Wall time of ``steps`` consecutive ``optimizer.step()`` calls, divided by ``steps``."""
    start = time.perf_counter()
    for _ in range(steps):
        optimizer.step()
    return (time.perf_counter() - start) / steps


def compare(name: str, template: MLP, rounds: int, steps: int) -> dict[str, float]:
    """Median step time of the course_lib and torch versions of one optimizer, and their ratio."""
    make_course, make_torch = OPTIMIZER_PAIRS[name]
    course = make_course(parameters_with_gradients(template))
    reference = make_torch(parameters_with_gradients(template))
    for optimizer in (course, reference):
        seconds_per_step(optimizer, 3)  # warm-up: allocate state, first-touch memory
    course_times, torch_times = [], []
    for round_index in range(rounds):
        pair = [(course, course_times), (reference, torch_times)]
        for optimizer, times in pair if round_index % 2 == 0 else pair[::-1]:
            times.append(seconds_per_step(optimizer, steps))
    course_us, torch_us = float(np.median(course_times)) * 1e6, float(np.median(torch_times)) * 1e6
    return {"course_us": round(course_us, 1), "torch_us": round(torch_us, 1),
            "ratio": round(course_us / torch_us, 3)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="alternating course/torch blocks (default 15)")
    parser.add_argument("--steps", type=int, default=10, help="optimizer steps per block (default 10)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads (default 1: steady figures on a shared machine)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 rounds of 2 steps")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rounds, steps = (3, 2) if args.quick else (args.rounds, args.steps)

    template = model_with_gradients()
    results = {}
    for name in OPTIMIZER_PAIRS:
        results[name] = compare(name, template, rounds, steps)
        progress(f"{name:12s} course_lib {results[name]['course_us']:8.1f} µs/step   "
                 f"torch.optim {results[name]['torch_us']:8.1f} µs/step   ratio {results[name]['ratio']:.2f}")
    ratios = {name: result["ratio"] for name, result in results.items()}
    summary = {
        "benchmark": "optimizer_step",
        "model": "784-" + "-".join(map(str, HIDDEN_SIZES)) + "-10",
        "parameters": sum(p.numel() for p in template.parameters()),
        "rounds": rounds,
        "steps_per_round": steps,
        "results": results,
        "ratios": ratios,
        "target_ratio": TARGET_RATIO,
        "meets_target": all(ratio <= TARGET_RATIO for ratio in ratios.values()),
        "conditions": run_conditions(),
    }
    emit_json(summary)
    return summary


if __name__ == "__main__":
    main()
