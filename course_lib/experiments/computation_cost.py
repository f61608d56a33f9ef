"""Full gradients are expensive: time one forward and one backward pass against the number of examples.

1. ``network_of_size``: the seeded MLP for one entry of ``MODEL_SIZES`` (the caller's random state
   is left alone);
2. ``measure_pass_times``: run the forward pass (logits and loss) and the backward pass on the
   first N examples, several times, and take the median wall-clock seconds of each, for every N.

Nothing is cached on purpose: the demo times this machine, now, on one CPU thread (on a GPU, the GPU).
These are the two halves of a training step without the update, timed apart; training itself uses
``course_lib.training.train_step``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from course_lib.device import single_cpu_thread
from course_lib.errors import CourseInputError
from course_lib.models import MLP
from course_lib.seeding import seeded
from course_lib.validation import parse_choice

MODEL_SIZES: dict[str, tuple[int, ...]] = {
    "784-10 (no hidden layer)": (),
    "784-100-10": (100,),
    "784-50-50-10": (50, 50),
    "784-512-256-256-128-10 (this notebook's network)": (512, 256, 256, 128),
}
NUM_EXAMPLES: tuple[int, ...] = (1, 10, 100, 250, 500, 1000, 1500, 2000)


def _synchronize(device: torch.device) -> None:
    """Wait for queued GPU work so that wall-clock time measures the pass itself."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def measure_pass_times(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                       num_examples: Sequence[int] = NUM_EXAMPLES, repeats: int = 5) -> np.ndarray:
    """Median seconds of the forward pass (logits and loss) and of the backward pass on x[:n], y[:n].

    x: (N, ...) inputs, y: (N,) class labels on the model's device. Returns (len(num_examples), 2):
    column 0 forward seconds, column 1 backward seconds, each the median of ``repeats`` runs (robust to
    another program briefly taking the CPU; on one
    CPU thread, so that a busy machine does not turn thread synchronization into the measurement).
    """
    if max(num_examples) > len(x):
        raise CourseInputError(f"Only {len(x)} examples available, {max(num_examples)} requested.")
    loss_fn = nn.CrossEntropyLoss()
    device = x.device
    times = np.zeros((repeats, len(num_examples), 2))
    with single_cpu_thread():
        for repeat in range(repeats):
            for column, count in enumerate(num_examples):
                model.zero_grad(set_to_none=True)
                _synchronize(device)
                start = time.perf_counter()
                loss = loss_fn(model(x[:count]), y[:count])
                _synchronize(device)
                forward_done = time.perf_counter()
                loss.backward()
                _synchronize(device)
                times[repeat, column] = (forward_done - start, time.perf_counter() - forward_done)
    model.zero_grad(set_to_none=True)
    return np.median(times, axis=0)


def network_of_size(model_size: str, input_size: int = 784, seed: int = 42) -> MLP:
    """The MLP named by a key of ``MODEL_SIZES``, built inside ``seeded(seed)``; CourseInputError for other names."""
    model_size = parse_choice(model_size, list(MODEL_SIZES), "model size")
    with seeded(seed):
        return MLP(input_size=input_size, hidden_sizes=MODEL_SIZES[model_size])
