"""AdamW and AdamL2 of course_lib.optimizers against torch.optim.AdamW and torch.optim.Adam(weight_decay)."""

import pytest
import torch

from course_lib.optimizers import Adam, AdamL2, AdamW


def run(optimizer_class, params, loss_of, steps, **settings):
    optimizer = optimizer_class(params, **settings)
    trajectory = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss_of(params).backward()
        optimizer.step()
        trajectory.append([p.detach().clone() for p in params])
    return trajectory


def cubic_loss(params):
    return sum((p**3 - 0.5 * p).sum() for p in params)


def fresh(seed=0):
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(4, 3, generator=generator).requires_grad_(), torch.randn(5, generator=generator).requires_grad_()]


@pytest.mark.parametrize("settings", [
    {"lr": 0.05, "weight_decay": 0.3},
    {"lr": 0.01, "beta1": 0.8, "beta2": 0.95, "eps": 1e-6, "weight_decay": 2.0},
    {},
])
@pytest.mark.parametrize(("ours", "theirs"), [(AdamW, torch.optim.AdamW), (AdamL2, torch.optim.Adam)])
def test_matches_torch_step_by_step(settings, ours, theirs):
    torch_settings = {"lr": settings.get("lr", 1e-3), "betas": (settings.get("beta1", 0.9), settings.get("beta2", 0.999)),
                      "eps": settings.get("eps", 1e-8), "weight_decay": settings.get("weight_decay", 1e-2),
                      "foreach": False}
    mine = run(ours, fresh(), cubic_loss, 6, **settings)
    reference = run(theirs, fresh(), cubic_loss, 6, **torch_settings)
    for step, (a, b) in enumerate(zip(mine, reference, strict=True)):
        for x, y in zip(a, b, strict=True):
            assert torch.allclose(x, y, rtol=1e-5, atol=1e-7), f"step {step + 1}"


def test_zero_decay_is_plain_adam():
    a = run(AdamW, fresh(), cubic_loss, 4, lr=0.01, weight_decay=0.0)
    b = run(Adam, fresh(), cubic_loss, 4, lr=0.01)
    assert all(torch.equal(x, y) for step_a, step_b in zip(a, b, strict=True) for x, y in zip(step_a, step_b, strict=True))


def test_decoupled_decay_does_not_depend_on_the_gradient_history():
    """Zero gradients: AdamW shrinks by (1 − ηλ) exactly; AdamL2's decay is divided by √v̂ and moves by ~η."""
    for optimizer_class, expected in ((AdamW, 2.0 * (1 - 0.1 * 0.5)), (AdamL2, 2.0 - 0.1)):
        p = torch.tensor([2.0], requires_grad=True)
        run(optimizer_class, [p], lambda params: (params[0] * 0.0).sum(), 1, lr=0.1, weight_decay=0.5)
        assert p.item() == pytest.approx(expected, rel=1e-5)


def test_negative_weight_decay_is_refused():
    with pytest.raises(ValueError):
        AdamW(fresh(), weight_decay=-1.0)
