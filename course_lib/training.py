"""Training and evaluation loops, with results cached on disk so notebooks do not retrain needlessly.

``train_model`` pipeline, one function per step:

1. ``training_fingerprint``: a hash of everything that determines the result (model architecture and
   initial weights, optimizer with its code, param groups and hyper-parameters, epochs, batch size,
   seed, data split);
2. ``load_cached_result``: reuse ``<dir>/<name>.json`` + ``<dir>/<name>.pt`` when the fingerprint
   matches (a corrupt or mismatched cache, or weights that do not fit the model, print one line and
   are retrained; the model keeps its initial weights);
3. ``load_resume_point`` (with ``resume=True``): continue from ``<dir>/<name>.last.pt``, the state after
   the last finished epoch of a run with the same settings (any number of epochs);
4. ``train_one_epoch`` over an ``InMemoryLoader`` and ``evaluate`` on the validation split, keeping
   the weights of the best validation epoch; after each epoch ``save_resume_point`` writes the model,
   the optimizer's ``state_dict()``, the history and the random-number states to ``<name>.last.pt``;
5. ``save_result``: the best weights as a state_dict, the history and the fingerprint as JSON.

The loop is written for speed on a small CPU: minibatches are slices of tensors already in memory,
and the running loss and accuracy are summed as tensors on the device and read back once per epoch
(no ``.item()`` per step, which would make the host wait for the device every step).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import inspect
import json
import math
import re
import textwrap
import time
import types
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from course_lib import config, result_store, run_estimate
from course_lib.data import FashionMNISTTensors, InMemoryLoader
from course_lib.seeding import set_seed

HISTORY_KEYS = ("train_loss", "train_acc", "val_loss", "val_acc")
DIVERGENCE_LIMIT = 1e3


def has_diverged(loss):
    """The course's one rule for "the run diverged": the loss is NaN, infinite or above 1000.

    Every loss in the course starts below 10 (cross-entropy over 10 classes starts near ln 10 ≈ 2.3),
    so a loss above ``DIVERGENCE_LIMIT`` only comes from a step that overshot. ``loss``: a number →
    bool; an array or tensor of losses → a NumPy bool array of the same shape, elementwise.
    """
    if isinstance(loss, Tensor):
        loss = loss.detach().cpu().double().numpy()
    values = np.asarray(loss, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        diverged = ~np.isfinite(values) | (values > DIVERGENCE_LIMIT)
    return bool(diverged) if diverged.ndim == 0 else diverged


def optimizer_step(optimizer, loss: Tensor) -> None:
    """Turn a loss into one update: forget the old gradients, backpropagate ``loss``, step.

    ``optimizer``: course_lib's or torch's (anything with ``zero_grad`` and ``step``); gradients are
    cleared with ``set_to_none=True`` when the optimizer accepts it.
    """
    _zero_grad_function(optimizer)()
    loss.backward()
    optimizer.step()


def train_step(model: Callable[[Tensor], Tensor], optimizer, xb: Tensor, yb: Tensor, loss_fn=None) -> tuple[Tensor, Tensor]:
    """The course's one training step: logits = model(xb); loss = loss_fn(logits, yb); backward; step.

    ``model`` maps a batch xb: (B, ...) to logits (B, C) (any callable: an nn.Module, or a stacked
    or flat-parameter network of ``course_lib.experiments``); yb: (B,) class labels; ``loss_fn``
    defaults to the mean cross-entropy. w ← optimizer(w, ∇_w loss_fn(model(xb), yb)).
    Returns (the loss before the step, detached; the logits, detached).
    """
    logits = model(xb)
    loss = (loss_fn or F.cross_entropy)(logits, yb)
    optimizer_step(optimizer, loss)
    return loss.detach(), logits.detach()


@dataclass(frozen=True)
class MinibatchRun:
    """What ``train_minibatches`` ran: ``losses`` (steps run,) the minibatch loss of each step before it
    was taken; ``diverged_at``: the step (counted from 1) whose loss ``has_diverged``, None if none."""

    losses: np.ndarray
    diverged_at: int | None

    def padded_losses(self, total_steps: int) -> np.ndarray:
        """(total_steps,) the losses, NaN for the steps never taken."""
        padded = np.full(total_steps, np.nan)
        padded[: len(self.losses)] = self.losses
        return padded


def train_minibatches(model: Callable[[Tensor], Tensor], optimizer, loader: InMemoryLoader, epochs: int,
                      max_steps: int | None = None, on_step: Callable[[int, int], None] | None = None,
                      after_step: Callable[[int, float], None] | None = None,
                      after_epoch: Callable[[int], None] | None = None) -> MinibatchRun:
    """The demos' training run: ``train_step`` on each minibatch of ``loader``, ``epochs`` passes (or
    ``max_steps`` steps), on one CPU thread, stopping at the first loss that ``has_diverged``.

    Per step t = 1, 2, …: the step; ``after_step(t, loss)`` (e.g. a scheduler's step or a log; it also
    sees the diverged step); ``on_step(t, total)`` (a progress bar; total = epochs · len(loader), or
    ``max_steps``); then the divergence test. ``after_epoch(e)`` (e = 1, 2, …) runs after each epoch
    that ended without divergence and before ``max_steps`` ran out (with ``max_steps``, ``epochs`` only
    bounds the passes: give enough of them).
    """
    from course_lib.device import single_cpu_thread

    total = epochs * len(loader) if max_steps is None else int(max_steps)
    losses: list[float] = []
    diverged_at = None
    with single_cpu_thread():
        for epoch in range(1, epochs + 1):
            for xb, yb in loader:
                loss, _ = train_step(model, optimizer, xb, yb)
                losses.append(float(loss))
                step = len(losses)
                if after_step is not None:
                    after_step(step, losses[-1])
                if on_step is not None:
                    on_step(step, total)
                if has_diverged(losses[-1]):
                    diverged_at = step
                    break
                if max_steps is not None and step >= total:
                    break
            if diverged_at is not None or (max_steps is not None and len(losses) >= total):
                break
            if after_epoch is not None:
                after_epoch(epoch)
    return MinibatchRun(np.array(losses, dtype=float), diverged_at)


@dataclass
class TrainResult:
    """What ``train_model`` returns.

    ``history[key][e]`` is the value after epoch e + 1 for each key in ``HISTORY_KEYS``;
    ``best_epoch`` counts from 1 (0: no epoch finished); ``test_loss`` / ``test_acc`` are measured
    with the best epoch's weights, which the model holds afterwards; ``seconds`` is the training time
    (of the original run when ``from_cache``); ``diverged`` is True when the run stopped because it diverged (``has_diverged``).
    ``from_store``: loaded from the course's stored reference runs (``course_lib.result_store``; then
    ``from_cache`` is True too).
    """

    history: dict[str, list[float]]
    best_epoch: int
    test_loss: float
    test_acc: float
    seconds: float
    from_cache: bool = False
    diverged: bool = False
    from_store: bool = False
    checkpoint_path: Path | None = field(default=None, compare=False)


@torch.no_grad()
def evaluate(model: nn.Module, x: Tensor, y: Tensor, batch_size: int = 1024, loss_fn=None) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` on x: (N, ...), y: (N,), in eval mode without gradients.

    loss = (1/N) Σ_i ℓ(f(x_i), y_i) (cross-entropy unless ``loss_fn`` given, which must return the
    batch mean); accuracy = (1/N) Σ_i [argmax f(x_i) = y_i]. The model's train/eval mode is restored.
    """
    if len(x) == 0:
        return math.nan, math.nan
    loss_fn = loss_fn or F.cross_entropy
    was_training = model.training
    model.eval()
    try:
        loss_sum = torch.zeros((), device=x.device)
        correct = torch.zeros((), dtype=torch.int64, device=x.device)
        for start in range(0, len(x), batch_size):
            xb, yb = x[start : start + batch_size], y[start : start + batch_size]
            logits = model(xb)
            loss_sum += loss_fn(logits, yb) * len(yb)
            correct += (logits.argmax(dim=1) == yb).sum()
        return loss_sum.item() / len(x), correct.item() / len(x)
    finally:
        model.train(was_training)


@functools.lru_cache(maxsize=64)
def _accepts_set_to_none(optimizer_class: type) -> bool:
    try:
        return "set_to_none" in inspect.signature(optimizer_class.zero_grad).parameters
    except (AttributeError, TypeError, ValueError):
        return False


def _zero_grad_function(optimizer) -> Callable[[], None]:
    """``optimizer.zero_grad(set_to_none=True)`` when the optimizer accepts it, else ``zero_grad()``."""
    if _accepts_set_to_none(type(optimizer)):
        return lambda: optimizer.zero_grad(set_to_none=True)
    return optimizer.zero_grad


def train_one_epoch(model: nn.Module, optimizer, loader: InMemoryLoader, loss_fn) -> tuple[float, float]:
    """One pass over ``loader``: for each minibatch, w ← optimizer(w, ∇_w mean ℓ(f(x_b), y_b)).

    Returns (mean training loss, training accuracy) over the epoch, measured on the fly while the
    weights change; both are accumulated as device tensors and read once at the end.
    """
    model.train()
    device = loader.x.device
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), dtype=torch.int64, device=device)
    for xb, yb in loader:
        loss, logits = train_step(model, optimizer, xb, yb, loss_fn)
        loss_sum.add_(loss, alpha=len(yb))
        correct.add_((logits.argmax(dim=1) == yb).sum())
    num_examples = len(loader.y) if not loader.drop_last else len(loader) * loader.batch_size
    return loss_sum.item() / num_examples, correct.item() / num_examples


def _plain_settings(settings: dict) -> dict:
    return {key: value for key, value in settings.items() if isinstance(value, (bool, int, float, str, tuple))}


def _hash_code(code: types.CodeType, digest) -> None:
    """Feed a function's bytecode, names and constants (nested functions included) to ``digest``."""
    digest.update(code.co_code)
    digest.update(repr(code.co_names).encode())
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            _hash_code(constant, digest)
        else:
            digest.update(repr(constant).encode())


def _function_text(function) -> str:
    """What identifies a function's behaviour across machines: its module, qualified name, default values and
    source text (dedented, with ``\\n`` line ends); its bytecode only when the source cannot be found.

    Source rather than bytecode, because bytecode differs between Python versions: a digest of it would
    tie the course's stored runs to one Python. A student's function defined in a notebook cell has a
    source too (IPython keeps every cell's text in ``linecache``) and a module of its own (``__main__``,
    or the carry-over file's), so it never shares a digest with course_lib's reference."""
    name = f"{getattr(function, '__module__', '')}.{getattr(function, '__qualname__', '')}"
    try:
        text = textwrap.dedent("\n".join(inspect.getsource(function).splitlines()))
    except (OSError, TypeError):
        digest = hashlib.sha256()
        _hash_code(function.__code__, digest)
        text = f"bytecode {digest.hexdigest()}"
    return f"{name}\n{getattr(function, '__defaults__', None)!r}\n{text}"


def _classes_digest(classes, functions: dict) -> str:
    """A hash of every function defined in ``classes`` and their bases outside torch and builtins, then of
    ``functions`` (name → function)."""
    digest = hashlib.sha256()
    seen = set()
    for cls in classes:
        for base in cls.__mro__:
            if base in seen or base.__module__.split(".")[0] in ("torch", "builtins"):
                continue
            seen.add(base)
            for name, value in sorted(vars(base).items()):
                function = getattr(value, "__func__", value)
                if isinstance(getattr(function, "__code__", None), types.CodeType):
                    digest.update(name.encode())
                    digest.update(_function_text(function).encode())
    for name, function in sorted(functions.items()):
        digest.update(name.encode())
        digest.update(_function_text(function).encode())
    return digest.hexdigest()[:16]


def code_digest(optimizer) -> str:
    """A hash of the code that makes the optimizer's steps: every function defined in its class and its bases
    outside torch (a student's ``update`` included), and functions it holds (e.g. a ``step_function``).

    Two optimizers of the same class name and settings whose code differs (the course's reference and a
    student's answer) get different digests, so a cached run of one is never shown as the other's. The
    digest is the same on every machine and Python version (see ``_function_text``)."""
    held = {name: value for name, value in vars(optimizer).items()
            if isinstance(getattr(value, "__code__", None), types.CodeType)}
    return _classes_digest([type(optimizer)], held)


def model_code_digest(model) -> str:
    """A hash of the code of the model's classes and of its submodules' classes outside torch."""
    classes = sorted({type(module) for module in model.modules()}, key=lambda c: f"{c.__module__}.{c.__qualname__}")
    return _classes_digest(classes, {})


@functools.cache
def loop_code_digest() -> str:
    """A hash of the training loop's code (``train_step``, ``optimizer_step``, ``train_one_epoch``,
    ``evaluate``, the ``InMemoryLoader``): a change there changes every run's result. Computed once per
    process (the loop's source does not change while it runs)."""
    functions = {function.__name__: function for function in (train_step, optimizer_step, train_one_epoch, evaluate)}
    return _classes_digest([InMemoryLoader], functions)


def _describe_optimizer(optimizer) -> dict:
    """The optimizer's class, code digest and hyper-parameters: torch.optim ``defaults`` and each param group's
    settings with its size, or the numeric attributes of an object that is not a torch optimizer."""
    settings = getattr(optimizer, "defaults", None)
    description = {"class": f"{type(optimizer).__module__}.{type(optimizer).__qualname__}",
                   "code": code_digest(optimizer)}
    if not isinstance(settings, dict):
        return {**description, **_plain_settings(vars(optimizer))}
    groups = [{**_plain_settings(group), "sizes": [list(p.shape) for p in group["params"]]}
              for group in getattr(optimizer, "param_groups", [])]
    return {**description, **_plain_settings(settings), "param_groups": groups}


def _state_digest(model: nn.Module) -> str:
    digest = hashlib.sha256()
    for key, tensor in model.state_dict().items():
        digest.update(key.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def training_fingerprint(model, optimizer, data: FashionMNISTTensors, *, epochs, batch_size, seed, loss_fn) -> dict:
    """Everything that determines a training run's result, as a JSON-able dict with a ``hash`` entry.

    The initial weights enter through a digest, so build the model after ``set_seed`` for the cache
    to be reused across sessions. The code of the optimizer, of the model's classes and of the training
    loop enters as digests of its source text. Nothing machine-specific enters (no device, thread count,
    path, file name or Python version), so the course's stored runs (``course_lib.result_store``) are found
    on every machine. Not in it: torch's version and the device, which change a run only in float
    rounding as long as torch's initialization and shuffling stay the same (the staleness test of the
    store retrains some runs to catch the day they do not).
    """
    settings = {
        "model": f"{type(model).__module__}.{type(model).__qualname__}",
        "model_config": getattr(model, "config", None),
        "model_code": model_code_digest(model),
        "loop_code": loop_code_digest(),
        "initial_weights": _state_digest(model),
        "optimizer": _describe_optimizer(optimizer),
        "loss_fn": getattr(loss_fn, "__qualname__", type(loss_fn).__qualname__),
        "epochs": int(epochs),
        "batch_size": int(batch_size),
        "seed": int(seed),
        "data": {
            "sizes": [len(data.train_y), len(data.val_y), len(data.test_y)],
            "label_sums": [int(data.train_y.sum()), int(data.val_y.sum()), int(data.test_y.sum())],
            "mean": round(float(data.mean), 6),
            "std": round(float(data.std), 6),
        },
    }
    text = json.dumps(settings, sort_keys=True, default=str)
    return {**json.loads(text), "hash": hashlib.sha256(text.encode()).hexdigest()[:16]}


def resume_key(fingerprint: dict) -> str:
    """The fingerprint's hash without the number of epochs: runs that differ only in length share it."""
    settings = {key: value for key, value in fingerprint.items() if key not in ("hash", "epochs")}
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]


def resume_path(name: str, checkpoint_dir: str | Path | None = None) -> Path:
    """``<dir>/<name>.last.pt``: the state after the last finished epoch of the run called ``name``."""
    weights_path, _ = checkpoint_paths(name, checkpoint_dir)
    return weights_path.with_suffix(".last.pt")


@dataclass
class ResumePoint:
    """Where a run stands after ``epoch`` finished epochs: everything needed to go on exactly as it would have."""

    epoch: int
    history: dict[str, list[float]]
    best_epoch: int
    best_state: dict
    seconds: float


def save_resume_point(path: Path, key: str, point: ResumePoint, model: nn.Module, optimizer,
                      generator: torch.Generator) -> None:
    """Write the model, ``optimizer.state_dict()``, the history, the best weights so far and the global and
    shuffling random-number states to ``path`` (written to a temporary file first, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    saved = {"key": key, "epoch": point.epoch, "history": point.history, "best_epoch": point.best_epoch,
             "best_state": point.best_state, "seconds": point.seconds, "model": model.state_dict(),
             "optimizer": optimizer.state_dict(), "torch_rng": torch.get_rng_state(),
             "shuffle_rng": generator.get_state()}
    partial = path.with_suffix(".partial")
    torch.save(saved, partial)
    partial.replace(path)


def load_resume_point(path: Path, key: str, name: str, epochs: int, model: nn.Module, optimizer,
                      generator: torch.Generator) -> ResumePoint | None:
    """Load the state saved in ``path`` into the model, the optimizer and the random-number generators, and
    return where the run stands; None (and one printed line where one is owed) when there is nothing to resume."""
    if not path.exists():
        return None
    try:
        saved = torch.load(path, map_location=_device_of(model), weights_only=True)
        if saved["key"] != key:
            print(f"The saved state of '{name}' was made with other settings; training from the start.")
            return None
        if saved["epoch"] >= int(epochs):
            print(f"The saved state of '{name}' is already at epoch {saved['epoch']} of {epochs}; training from "
                  f"the start.")
            return None
        mismatch = _state_mismatch(model, saved["model"])
        if mismatch is not None:
            print(f"The saved state of '{name}' does not fit this model ({mismatch}); training from the start.")
            return None
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        torch.set_rng_state(saved["torch_rng"])
        generator.set_state(saved["shuffle_rng"])
    except Exception as error:
        print(f"The saved state of '{name}' is unreadable ({type(error).__name__}); training from the start.")
        return None
    print(f"Resuming '{name}' after epoch {saved['epoch']} of {epochs}.")
    return ResumePoint(saved["epoch"], saved["history"], saved["best_epoch"], saved["best_state"], saved["seconds"])


def checkpoint_paths(name: str, checkpoint_dir: str | Path | None = None) -> tuple[Path, Path]:
    """(``<dir>/<name>.pt``, ``<dir>/<name>.json``); characters unsafe in file names become ``_``."""
    directory = Path(checkpoint_dir) if checkpoint_dir is not None else config.checkpoint_dir()
    safe = re.sub(r"[^A-Za-z0-9._=-]+", "_", str(name)).strip("._") or "model"
    return directory / f"{safe}.pt", directory / f"{safe}.json"


def load_cached_result(model: nn.Module, name: str, fingerprint: dict, checkpoint_dir=None) -> TrainResult | None:
    """The cached TrainResult with its best weights loaded into ``model``, or None (and one printed line
    when a cache exists but cannot be used)."""
    weights_path, results_path = checkpoint_paths(name, checkpoint_dir)
    if not results_path.exists():
        return None
    try:
        saved = json.loads(results_path.read_text())
        if saved.get("fingerprint", {}).get("hash") != fingerprint["hash"]:
            print(f"Cached results for '{name}' were made with other settings; retraining.")
            return None
        state = torch.load(weights_path, map_location=_device_of(model), weights_only=True)
        mismatch = _state_mismatch(model, state)
        if mismatch is not None:
            print(f"Cached checkpoint for '{name}' does not fit this model ({mismatch}); retraining.")
            return None
        result = TrainResult(**saved["result"])
        model.load_state_dict(state)
    except Exception as error:
        print(f"Cached checkpoint for '{name}' is unreadable ({type(error).__name__}); retraining.")
        return None
    result.from_cache = True
    result.checkpoint_path = weights_path
    return result


_TOLD_ABOUT_STORE: set[str] = set()


def load_stored_result(model: nn.Module, name: str, fingerprint: dict, progress: bool = True) -> TrainResult | None:
    """The course's stored run with this fingerprint (``course_lib.result_store``), its best weights loaded into
    ``model`` when the entry has them (a history-only entry leaves the model as it is), or None: no entry,
    or an unusable one (one printed line). Prints where and when the run was trained: every time with
    ``progress``, else once per process (a sweep of many runs says it once)."""
    try:
        stored = result_store.load_stored_run(fingerprint, model.state_dict())
        if stored is not None and stored.state is not None:
            mismatch = _state_mismatch(model, stored.state)
            if mismatch is not None:
                raise result_store.StoredRunError(f"its weights do not fit this model: {mismatch}")
    except result_store.StoredRunError as error:
        print(f"The course's stored run for '{name}' cannot be used ({error}); training it instead.")
        return None
    if stored is None:
        return None
    if stored.state is not None:
        model.load_state_dict({key: value.to(_device_of(model)) for key, value in stored.state.items()})
    if progress or not _TOLD_ABOUT_STORE:
        print(f"'{name}': loaded the course's stored run (trained on {stored.trained['date']}, "
              f"{stored.trained['machine']}); set retrain=True or {result_store.RETRAIN_VARIABLE}=1 to train it "
              "yourself.")
    _TOLD_ABOUT_STORE.add(name)
    fields = {key: value for key, value in stored.result.items() if key in TrainResult.__dataclass_fields__}
    return TrainResult(**{**fields, "from_cache": True, "from_store": True, "checkpoint_path": None})


def _state_mismatch(model: nn.Module, state) -> str | None:
    """Why ``state`` cannot be loaded into ``model`` (keys or shapes differ), or None when it fits.

    Checked before ``load_state_dict``, which copies matching tensors one by one and only then
    complains, so a checkpoint of another architecture would leave the model half overwritten.
    """
    if not isinstance(state, dict):
        return f"a {type(state).__name__}, not a state_dict"
    expected = model.state_dict()
    missing, unexpected = sorted(expected.keys() - state.keys()), sorted(state.keys() - expected.keys())
    if missing or unexpected:
        return f"missing keys {missing[:3]}, unexpected keys {unexpected[:3]}"
    for key, tensor in expected.items():
        value = state[key]
        if not isinstance(value, Tensor) or value.shape != tensor.shape:
            shape = tuple(value.shape) if isinstance(value, Tensor) else type(value).__name__
            return f"{key} is {shape}, the model needs {tuple(tensor.shape)}"
    return None


def save_result(model_state: dict, result: TrainResult, name: str, fingerprint: dict, checkpoint_dir=None) -> Path:
    """Write the best weights to ``<name>.pt`` and the result with its fingerprint to ``<name>.json``."""
    weights_path, results_path = checkpoint_paths(name, checkpoint_dir)
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model_state, weights_path)
    saved = asdict(result)
    saved.pop("checkpoint_path")
    saved["from_cache"] = False
    results_path.write_text(json.dumps({"fingerprint": fingerprint, "result": saved}, indent=1))
    return weights_path


def _device_of(model: nn.Module) -> torch.device:
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def _epoch_flops(model: nn.Module, data: FashionMNISTTensors, batch_size: int, loss_fn) -> float | None:
    """FLOPs of one epoch (``run_estimate.training_flops``, on a copy of the model in eval mode, so no random
    draw is made), or None where no estimate is given: data on a GPU (the calibration times the CPU), or
    a model the FLOP counter cannot run (the estimate is a courtesy; it never stops a run)."""
    if data.train_x.device.type != "cpu":
        return None
    try:
        was_training = model.training
        model.eval()
        try:
            return run_estimate.training_flops(model, data.train_x, data.val_x, batch_size, 1, loss_fn)
        finally:
            model.train(was_training)
    except Exception:
        return None


def train_model(
    model: nn.Module,
    make_optimizer: Callable,
    data: FashionMNISTTensors,
    *,
    epochs: int,
    batch_size: int = 256,
    name: str,
    checkpoint_dir: str | Path | None = None,
    retrain: bool = False,
    resume: bool = False,
    seed: int = 42,
    progress: bool = True,
    loss_fn=None,
) -> TrainResult:
    """Train ``model`` with minibatch SGD-style updates from ``make_optimizer(model.parameters())``.

    Calls ``set_seed(seed)`` before the first epoch (after the model and optimizer exist, so their
    initial state is the caller's). Each epoch shuffles the training split (seeded), updates on every minibatch of ``batch_size``,
    then measures validation loss/accuracy; the weights of the epoch with the best validation accuracy
    are kept, saved and loaded back at the end, and the test split is evaluated with them. A later call
    with the same ``name`` and the same settings (see ``training_fingerprint``) returns the cached
    result, with ``from_cache=True``, unless ``retrain``. Before that, a run whose fingerprint is one of
    the course's stored reference runs (``course_lib.result_store``) is loaded from the store, with one
    printed line, unless ``retrain`` or ``$COURSE_RETRAIN=1``; a student's own optimizer or step function
    has another fingerprint, so it always trains. A NaN/inf training loss stops the run with a
    one-line message (``diverged=True``, see ``has_diverged``). ``loss_fn(logits, targets)`` defaults to cross-entropy.

    After every epoch the model, the optimizer's ``state_dict()`` (when it has one, as every torch.optim
    optimizer does) and the random-number states are saved to ``<name>.last.pt``. With ``resume=True`` a run with the same settings continues from there (after an
    interruption, or to train longer): its history is the one an uninterrupted run would have had.
    A run that trains (not loaded) and will take more than 20 s on this CPU says so first, with its
    estimated time (``course_lib.run_estimate``).
    """
    loss_fn = loss_fn or F.cross_entropy
    model.to(data.device)
    optimizer = make_optimizer(model.parameters())
    fingerprint = training_fingerprint(
        model, optimizer, data, epochs=epochs, batch_size=batch_size, seed=seed, loss_fn=loss_fn
    )
    if not retrain and not result_store.retrain_requested():
        stored = load_stored_result(model, name, fingerprint, progress)
        if stored is not None:
            return stored
    if not retrain:
        cached = load_cached_result(model, name, fingerprint, checkpoint_dir)
        if cached is not None:
            return cached

    epoch_flops = _epoch_flops(model, data, batch_size, loss_fn)
    generator = set_seed(seed)
    loader = InMemoryLoader(data.train_x, data.train_y, batch_size, shuffle=True, generator=generator)
    run_key, last_path = resume_key(fingerprint), resume_path(name, checkpoint_dir)
    point = load_resume_point(last_path, run_key, name, epochs, model, optimizer, generator) if resume else None
    if point is None:
        point = ResumePoint(0, {key: [] for key in HISTORY_KEYS}, 0, copy.deepcopy(model.state_dict()), 0.0)
    remaining = int(epochs) - point.epoch
    if epoch_flops is not None and remaining > 0:
        run_estimate.announce(name, remaining * epoch_flops, remaining * len(loader), remaining)
    history, best_epoch, best_state, diverged = point.history, point.best_epoch, point.best_state, False
    start = time.perf_counter() - point.seconds
    bar = tqdm(range(point.epoch + 1, int(epochs) + 1), desc=str(name), unit="epoch", disable=not progress,
               leave=True, initial=point.epoch, total=int(epochs))
    for epoch in bar:
        train_loss, train_acc = train_one_epoch(model, optimizer, loader, loss_fn)
        if has_diverged(train_loss):
            print(f"'{name}' diverged in epoch {epoch} (training loss {train_loss:.3g}); try a smaller learning rate.")
            diverged = True
            break
        val_loss, val_acc = evaluate(model, data.val_x, data.val_y, loss_fn=loss_fn)
        for key, value in zip(HISTORY_KEYS, (train_loss, train_acc, val_loss, val_acc), strict=True):
            history[key].append(value)
        if best_epoch == 0 or val_acc > history["val_acc"][best_epoch - 1]:
            best_epoch, best_state = epoch, copy.deepcopy(model.state_dict())
        if callable(getattr(optimizer, "state_dict", None)):
            point = ResumePoint(epoch, history, best_epoch, best_state, time.perf_counter() - start)
            save_resume_point(last_path, run_key, point, model, optimizer, generator)
        bar.set_postfix(train_acc=f"{train_acc:.3f}", val_acc=f"{val_acc:.3f}", refresh=False)
    bar.close()
    seconds = time.perf_counter() - start

    model.load_state_dict(best_state)
    test_loss, test_acc = evaluate(model, data.test_x, data.test_y, loss_fn=loss_fn)
    result = TrainResult(history, best_epoch, test_loss, test_acc, seconds, from_cache=False, diverged=diverged)
    result.checkpoint_path = save_result(best_state, result, name, fingerprint, checkpoint_dir)
    return result
