"""The claims registry's parts: what a claim is, how it is registered, and the settings it runs in.

1. ``Claim``: one finding a notebook states in words, with a ``measure(seed) -> float`` that
   recomputes the quantity behind it from ``course_lib`` (never by running a notebook) and a
   ``holds(value) -> bool`` that says whether the words are true for that value;
2. ``claim``: the decorator a notebook's claims module uses to register its measuring functions;
3. ``course_mode``: the block in which a claim measures, with ``COURSE_QUICK`` set to the claim's
   mode, so that the experiments pick the sizes the notebook's quick or full mode picks.

Every measuring function draws from private seeds (``course_lib.seeding.seeded``): measuring a
claim leaves the caller's global random state exactly as it was.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

MODES = ("quick", "full")
REGISTRY: dict[str, Claim] = {}


@dataclass(frozen=True)
class Claim:
    """One worded finding: ``holds(measure(seed))`` says whether it is true on that seed.

    ``mode``: the settings it is measured in ("quick": the notebook's quick mode asserts it; "full":
    only the full mode shows it); ``rule``: ``holds`` in words, as the report prints it; ``tested``:
    False for a claim too slow for ``make test`` (measured only by ``make claims``); ``module``: the
    claims module that defines it (its sources are what the report's fingerprint covers).
    """

    id: str
    statement: str
    notebook: str
    section: str
    mode: str
    rule: str
    measure: Callable[[int], float]
    holds: Callable[[float], bool]
    tested: bool
    module: str


def claim(id: str, statement: str, notebook: str, section: str, rule: str, holds: Callable[[float], bool],
          mode: str = "quick", tested: bool = True) -> Callable:
    """Register the decorated ``measure(seed) -> float`` as the claim ``id``; the function is returned unchanged."""
    if mode not in MODES:
        raise ValueError(f"claim {id}: mode must be one of {MODES}, got {mode!r}")

    def register(measure: Callable[[int], float]) -> Callable[[int], float]:
        if id in REGISTRY:
            raise ValueError(f"claim id {id!r} is registered twice")
        REGISTRY[id] = Claim(id, " ".join(statement.split()), notebook, section, mode, rule, measure, holds,
                             tested, measure.__module__)
        return measure

    return register


@contextlib.contextmanager
def course_mode(mode: str) -> Iterator[None]:
    """Run a block with ``COURSE_QUICK`` set for ``mode`` ("quick" or "full"); restored afterwards."""
    previous = os.environ.get("COURSE_QUICK")
    os.environ["COURSE_QUICK"] = "1" if mode == "quick" else "0"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("COURSE_QUICK", None)
        else:
            os.environ["COURSE_QUICK"] = previous


def course_data():
    """The standardized FashionMNIST splits on the CPU (loaded once per process by ``course_lib.data``)."""
    import torch

    from course_lib.data import load_fashion_mnist

    return load_fashion_mnist(device=torch.device("cpu"))


def between(low: float, high: float) -> Callable[[float], bool]:
    """A ``holds`` predicate: low < value < high (NaN never holds)."""
    return lambda value: bool(low < value < high)


def above(threshold: float) -> Callable[[float], bool]:
    """A ``holds`` predicate: value > threshold (NaN never holds)."""
    return lambda value: bool(value > threshold)


def below(threshold: float) -> Callable[[float], bool]:
    """A ``holds`` predicate: value < threshold (NaN never holds)."""
    return lambda value: bool(value < threshold)


def failing_seeds(claim: Claim, seeds) -> dict[int, float]:
    """{seed: value} for every seed on which ``claim`` does not hold, measured in the claim's mode."""
    with course_mode(claim.mode):
        values = {int(seed): float(claim.measure(int(seed))) for seed in seeds}
    return {seed: value for seed, value in values.items() if not claim.holds(value)}
