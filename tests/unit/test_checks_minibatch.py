"""check_sample_minibatch passes IID samplers with replacement and names the classic mistakes, sampling without
replacement and the off-by-one that never draws the last row among them."""

import random

import numpy as np
import pytest
import torch

from course_lib.checks import check_sample_minibatch
from course_lib.data import sample_minibatch as reference


def verdict(answer, capsys):
    passed = check_sample_minibatch(answer)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines
    return passed, lines[0]


def with_randint(input_data, target_data, num_points=100):
    indices = torch.randint(len(input_data), size=(num_points,))
    return input_data[indices], target_data[indices]


def with_randperm(input_data, target_data, num_points=100):
    indices = torch.randperm(input_data.shape[0])[:num_points]
    return input_data[indices], target_data[indices]


def with_numpy_choice(input_data, target_data, num_points=100):
    indices = np.random.choice(len(input_data), size=num_points, replace=True)
    return input_data[indices], target_data[indices]


def with_python_random(input_data, target_data, num_points=100):
    indices = random.choices(range(len(input_data)), k=num_points)
    return input_data[indices], target_data[indices]


def with_sorted_indices(input_data, target_data, num_points=100):
    indices = torch.multinomial(torch.ones(len(input_data)), num_points, replacement=True).sort().values
    return input_data[indices].clone(), target_data[indices].clone()


@pytest.mark.parametrize("answer", [reference, with_randint, with_numpy_choice, with_python_random,
                                    with_sorted_indices])
def test_correct_samplers_pass(answer, capsys):
    passed, line = verdict(answer, capsys)
    assert passed, line
    assert line.startswith("sample_minibatch: correct")


def unpaired(input_data, target_data, num_points=100):
    return (input_data[torch.randint(len(input_data), (num_points,))],
            target_data[torch.randint(len(target_data), (num_points,))])


def first_rows(input_data, target_data, num_points=100):
    return input_data[:num_points], target_data[:num_points]


def contiguous_block(input_data, target_data, num_points=100):
    start = int(torch.randint(len(input_data) - num_points, ()))
    return input_data[start:start + num_points], target_data[start:start + num_points]


def seeded_inside(input_data, target_data, num_points=100):
    torch.manual_seed(0)
    return with_randint(input_data, target_data, num_points)


def fixed_generator(input_data, target_data, num_points=100):
    generator = torch.Generator().manual_seed(0)
    indices = torch.randint(len(input_data), (num_points,), generator=generator)
    return input_data[indices], target_data[indices]


def fixed_batch_size(input_data, target_data, num_points=100):
    return with_randint(input_data, target_data, 100)


def first_half_only(input_data, target_data, num_points=100):
    indices = torch.randint(len(input_data) // 2, (num_points,))
    return input_data[indices], target_data[indices]


def flattened(input_data, target_data, num_points=100):
    inputs, targets = with_randint(input_data, target_data, num_points)
    return inputs.reshape(num_points, -1), targets


def float_targets(input_data, target_data, num_points=100):
    inputs, targets = with_randint(input_data, target_data, num_points)
    return inputs, targets.float()


def swapped_outputs(input_data, target_data, num_points=100):
    inputs, targets = with_randint(input_data, target_data, num_points)
    return targets, inputs


def only_inputs(input_data, target_data, num_points=100):
    return with_randint(input_data, target_data, num_points)[0]


def shuffles_data_in_place(input_data, target_data, num_points=100):
    order = torch.randperm(len(input_data))
    input_data.copy_(input_data[order])
    target_data.copy_(target_data[order])
    return input_data[:num_points], target_data[:num_points]


def without_replacement_numpy(input_data, target_data, num_points=100):
    indices = np.random.choice(len(input_data), size=num_points, replace=False)
    return input_data[indices], target_data[indices]


def randint_off_by_one(input_data, target_data, num_points=100):
    indices = torch.randint(0, len(input_data) - 1, (num_points,))
    return input_data[indices], target_data[indices]


def never_row_zero(input_data, target_data, num_points=100):
    indices = torch.randint(1, len(input_data), (num_points,))
    return input_data[indices], target_data[indices]


def columns_picked(input_data, target_data, num_points=100):
    indices = torch.randint(len(input_data), (num_points,))
    return input_data[indices] * 2, target_data[indices]


@pytest.mark.parametrize(("answer", "key_words"), [
    (unpaired, ["not paired", "same indices"]),
    (first_rows, ["first num_points rows", "random"]),
    (contiguous_block, ["contiguous block"]),
    (seeded_inside, ["same batch", "do not set a seed inside the sampler"]),
    (fixed_generator, ["same batch", "seed"]),
    (fixed_batch_size, ["wrong batch size", "num_points=37", "returned 100"]),
    (first_half_only, ["every row must be equally likely"]),
    (flattened, ["shape (37, 6)", "expected (37, 2, 3)"]),
    (float_targets, ["targets", "torch.float32", "expected torch.int64"]),
    (swapped_outputs, ["shape"]),
    (only_inputs, ["should return a pair (inputs, targets)", "a torch.Tensor"]),
    (shuffles_data_in_place, ["in place"]),
    (columns_picked, ["not rows of input_data"]),
    (with_randperm, ["repeated a row", "with replacement", "not a permutation"]),
    (without_replacement_numpy, ["repeated a row", "with replacement"]),
    (randint_off_by_one, ["last row (index N − 1) never came back", "torch.randint(0, N, …)"]),
    (never_row_zero, ["rows [0] never came back"]),
])
def test_mistakes_are_named(answer, key_words, capsys):
    passed, line = verdict(answer, capsys)
    assert not passed
    assert line.startswith("sample_minibatch: not right yet — ")
    for words in key_words:
        assert words in line, line


def stub(input_data, target_data, num_points=100):
    raise NotImplementedError("Exercise: sample_minibatch")


def wrong_signature(inputs, targets, batch_size=100):
    return with_randint(inputs, targets, batch_size)


def test_not_implemented_and_wrong_signature(capsys):
    assert verdict(stub, capsys) == (False, "sample_minibatch: not implemented yet — fill in the exercise cell "
                                            "above, then run this cell again.")
    passed, line = verdict(wrong_signature, capsys)
    assert not passed
    assert "TypeError" in line and "sample_minibatch(input_data, target_data, num_points=100)" in line


def test_check_restores_every_global_generator_even_when_the_sampler_reseeds(capsys):
    torch.manual_seed(11)
    np.random.seed(11)
    random.seed(11)
    expected = (torch.rand(2), np.random.rand(2), random.random())
    torch.manual_seed(11)
    np.random.seed(11)
    random.seed(11)
    assert not check_sample_minibatch(seeded_inside)
    assert torch.equal(torch.rand(2), expected[0])
    assert np.array_equal(np.random.rand(2), expected[1])
    assert random.random() == expected[2]
    capsys.readouterr()


@pytest.mark.parametrize("offset", range(8))
def test_verdicts_hold_for_other_seeds(offset, monkeypatch, capsys):
    """The spread test has a 7-σ margin, so the verdict does not hinge on the seeds the check picks."""
    import course_lib.checks.minibatch as minibatch
    from course_lib.checks._runner import seed_everything

    monkeypatch.setattr(minibatch, "seed_everything", lambda seed: seed_everything(seed + 1000 * (offset + 1)))
    assert check_sample_minibatch(with_randint)
    assert not check_sample_minibatch(first_half_only)
    assert "equally likely" in capsys.readouterr().out.splitlines()[-1]
    assert not check_sample_minibatch(with_randperm)
    assert "repeated a row" in capsys.readouterr().out.splitlines()[-1]
    assert not check_sample_minibatch(randint_off_by_one)
    assert "last row" in capsys.readouterr().out.splitlines()[-1]
