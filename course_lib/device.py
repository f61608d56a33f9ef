"""Pick the fastest available device: CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

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
