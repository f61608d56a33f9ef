"""FashionMNIST: where the files come from, statistics, the seeded split, and the minibatch iterators."""

import gzip
import socket
import threading
from pathlib import Path

import pytest
import torch

from course_lib import data as data_module
from course_lib.data import (
    FASHION_CLASSES,
    RAW_FILES,
    DatasetUnavailableError,
    InMemoryLoader,
    compute_normalization,
    load_fashion_mnist,
    prepare_fashion_mnist,
    read_idx,
    sample_minibatch,
    split_indices,
    torchvision_loaders,
)

TRAIN_IMAGES_BYTES = 16 + 60_000 * 28 * 28


def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("[Errno 101] Network is unreachable")

    monkeypatch.setattr(socket, "create_connection", refuse)


def no_debian_package(monkeypatch, tmp_path):
    monkeypatch.setattr(data_module, "DEBIAN_DIR", tmp_path / "not-installed")


def test_prepare_extracts_debian_files_without_network(tmp_path, monkeypatch):
    no_network(monkeypatch)
    root = prepare_fashion_mnist(tmp_path)
    raw = tmp_path / "FashionMNIST" / "raw"
    assert root == tmp_path.resolve()
    assert sorted(path.name for path in raw.iterdir()) == sorted(RAW_FILES)
    assert (raw / "train-images-idx3-ubyte").stat().st_size == TRAIN_IMAGES_BYTES


def fake_debian_package(monkeypatch, tmp_path) -> None:
    """A Debian package directory with all four ``*.gz`` files, whose bytes differ from any others here."""
    debian = tmp_path / "debian-package"
    debian.mkdir()
    for name in RAW_FILES:
        with gzip.open(debian / f"{name}.gz", "wb") as compressed:
            compressed.write(b"from the Debian package")
    monkeypatch.setattr(data_module, "DEBIAN_DIR", debian)


def test_prepare_uses_files_already_extracted_first(tmp_path, monkeypatch):
    no_network(monkeypatch)
    fake_debian_package(monkeypatch, tmp_path)
    raw = tmp_path / "data" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in RAW_FILES:
        (raw / name).write_bytes(b"already here")
    assert data_module._prepare(tmp_path / "data", timeout_s=1.0) == ((tmp_path / "data").resolve(), "already extracted")
    assert all((raw / name).read_bytes() == b"already here" for name in RAW_FILES)
    # The same Debian package is used when nothing is extracted yet, so it really was on offer above.
    assert data_module._prepare(tmp_path / "empty", timeout_s=1.0)[1].startswith("extracted from")
    assert (tmp_path / "empty" / "FashionMNIST" / "raw" / RAW_FILES[0]).read_bytes() == b"from the Debian package"


def test_prepare_falls_back_to_torchvision_download(tmp_path, monkeypatch, fashion_data):
    from torchvision.datasets import FashionMNIST

    extracted = prepare_fashion_mnist() / "FashionMNIST" / "raw"
    no_debian_package(monkeypatch, tmp_path)
    monkeypatch.setattr(data_module, "_probe_mirror", lambda url, timeout_s: None)
    downloads = []

    def fake_download(dataset):
        downloads.append(dataset.train)
        raw = Path(dataset.raw_folder)
        raw.mkdir(parents=True, exist_ok=True)
        for name in RAW_FILES:
            if not (raw / name).exists():
                (raw / name).symlink_to(extracted / name)

    monkeypatch.setattr(FashionMNIST, "download", fake_download)
    assert prepare_fashion_mnist(tmp_path / "data") == (tmp_path / "data").resolve()
    assert downloads == [True, False]
    assert sorted(path.name for path in (tmp_path / "data").iterdir()) == ["FashionMNIST"], "scratch folder left"


def test_nothing_available_gives_one_line_with_three_remedies(tmp_path, monkeypatch):
    no_network(monkeypatch)
    no_debian_package(monkeypatch, tmp_path)
    with pytest.raises(DatasetUnavailableError) as error:
        prepare_fashion_mnist(tmp_path / "data")
    message = str(error.value)
    assert "\n" not in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert "python -m course_lib.data --prepare" in message
    assert str(tmp_path / "data" / "FashionMNIST" / "raw") in message
    assert "Network is unreachable" in message


def test_a_hanging_network_still_fails_within_the_timeout(tmp_path, monkeypatch):
    no_debian_package(monkeypatch, tmp_path)
    release = threading.Event()

    def hang(*args, **kwargs):
        release.wait(30)
        raise OSError("the test released the hanging connection")

    monkeypatch.setattr(socket, "create_connection", hang)
    try:
        with pytest.raises(DatasetUnavailableError, match="Remedies") as error:
            prepare_fashion_mnist(tmp_path, timeout_s=0.2)
        assert not release.is_set(), "it returned while the connection was still hanging"
    finally:
        release.set()
    assert "no answer within the time limit" in str(error.value)
    assert "the test released" not in str(error.value), "it waited for the hanging connection to give up"


class TricklingServer:
    """An HTTP server on 127.0.0.1 that answers every request with headers, then one byte per 0.1 s for 10 s.

    Each byte arrives well within any per-operation socket timeout, so only a limit on the whole
    download stops a client; ``stop()`` ends every connection (the client sees an incomplete read).
    """

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)  # close() does not wake a blocked accept(), so poll
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/"
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self):
        while not self.stopping.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.settimeout(None)
            worker = threading.Thread(target=self._trickle, args=(connection,), daemon=True)
            self.threads.append(worker)
            worker.start()

    def _trickle(self, connection):
        with connection:
            try:
                if not connection.recv(65536):
                    return  # the reachability probe only connects
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 30000000\r\n\r\n")
                for _ in range(100):  # gives up after 10 s, so a client without a total deadline fails, not hangs
                    if self.stopping.wait(0.1):
                        return
                    connection.sendall(b"x")
            except OSError:
                return

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(5)
        self.listener.close()


def test_a_trickling_download_still_fails_within_the_timeout(tmp_path, monkeypatch):
    from torchvision.datasets import FashionMNIST

    no_debian_package(monkeypatch, tmp_path)
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    server = TricklingServer()
    monkeypatch.setattr(FashionMNIST, "mirrors", [server.url])
    try:
        with pytest.raises(DatasetUnavailableError, match="did not finish within the time limit of 1 s"):
            prepare_fashion_mnist(tmp_path / "data", timeout_s=1.0)
        abandoned = [thread for thread in threading.enumerate() if thread.name == data_module.DOWNLOAD_THREAD_NAME]
    finally:
        server.stop()
    for thread in abandoned:
        thread.join(10)
    assert abandoned and not any(thread.is_alive() for thread in abandoned)
    assert not (tmp_path / "data" / "FashionMNIST" / "raw").exists()
    assert list((tmp_path / "data").iterdir()) == [], "the abandoned download left its scratch folder"


def test_command_line_prepares_and_prints_one_line(tmp_path, monkeypatch, capsys):
    no_network(monkeypatch)
    assert data_module.main(["--prepare", "--root", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "FashionMNIST ready" in lines[0]
    no_debian_package(monkeypatch, tmp_path)
    assert data_module.main(["--prepare", "--root", str(tmp_path / "empty")]) == 1
    assert "Remedies" in capsys.readouterr().err


def test_normalization_statistics_of_the_training_images(fashion_data):
    assert fashion_data.mean == pytest.approx(0.2860, abs=5e-5)
    assert fashion_data.std == pytest.approx(0.3530, abs=5e-5)


def test_compute_normalization_agrees_for_uint8_and_float():
    images = torch.randint(0, 256, (50, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    floats = images.double() / 255
    mean, std = compute_normalization(images)
    assert mean == pytest.approx(floats.mean().item(), abs=1e-9)
    assert std == pytest.approx(floats.std(correction=0).item(), abs=1e-9)
    assert compute_normalization(floats.float()) == pytest.approx((mean, std), abs=1e-6)


def test_loaded_tensors_have_the_documented_shapes_and_scaling(fashion_data):
    assert fashion_data.train_x.shape == (50_000, 1, 28, 28)
    assert fashion_data.val_x.shape == (10_000, 1, 28, 28)
    assert fashion_data.test_x.shape == (10_000, 1, 28, 28)
    assert fashion_data.train_x.dtype == torch.float32 and fashion_data.train_y.dtype == torch.int64
    assert fashion_data.train_x.is_contiguous()
    assert fashion_data.classes == FASHION_CLASSES and len(FASHION_CLASSES) == 10
    assert abs(fashion_data.train_x.mean().item()) < 0.01
    assert fashion_data.train_x.std().item() == pytest.approx(1.0, abs=0.01)
    assert torch.bincount(fashion_data.test_y).tolist() == [1000] * 10


def test_the_idx_reader_gives_torchvisions_tensors():
    from torchvision.datasets import FashionMNIST

    root = prepare_fashion_mnist()
    raw = root / "FashionMNIST" / "raw"
    for train, prefix in ((True, "train"), (False, "t10k")):
        reference = FashionMNIST(root, train=train, download=False)
        assert torch.equal(read_idx(raw / f"{prefix}-images-idx3-ubyte"), reference.data)
        assert torch.equal(read_idx(raw / f"{prefix}-labels-idx1-ubyte").to(torch.int64), reference.targets)


@pytest.mark.parametrize("damage", ["truncated values", "truncated header", "not idx", "wrong type code"])
def test_a_damaged_raw_file_gives_one_line_naming_it(tmp_path, damage):
    good = bytes([0, 0, 0x08, 2]) + (3).to_bytes(4, "big") + (2).to_bytes(4, "big") + bytes(range(6))
    assert read_idx(_write(tmp_path / "good", good)).tolist() == [[0, 1], [2, 3], [4, 5]]
    damaged = {"truncated values": good[:-1], "truncated header": good[:9], "not idx": b"<html>rate limited</html>",
               "wrong type code": good[:2] + bytes([0x0D]) + good[3:]}[damage]
    path = _write(tmp_path / "train-images-idx3-ubyte", damaged)
    with pytest.raises(DatasetUnavailableError) as caught:
        read_idx(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message and "--prepare" in message


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def test_loading_is_cached_per_process(fashion_data, monkeypatch):
    monkeypatch.setattr(data_module, "_load_tensors", lambda *args: pytest.fail("loaded the files again"))
    assert load_fashion_mnist(device="cpu") is fashion_data


def test_split_is_deterministic_disjoint_and_complete():
    train_a, val_a = split_indices(60_000, 10_000, seed=42)
    train_b, val_b = split_indices(60_000, 10_000, seed=42)
    assert torch.equal(train_a, train_b) and torch.equal(val_a, val_b)
    assert len(train_a) == 50_000 and len(val_a) == 10_000
    assert torch.equal(torch.sort(torch.cat([train_a, val_a])).values, torch.arange(60_000))
    assert not torch.equal(split_indices(60_000, 10_000, seed=7)[1], val_a)
    with pytest.raises(ValueError, match="val_size"):
        split_indices(100, 100, seed=0)


def test_subset_keeps_the_first_examples(fashion_data):
    small = fashion_data.subset(n_train=100, n_val=20)
    assert len(small.train_x) == 100 and len(small.val_y) == 20 and len(small.test_y) == 10_000
    assert torch.equal(small.train_x, fashion_data.train_x[:100])
    assert small.mean == fashion_data.mean and small.device == fashion_data.device
    assert len(fashion_data.train_y) == 50_000


def test_in_memory_loader_visits_every_example_once_per_epoch():
    x = torch.arange(10, dtype=torch.float32).unsqueeze(1)
    y = torch.arange(10)
    loader = InMemoryLoader(x, y, batch_size=4, generator=torch.Generator().manual_seed(0))
    assert len(loader) == 3
    epochs = [[(xb, yb) for xb, yb in loader] for _ in range(2)]
    for batches in epochs:
        assert [len(yb) for _, yb in batches] == [4, 4, 2]
        assert all(torch.equal(xb.squeeze(1).long(), yb) for xb, yb in batches)
        assert sorted(torch.cat([yb for _, yb in batches]).tolist()) == list(range(10))
    first, second = (torch.cat([yb for _, yb in batches]) for batches in epochs)
    assert not torch.equal(first, second)


def test_in_memory_loader_order_and_drop_last():
    x, y = torch.randn(10, 3), torch.arange(10)
    ordered = list(InMemoryLoader(x, y, batch_size=4, shuffle=False, drop_last=True))
    assert len(ordered) == len(InMemoryLoader(x, y, batch_size=4, drop_last=True)) == 2
    assert torch.equal(torch.cat([yb for _, yb in ordered]), torch.arange(8))
    seeded = [torch.cat([yb for _, yb in InMemoryLoader(x, y, 3, generator=torch.Generator().manual_seed(5))])
              for _ in range(2)]
    assert torch.equal(*seeded)
    with pytest.raises(ValueError, match="same length"):
        InMemoryLoader(x, y[:5], batch_size=2)


def test_sample_minibatch_draws_paired_rows_with_replacement():
    x = torch.arange(20, dtype=torch.float32).reshape(10, 2)
    y = torch.arange(10)
    torch.manual_seed(0)
    inputs, targets = sample_minibatch(x, y, num_points=200)
    assert inputs.shape == (200, 2) and targets.shape == (200,)
    assert torch.equal(inputs[:, 0].long() // 2, targets)
    assert len(torch.unique(targets)) == 10
    torch.manual_seed(0)
    assert torch.equal(sample_minibatch(x, y, num_points=200)[1], targets)


def test_torchvision_loaders_give_the_same_normalized_split(fashion_data):
    train_loader, val_loader, test_loader = torchvision_loaders(batch_size=256)
    assert len(train_loader) == 196 and len(val_loader) == 40 and len(test_loader) == 40
    xb, yb = next(iter(val_loader))
    assert xb.shape == (256, 1, 28, 28)
    assert torch.equal(yb, fashion_data.val_y[:256])
    assert torch.allclose(xb, fashion_data.val_x[:256], atol=1e-5)
