"""Where the course keeps its files, and whether it runs in quick mode.

Environment variables (all optional):

- ``COURSE_DATA_DIR``        datasets (default: ``<repo>/data``)
- ``COURSE_CHECKPOINT_DIR``  saved models and cached results (default: ``<repo>/saved_models``)
- ``COURSE_RESULT_STORE``    the course's stored reference runs (default: ``course_lib/results``, shipped)
- ``COURSE_RETRAIN=1``       train every run instead of loading the stored ones (``course_lib.result_store``)
- ``COURSE_QUICK=1``         quick mode: smaller subsets and fewer epochs, same code path (tests set it)

The defaults sit under the repository root when course_lib is installed in editable mode from the
repository, and under the current working directory otherwise; never inside the package itself (except the
read-only store of reference runs, which ships with the package).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path:
    """The repository root when running from a checkout, else the current working directory."""
    candidate = PACKAGE_DIR.parent
    if (candidate / "pyproject.toml").is_file() and (candidate / "course_lib").is_dir():
        return candidate
    return Path.cwd()


def _dir_from_env(variable: str, default_name: str) -> Path:
    value = os.environ.get(variable, "").strip()
    return Path(value).expanduser().resolve() if value else project_root() / default_name


def data_dir(create: bool = True) -> Path:
    """Directory holding datasets (``$COURSE_DATA_DIR`` or ``<repo>/data``)."""
    path = _dir_from_env("COURSE_DATA_DIR", "data")
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def checkpoint_dir(create: bool = True) -> Path:
    """Directory holding checkpoints and cached results (``$COURSE_CHECKPOINT_DIR`` or ``<repo>/saved_models``)."""
    path = _dir_from_env("COURSE_CHECKPOINT_DIR", "saved_models")
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def result_store_dir() -> Path:
    """Directory of the course's stored reference runs (``$COURSE_RESULT_STORE`` or ``course_lib/results``,
    which ships inside the package)."""
    value = os.environ.get("COURSE_RESULT_STORE", "").strip()
    return Path(value).expanduser().resolve() if value else PACKAGE_DIR / "results"


def is_quick() -> bool:
    """True when ``COURSE_QUICK`` is set to 1/true/yes (tests and CI run this way)."""
    return os.environ.get("COURSE_QUICK", "").strip().lower() in {"1", "true", "yes", "on"}


def quick_or_full(quick, full):
    """Pick the quick-mode value or the full-mode value, e.g. ``epochs = quick_or_full(2, 40)``."""
    return quick if is_quick() else full
