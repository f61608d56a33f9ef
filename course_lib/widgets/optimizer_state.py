"""Printing what an optimizer keeps (``course_lib.experiments.optimizer_state``): its param groups and state."""

from __future__ import annotations

from course_lib.experiments.optimizer_state import two_group_steps


def show_param_groups_and_state(optimizer_class: type, steps: int = 2) -> None:
    """Print ``optimizer.param_groups`` (parameters by name) and ``optimizer.state`` after ``steps`` steps."""
    snapshot = two_group_steps(optimizer_class, steps=steps)
    print(f"after {steps} steps, optimizer.param_groups =")
    for group in snapshot.groups:
        print(f"  {group}")
    print("optimizer.state =")
    for name, state in snapshot.state.items():
        print(f"  {name}: {state}")
