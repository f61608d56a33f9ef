"""The from-scratch optimizers follow torch.optim step for step (with the documented parameter mapping)."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.optimizers import (
    OPTIMIZERS,
    SGD,
    Adam,
    AdamL2,
    AdamW,
    CourseOptimizer,
    RMSprop,
    SGDMomentum,
    momentum_update,
    rmsprop_update,
    sgd_step,
)

STEPS = 50


def make_model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3)).double()


def make_batch(seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(32, 6, generator=generator, dtype=torch.float64)
    y = torch.randint(0, 3, (32,), generator=generator)
    return x, y


def train_with_optimizer(make_optimizer, steps: int = STEPS) -> list[torch.Tensor]:
    """Parameters after ``steps`` full-batch steps of the optimizer built by ``make_optimizer``."""
    model, (x, y) = make_model(), make_batch()
    optimizer = make_optimizer(model.parameters())
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    return [p.detach().clone() for p in model.parameters()]


def train_with_update(update, make_state, steps: int = STEPS, **hyper) -> list[torch.Tensor]:
    """Parameters after ``steps`` calls of a functional update ``update(loss, params, [state], **hyper)``."""
    model, (x, y) = make_model(), make_batch()
    params = list(model.parameters())
    state = make_state(params)
    for _ in range(steps):
        loss = F.cross_entropy(model(x), y)
        if state is None:
            update(loss, params, **hyper)
        else:
            update(loss, params, state, **hyper)
    return [p.detach().clone() for p in params]


def assert_same_parameters(ours, reference, atol=1e-10):
    for mine, theirs in zip(ours, reference, strict=True):
        torch.testing.assert_close(mine, theirs, rtol=1e-8, atol=atol)


def assert_parameters_moved(params):
    initial = [p.detach() for p in make_model().parameters()]
    assert any(not torch.allclose(a, b) for a, b in zip(params, initial, strict=True))


def test_sgd_matches_torch():
    ours = train_with_optimizer(lambda ps: SGD(ps, lr=0.3))
    assert_parameters_moved(ours)
    assert_same_parameters(ours, train_with_optimizer(lambda ps: torch.optim.SGD(ps, lr=0.3)))


@pytest.mark.parametrize("beta", [0.5, 0.9])
def test_ema_momentum_matches_torch_sgd_with_scaled_lr(beta):
    lr = 0.3
    ours = train_with_optimizer(lambda ps: SGDMomentum(ps, lr=lr, momentum=beta))
    torch_version = train_with_optimizer(
        lambda ps: torch.optim.SGD(ps, lr=lr * (1 - beta), momentum=beta, dampening=0.0))
    assert_same_parameters(ours, torch_version)


def test_ema_momentum_first_step_is_scaled_by_one_minus_beta():
    ours = train_with_optimizer(lambda ps: SGDMomentum(ps, lr=0.3, momentum=0.9), steps=1)
    plain = train_with_optimizer(lambda ps: SGD(ps, lr=0.3 * 0.1), steps=1)
    assert_same_parameters(ours, plain)


def test_rmsprop_matches_torch():
    ours = train_with_optimizer(lambda ps: RMSprop(ps, lr=1e-2, alpha=0.9, eps=1e-6))
    reference = train_with_optimizer(lambda ps: torch.optim.RMSprop(ps, lr=1e-2, alpha=0.9, eps=1e-6))
    assert_same_parameters(ours, reference)


@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.5, 0.9)])
def test_adam_matches_torch(betas):
    ours = train_with_optimizer(lambda ps: Adam(ps, lr=1e-2, beta1=betas[0], beta2=betas[1], eps=1e-6))
    reference = train_with_optimizer(lambda ps: torch.optim.Adam(ps, lr=1e-2, betas=betas, eps=1e-6))
    assert_same_parameters(ours, reference)


def test_heavy_ball_momentum_matches_torch_sgd_with_same_lr():
    zeros = lambda ps: [torch.zeros_like(p) for p in ps]
    ours = train_with_update(momentum_update, zeros, lr=0.1, beta=0.9)
    reference = train_with_optimizer(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9))
    assert_same_parameters(ours, reference)


def test_heavy_ball_and_ema_momentum_trace_the_same_path():
    beta, lr = 0.8, 0.5
    zeros = lambda ps: [torch.zeros_like(p) for p in ps]
    heavy_ball = train_with_update(momentum_update, zeros, lr=lr * (1 - beta), beta=beta)
    ema = train_with_optimizer(lambda ps: SGDMomentum(ps, lr=lr, momentum=beta))
    assert_same_parameters(heavy_ball, ema)


def test_rmsprop_update_follows_its_formula_with_eps_inside_the_sqrt():
    lr, alpha, epsilon = 1e-2, 0.8, 1e-4
    zeros = lambda ps: [torch.zeros_like(p) for p in ps]
    ours = train_with_update(rmsprop_update, zeros, lr=lr, alpha=alpha, epsilon=epsilon)

    model, (x, y) = make_model(), make_batch()
    params = list(model.parameters())
    squares = [torch.zeros_like(p) for p in params]
    for _ in range(STEPS):
        grads = torch.autograd.grad(F.cross_entropy(model(x), y), params)
        with torch.no_grad():
            for p, s, g in zip(params, squares, grads, strict=True):
                s.copy_(alpha * s + (1 - alpha) * g**2)
                p.copy_(p - lr * g / torch.sqrt(s + epsilon))
    assert_same_parameters(ours, [p.detach() for p in params])


def test_rmsprop_update_matches_torch_when_epsilon_is_zero():
    zeros = lambda ps: [torch.zeros_like(p) for p in ps]
    ours = train_with_update(rmsprop_update, zeros, lr=1e-2, alpha=0.8, epsilon=0.0)
    reference = train_with_optimizer(lambda ps: torch.optim.RMSprop(ps, lr=1e-2, alpha=0.8, eps=0.0))
    assert_same_parameters(ours, reference, atol=1e-9)


def test_functional_updates_change_state_in_place_and_leave_grad_alone():
    model, (x, y) = make_model(), make_batch()
    params = list(model.parameters())
    velocities = [torch.zeros_like(p) for p in params]
    squares = [torch.zeros_like(p) for p in params]
    ids = [id(v) for v in velocities] + [id(s) for s in squares]
    pointers = [p.data_ptr() for p in params]

    momentum_update(F.cross_entropy(model(x), y), params, velocities, lr=0.1, beta=0.9)
    rmsprop_update(F.cross_entropy(model(x), y), params, squares, lr=0.1, alpha=0.9)

    assert [id(v) for v in velocities] + [id(s) for s in squares] == ids
    assert all(v.abs().sum() > 0 for v in velocities)
    assert all(s.abs().sum() > 0 for s in squares)
    assert [p.data_ptr() for p in params] == pointers
    assert all(p.grad is None for p in params)
    assert all(p.requires_grad for p in params)


def test_functional_updates_do_not_accumulate_gradients_across_calls():
    """Calls with lr = 0 leave nothing behind: the next real step equals a first step."""
    x, y = make_batch()
    after_idle_calls, fresh = make_model(), make_model()
    idle_velocities = [torch.zeros_like(p) for p in after_idle_calls.parameters()]
    for _ in range(2):
        momentum_update(F.cross_entropy(after_idle_calls(x), y), list(after_idle_calls.parameters()),
                        idle_velocities, lr=0.0, beta=0.0)
    for model in (after_idle_calls, fresh):
        velocities = [torch.zeros_like(p) for p in model.parameters()]
        momentum_update(F.cross_entropy(model(x), y), list(model.parameters()), velocities, lr=0.2, beta=0.9)
    assert_parameters_moved(list(fresh.parameters()))
    assert_same_parameters(list(after_idle_calls.parameters()), list(fresh.parameters()))


def test_functional_updates_ignore_stale_grad_fields():
    x, y = make_batch()
    stale, clean = make_model(), make_model()
    F.cross_entropy(stale(x), y).backward()
    velocities = [[torch.zeros_like(p) for p in m.parameters()] for m in (stale, clean)]
    for model, vel in zip((stale, clean), velocities, strict=True):
        momentum_update(F.cross_entropy(model(x), y), list(model.parameters()), vel, lr=0.1, beta=0.9)
    assert_same_parameters(list(stale.parameters()), list(clean.parameters()))


def test_sgd_step_uses_stored_grads_then_clears_them():
    model, (x, y) = make_model(), make_batch()
    F.cross_entropy(model(x), y).backward()
    expected = [(p - 0.5 * p.grad).detach() for p in model.parameters()]
    sgd_step(model.parameters(), lr=0.5)
    assert_same_parameters([p.detach() for p in model.parameters()], expected)
    assert all(p.grad is None for p in model.parameters())


def test_step_skips_parameters_without_gradient():
    used, unused = torch.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
    optimizer = Adam([used, unused], lr=0.1)
    (used**2).sum().backward()
    optimizer.step()
    assert torch.all(used < 1) and torch.equal(unused.detach(), torch.ones(3))
    assert optimizer.state[used]["step"] == 1 and unused not in optimizer.state


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad_of_plain_sgd(set_to_none):
    p = torch.ones(2, requires_grad=True)
    optimizer = SGD([p], lr=0.1)
    (3 * p).sum().backward()
    optimizer.zero_grad(set_to_none=set_to_none)
    assert p.grad is None if set_to_none else torch.equal(p.grad, torch.zeros(2))


def test_base_class_requires_update():
    p = torch.ones(2, requires_grad=True)
    p.sum().backward()
    with pytest.raises(NotImplementedError, match=r"update\(self, p, grad, state, group\)"):
        CourseOptimizer([p], lr=0.1).step()


def test_state_is_kept_per_parameter_once_it_has_stepped():
    params = [torch.ones(2, requires_grad=True), torch.ones(3, requires_grad=True)]
    optimizer = SGDMomentum(params, lr=0.1, momentum=0.9)
    assert len(optimizer.state) == 0
    sum((p**2).sum() for p in params).backward()
    optimizer.step()
    assert set(optimizer.state) == set(params)
    assert [optimizer.state[p]["m"].shape for p in params] == [(2,), (3,)]


@pytest.mark.parametrize("lr", [float("nan"), float("inf"), -1.0])
def test_bad_learning_rate_is_a_clear_error(lr):
    p = torch.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="learning rate"):
        SGD([p], lr=lr)
    with pytest.raises(ValueError, match="learning rate"):
        momentum_update((p**2).sum(), [p], [torch.zeros(2)], lr=lr)


def test_bad_hyperparameters_are_clear_errors():
    p = torch.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="momentum"):
        SGDMomentum([p], lr=0.1, momentum=1.5)
    with pytest.raises(ValueError, match="beta2"):
        Adam([p], beta2=1.0)
    with pytest.raises(ValueError, match="empty"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="velocity"):
        momentum_update((p**2).sum(), [p], [], lr=0.1)
    with pytest.raises(ValueError, match="scalar"):
        momentum_update(p**2, [p], [torch.zeros(2)], lr=0.1)


def test_registry_names_the_four_classes():
    assert OPTIMIZERS == {"SGD": SGD, "Momentum": SGDMomentum, "RMSprop": RMSprop, "Adam": Adam}


# torch.optim interplay: param groups, state_dict, zero_grad, schedulers, closures, sparse gradients --------------

TORCH_TWINS = [
    (lambda ps: SGD(ps, lr=0.2), lambda ps: torch.optim.SGD(ps, lr=0.2)),
    (lambda ps: SGDMomentum(ps, lr=0.2, momentum=0.8),
     lambda ps: torch.optim.SGD(ps, lr=0.2 * 0.2, momentum=0.8)),
    (lambda ps: RMSprop(ps, lr=1e-2, alpha=0.9, eps=1e-6),
     lambda ps: torch.optim.RMSprop(ps, lr=1e-2, alpha=0.9, eps=1e-6, foreach=False)),
    (lambda ps: Adam(ps, lr=1e-2, beta1=0.8, beta2=0.95, eps=1e-6),
     lambda ps: torch.optim.Adam(ps, lr=1e-2, betas=(0.8, 0.95), eps=1e-6, foreach=False)),
    (lambda ps: AdamW(ps, lr=1e-2, weight_decay=0.3), lambda ps: torch.optim.AdamW(ps, lr=1e-2, weight_decay=0.3,
                                                                                     foreach=False)),
    (lambda ps: AdamL2(ps, lr=1e-2, weight_decay=0.3), lambda ps: torch.optim.Adam(ps, lr=1e-2, weight_decay=0.3,
                                                                                     foreach=False)),
]
TWIN_IDS = ["SGD", "SGDMomentum", "RMSprop", "Adam", "AdamW", "AdamL2"]


def two_groups(model: nn.Module, **second) -> list[dict]:
    """Weights in one group, biases in another with its own settings (``second``)."""
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
    return [{"params": weights}, {"params": biases, **second}]


@pytest.mark.parametrize(("ours", "theirs"), TORCH_TWINS, ids=TWIN_IDS)
def test_two_param_groups_with_their_own_lr_match_torch(ours, theirs):
    def grouped(make):
        def make_optimizer(params):
            model = make_model()
            optimizer = make(two_groups(model))
            optimizer.param_groups[1]["lr"] *= 0.1
            if "weight_decay" in optimizer.param_groups[1]:
                optimizer.param_groups[1]["weight_decay"] = 0.0
            return model, optimizer
        return make_optimizer

    trajectories = []
    for make in (ours, theirs):
        model, optimizer = grouped(make)(None)
        x, y = make_batch()
        for _ in range(20):
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
        trajectories.append([p.detach().clone() for p in model.parameters()])
    assert_parameters_moved(trajectories[0])
    assert_same_parameters(*trajectories)


def test_a_param_group_setting_is_validated_like_a_constructor_argument():
    model = make_model()
    with pytest.raises(ValueError, match="beta1"):
        Adam(two_groups(model, beta1=1.5), lr=0.1)
    with pytest.raises(ValueError, match="weight_decay"):
        AdamW(two_groups(model, weight_decay=-1.0), lr=0.1)


def test_adamw_no_decay_group_keeps_its_zero_and_others_get_the_default():
    optimizer = AdamW(two_groups(make_model(), weight_decay=0.0), lr=0.1, weight_decay=0.05)
    assert [group["weight_decay"] for group in optimizer.param_groups] == [0.05, 0.0]
    assert optimizer.defaults["weight_decay"] == 0.05


@pytest.mark.parametrize(("ours", "theirs"), TORCH_TWINS, ids=TWIN_IDS)
def test_state_dict_round_trip_resumes_exactly(ours, theirs):
    x, y = make_batch()

    def steps(model, optimizer, count):
        for _ in range(count):
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()

    straight = make_model()
    straight_optimizer = ours(straight.parameters())
    steps(straight, straight_optimizer, 6)

    first = make_model()
    first_optimizer = ours(first.parameters())
    steps(first, first_optimizer, 3)
    saved_state = copy.deepcopy(first_optimizer.state_dict())
    resumed = make_model()
    resumed.load_state_dict(first.state_dict())
    resumed_optimizer = ours(resumed.parameters())
    resumed_optimizer.load_state_dict(saved_state)
    steps(resumed, resumed_optimizer, 3)
    assert_same_parameters(list(resumed.parameters()), list(straight.parameters()), atol=0)


def test_state_dict_survives_torch_save_and_load(tmp_path):
    model = make_model()
    optimizer = Adam(model.parameters(), lr=0.01)
    x, y = make_batch()
    F.cross_entropy(model(x), y).backward()
    optimizer.step()
    torch.save(optimizer.state_dict(), tmp_path / "adam.pt")
    loaded = torch.load(tmp_path / "adam.pt", weights_only=True)
    fresh = Adam(make_model().parameters(), lr=0.5)
    fresh.load_state_dict(loaded)
    assert fresh.param_groups[0]["lr"] == 0.01
    assert all(state["step"] == 1 for state in fresh.state.values())


@pytest.mark.parametrize("set_to_none", [True, False])
@pytest.mark.parametrize("make", [lambda ps: Adam(ps, lr=0.1), lambda ps: torch.optim.Adam(ps, lr=0.1)],
                         ids=["course", "torch"])
def test_zero_grad_behaves_as_torchs(make, set_to_none):
    p = torch.ones(2, requires_grad=True)
    optimizer = make([p])
    (3 * p).sum().backward()
    optimizer.zero_grad(set_to_none=set_to_none)
    assert p.grad is None if set_to_none else torch.equal(p.grad, torch.zeros(2))


def test_lambda_lr_drives_a_course_optimizer_like_torchs():
    factors = lambda step: min(1.0, (step + 1) / 4)
    used = {}
    for name, make in (("course", lambda ps: Adam(ps, lr=0.1)), ("torch", lambda ps: torch.optim.Adam(ps, lr=0.1))):
        model, (x, y) = make_model(), make_batch()
        optimizer = make(model.parameters())
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factors)
        lrs = []
        for _ in range(6):
            lrs.append(optimizer.param_groups[0]["lr"])
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
            scheduler.step()
        used[name] = (lrs, [p.detach().clone() for p in model.parameters()])
    assert used["course"][0] == pytest.approx([0.025, 0.05, 0.075, 0.1, 0.1, 0.1])
    assert used["course"][0] == used["torch"][0]
    assert_same_parameters(used["course"][1], used["torch"][1], atol=1e-9)


def test_step_evaluates_a_closure_and_returns_its_loss():
    model, (x, y) = make_model(), make_batch()
    optimizer = SGD(model.parameters(), lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        return loss

    before = closure().item()
    assert optimizer.step(closure).item() == pytest.approx(before)
    assert F.cross_entropy(model(x), y).item() < before


def test_sparse_gradients_get_a_one_line_error():
    embedding = nn.Embedding(10, 3, sparse=True)
    optimizer = Adam(embedding.parameters(), lr=0.1)
    embedding(torch.tensor([1, 2])).sum().backward()
    with pytest.raises(RuntimeError, match="does not support sparse gradients") as caught:
        optimizer.step()
    assert "\n" not in str(caught.value)
