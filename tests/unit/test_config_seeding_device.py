"""config, seeding and device: the three things every notebook's first cells rely on."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

from course_lib import config
from course_lib.device import get_device
from course_lib.seeding import seed_worker, set_seed


def test_default_dirs_live_under_the_repository_not_the_package(monkeypatch):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.delenv("COURSE_CHECKPOINT_DIR", raising=False)
    root = config.project_root()
    assert (root / "pyproject.toml").is_file()
    assert config.data_dir(create=False) == root / "data"
    assert config.checkpoint_dir(create=False) == root / "saved_models"
    assert config.PACKAGE_DIR not in config.data_dir(create=False).parents


def test_environment_variables_override_the_dirs(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("COURSE_CHECKPOINT_DIR", str(tmp_path / "c"))
    assert config.data_dir() == tmp_path / "d" and (tmp_path / "d").is_dir()
    assert config.checkpoint_dir() == tmp_path / "c" and (tmp_path / "c").is_dir()


def test_quick_mode_switch(monkeypatch):
    for value, expected in [("1", True), ("true", True), ("0", False), ("", False)]:
        monkeypatch.setenv("COURSE_QUICK", value)
        assert config.is_quick() is expected
        assert config.quick_or_full("q", "f") == ("q" if expected else "f")
    monkeypatch.delenv("COURSE_QUICK")
    assert config.is_quick() is False


def draw_everything(generator: torch.Generator):
    return (random.random(), float(np.random.rand()), float(torch.rand(1)),
            float(torch.rand(1, generator=generator)))


def test_set_seed_makes_every_generator_repeat():
    first = draw_everything(set_seed(7))
    second = draw_everything(set_seed(7))
    third = draw_everything(set_seed(8))
    assert first == second
    assert all(a != b for a, b in zip(first, third, strict=True))


def test_set_seed_sets_the_deterministic_flags_and_returns_a_generator(monkeypatch):
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    environment = dict(os.environ)
    generator = set_seed(3)
    assert dict(os.environ) == environment, "PYTHONHASHSEED is read at interpreter start; setting it later is inert"
    assert isinstance(generator, torch.Generator) and generator.initial_seed() == 3
    assert torch.backends.cudnn.deterministic is True
    assert torch.backends.cudnn.benchmark is False


def test_seed_worker_derives_numpy_and_random_seeds_from_torch():
    torch.manual_seed(123)
    seed_worker(0)
    a = (random.random(), np.random.rand())
    torch.manual_seed(123)
    seed_worker(0)
    assert (random.random(), np.random.rand()) == a


def test_get_device_prefers_cuda_then_mps_then_cpu(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert get_device() == torch.device("cpu")
    assert capsys.readouterr().out.count("\n") == 1
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert get_device(verbose=False) == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "Fake GPU")
    assert get_device(verbose=False) == torch.device("cuda")


def test_single_cpu_thread_restores_the_thread_count_even_after_an_error():
    from course_lib.device import single_cpu_thread

    before = torch.get_num_threads()
    try:
        with single_cpu_thread():
            assert torch.get_num_threads() == 1
            raise RuntimeError("inside the block")
    except RuntimeError:
        pass
    assert torch.get_num_threads() == before
