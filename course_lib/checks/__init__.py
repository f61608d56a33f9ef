"""Self-checks for the exercises: ``check_x(answer)`` prints one sentence and returns True or False.

Each check runs the student's function or class on several seeded cases and successive calls,
compares it with the reference in course_lib, and names the mistake when it recognises one. It never
raises for a wrong answer, and it restores the global random state, so a check cell changes nothing
that later cells compute. Shared machinery: ``_runner`` (calling and printing), ``_stateful``
(updates that keep a state tensor per parameter).

``EXERCISES`` (exercise id → ``registry.Exercise``) is what the instructors' grader runs: one line per
exercise, with course_lib's reference answer, the points it is worth and the library objects it
re-implements (which the student's code may not call while it is checked: ``delegation``).
"""

from course_lib import data, init, optimizers
from course_lib.checks import delegation
from course_lib.checks.adam import check_adam
from course_lib.checks.adamw import check_adamw
from course_lib.checks.clipping import check_clip_grad_norm
from course_lib.checks.initialization import check_kaiming_init, check_xavier_init
from course_lib.checks.minibatch import check_sample_minibatch
from course_lib.checks.momentum import check_momentum_update
from course_lib.checks.registry import Exercise, registry
from course_lib.checks.rmsprop import check_rmsprop_update
from course_lib.checks.schedules import check_warmup_cosine_lr
from course_lib.checks.sgd import check_sgd_step
from course_lib.clipping import clip_grad_norm as reference_clip_grad_norm
from course_lib.schedules import warmup_cosine_lr as reference_warmup_cosine_lr

EXERCISES = registry(
    Exercise(check_sgd_step, reference=optimizers.sgd_step,
             reimplements=("torch.optim.SGD", "course_lib.optimizers.SGD")),
    Exercise(check_xavier_init, reference=init.init_xavier,
             reimplements=("torch.nn.init.xavier_normal_", "torch.nn.init.xavier_uniform_")),
    Exercise(check_kaiming_init, reference=init.init_kaiming,
             reimplements=("torch.nn.init.kaiming_normal_", "torch.nn.init.kaiming_uniform_")),
    Exercise(check_momentum_update, reference=optimizers.momentum_update,
             reimplements=("torch.optim.SGD", "course_lib.optimizers.SGDMomentum")),
    Exercise(check_rmsprop_update, reference=optimizers.rmsprop_update,
             reimplements=("torch.optim.RMSprop", "course_lib.optimizers.RMSprop")),
    Exercise(check_adam, reference=optimizers.Adam,
             reimplements=("torch.optim.Adam", "torch.optim.AdamW", "torch.optim.adam.adam")),
    Exercise(check_sample_minibatch, reference=data.sample_minibatch),
    Exercise(check_warmup_cosine_lr, reference=reference_warmup_cosine_lr,
             reimplements=("torch.optim.lr_scheduler.CosineAnnealingLR", "torch.optim.lr_scheduler.LinearLR")),
    Exercise(check_adamw, reference=optimizers.AdamW,
             reimplements=("torch.optim.AdamW", "torch.optim.adamw.adamw")),
    Exercise(check_clip_grad_norm, reference=reference_clip_grad_norm,
             reimplements=("torch.nn.utils.clip_grad_norm_", "torch.nn.utils.clip_grads_with_norm_")),
)

delegation.register(EXERCISES)

__all__ = sorted(exercise.check.__name__ for exercise in EXERCISES.values())  # one check per exercise
