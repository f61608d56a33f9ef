"""FashionMNIST as normalized tensors held in memory, and fast minibatch iterators over them.

Pipeline, one function per step:

1. ``prepare_fashion_mnist``: make sure the four raw files exist under ``ROOT/FashionMNIST/raw/``,
   trying in order: files already there → Debian's ``dataset-fashion-mnist`` package (gunzip) →
   torchvision's download → ``DatasetUnavailableError`` naming the three remedies (the whole attempt
   within ``timeout_s``).
2. ``compute_normalization``: mean and std of the training pixels (0.2860 and 0.3530 on [0, 1]).
3. ``load_fashion_mnist``: the four raw IDX files, read directly by ``read_idx`` (torchvision is needed
   only for the download and for ``torchvision_loaders``), as a seeded 50k/10k train/validation split
   of the 60k training images plus the 10k test images, x = (pixels/255 − mean)/std: (N, 1, 28, 28)
   float32 and y: (N,) int64, on the device, cached per process.
4. ``InMemoryLoader``: shuffled minibatches by indexing those tensors (no per-sample Python work).

``torchvision_loaders`` builds the classic per-sample PIL → ToTensor → Normalize DataLoader path on
the same split, for comparison; ``sample_minibatch`` draws IID minibatches (the exercise reference).

Command line: ``python -m course_lib.data --prepare [--root DIR]``.
"""

from __future__ import annotations

import argparse
import gzip
import math
import os
import shutil
import socket
import struct
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlparse

import torch
from torch import Tensor

from course_lib import config
from course_lib.device import get_device
from course_lib.seeding import seed_worker

FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
RAW_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
NUM_TRAIN_IMAGES = 60_000
DOWNLOAD_THREAD_NAME = "fashion-mnist-download"


class DatasetUnavailableError(RuntimeError):
    """FashionMNIST could not be found, extracted or downloaded; the message says how to fix it."""


def _resolve_root(root: str | os.PathLike | None) -> Path:
    return Path(root).expanduser().resolve() if root is not None else config.data_dir()


def _raw_files_present(raw: Path) -> bool:
    return all((raw / name).is_file() and (raw / name).stat().st_size > 0 for name in RAW_FILES)


def _extract_debian_files(raw: Path) -> bool:
    """Gunzip Debian's four ``*.gz`` files into ``raw``; False when the package is not installed."""
    sources = [DEBIAN_DIR / f"{name}.gz" for name in RAW_FILES]
    if not all(source.is_file() for source in sources):
        return False
    raw.mkdir(parents=True, exist_ok=True)
    for source, name in zip(sources, RAW_FILES, strict=True):
        partial = raw / f"{name}.partial"
        with gzip.open(source, "rb") as compressed, open(partial, "wb") as extracted:
            shutil.copyfileobj(compressed, extracted, length=1 << 20)
        partial.replace(raw / name)
    return True


def _probe_mirror(url: str, timeout_s: float) -> str | None:
    """Open a TCP connection to the download mirror; None when reachable, else the reason.

    Runs in a daemon thread so that even a hanging DNS lookup cannot hold us past ``timeout_s``.
    """
    parsed = urlparse(url)
    address = (parsed.hostname, parsed.port or (443 if parsed.scheme == "https" else 80))
    outcome: dict[str, str | None] = {"reason": "no answer within the time limit"}

    def connect() -> None:
        try:
            socket.create_connection(address, timeout=timeout_s).close()
            outcome["reason"] = None
        except OSError as error:
            outcome["reason"] = f"{error.__class__.__name__}: {error}"

    worker = threading.Thread(target=connect, daemon=True)
    worker.start()
    worker.join(timeout_s)
    return outcome["reason"]


def _download_with_torchvision(root: Path, timeout_s: float) -> str | None:
    """Let torchvision download and extract the files; None on success, else the reason.

    The whole attempt (probe, both splits, extraction) keeps to ``timeout_s``: torchvision works in a
    daemon thread that is abandoned at the deadline, so a server that trickles bytes cannot hold us.
    The thread downloads into a scratch folder under ``root`` and moves the four extracted files into
    ``raw`` only if it finishes in time; an abandoned thread just removes its scratch folder when its
    connection ends (each socket operation is limited to ``timeout_s`` as well).
    """
    from torchvision.datasets import FashionMNIST

    deadline = time.monotonic() + timeout_s
    unreachable = _probe_mirror(FashionMNIST.mirrors[0], timeout_s)
    if unreachable is not None:
        return unreachable
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return f"no download within the time limit of {timeout_s:g} s"
    raw = root / "FashionMNIST" / "raw"
    root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".fashion-mnist-download-", dir=root))
    lock, abandoned = threading.Lock(), threading.Event()
    outcome: dict[str, str | None] = {}

    def download() -> None:
        try:
            for train in (True, False):
                FashionMNIST(scratch, train=train, download=True)
            with lock:
                if not abandoned.is_set():
                    raw.mkdir(parents=True, exist_ok=True)
                    for name in RAW_FILES:
                        (scratch / "FashionMNIST" / "raw" / name).replace(raw / name)
                    outcome["reason"] = None
        except Exception as error:  # torchvision raises RuntimeError, URLError, OSError, IncompleteRead, ...
            with lock:
                outcome["reason"] = f"{error.__class__.__name__}: {' '.join(str(error).split())}"
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    previous_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(remaining)
    worker = threading.Thread(target=download, name=DOWNLOAD_THREAD_NAME, daemon=True)
    try:
        worker.start()
        worker.join(remaining)
    finally:
        socket.setdefaulttimeout(previous_timeout)
    with lock:
        if "reason" in outcome:
            return outcome["reason"]
        abandoned.set()
    return f"the download did not finish within the time limit of {timeout_s:g} s"


def _unavailable_message(raw: Path, reason: str) -> str:
    return (
        f"FashionMNIST is not available (no files in {raw}, no Debian package in {DEBIAN_DIR}, "
        f"download failed: {reason}). Remedies: (1) install the Debian package: "
        f"sudo apt-get install dataset-fashion-mnist; (2) connect to the internet and run "
        f"python -m course_lib.data --prepare; (3) copy the four files {', '.join(RAW_FILES)} into {raw}."
    )


def prepare_fashion_mnist(root: str | os.PathLike | None = None, timeout_s: float = 10.0) -> Path:
    """Make sure the raw FashionMNIST files exist under ``root/FashionMNIST/raw`` and return ``root``.

    ``root`` defaults to ``config.data_dir()``; pass the returned path as torchvision's ``root``.
    Order: extracted files already there → Debian's gzip files → torchvision download →
    ``DatasetUnavailableError`` (one line, three remedies) after at most about ``timeout_s`` seconds.
    """
    return _prepare(root, timeout_s)[0]


def _prepare(root: str | os.PathLike | None, timeout_s: float) -> tuple[Path, str]:
    """``prepare_fashion_mnist`` that also says where the files came from."""
    root = _resolve_root(root)
    raw = root / "FashionMNIST" / "raw"
    if _raw_files_present(raw):
        return root, "already extracted"
    if _extract_debian_files(raw):
        return root, f"extracted from {DEBIAN_DIR}"
    reason = _download_with_torchvision(root, timeout_s)
    if reason is None and _raw_files_present(raw):
        return root, "downloaded by torchvision"
    raise DatasetUnavailableError(_unavailable_message(raw, reason or "files missing after download"))


def compute_normalization(images: Tensor) -> tuple[float, float]:
    """Mean and std over every pixel of ``images`` (uint8 in [0, 255] or float in [0, 1], any shape).

    μ = (1/P) Σ x_p,  σ = √((1/P) Σ (x_p − μ)²) with x_p = pixel/255 for uint8 input. For uint8
    the sums come exactly from the 256-bin histogram of pixel values (fast: no float copy).
    """
    images = images.detach()
    if images.numel() == 0:
        raise ValueError("compute_normalization needs at least one pixel.")
    if images.dtype == torch.uint8:
        counts = torch.bincount(images.flatten().cpu(), minlength=256).to(torch.float64)
        values = torch.arange(256, dtype=torch.float64) / 255.0
        mean = (counts * values).sum() / counts.sum()
        std = ((counts * (values - mean).pow(2)).sum() / counts.sum()).sqrt()
    else:
        variance, mean = torch.var_mean(images.to(torch.float32), correction=0)
        std = variance.sqrt()
    return float(mean), float(std)


@dataclass
class FashionMNISTTensors:
    """The three splits as normalized tensors on one device.

    x: (N, 1, 28, 28) float32, (pixel/255 − mean)/std; y: (N,) int64 class indices into ``classes``.
    """

    train_x: Tensor = field(repr=False)
    train_y: Tensor = field(repr=False)
    val_x: Tensor = field(repr=False)
    val_y: Tensor = field(repr=False)
    test_x: Tensor = field(repr=False)
    test_y: Tensor = field(repr=False)
    mean: float
    std: float
    classes: tuple[str, ...] = FASHION_CLASSES
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    def __repr__(self) -> str:
        sizes = f"train={len(self.train_y)}, val={len(self.val_y)}, test={len(self.test_y)}"
        return f"FashionMNISTTensors({sizes}, mean={self.mean:.4f}, std={self.std:.4f}, device={self.device})"

    def subset(self, n_train: int | None = None, n_val: int | None = None, n_test: int | None = None):
        """A new object with the first ``n_*`` examples of each split (None keeps the split whole).

        The split is already shuffled by the seed, so the first n are a random sample; the tensors
        are views of the originals, no copy.
        """
        return replace(
            self,
            train_x=self.train_x[:n_train],
            train_y=self.train_y[:n_train],
            val_x=self.val_x[:n_val],
            val_y=self.val_y[:n_val],
            test_x=self.test_x[:n_test],
            test_y=self.test_y[:n_test],
        )


def split_indices(num_examples: int, val_size: int, seed: int) -> tuple[Tensor, Tensor]:
    """A seeded permutation of range(num_examples) cut into (train_indices, val_indices)."""
    if not 0 <= val_size < num_examples:
        raise ValueError(f"val_size must be between 0 and {num_examples - 1}, not {val_size}.")
    generator = torch.Generator().manual_seed(int(seed))
    order = torch.randperm(num_examples, generator=generator)
    return order[val_size:], order[:val_size]


def _torchvision_split(root: Path, train: bool, transform=None):
    from torchvision.datasets import FashionMNIST

    return FashionMNIST(root, train=train, transform=transform, download=False)


IDX_UNSIGNED_BYTE = 0x08


def read_idx(path: Path) -> Tensor:
    """An IDX file of unsigned bytes (the MNIST and FashionMNIST format) as a uint8 tensor of its shape.

    Layout: two zero bytes, the type code 0x08, the number of dimensions d, then d big-endian int32
    sizes, then the values in row-major order: (60000, 28, 28) for the training images, (60000,) for
    their labels. Reading the four files directly (about 0.1 s) spares every kernel the import of
    torchvision (over a second). A file that does not follow the layout raises
    ``DatasetUnavailableError`` with one line naming it.
    """
    data = path.read_bytes()
    remedy = f"delete it and run python -m course_lib.data --prepare (or copy a good {path.name} there)"
    if len(data) < 4 or data[0] or data[1] or data[2] != IDX_UNSIGNED_BYTE:
        raise DatasetUnavailableError(f"{path} is not an IDX file of bytes: {remedy}.")
    header = 4 + 4 * data[3]
    if len(data) < header:
        raise DatasetUnavailableError(f"{path} is truncated (its header is incomplete): {remedy}.")
    shape = struct.unpack(f">{data[3]}i", data[4:header])
    if len(data) - header != math.prod(shape):
        raise DatasetUnavailableError(f"{path} holds {len(data) - header:,} values where its header announces "
                                      f"{math.prod(shape):,} (shape {shape}): {remedy}.")
    return torch.frombuffer(bytearray(data[header:]), dtype=torch.uint8).reshape(shape)


def _read_split(root: Path, prefix: str) -> tuple[Tensor, Tensor]:
    """(images (N, 28, 28) uint8, labels (N,) int64) of the ``train`` or ``t10k`` raw files."""
    raw = root / "FashionMNIST" / "raw"
    images, labels = read_idx(raw / f"{prefix}-images-idx3-ubyte"), read_idx(raw / f"{prefix}-labels-idx1-ubyte")
    if images.dim() != 3 or labels.dim() != 1 or len(images) != len(labels):
        raise DatasetUnavailableError(f"{raw}: the {prefix} images {tuple(images.shape)} and labels "
                                      f"{tuple(labels.shape)} do not match; run python -m course_lib.data --prepare.")
    return images, labels.to(torch.int64)


def _normalize(images_uint8: Tensor, mean: float, std: float, device: torch.device) -> Tensor:
    """(pixel/255 − mean)/std as one multiply-add: (N, 28, 28) uint8 → (N, 1, 28, 28) float32."""
    images = images_uint8.to(device=device, dtype=torch.float32).unsqueeze(1)
    return images.mul_(1.0 / (255.0 * std)).sub_(mean / std)


_CACHE: dict[tuple[str, str, int, int], FashionMNISTTensors] = {}


def load_fashion_mnist(
    device: torch.device | str | None = None,
    root: str | os.PathLike | None = None,
    val_size: int = 10_000,
    seed: int = 42,
) -> FashionMNISTTensors:
    """FashionMNIST as normalized in-memory tensors: train (60k − val_size), val (val_size), test (10k).

    The split is ``split_indices(60000, val_size, seed)``; mean and std come from the training
    images (all 60k, the usual 0.2860 / 0.3530). Cached per process by (root, device, val_size, seed):
    treat the returned tensors as read-only.
    """
    device = torch.device(device) if device is not None else get_device(verbose=False)
    root = prepare_fashion_mnist(root)
    key = (str(root), str(device), int(val_size), int(seed))
    if key not in _CACHE:
        _CACHE[key] = _load_tensors(root, device, int(val_size), int(seed))
    return _CACHE[key]


def _load_tensors(root: Path, device: torch.device, val_size: int, seed: int) -> FashionMNISTTensors:
    train_images, labels = _read_split(root, "train")
    test_images, test_labels = _read_split(root, "t10k")
    mean, std = compute_normalization(train_images)
    train_indices, val_indices = split_indices(len(train_images), val_size, seed)
    return FashionMNISTTensors(
        train_x=_normalize(train_images[train_indices], mean, std, device),
        train_y=labels[train_indices].to(device),
        val_x=_normalize(train_images[val_indices], mean, std, device),
        val_y=labels[val_indices].to(device),
        test_x=_normalize(test_images, mean, std, device),
        test_y=test_labels.to(device),
        mean=mean,
        std=std,
        device=device,
    )


class InMemoryLoader:
    """Minibatches ``(xb, yb)`` of tensors already in memory: xb: (B, ...), yb: (B,).

    Each ``iter()`` draws a fresh ``torch.randperm`` (from ``generator`` when given) when
    ``shuffle``; otherwise batches come in order as views. ``len()`` is the number of batches:
    ⌈N/B⌉, or ⌊N/B⌋ with ``drop_last``.
    """

    def __init__(
        self,
        x: Tensor,
        y: Tensor,
        batch_size: int,
        shuffle: bool = True,
        drop_last: bool = False,
        generator: torch.Generator | None = None,
    ):
        if len(x) != len(y):
            raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}.")
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be a positive integer, not {batch_size}.")
        self.x, self.y = x, y
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = generator

    def __len__(self) -> int:
        full, rest = divmod(len(self.y), self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1

    def __iter__(self):
        n, size = len(self.y), self.batch_size
        order = None
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator).to(self.x.device, non_blocking=True)
        for start in range(0, len(self) * size, size):
            stop = min(start + size, n)
            if order is None:
                yield self.x[start:stop], self.y[start:stop]
            else:
                batch = order[start:stop]
                yield self.x[batch], self.y[batch]


def sample_minibatch(input_data: Tensor, target_data: Tensor, num_points: int = 100) -> tuple[Tensor, Tensor]:
    """IID minibatch: i_1..i_B ~ Uniform{0..N−1} with replacement; returns (input_data[i], target_data[i]).

    input_data: (N, ...), target_data: (N, ...); the rows stay paired.
    """
    indices = torch.randint(0, len(input_data), (int(num_points),), device=input_data.device)
    return input_data[indices], target_data[indices]


def torchvision_loaders(
    batch_size: int = 256, root: str | os.PathLike | None = None, num_workers: int = 0, seed: int = 42
):
    """The classic path: PIL image → ToTensor → Normalize per sample, batched by DataLoader.

    Same 50k/10k split and statistics as ``load_fashion_mnist``; returns (train, val, test)
    loaders, the training one shuffled by a generator seeded with ``seed``.
    """
    from torch.utils.data import DataLoader, Subset
    from torchvision import transforms

    root = prepare_fashion_mnist(root)
    train_raw = _torchvision_split(root, train=True)
    mean, std = compute_normalization(train_raw.data)
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((mean,), (std,))])
    train_full = _torchvision_split(root, train=True, transform=transform)
    test_set = _torchvision_split(root, train=False, transform=transform)
    train_indices, val_indices = split_indices(len(train_full), 10_000, seed)
    generator = torch.Generator().manual_seed(int(seed))
    common = {"batch_size": batch_size, "num_workers": num_workers, "worker_init_fn": seed_worker}
    return (
        DataLoader(Subset(train_full, train_indices.tolist()), shuffle=True, generator=generator, **common),
        DataLoader(Subset(train_full, val_indices.tolist()), shuffle=False, **common),
        DataLoader(test_set, shuffle=False, **common),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Prepare FashionMNIST for the course (offline first).")
    parser.add_argument("--prepare", action="store_true", help="find, extract or download the raw files")
    parser.add_argument("--root", default=None, help="data directory (default: $COURSE_DATA_DIR or <repo>/data)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the network")
    args = parser.parse_args(argv)
    if not args.prepare:
        parser.print_usage()
        return 2
    try:
        root, source = _prepare(args.root, args.timeout)
    except DatasetUnavailableError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"FashionMNIST ready in {root / 'FashionMNIST' / 'raw'} ({source}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
