"""The course's stored reference runs: ``train_model`` results that do not depend on the student's code,
shipped with the course so that a notebook loads them in milliseconds instead of training them again.

An entry is keyed by the hash of ``course_lib.training.training_fingerprint`` (settings, initial weights,
the code of the optimizer, the model and the training loop, the data split), the same key as the local
cache, so any change to any of them misses the store and trains. Layout of ``result_store_dir()``
(``course_lib/results/`` unless ``$COURSE_RESULT_STORE`` points elsewhere):

- ``<hash>.json``: ``{"name", "fingerprint", "result": the TrainResult's fields, "trained": {"date",
  "machine", "torch", "python", "device"}, "weights": "<hash>.weights.xz" or null}``;
- ``<hash>.weights.xz`` (only for runs whose trained model a later cell uses): the best epoch's weights,
  lossless. Each float tensor is stored as the bitwise XOR of its bits with those of the initial weights
  (which the fingerprint pins, so the loading model holds exactly them): a weight that moved little keeps
  its sign, exponent and leading mantissa bits, whose XOR is zero. The bytes are split into planes (all
  first bytes, then all second bytes, …) and compressed with LZMA.

Entries are found on every machine and device: the key holds nothing machine-specific. The stored runs
were trained on a CPU; a run on a GPU would differ from them only in float rounding (the last digits of
the history), so the store serves GPU sessions too (``COURSE_RETRAIN=1`` trains on the GPU instead).

Functions: ``retrain_requested`` (``$COURSE_RETRAIN``), ``load_stored_run`` (None when the store has no
entry; ``StoredRunError`` when it has an unusable one), ``save_stored_run`` (used by ``tools.results``),
``encode_weights`` / ``decode_weights``, ``machine_description``.
"""

from __future__ import annotations

import datetime
import json
import lzma
import os
import platform
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from course_lib import config

RETRAIN_VARIABLE = "COURSE_RETRAIN"
# The integer type with the bits of each float type: XOR works on those.
_BITS = {torch.float64: torch.int64, torch.float32: torch.int32, torch.float16: torch.int16,
         torch.bfloat16: torch.int16}
_DTYPES = {str(dtype).removeprefix("torch."): dtype for dtype in
           (*_BITS, torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8, torch.bool)}


class StoredRunError(Exception):
    """A stored entry exists but cannot be used (unreadable, or made for another fingerprint or model)."""


@dataclass
class StoredRun:
    """An entry of the store: ``result`` (TrainResult's fields), ``state`` (the best weights, or None for a
    history-only entry), ``trained`` (when and where it was trained)."""

    result: dict
    state: dict | None
    trained: dict


def retrain_requested() -> bool:
    """True when ``$COURSE_RETRAIN`` is 1/true/yes/on: train every run instead of loading the store."""
    return os.environ.get(RETRAIN_VARIABLE, "").strip().lower() in {"1", "true", "yes", "on"}


def entry_path(fingerprint_hash: str, store_dir: Path | None = None) -> Path:
    """``<store>/<hash>.json``."""
    return Path(store_dir or config.result_store_dir()) / f"{fingerprint_hash}.json"


def machine_description(device: str = "cpu") -> str:
    """E.g. "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz, 2 cores, torch 2.4.1, cpu"."""
    processor = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                processor = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{processor}, {os.cpu_count()} cores, torch {torch.__version__}, {device}"


def _bits(tensor: Tensor) -> np.ndarray:
    """The tensor's raw values as a flat NumPy array (floats as their integer bit patterns)."""
    tensor = tensor.detach().cpu().contiguous().reshape(-1)
    return (tensor.view(_BITS[tensor.dtype]) if tensor.dtype in _BITS else tensor).numpy()


def encode_weights(state: dict, initial: dict) -> bytes:
    """A state_dict as compressed bytes, each float tensor XOR-ed with ``initial``'s tensor of the same key,
    shape and dtype (see the module's docstring); ``decode_weights(encode_weights(s, i), i)`` equals ``s``."""
    header, chunks = [], []
    for key, tensor in state.items():
        reference = initial.get(key)
        xor = (tensor.dtype in _BITS and isinstance(reference, Tensor) and reference.shape == tensor.shape
               and reference.dtype == tensor.dtype)
        raw = _bits(tensor) ^ _bits(reference) if xor else _bits(tensor)
        chunks.append(raw.view(np.uint8).reshape(-1, raw.itemsize).T.tobytes())
        header.append({"key": key, "dtype": str(tensor.dtype).removeprefix("torch."), "shape": list(tensor.shape),
                       "xor": bool(xor)})
    text = json.dumps(header).encode()
    return lzma.compress(struct.pack("<Q", len(text)) + text + b"".join(chunks), preset=9)


def decode_weights(blob: bytes, initial: dict) -> dict:
    """The state_dict that ``encode_weights`` wrote (raises on damaged bytes or a missing initial tensor)."""
    payload = lzma.decompress(blob)
    (length,) = struct.unpack("<Q", payload[:8])
    header, offset, state = json.loads(payload[8 : 8 + length]), 8 + length, {}
    for item in header:
        dtype = _DTYPES[item["dtype"]]
        carrier = _BITS.get(dtype, dtype)
        itemsize = torch.empty((), dtype=carrier).element_size()
        count = int(np.prod(item["shape"], dtype=np.int64))
        planes = np.frombuffer(payload, np.uint8, count * itemsize, offset).reshape(itemsize, count)
        offset += count * itemsize
        raw = torch.from_numpy(planes.T.copy().reshape(-1).view(_numpy_type(carrier)))
        if item["xor"]:
            raw = raw ^ initial[item["key"]].detach().cpu().contiguous().reshape(-1).view(carrier)
        state[item["key"]] = raw.view(dtype).reshape(item["shape"]).clone()
    if offset != len(payload):
        raise ValueError("the weights file is longer than its header says")
    return state


def _numpy_type(dtype: torch.dtype):
    return torch.empty(0, dtype=dtype).numpy().dtype


def load_stored_run(fingerprint: dict, initial_state: dict, store_dir: Path | None = None) -> StoredRun | None:
    """The stored run with this fingerprint, or None when the store has none; ``StoredRunError`` when the entry
    cannot be used. ``initial_state``: the model's weights before training (the XOR base of the weights)."""
    path = entry_path(fingerprint["hash"], store_dir)
    if not path.is_file():
        return None
    try:
        saved = json.loads(path.read_text())
        if saved["fingerprint"].get("hash") != fingerprint["hash"]:
            raise StoredRunError("its fingerprint is another run's")
        state = None
        if saved.get("weights"):
            state = decode_weights((path.parent / saved["weights"]).read_bytes(), initial_state)
        return StoredRun(saved["result"], state, saved["trained"])
    except StoredRunError:
        raise
    except Exception as error:
        raise StoredRunError(f"{type(error).__name__}: {' '.join(str(error).split())[:100]}") from error


def save_stored_run(name: str, fingerprint: dict, result: dict, state: dict | None, initial_state: dict,
                    device: str, store_dir: Path | None = None) -> list[Path]:
    """Write ``<hash>.json`` (and ``<hash>.weights.xz`` when ``state`` is given); returns the files written."""
    path = entry_path(fingerprint["hash"], store_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = [path]
    weights_name = None
    if state is not None:
        weights_name = f"{fingerprint['hash']}.weights.xz"
        (path.parent / weights_name).write_bytes(encode_weights(state, initial_state))
        written.append(path.parent / weights_name)
    trained = {"date": datetime.date.today().isoformat(), "machine": machine_description(device),
               "torch": torch.__version__, "python": platform.python_version(), "device": device}
    entry = {"name": name, "fingerprint": fingerprint, "result": result, "trained": trained, "weights": weights_name}
    path.write_text(json.dumps(entry, indent=1) + "\n")
    return written
