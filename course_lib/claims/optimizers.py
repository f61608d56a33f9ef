"""Claims of notebook 03 (optimizers): overparameterization makes training consistent across starts.

The notebook's other findings (the logistic slice, momentum, RMSprop, the curvature and steep-optima
surfaces) are computed on fixed problems from fixed starting points: they draw nothing at random, so
a seed cannot change them and the notebook's own assertions already cover them.
"""

from __future__ import annotations

import functools

from course_lib.claims._core import above, claim
from course_lib.config import is_quick
from course_lib.experiments.overparameterization import PerturbedInits, default_subset

NOTEBOOK = "03_optimizers"
SECTION = "§8 Non-convexity and overparameterization"


@functools.lru_cache(maxsize=8)
def _final_losses(seed: int, quick: bool) -> dict[tuple, object]:
    """{hidden sizes: (inits,) final training losses} for (10,) and (100, 100), as the notebook's comparison."""
    experiment = PerturbedInits(*default_subset(), seed=seed)
    steps, inits = (60, 5) if quick else (150, 7)
    return {hidden: experiment.loss_curves(hidden, 0.05, steps, inits)[:, -1] for hidden in [(10,), (100, 100)]}


@claim("03-wide-net-consistent", "Wider (and deeper) networks train more consistently across initializations: "
       "the spread of the final loss of the small network is more than 3 times the wide one's.", NOTEBOOK, SECTION,
       "std of final loss (10,) / std (100, 100) > 3", above(3.0))
def spread_ratio(seed: int) -> float:
    finals = _final_losses(seed, is_quick())
    return float(finals[(10,)].std() / finals[(100, 100)].std())


@claim("03-wide-net-lower", "Wider (and deeper) networks train faster: the wide network ends at a lower loss.",
       NOTEBOOK, SECTION, "mean final loss (10,) − mean final loss (100, 100) > 0", above(0.0))
def wide_lower(seed: int) -> float:
    finals = _final_losses(seed, is_quick())
    return float(finals[(10,)].mean() - finals[(100, 100)].mean())
