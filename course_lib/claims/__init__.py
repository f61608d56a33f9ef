"""The claims registry: every finding notebooks 01–05 state in words, measured on any seed.

``CLAIMS`` maps each claim's id to its ``Claim`` (``course_lib.claims._core``): the statement as the
notebook words it, where it says so, the settings it is measured in, ``measure(seed) -> float`` and
``holds(value) -> bool``. ``python -m tools.claims`` measures them on several seeds and writes
``claims/REPORT.md``; one module per notebook registers its claims on import.
"""

from course_lib.claims import (
    initialization,
    minibatch_and_training,
    optimizers,
    schedules_and_practice,
    training_loop,
)
from course_lib.claims._core import MODES, REGISTRY, Claim, course_mode, failing_seeds

CLAIM_MODULES = (training_loop, initialization, optimizers, minibatch_and_training, schedules_and_practice)
CLAIMS: dict[str, Claim] = {claim.id: claim for claim in sorted(REGISTRY.values(), key=lambda c: c.notebook)}

__all__ = ["CLAIMS", "CLAIM_MODULES", "MODES", "Claim", "course_mode", "failing_seeds"]
