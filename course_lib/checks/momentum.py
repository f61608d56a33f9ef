"""Self-check for the heavy-ball momentum exercise: v ← βv − η∇J(w); w ← w + v, in place."""

from __future__ import annotations

import torch

from course_lib.checks._runner import self_check
from course_lib.checks._stateful import Mistake, StatefulExercise, run_stateful_check
from course_lib.optimizers import momentum_update as reference_momentum_update

_AVERAGING_FORM = ("this is the averaging form with (1 − β); the exercise asks for heavy-ball momentum, "
                   "v ← βv − η∇J(w) then w ← w + v")

MISTAKES = (
    Mistake("the step goes uphill: the velocity must subtract the gradient, v ← βv − η∇J(w), then w ← w + v",
            lambda w, v, g, lr, beta: (w + beta * v + lr * g, beta * v + lr * g)),
    Mistake("your velocity has the opposite sign convention: this exercise stores v ← βv − η∇J(w) and "
            "adds it, w ← w + v",
            lambda w, v, g, lr, beta: (w - beta * v - lr * g, beta * v + lr * g)),
    Mistake(_AVERAGING_FORM, lambda w, v, g, lr, beta: (w - lr * (beta * v + (1 - beta) * g),
                                                        beta * v + (1 - beta) * g)),
    Mistake(_AVERAGING_FORM, lambda w, v, g, lr, beta: (w + beta * v - (1 - beta) * g, beta * v - (1 - beta) * g)),
    Mistake(_AVERAGING_FORM, lambda w, v, g, lr, beta: (w + beta * v - (1 - beta) * lr * g,
                                                        beta * v - (1 - beta) * lr * g)),
    Mistake("the parameter moved with the old velocity: update the velocity first (v ← βv − η∇J(w)), "
            "then the parameter with the new one (w ← w + v)",
            lambda w, v, g, lr, beta: (w + v, beta * v - lr * g)),
    Mistake("the old velocity is not multiplied by β: v ← βv − η∇J(w)",
            lambda w, v, g, lr, beta: (w + v - lr * g, v - lr * g)),
    Mistake("the previous velocity is missing from the update (v ← βv − η∇J(w)), so this is plain "
            "gradient descent", lambda w, v, g, lr, beta: (w - lr * g, -lr * g)),
    Mistake("the gradient is not multiplied by the learning rate: v ← βv − η∇J(w)",
            lambda w, v, g, lr, beta: (w + beta * v - g, beta * v - g)),
)

MOMENTUM = StatefulExercise(
    name="momentum_update",
    signature="momentum_update(loss, params, grad_vel, lr=1e-3, beta=0.8)",
    state_argument="grad_vel",
    state_variable="vel",
    state_name="velocity",
    reference=reference_momentum_update,
    make_state=lambda param, generator: 0.1 * torch.randn(param.shape, generator=generator),
    cases=({"lr": 0.05, "beta": 0.9}, {"lr": 0.2, "beta": 0.6}, {"lr": 0.1, "beta": 0.75}, {}),
    mistakes=MISTAKES,
)


@self_check("momentum_update")
def check_momentum_update(momentum_update: object) -> str:
    """Check ``momentum_update(loss, params, grad_vel, lr, beta)``: v ← βv − η∇J(w); w ← w + v, in place."""
    return run_stateful_check(MOMENTUM, momentum_update)
