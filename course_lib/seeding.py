"""Reproducibility: seed every random number generator the course touches, or leave them all alone.

- ``set_seed(seed)``: what a notebook calls at its top and before each experiment a cell runs;
- ``preserved_random_state()``: a block after which the global generators of torch (CPU and CUDA),
  NumPy and ``random`` are exactly as before, whatever the block drew;
- ``seeded(seed)``: the same, with the generators seeded inside the block, for code (a student's
  function, a model constructor) that can only draw from the global generators.

Demos, widget callbacks and self-checks use the last two, so moving a slider or running a check
never changes what later cells print.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator

import numpy as np
import torch

DEFAULT_SEED = 42


def _seed_global_generators(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def set_seed(seed: int = DEFAULT_SEED) -> torch.Generator:
    """Seed ``random``, NumPy and torch (CPU and all CUDA devices) and make cuDNN deterministic.

    Returns a fresh ``torch.Generator`` seeded with ``seed``, to hand to samplers and DataLoaders
    so that their shuffling does not depend on how much global randomness was used before.
    """
    seed = int(seed)
    _seed_global_generators(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator


@contextlib.contextmanager
def preserved_random_state() -> Iterator[None]:
    """Run a block, then put back the global random states of torch (CPU, and CUDA once initialized),
    NumPy and ``random`` exactly as they were, even when the block raised."""
    torch_state = torch.random.get_rng_state()
    cuda_states = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
    numpy_state = np.random.get_state()
    python_state = random.getstate()
    try:
        yield
    finally:
        torch.random.set_rng_state(torch_state)
        if cuda_states is not None:
            torch.cuda.set_rng_state_all(cuda_states)
        np.random.set_state(numpy_state)
        random.setstate(python_state)


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run a block with torch, NumPy and ``random`` seeded by ``seed``; afterwards the caller's global
    random states are back as they were (``preserved_random_state``).

    For code that draws from the global generators and cannot be handed a ``torch.Generator``:
    ``nn.Linear``'s default initialization, a student's sampler.
    """
    with preserved_random_state():
        _seed_global_generators(int(seed))
        yield


def seed_worker(worker_id: int) -> None:
    """``worker_init_fn`` for DataLoader workers: derive NumPy's and random's seeds from torch's."""
    worker_seed = torch.initial_seed() % 2**32
    np.random.seed(worker_seed)
    random.seed(worker_seed)
