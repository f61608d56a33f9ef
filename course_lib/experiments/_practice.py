"""What the experiments of notebook 05 (schedules, decay, clipping, normalization, monitoring) share.

- ``take_subset``: the first n training and validation images as flat CPU tensors (N, 784);
- ``batches``: the minibatch order of a run, from its own seeded generator;
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from course_lib.data import InMemoryLoader
from course_lib.errors import CourseInputError


@dataclass(frozen=True)
class Subset:
    """Flat CPU tensors: train_x (N, 784) float32, train_y (N,) int64, val_x (M, 784), val_y (M,)."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor


def take_subset(data, n_train: int, n_val: int) -> Subset:
    """The first ``n_train`` training and ``n_val`` validation images of ``data`` (FashionMNISTTensors or any
    object with train_x, train_y, val_x, val_y), flattened, on the CPU."""
    n_train, n_val = int(n_train), int(n_val)
    if n_train < 1 or n_val < 1 or len(data.train_x) < n_train or len(data.val_x) < n_val:
        raise CourseInputError(f"The data has fewer than {n_train} training or {n_val} validation images.")

    def flat(x: torch.Tensor) -> torch.Tensor:
        return x.reshape(len(x), -1).float().cpu()

    return Subset(flat(data.train_x[:n_train]), data.train_y[:n_train].cpu(),
                  flat(data.val_x[:n_val]), data.val_y[:n_val].cpu())


def batches(subset: Subset, batch_size: int, seed: int) -> InMemoryLoader:
    """A shuffling loader over the training images whose order comes from its own generator (seeded)."""
    return InMemoryLoader(subset.train_x, subset.train_y, int(batch_size), shuffle=True,
                          generator=torch.Generator().manual_seed(int(seed)))
