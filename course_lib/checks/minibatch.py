"""Self-check for the minibatch sampling exercise: IID random rows, inputs and targets still paired.

The dataset is numbered so that every returned row tells which index it came from: row i of
``input_data`` holds i + (0, 1, 2, …)/row_size and ``target_data[i]`` is a distinct label per row. From the
returned tensors the check recovers the indices and tests, in order: shapes and dtypes (from the
course_lib reference), rows copied unchanged, pairing, first-N rows, a contiguous block, the same batch
after reseeding the global generators (a seed inside the sampler), spread over the whole dataset:
20 calls × 100 rows land in each tenth of the 1000 rows about 200 ± 13 times, and the check asks for
at least 100 (a 7-σ margin; the global generators are seeded by the check, so the verdict is fixed);
then sampling *with replacement*, as the exercise asks: a batch of 100 IID rows out of 1000 repeats a
row with probability 1 − Π(1 − k/1000) ≈ 0.99, so 20 batches without any repeat (probability about
10⁻⁴⁵ for a correct sampler) mean a permutation; and every row reachable, the last one included:
10 calls × 50 rows from a 7-row dataset miss a given row with probability (6/7)⁵⁰⁰ ≈ 10⁻³⁴, so a
never-drawn row means an off-by-one such as ``torch.randint(0, N − 1, …)``, whose upper end is excluded.
"""

from __future__ import annotations

import torch

from course_lib.checks._runner import (
    Wrong,
    call_student,
    describe,
    require_callable,
    require_tensor,
    seed_everything,
    self_check,
)
from course_lib.data import sample_minibatch as reference_sample_minibatch

SIGNATURE = "sample_minibatch(input_data, target_data, num_points=100)"
NUM_ROWS = 1000
CASES = ((37, (2, 3)), (250, (6,)), (None, (2, 3)))
SPREAD_CALLS, SPREAD_BINS, SPREAD_MINIMUM = 20, 10, 100
SMALL_ROWS, SMALL_CALLS, SMALL_BATCH = 7, 10, 50


def numbered_dataset(row_shape: tuple[int, ...], num_rows: int = NUM_ROWS) -> tuple[torch.Tensor, torch.Tensor]:
    """inputs: (num_rows, *row_shape), row i = i + (0, 1, 2, …)/row_size; targets: (num_rows,) int64, all
    distinct (a permutation of 0 … num_rows − 1, so it never pairs row i with label i by accident)."""
    row_size = int(torch.Size(row_shape).numel())
    offsets = torch.arange(row_size, dtype=torch.float32) / row_size
    rows = torch.arange(num_rows, dtype=torch.float32)[:, None] + offsets
    targets = (torch.arange(num_rows) * 37 + 11) % num_rows
    return rows.reshape(num_rows, *row_shape), targets


def _sample(sampler, inputs, targets, num_points):
    keywords = {} if num_points is None else {"num_points": num_points}
    return call_student(sampler, inputs, targets, **keywords, signature=SIGNATURE,
                        hint=f"read the error's last line in your function; the signature is {SIGNATURE}")


def _row_indices(sampler, inputs, targets, num_points) -> torch.Tensor:
    """Call the sampler once, validate what it returned, and recover the indices of the rows it picked."""
    size_text = "the default num_points=100" if num_points is None else f"num_points={num_points}"
    expected_x, expected_y = reference_sample_minibatch(inputs, targets, 100 if num_points is None else num_points)
    originals = inputs.clone(), targets.clone()
    returned = _sample(sampler, inputs, targets, num_points)
    if not (torch.equal(inputs, originals[0]) and torch.equal(targets, originals[1])):
        raise Wrong("it changed input_data or target_data in place: pick rows without modifying the data")
    if not isinstance(returned, (tuple, list)) or len(returned) != 2:
        raise Wrong(f"it should return a pair (inputs, targets), but returned {describe(returned)}")
    batch_x, batch_y = returned
    require_tensor(batch_x, "the returned inputs tensor")
    require_tensor(batch_y, "the returned targets tensor")
    rows_x, rows_y = (int(t.shape[0]) if t.dim() else 0 for t in (batch_x, batch_y))
    if rows_x != len(expected_x) or rows_y != len(expected_y):
        raise Wrong(f"wrong batch size: with {size_text} it returned {rows_x} inputs and {rows_y} targets, "
                    f"expected {len(expected_x)} of each")
    require_tensor(batch_x, "the returned inputs tensor", shape=expected_x.shape, dtype=expected_x.dtype)
    require_tensor(batch_y, "the returned targets tensor", shape=expected_y.shape, dtype=expected_y.dtype)
    indices = batch_x.reshape(len(batch_x), -1)[:, 0].round().long()
    num_rows = len(inputs)
    in_range = bool(((indices >= 0) & (indices < num_rows)).all())
    if not in_range or not torch.equal(batch_x, inputs[indices.clamp(0, num_rows - 1)]):
        raise Wrong("the returned inputs are not rows of input_data: pick whole rows, input_data[indices]")
    if not torch.equal(batch_y, targets[indices]):
        raise Wrong("inputs and targets are not paired any more: index both with the same indices, "
                    "input_data[indices] and target_data[indices]")
    return indices


def _judge_randomness(sampler, inputs, targets) -> None:
    seed_everything(1)
    first = _row_indices(sampler, inputs, targets, 100)
    if torch.equal(first, torch.arange(100)):
        raise Wrong("it returns the first num_points rows: draw random indices, e.g. "
                    "torch.randint(len(input_data), (num_points,))")
    if torch.equal(first, first[0] + torch.arange(100)):
        raise Wrong("it returns a contiguous block of rows: draw every index independently at random")
    seed_everything(2)
    second = _row_indices(sampler, inputs, targets, 100)
    if torch.equal(first, second):
        raise Wrong("it returns the same batch after the global random generators were reseeded: do not set a "
                    "seed inside the sampler (set_seed belongs at the top of the notebook)")
    picked = [first, second] + [_row_indices(sampler, inputs, targets, 100) for _ in range(SPREAD_CALLS - 2)]
    if any(torch.equal(a, b) for a, b in zip(picked[:-1], picked[1:], strict=True)):
        raise Wrong("successive calls return the same batch: do not reseed or reuse indices inside the sampler")
    counts = torch.bincount(torch.cat(picked) * SPREAD_BINS // NUM_ROWS, minlength=SPREAD_BINS)
    if int(counts.min()) < SPREAD_MINIMUM:
        raise Wrong(f"over {SPREAD_CALLS} batches the rows per tenth of the dataset were {counts.tolist()}: "
                    f"every row must be equally likely, e.g. torch.randint(len(input_data), (num_points,))")
    if not any(len(batch.unique()) < len(batch) for batch in picked):
        raise Wrong(f"none of {SPREAD_CALLS} batches of 100 rows out of {NUM_ROWS} repeated a row, though about 99 % "
                    "of batches drawn with replacement do: the exercise asks for independent draws with "
                    "replacement (torch.randint), not a permutation such as torch.randperm(N)[:num_points]")


def _judge_every_row_reachable(sampler) -> None:
    """Many draws from a tiny dataset must reach every row; the last one is where off-by-ones show."""
    inputs, targets = numbered_dataset((3,), SMALL_ROWS)
    seed_everything(3)
    drawn = torch.cat([_row_indices(sampler, inputs, targets, SMALL_BATCH) for _ in range(SMALL_CALLS)])
    missing = sorted(set(range(SMALL_ROWS)) - set(drawn.tolist()))
    if missing == [SMALL_ROWS - 1]:
        raise Wrong(f"in {SMALL_CALLS * SMALL_BATCH} draws from {SMALL_ROWS} rows the last row (index N − 1) never "
                    "came back: torch.randint(low, high, …) never returns high itself, so draw from "
                    "torch.randint(0, N, …), not torch.randint(0, N − 1, …)")
    if missing:
        raise Wrong(f"in {SMALL_CALLS * SMALL_BATCH} draws from {SMALL_ROWS} rows, rows {missing} never came back: "
                    "every index from 0 to N − 1 must be possible")


@self_check("sample_minibatch")
def check_sample_minibatch(sample_minibatch: object) -> str:
    """Check ``sample_minibatch(input_data, target_data, num_points=100)``: IID random rows, still paired."""
    require_callable(sample_minibatch, "sample_minibatch")
    for case_number, (num_points, row_shape) in enumerate(CASES):
        inputs, targets = numbered_dataset(row_shape)
        seed_everything(100 + case_number)
        _row_indices(sample_minibatch, inputs, targets, num_points)
    inputs, targets = numbered_dataset((2, 3))
    _judge_randomness(sample_minibatch, inputs, targets)
    _judge_every_row_reachable(sample_minibatch)
    return (f"batches of {', '.join(str(n or 100) for n, _ in CASES)} rows, inputs and targets paired, new rows "
            f"on every call, drawn with replacement from the whole dataset, last row included")
