"""course_lib.clipping against torch.nn.utils.clip_grad_norm_, and the clipping optimizer wrapper."""

import math

import pytest
import torch

from course_lib.clipping import GradientClipping, clip_grad_norm


def params_with_grads(scale, seed=0, without=None):
    generator = torch.Generator().manual_seed(seed)
    params = [torch.randn(shape, generator=generator).requires_grad_() for shape in ((4, 3), (7,), (2, 2))]
    for index, p in enumerate(params):
        p.grad = None if index == without else scale * torch.randn(p.shape, generator=generator)
    return params


@pytest.mark.parametrize(("scale", "max_norm", "without"), [(5.0, 1.0, None), (0.01, 1.0, None), (3.0, 0.5, 1),
                                                            (1e-7, 1e-7, None)])
@pytest.mark.parametrize("as_generator", [False, True])
def test_matches_torch(scale, max_norm, without, as_generator):
    ours, theirs = params_with_grads(scale, without=without), params_with_grads(scale, without=without)
    argument = (p for p in ours) if as_generator else ours
    total = clip_grad_norm(argument, max_norm)
    expected = torch.nn.utils.clip_grad_norm_([p for p in theirs if p.grad is not None], max_norm, foreach=False)
    assert isinstance(total, float)
    assert total == pytest.approx(float(expected), rel=1e-6)
    for a, b in zip(ours, theirs, strict=True):
        assert (a.grad is None) == (b.grad is None)
        if a.grad is not None:
            assert torch.allclose(a.grad, b.grad, rtol=1e-6, atol=1e-12)


def test_the_documented_difference_from_torch_just_below_max_norm():
    """torch scales whenever max_norm/(total + 1e-6) < 1, also for a total just below max_norm; the exercise
    (and course_lib) leaves gradients alone unless total > max_norm. Only tiny max_norms show it."""
    ours, theirs = params_with_grads(1e-7), params_with_grads(1e-7)
    before = [p.grad.clone() for p in ours]
    total = clip_grad_norm(ours, 1e-6)
    torch.nn.utils.clip_grad_norm_(theirs, 1e-6, foreach=False)
    assert total < 1e-6
    assert all(torch.equal(p.grad, g) for p, g in zip(ours, before, strict=True))
    assert all(not torch.equal(p.grad, g) for p, g in zip(theirs, before, strict=True))


def test_no_gradients_at_all_gives_zero_and_changes_nothing():
    p = torch.ones(3, requires_grad=True)
    assert clip_grad_norm([p], 1.0) == 0.0 and p.grad is None


def test_wrapper_clips_before_the_step_and_records_norms():
    p = torch.zeros(2, requires_grad=True)
    wrapper = GradientClipping(torch.optim.SGD([p], lr=1.0), [p], max_norm=1.0)
    for _ in range(2):
        wrapper.zero_grad()
        (p * torch.tensor([30.0, 40.0])).sum().backward()
        wrapper.step()
    assert wrapper.norms == pytest.approx([50.0, 50.0])
    assert torch.allclose(p.detach(), -2 * torch.tensor([0.6, 0.8]) * (1 / (1 + 1e-6 / 50)), rtol=1e-6)


def test_wrapper_without_max_norm_only_measures():
    p = torch.zeros(1, requires_grad=True)
    wrapper = GradientClipping(torch.optim.SGD([p], lr=0.1), [p], max_norm=None, clip=clip_grad_norm)
    (p * 100.0).sum().backward()
    wrapper.step()
    assert wrapper.norms == [100.0] and math.isclose(p.item(), -10.0, rel_tol=1e-6)
