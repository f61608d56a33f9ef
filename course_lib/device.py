"""Pick the fastest available device: CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

from contextlib import contextmanager

import torch


def get_device(verbose: bool = True) -> torch.device:
    """Return ``cuda`` if a CUDA GPU is present, else ``mps`` if available, else ``cpu``.

    With ``verbose`` it prints one line saying which device was chosen and why.
    """
    if torch.cuda.is_available():
        device = torch.device("cuda")
        reason = f"GPU found: {torch.cuda.get_device_name(0)}"
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        device = torch.device("mps")
        reason = "Apple GPU (MPS) found"
    else:
        device = torch.device("cpu")
        reason = "no GPU found; everything in this course also runs on the CPU"
    if verbose:
        print(f"Using device: {device} ({reason})")
    return device


@contextmanager
def single_cpu_thread():
    """Run the block with torch on one CPU thread, then restore the caller's thread count.

    For the small matrices of the demos (a few hundred rows), splitting each product over threads
    costs more in synchronization than it saves, and far more when the CPU is busy.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
