"""Self-checks for the Xavier and Kaiming initialization exercises.

The student's ``init(model)`` runs on a seeded course_lib MLP with deliberately unequal layer widths,
512 → 256 → 1024 → 64, so that 1/fan_in, 1/fan_out, 2/(fan_in + fan_out) and 2/fan_in all differ.
Each layer holds ≥ 65k weights, so a sample variance lies within 3 % of the truth with overwhelming
probability (relative standard error √(2/n) ≈ 0.55 % for a normal, less for a uniform); the tolerance
is 6 standard errors + 1 %. The weights are drawn under a fixed seed, so the verdict never flickers.
When a variance is off, the check names the formula the student's variances follow, if it knows it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from course_lib.checks._runner import Wrong, call_student, describe, require_callable, self_check, snapshot
from course_lib.models import MLP

INPUT_SIZE, HIDDEN_SIZES, NUM_CLASSES = 512, (256, 1024), 64
CHECK_SEED = 2015

Variance = Callable[[int, int], float]


@dataclass(frozen=True)
class VarianceRule:
    """A formula Var(W) = variance(fan_in, fan_out), and what to tell a student whose weights follow it."""

    variance: Variance
    sentence: str


def _linear_layers(model: nn.Module) -> list[nn.Linear]:
    return [module for module in model.modules() if isinstance(module, nn.Linear)]


def _relative_tolerance(count: int) -> float:
    return 6.0 * math.sqrt(2.0 / count) + 0.01


def _matches(measured: float, target: float, count: int) -> bool:
    return abs(measured / target - 1.0) <= _relative_tolerance(count)


@dataclass(frozen=True)
class InitExercise:
    name: str
    activation: str
    expected_text: Callable[[int], str]
    accepted: Callable[[int, int, int], tuple[float, ...]]
    judged_layers: Callable[[int], bool]
    mistakes: tuple[VarianceRule, ...]


def _run_student_init(exercise: InitExercise, init: object) -> tuple[list[nn.Linear], list[torch.Tensor]]:
    torch.manual_seed(CHECK_SEED)
    model = MLP(input_size=INPUT_SIZE, hidden_sizes=HIDDEN_SIZES, num_classes=NUM_CLASSES,
                activation=exercise.activation)
    layers = _linear_layers(model)
    before = snapshot([layer.weight for layer in layers])
    returned = call_student(init, model, signature=f"{exercise.name}(model)",
                            hint=f"read the error's last line in your function; it receives the model, "
                                 f"{exercise.name}(model)")
    unchanged = [torch.equal(layer.weight.detach(), old) for layer, old in zip(layers, before, strict=True)]
    if all(unchanged):
        if isinstance(returned, nn.Module) and returned is not model:
            raise Wrong("the model you were given is unchanged and a different model was returned: change the "
                        "given model's weights in place (nn.init.…_(layer.weight) or layer.weight.data = …)")
        raise Wrong("the weights did not change: set them in place, e.g. nn.init.normal_(layer.weight, 0, std) "
                    "or layer.weight.data.uniform_(-a, a), for every nn.Linear in the model")
    for index, (layer, old) in enumerate(zip(layers, before, strict=True)):
        weight = layer.weight
        if not isinstance(weight, torch.Tensor) or weight.shape != old.shape or weight.dtype != old.dtype:
            raise Wrong(f"layer {index}'s weight is now {describe(weight)} of shape "
                        f"{tuple(getattr(weight, 'shape', ()))}; keep its shape {tuple(old.shape)} and dtype")
        if unchanged[index]:
            raise Wrong(f"layer {index} ({layer.in_features} → {layer.out_features}) was not initialized: "
                        f"loop over every nn.Linear in the model")
        if not bool(torch.isfinite(weight).all()):
            raise Wrong(f"layer {index}'s weights contain NaN or inf")
    return layers, [layer.weight.detach().double() for layer in layers]


def _diagnose(exercise: InitExercise, layers: list[nn.Linear], variances: list[float]) -> str:
    judged = [i for i in range(len(layers)) if exercise.judged_layers(i)]
    for rule in exercise.mistakes:
        if all(_matches(variances[i], rule.variance(layers[i].in_features, layers[i].out_features),
                        layers[i].weight.numel()) for i in judged):
            return rule.sentence
    for index, (layer, variance) in enumerate(zip(layers, variances, strict=True)):
        targets = exercise.accepted(index, layer.in_features, layer.out_features)
        if not any(_matches(variance, target, layer.weight.numel()) for target in targets):
            return (f"layer {index} ({layer.in_features} → {layer.out_features}) has Var(W) = {variance:.3g}, "
                    f"expected {exercise.expected_text(index)} = {' or '.join(f'{t:.3g}' for t in targets)}")
    return "the weight variances are off"


def run_init_check(exercise: InitExercise, init: object) -> str:
    """Judge the student's init on the wide MLP; return praise or raise Wrong."""
    require_callable(init, exercise.name)
    layers, weights = _run_student_init(exercise, init)
    for index, weight in enumerate(weights):
        mean, std = float(weight.mean()), float(weight.std())
        if abs(mean) > 6.0 * std / math.sqrt(weight.numel()) + 1e-3 * std:
            raise Wrong(f"layer {index}'s weights are not centred on zero (mean {mean:.3g}, std {std:.3g}): "
                        f"draw from a distribution symmetric around 0")
    variances = [float(weight.var()) for weight in weights]
    for index, (layer, variance) in enumerate(zip(layers, variances, strict=True)):
        targets = exercise.accepted(index, layer.in_features, layer.out_features)
        if not any(_matches(variance, target, layer.weight.numel()) for target in targets):
            raise Wrong(_diagnose(exercise, layers, variances))
    for index, layer in enumerate(layers):
        if layer.bias is not None and bool(layer.bias.detach().ne(0).any()):
            raise Wrong(f"the weights are right but layer {index}'s biases are not zero: set them with "
                        f"nn.init.zeros_(layer.bias) or layer.bias.data.zero_()")
    first, later = exercise.expected_text(0), exercise.expected_text(1)
    rule = later if first == later else f"{later} ({first} in the first layer)"
    return (f"the weight variances match {rule} in all {len(layers)} layers of an MLP "
            f"{INPUT_SIZE}→{'→'.join(map(str, HIDDEN_SIZES))}→{NUM_CLASSES}, and the biases are zero")


def _xavier(fan_in: int, fan_out: int) -> float:
    return 2.0 / (fan_in + fan_out)


def _kaiming(fan_in: int, fan_out: int) -> float:
    return 2.0 / fan_in


_PYTORCH_DEFAULT = VarianceRule(
    lambda fan_in, fan_out: 1.0 / (3.0 * fan_in),
    "these are PyTorch's default nn.Linear weights (Var = 1/(3·fan_in)), e.g. from reset_parameters(): "
    "draw new ones with the variance the exercise asks for")

XAVIER = InitExercise(
    name="xavier_init",
    activation="tanh",
    expected_text=lambda index: "2/(fan_in + fan_out)",
    accepted=lambda index, fan_in, fan_out: (_xavier(fan_in, fan_out),),
    judged_layers=lambda index: True,
    mistakes=(
        VarianceRule(lambda fan_in, fan_out: 1.0 / fan_in,
                     "your variances follow 1/fan_in, which uses the fan-in only: Xavier averages both fans, "
                     "Var(W) = 2/(fan_in + fan_out)"),
        VarianceRule(lambda fan_in, fan_out: 1.0 / fan_out,
                     "your variances follow 1/fan_out, which uses the fan-out only: Xavier averages both fans, "
                     "Var(W) = 2/(fan_in + fan_out)"),
        VarianceRule(_kaiming, "that is Kaiming's Var(W) = 2/fan_in; Xavier uses Var(W) = 2/(fan_in + fan_out)"),
        VarianceRule(lambda fan_in, fan_out: 1.0 / (fan_in + fan_out),
                     "the factor 2 is missing: Var(W) = 2/(fan_in + fan_out)"),
        VarianceRule(lambda fan_in, fan_out: _xavier(fan_in, fan_out) / 3.0,
                     "U(−a, a) has variance a²/3, so the uniform bound is a = √(6/(fan_in + fan_out)), "
                     "not √(2/(fan_in + fan_out))"),
        VarianceRule(lambda fan_in, fan_out: 3.0 * _xavier(fan_in, fan_out),
                     "√(6/(fan_in + fan_out)) is the bound of the uniform distribution; a normal needs the "
                     "standard deviation √(2/(fan_in + fan_out))"),
        VarianceRule(lambda fan_in, fan_out: _xavier(fan_in, fan_out) ** 2,
                     "the variance was used as the standard deviation: std = √(2/(fan_in + fan_out))"),
        VarianceRule(lambda fan_in, fan_out: 2.0 * _xavier(fan_in, fan_out),
                     "the variance is twice Xavier's (a gain of √2?): use Var(W) = 2/(fan_in + fan_out) "
                     "without a gain"),
        _PYTORCH_DEFAULT,
    ),
)

KAIMING = InitExercise(
    name="kaiming_init",
    activation="relu",
    expected_text=lambda index: "1/fan_in or 2/fan_in" if index == 0 else "2/fan_in",
    accepted=lambda index, fan_in, fan_out: (1.0 / fan_in, 2.0 / fan_in) if index == 0 else (2.0 / fan_in,),
    judged_layers=lambda index: index > 0,
    mistakes=(
        VarianceRule(lambda fan_in, fan_out: 1.0 / fan_in,
                     "Var(W) = 1/fan_in everywhere misses the ReLU's factor 2: a layer fed by a ReLU needs "
                     "Var(W) = 2/fan_in, because the ReLU zeroes half of its inputs"),
        VarianceRule(_xavier, "that is Xavier's Var(W) = 2/(fan_in + fan_out); Kaiming uses Var(W) = 2/fan_in "
                              "for layers fed by a ReLU"),
        VarianceRule(lambda fan_in, fan_out: 2.0 / fan_out,
                     "your variances follow 2/fan_out: use the fan-in (in_features, weight.shape[1]), "
                     "Var(W) = 2/fan_in"),
        VarianceRule(lambda fan_in, fan_out: 1.0 / fan_out,
                     "your variances follow 1/fan_out: use the fan-in (in_features, weight.shape[1]), "
                     "Var(W) = 2/fan_in"),
        VarianceRule(lambda fan_in, fan_out: _kaiming(fan_in, fan_out) / 3.0,
                     "U(−a, a) has variance a²/3, so the uniform bound is a = √(6/fan_in), not √(2/fan_in)"),
        VarianceRule(lambda fan_in, fan_out: 3.0 * _kaiming(fan_in, fan_out),
                     "√(6/fan_in) is the bound of the uniform distribution; a normal needs the standard "
                     "deviation √(2/fan_in)"),
        VarianceRule(lambda fan_in, fan_out: _kaiming(fan_in, fan_out) ** 2,
                     "the variance was used as the standard deviation: std = √(2/fan_in)"),
        _PYTORCH_DEFAULT,
    ),
)


@self_check("xavier_init")
def check_xavier_init(xavier_init: object) -> str:
    """Check ``xavier_init(model)``: Var(W) = 2/(fan_in + fan_out) in every Linear (uniform or normal), b = 0."""
    return run_init_check(XAVIER, xavier_init)


@self_check("kaiming_init")
def check_kaiming_init(kaiming_init: object) -> str:
    """Check ``kaiming_init(model)``: Var(W) = 2/fan_in after a ReLU (first layer 1/fan_in or 2/fan_in), b = 0."""
    return run_init_check(KAIMING, kaiming_init)
