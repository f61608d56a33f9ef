"""Shared fixtures: FashionMNIST tensors loaded once per test session, and throw-away directories.

- ``fashion_data``: the full FashionMNIST tensors on the CPU (50k/10k/10k; loads in about a second).
- ``small_fashion``: a 2000/500/500 subset of it, for tests that train.
- ``tmp_data_dir`` / ``tmp_checkpoint_dir``: empty directories that ``course_lib.config`` points to
  for the duration of one test (through ``COURSE_DATA_DIR`` / ``COURSE_CHECKPOINT_DIR``).
- ``public_site`` / ``instructor_site``: the course website's two editions, built once per session in
  quick mode (``tests/site_support.py``), for ``tests/test_site.py`` and the browser test.
"""

from __future__ import annotations

import pytest
import torch

from course_lib.data import FashionMNISTTensors, load_fashion_mnist


def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` (make test): the course's scheduler (tests/xdist_schedule.py); otherwise xdist's."""
    if config.getoption("dist", None) != "loadfile":
        return None
    from tests.xdist_schedule import CourseScheduling

    return CourseScheduling(config, log)


# The notebooks under fixtures/ are inputs of the generator, browser and benchmark tests (some broken on
# purpose); a run that collects notebooks with nbval must not execute them as course notebooks.
collect_ignore_glob = ["fixtures/*"]


@pytest.fixture(scope="session")
def fashion_data() -> FashionMNISTTensors:
    return load_fashion_mnist(device=torch.device("cpu"))


@pytest.fixture(scope="session")
def small_fashion(fashion_data) -> FashionMNISTTensors:
    return fashion_data.subset(n_train=2000, n_val=500, n_test=500)


@pytest.fixture
def tmp_data_dir(tmp_path, monkeypatch):
    path = tmp_path / "data"
    path.mkdir()
    monkeypatch.setenv("COURSE_DATA_DIR", str(path))
    return path


@pytest.fixture
def tmp_checkpoint_dir(tmp_path, monkeypatch):
    path = tmp_path / "saved_models"
    path.mkdir()
    monkeypatch.setenv("COURSE_CHECKPOINT_DIR", str(path))
    return path


@pytest.fixture(scope="session")
def public_site():
    """The public edition, built once per session in quick mode by the same pipeline as make site."""
    from tests.site_support import build_edition

    return build_edition("public", "--jobs", "2")


@pytest.fixture(scope="session")
def instructor_site():
    """The instructor edition from the solutions' stored outputs (nothing executed)."""
    from tests.site_support import build_edition

    return build_edition("instructor", "--no-execute")
