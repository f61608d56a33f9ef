"""Training throughput of course_lib's in-memory loop against the classic torchvision DataLoader path.

Steps, one function each:

1. ``matmul_peak_flops``: this machine's fp32 matmul rate, best of several 2048×2048 products
   (2·n³ FLOPs each);
2. ``flops_per_sample``: 6·Σ fan_in·fan_out for the MLP (2 for the forward product, 2 for the
   weight gradient, 2 for the input gradient of every Linear);
3. ``course_lib_throughput``: ``course_lib.training.train_one_epoch`` over an ``InMemoryLoader``;
4. ``torchvision_throughput``: the same model, optimizer and step, fed by
   ``course_lib.data.torchvision_loaders`` (PIL → ToTensor → Normalize per sample, batch 256).

Every rate is the best of several timed runs (peak, epochs, chunks of 20 minibatches), which
makes the figures less sensitive to other programs on the machine; still, take them on a quiet
machine: with 2 busy cores shared with others, torch's worker threads wait for each other.

Both runs train the 784-512-256-256-128-10 ReLU MLP with SGD + momentum from the same seed.
Progress goes to stderr; the last line of stdout is one JSON object: samples_per_s,
baseline_samples_per_s, speedup, flop_bound_fraction (= samples_per_s · flops_per_sample / peak),
details, and the ``conditions`` it ran under (load average, threads, OMP_WAIT_POLICY, versions).

Run: ``python benchmarks/training_throughput.py [--epochs 2] [--baseline-steps 100] [--quick]``.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from _common import emit_json, progress, run_conditions

from course_lib.data import InMemoryLoader, load_fashion_mnist, torchvision_loaders
from course_lib.models import MLP
from course_lib.seeding import set_seed
from course_lib.training import evaluate, train_one_epoch

BATCH_SIZE = 256
HIDDEN_SIZES = (512, 256, 256, 128)


def matmul_peak_flops(size: int = 2048, repeats: int = 7) -> float:
    """Best observed FLOP/s of an fp32 (size × size) @ (size × size) product: 2·size³ / fastest time."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    out = torch.empty(size, size)
    fastest = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b, out=out)
        fastest = min(fastest, time.perf_counter() - start)
    return 2 * size**3 / fastest


def flops_per_sample(model: MLP) -> int:
    """6·Σ fan_in·fan_out over the Linear layers: forward + weight gradient + input gradient."""
    return 6 * sum(layer.in_features * layer.out_features for layer in model.linear_layers())


def fresh_model_and_optimizer(seed: int = 0):
    set_seed(seed)
    model = MLP(hidden_sizes=HIDDEN_SIZES)
    return model, torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)


def course_lib_throughput(data, epochs: int) -> tuple[float, float]:
    """Samples per second of ``train_one_epoch`` over all 50k images (fastest of ``epochs`` epochs,
    after a 20-step warm-up), and the seconds of that epoch."""
    model, optimizer = fresh_model_and_optimizer()
    warm_up = InMemoryLoader(data.train_x[: 20 * BATCH_SIZE], data.train_y[: 20 * BATCH_SIZE], BATCH_SIZE)
    train_one_epoch(model, optimizer, warm_up, F.cross_entropy)
    loader = InMemoryLoader(data.train_x, data.train_y, BATCH_SIZE, generator=torch.Generator().manual_seed(0))
    fastest = float("inf")
    for _ in range(epochs):
        start = time.perf_counter()
        train_one_epoch(model, optimizer, loader, F.cross_entropy)
        fastest = min(fastest, time.perf_counter() - start)
    return len(data.train_y) / fastest, fastest


def torchvision_throughput(steps: int, chunk: int = 20, warm_up_steps: int = 3) -> float:
    """Samples per second of the same training step fed by the per-sample-transform DataLoader
    (fastest run of ``chunk`` consecutive minibatches among ``steps``, after a warm-up)."""
    model, optimizer = fresh_model_and_optimizer()
    train_loader, _, _ = torchvision_loaders(batch_size=BATCH_SIZE)
    batches = iter(train_loader)
    for _ in range(warm_up_steps):
        next(batches)
    best = 0.0
    for _ in range(max(1, steps // chunk)):
        samples, start = 0, time.perf_counter()
        for _ in range(chunk):
            xb, yb = next(batches)
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            samples += len(yb)
        best = max(best, samples / (time.perf_counter() - start))
    return best


def validation_seconds(data) -> float:
    """Time of one ``evaluate`` over the validation split (part of every epoch of ``train_model``)."""
    model, _ = fresh_model_and_optimizer()
    evaluate(model, data.val_x[:1024], data.val_y[:1024])
    start = time.perf_counter()
    evaluate(model, data.val_x, data.val_y)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="measured epochs of course_lib's loop")
    parser.add_argument("--baseline-steps", type=int, default=100, help="measured DataLoader minibatches")
    parser.add_argument("--quick", action="store_true", help="smoke run: 5k training images, 20 baseline steps")
    args = parser.parse_args()

    data = load_fashion_mnist(device="cpu")
    if args.quick:
        data, args.epochs, args.baseline_steps = data.subset(n_train=5_000), 1, 20
    peak = matmul_peak_flops()
    per_sample = flops_per_sample(MLP(hidden_sizes=HIDDEN_SIZES))
    progress(f"threads: {torch.get_num_threads()}, fp32 matmul peak: {peak / 1e9:.1f} GFLOP/s, "
             f"FLOPs per training sample: {per_sample:,}")
    samples_per_s, _ = course_lib_throughput(data, args.epochs)
    epoch_seconds = 50_000 / samples_per_s
    progress(f"course_lib loop: {samples_per_s:,.0f} samples/s ({epoch_seconds:.2f} s per 50k-image epoch)")
    baseline = torchvision_throughput(args.baseline_steps)
    progress(f"torchvision DataLoader: {baseline:,.0f} samples/s")
    epoch_with_validation = epoch_seconds + validation_seconds(data)
    progress(f"one 40-epoch train_model run ≈ {40 * epoch_with_validation:.0f} s "
             f"({epoch_with_validation:.2f} s per epoch including validation)")
    result = {
        "benchmark": "training_throughput",
        "samples_per_s": round(samples_per_s, 1),
        "baseline_samples_per_s": round(baseline, 1),
        "speedup": round(samples_per_s / baseline, 2),
        "flop_bound_fraction": round(samples_per_s * per_sample / peak, 3),
        "peak_gflops": round(peak / 1e9, 1),
        "flops_per_sample": per_sample,
        "epoch_s": round(epoch_seconds, 2),
        "est_40_epoch_run_s": round(40 * epoch_with_validation, 1),
        "targets_met": samples_per_s / baseline >= 7 and samples_per_s * per_sample / peak >= 0.80,
        "conditions": run_conditions(),
    }
    emit_json(result)


if __name__ == "__main__":
    main()
