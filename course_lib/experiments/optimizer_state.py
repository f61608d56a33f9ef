"""What a PyTorch optimizer keeps between steps: its param groups and each parameter's state.

``two_group_steps(optimizer_class)`` builds a tiny least-squares problem, ŷ = Wx + b with W (2, 3) and
b (2,), puts W and b in two param groups with their own learning rates (0.1 and 0.01), takes a few
steps, and returns what the optimizer holds afterwards as plain numbers: one dict of settings per
group (the parameters named, not printed) and, per parameter, its state (tensors as lists).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from course_lib.errors import CourseInputError

GROUP_LRS = (0.1, 0.01)


@dataclass(frozen=True)
class OptimizerSnapshot:
    """``groups``: one dict per param group, its settings plus ``"params"`` (parameter names);
    ``state``: parameter name → {state key → number, or nested lists for a tensor}."""

    groups: list[dict]
    state: dict[str, dict]


def _plain(value: object, decimals: int) -> object:
    if isinstance(value, torch.Tensor):
        rounded = value.detach().cpu().double().round(decimals=decimals)
        return rounded.item() if rounded.dim() == 0 else rounded.tolist()
    return value


def two_group_steps(optimizer_class: type, steps: int = 2, seed: int = 0, decimals: int = 4) -> OptimizerSnapshot:
    """``steps`` steps of ``optimizer_class([{W, lr 0.1}, {b, lr 0.01}], lr=0.1)`` on J = mean ‖Wx + b − y‖²."""
    if int(steps) < 1:
        raise CourseInputError(f"Take at least one step, got {steps}.")
    generator = torch.Generator().manual_seed(seed)
    x, y = torch.randn(4, 3, generator=generator), torch.randn(4, 2, generator=generator)
    weight = torch.randn(2, 3, generator=generator).requires_grad_()
    bias = torch.zeros(2, requires_grad=True)
    names = {weight: "W", bias: "b"}
    optimizer = optimizer_class([{"params": [weight], "lr": GROUP_LRS[0]}, {"params": [bias], "lr": GROUP_LRS[1]}],
                                lr=GROUP_LRS[0])
    for _ in range(int(steps)):
        optimizer.zero_grad()
        ((x @ weight.T + bias - y) ** 2).sum(dim=1).mean().backward()
        optimizer.step()
    groups = [{**{key: value for key, value in group.items() if key != "params"},
               "params": [names[p] for p in group["params"]]} for group in optimizer.param_groups]
    state = {names[p]: {key: _plain(value, decimals) for key, value in optimizer.state[p].items()}
             for group in optimizer.param_groups for p in group["params"] if p in optimizer.state}
    return OptimizerSnapshot(groups, state)
