"""Reproducibility: one call seeds every random number generator the course touches."""

from __future__ import annotations

import random

import numpy as np
import torch

DEFAULT_SEED = 42


def set_seed(seed: int = DEFAULT_SEED) -> torch.Generator:
    """Seed ``random``, NumPy and torch (CPU and all CUDA devices) and make cuDNN deterministic.

    Returns a fresh ``torch.Generator`` seeded with ``seed``, to hand to samplers and DataLoaders
    so that their shuffling does not depend on how much global randomness was used before.
    """
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator


def seed_worker(worker_id: int) -> None:
    """``worker_init_fn`` for DataLoader workers: derive NumPy's and random's seeds from torch's."""
    worker_seed = torch.initial_seed() % 2**32
    np.random.seed(worker_seed)
    random.seed(worker_seed)
