"""The course's interactive demos, one module each; every factory returns an ``ipywidgets.interactive``.

Importing this package is cheap: a demo's module is imported the first time its factory is used.
"""

from __future__ import annotations

import importlib

_DEMO_MODULES = {
    "init_explorer": "initialization",
    "momentum_demo": "momentum",
    "surface_demo": "surfaces",
    "overparameterization_demo": "overparameterization",
    "computation_cost_demo": "computation_cost",
    "minibatch_demo": "minibatch",
    "compare_optimizers_demo": "compare_optimizers",
    "weight_decay_demo": "weight_decay",
    "schedule_demo": "schedules",
    "adamw_demo": "decoupled_decay",
    "clipping_demo": "clipping",
    "normalization_demo": "normalization",
}

__all__ = sorted(_DEMO_MODULES)


def __getattr__(name: str):
    if name not in _DEMO_MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f".{_DEMO_MODULES[name]}", __name__)
    return getattr(module, name)
