"""Self-checks for the exercises: ``check_x(answer)`` prints one sentence and returns True or False.

Each check runs the student's function or class on several seeded cases and successive calls,
compares it with the reference in course_lib, and names the mistake when it recognises one. It never
raises for a wrong answer, and it restores the global random state, so a check cell changes nothing
that later cells compute. Shared machinery: ``_runner`` (calling and printing), ``_stateful``
(updates that keep a state tensor per parameter).
"""

from course_lib.checks.adam import check_adam
from course_lib.checks.adamw import check_adamw
from course_lib.checks.clipping import check_clip_grad_norm
from course_lib.checks.initialization import check_kaiming_init, check_xavier_init
from course_lib.checks.minibatch import check_sample_minibatch
from course_lib.checks.momentum import check_momentum_update
from course_lib.checks.rmsprop import check_rmsprop_update
from course_lib.checks.schedules import check_warmup_cosine_lr
from course_lib.checks.sgd import check_sgd_step

__all__ = [
    "check_adam",
    "check_adamw",
    "check_clip_grad_norm",
    "check_kaiming_init",
    "check_momentum_update",
    "check_rmsprop_update",
    "check_sample_minibatch",
    "check_sgd_step",
    "check_warmup_cosine_lr",
    "check_xavier_init",
]
