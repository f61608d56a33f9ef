"""Two models scored on the same test images: a paired comparison, not two separate error bars.

When models A and B classify the same n images, their accuracies are not independent: most images
are right (or wrong) for both. What tells them apart are the discordant images, right for one model
only: b (A right, B wrong) and c (B right, A wrong).

1. ``correct_predictions(model, x, y)``: (n,) booleans, whether the model's argmax is the label;
2. ``paired_comparison(correct_a, correct_b)``: the difference in accuracy d = (b − c)/n, its paired
   standard error √((b + c)/n − d²)/√n (the standard error of the mean of the per-image differences
   δ_i ∈ {−1, 0, 1}, with the 1/n variance), and McNemar's exact test: under "equally accurate",
   each discordant image is A's with probability ½, so b ~ Binomial(b + c, ½), and the two-sided
   p-value is min(1, 2·P(Binomial(b + c, ½) ≤ min(b, c))).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from course_lib.errors import CourseInputError


@dataclass(frozen=True)
class PairedComparison:
    """``difference``: accuracy of A minus accuracy of B (a fraction); ``standard_error``: its paired
    standard error; ``only_a``/``only_b``: images right for that model only; ``p_value``: McNemar's exact
    two-sided p-value (1.0 when there are no discordant images)."""

    n: int
    difference: float
    standard_error: float
    only_a: int
    only_b: int
    p_value: float


@torch.no_grad()
def correct_predictions(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """(n,) bool: whether ``model``'s highest logit is the label, for x: (n, ...), y: (n,) (eval mode, restored)."""
    was_training = model.training
    model.eval()
    try:
        hits = [model(x[i:i + batch_size]).argmax(dim=1) == y[i:i + batch_size] for i in range(0, len(x), batch_size)]
    finally:
        model.train(was_training)
    return torch.cat(hits).cpu() if hits else torch.zeros(0, dtype=torch.bool)


def mcnemar_p_value(only_a: int, only_b: int) -> float:
    """Exact two-sided McNemar p-value: min(1, 2·P(Binomial(only_a + only_b, ½) ≤ min(only_a, only_b)))."""
    discordant = only_a + only_b
    if discordant == 0:
        return 1.0
    tail = sum(math.comb(discordant, k) for k in range(min(only_a, only_b) + 1))
    return min(1.0, 2 * tail / 2**discordant)


def paired_comparison(correct_a, correct_b) -> PairedComparison:
    """Compare two models from their per-image correctness on the same images (two (n,) boolean arrays)."""
    a = torch.as_tensor(correct_a, dtype=torch.bool).flatten()
    b = torch.as_tensor(correct_b, dtype=torch.bool).flatten()
    if len(a) != len(b) or len(a) == 0:
        raise CourseInputError(f"A paired comparison needs the same, non-empty set of images for both models; "
                               f"got {len(a)} and {len(b)} results.")
    n = len(a)
    only_a, only_b = int((a & ~b).sum()), int((b & ~a).sum())
    difference = (only_a - only_b) / n
    variance = max((only_a + only_b) / n - difference**2, 0.0)
    return PairedComparison(n, difference, math.sqrt(variance / n), only_a, only_b, mcnemar_p_value(only_a, only_b))
