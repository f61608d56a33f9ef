"""course_lib: the helper library behind the course "Initialization & Optimization".

Notebooks import the pieces they need, one module per idea:

- ``config``      where data and checkpoints live, and quick mode (``COURSE_QUICK=1``)
- ``seeding``     ``set_seed`` for reproducible runs
- ``device``      ``get_device``: cuda, then mps, then cpu
- ``data``        FashionMNIST as normalized in-memory tensors, minibatch iterators
- ``models``      the MLP used throughout the course
- ``init``        initialization schemes (constant, normal, equal variance, Xavier, Kaiming)
- ``optimizers``  SGD, momentum, RMSprop and Adam written from scratch
- ``surfaces``    2-D loss surfaces and a trajectory runner
- ``training``    training and evaluation loops with cached results
- ``plotting``    distribution grids, surfaces, trajectories, training curves
- ``checks``      self-checks for every exercise, and ``checks.EXERCISES``, the registry the grader uses
- ``widgets``     the interactive demos
- ``grade``       ``course-grade``, the instructors' grading command (its parts live in ``grading/``)
"""

__version__ = "0.1.0"
