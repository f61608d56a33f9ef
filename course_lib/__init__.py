"""course_lib: the helper library behind the course "Initialization & Optimization".

Notebooks import the pieces they need, one module per idea:

- ``config``       where data and checkpoints live, and quick mode (``COURSE_QUICK=1``)
- ``seeding``      ``set_seed`` for notebook cells; ``seeded`` / ``preserved_random_state`` for code that
                   must leave the global random state alone
- ``device``       ``get_device``: cuda, then mps, then cpu
- ``errors``       ``CourseInputError``, the one error for a setting a student can fix
- ``validation``   parsing a setting (a number in a range, a choice) or refusing it in one sentence
- ``data``         FashionMNIST as normalized in-memory tensors, minibatch iterators
- ``models``       the MLP used throughout the course
- ``init``         initialization schemes (constant, normal, equal variance, Xavier, Kaiming)
- ``optimizers``   SGD, momentum, RMSprop and Adam written from scratch
- ``training``     the one training step, the one divergence rule, training and evaluation loops
                   with cached results
- ``experiments``  each demo's computation, one module per topic (no UI imports)
- ``widgets``      each demo's picture and controls, one module per topic, on top of ``experiments``
- ``plotting``     figures shared by the notebooks: distribution grids, surfaces, training curves
- ``checks``       self-checks for every exercise, and ``checks.EXERCISES``, the registry the grader uses
- ``exercises``    ``student_or_reference``: go on with the student's code once it passes
- ``carry_over``   exercises a later notebook builds on (saved when they pass, checked again on load)
- ``challenge``    the bonus challenge's benchmark in notebook 04
- ``grade``        ``course-grade``, the instructors' grading command (its parts live in ``grading/``)
"""

__version__ = "0.1.0"
