"""Self-check for the RMSprop exercise: s ← αs + (1−α)g²; w ← w − ηg/√(s+ε), in place.

One case uses a large ε = 0.25 next to states between 0.5 and 1: there √(s + ε) and √s + ε differ by
about 10 %, so only the placement the exercise asks for (inside the root) passes; with ε = 1e-8 the two
agree to 1e-8 and the slip would hide.
"""

from __future__ import annotations

import torch

from course_lib.checks._runner import self_check
from course_lib.checks._stateful import Mistake, StatefulExercise, run_stateful_check
from course_lib.optimizers import rmsprop_update as reference_rmsprop_update


def _average(s, g, alpha):
    return alpha * s + (1 - alpha) * g**2


MISTAKES = (
    Mistake("the gradient is not squared in the running average: s ← αs + (1 − α)g²",
            lambda w, s, g, lr, alpha, epsilon: (w - lr * g / torch.sqrt(alpha * s + (1 - alpha) * g + epsilon),
                                                 alpha * s + (1 - alpha) * g)),
    Mistake("the square root is missing: divide by √(s + ε), not by s + ε",
            lambda w, s, g, lr, alpha, epsilon: (w - lr * g / (_average(s, g, alpha) + epsilon),
                                                 _average(s, g, alpha))),
    Mistake("α and 1 − α are swapped: the old average keeps the weight α, s ← αs + (1 − α)g²",
            lambda w, s, g, lr, alpha, epsilon: (w - lr * g / torch.sqrt(_average(s, g, 1 - alpha) + epsilon),
                                                 _average(s, g, 1 - alpha))),
    Mistake("the step goes uphill: subtract it, w ← w − ηg/√(s + ε)",
            lambda w, s, g, lr, alpha, epsilon: (w + lr * g / torch.sqrt(_average(s, g, alpha) + epsilon),
                                                 _average(s, g, alpha))),
    Mistake("the parameter was divided by the old average: update s first, then w ← w − ηg/√(s + ε) "
            "with the new s",
            lambda w, s, g, lr, alpha, epsilon: (w - lr * g / torch.sqrt(s + epsilon), _average(s, g, alpha))),
    Mistake("the old average is not multiplied by α (that is AdaGrad's sum): s ← αs + (1 − α)g²",
            lambda w, s, g, lr, alpha, epsilon: (w - lr * g / torch.sqrt(s + g**2 + epsilon), s + g**2)),
    Mistake("the new squared gradient is not multiplied by (1 − α): s ← αs + (1 − α)g²",
            lambda w, s, g, lr, alpha, epsilon: (w - lr * g / torch.sqrt(alpha * s + g**2 + epsilon),
                                                 alpha * s + g**2)),
    Mistake("the average forgets the past (s = g²): keep a running average, s ← αs + (1 − α)g²",
            lambda w, s, g, lr, alpha, epsilon: (w - lr * g / torch.sqrt(g**2 + epsilon), g**2)),
    Mistake("ε is outside the square root (torch.optim.RMSprop's placement, √s + ε): this exercise divides by "
            "√(s + ε), with ε inside the root",
            lambda w, s, g, lr, alpha, epsilon: (w - lr * g / (torch.sqrt(_average(s, g, alpha)) + epsilon),
                                                 _average(s, g, alpha))),
    Mistake("the step is not multiplied by the learning rate: w ← w − ηg/√(s + ε)",
            lambda w, s, g, lr, alpha, epsilon: (w - g / torch.sqrt(_average(s, g, alpha) + epsilon),
                                                 _average(s, g, alpha))),
)

RMSPROP = StatefulExercise(
    name="rmsprop_update",
    signature="rmsprop_update(loss, params, grad_sq, lr=1e-3, alpha=0.8, epsilon=1e-8)",
    state_argument="grad_sq",
    state_variable="gsq",
    state_name="average of squared gradients",
    reference=reference_rmsprop_update,
    make_state=lambda param, generator: 0.5 + 0.5 * torch.rand(param.shape, generator=generator),
    cases=({"lr": 0.01, "alpha": 0.9}, {"lr": 0.05, "alpha": 0.7, "epsilon": 1e-6}, {"lr": 0.03, "alpha": 0.6},
           {"lr": 0.02, "alpha": 0.8, "epsilon": 0.25}, {}),
    mistakes=MISTAKES,
)


@self_check("rmsprop_update")
def check_rmsprop_update(rmsprop_update: object) -> str:
    """Check ``rmsprop_update(loss, params, grad_sq, lr, alpha, epsilon)``: s ← αs + (1−α)g²; w ← w − ηg/√(s+ε)."""
    return run_stateful_check(RMSPROP, rmsprop_update)
