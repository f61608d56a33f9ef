"""check_xavier_init and check_kaiming_init accept uniform and normal draws and name the classic mistakes."""

import math

import pytest
import torch
from torch import nn

from course_lib.checks import check_kaiming_init, check_xavier_init
from course_lib.init import init_kaiming, init_xavier


def verdict(check, answer, capsys):
    passed = check(answer)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines
    return passed, lines[0]


def linears(model):
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def init_with(variance, distribution="normal", bias=0.0, first_variance=None):
    """An init that draws each weight with Var = variance(fan_in, fan_out) and fills the biases with ``bias``."""

    def initialize(model):
        with torch.no_grad():
            for index, layer in enumerate(linears(model)):
                fan_out, fan_in = layer.weight.shape
                var = variance(fan_in, fan_out) if index or first_variance is None else first_variance(fan_in)
                if distribution == "normal":
                    layer.weight.normal_(0.0, math.sqrt(var))
                else:
                    bound = math.sqrt(3 * var)
                    layer.weight.uniform_(-bound, bound)
                layer.bias.fill_(bias)
        return model

    return initialize


def xavier_with_nn_init(model):
    """torch's own Xavier init: the exercise re-implements it, so handing the work to it scores 0."""
    for layer in model.layers:
        if isinstance(layer, nn.Linear):
            nn.init.xavier_normal_(layer.weight)
            nn.init.zeros_(layer.bias)


def kaiming_with_nn_init(model):
    """torch's own Kaiming init: the exercise re-implements it, so handing the work to it scores 0."""
    for layer in linears(model):
        nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu")
        layer.bias.data.zero_()
    return model


xavier = lambda fan_in, fan_out: 2 / (fan_in + fan_out)
kaiming = lambda fan_in, fan_out: 2 / fan_in


@pytest.mark.parametrize("answer", [
    init_xavier, init_with(xavier, "uniform"), init_with(xavier, "normal"),
])
def test_correct_xavier_passes(answer, capsys):
    passed, line = verdict(check_xavier_init, answer, capsys)
    assert passed, line
    assert line.startswith("xavier_init: correct")


@pytest.mark.parametrize("answer", [
    init_kaiming, init_with(kaiming, "normal"),
    init_with(kaiming, "uniform"), init_with(kaiming, "normal", first_variance=lambda fan_in: 1 / fan_in),
])
def test_correct_kaiming_passes(answer, capsys):
    passed, line = verdict(check_kaiming_init, answer, capsys)
    assert passed, line
    assert line.startswith("kaiming_init: correct")


def unchanged(model):
    return model


def first_layer_only(model):
    init_with(xavier, "uniform")(nn.Sequential(linears(model)[0]))


def default_reset(model):
    for layer in linears(model):
        layer.reset_parameters()
        nn.init.zeros_(layer.bias)


def new_model_returned(model):
    return init_with(xavier)(type(model)(**model.config))


def off_centre(model):
    for layer in linears(model):
        fan_out, fan_in = layer.weight.shape
        nn.init.uniform_(layer.weight, 0.0, math.sqrt(12 * 2 / (fan_in + fan_out)))
        nn.init.zeros_(layer.bias)


@pytest.mark.parametrize(("answer", "key_words"), [
    (init_with(lambda fi, fo: 1 / fi), ["1/fan_in", "fan-in only", "2/(fan_in + fan_out)"]),
    (init_with(lambda fi, fo: 1 / fo), ["1/fan_out"]),
    (init_with(kaiming), ["Kaiming"]),
    (init_with(lambda fi, fo: 1 / (fi + fo)), ["factor 2"]),
    (init_with(lambda fi, fo: xavier(fi, fo) / 3, "uniform"), ["a²/3", "√(6/(fan_in + fan_out))"]),
    (init_with(lambda fi, fo: 3 * xavier(fi, fo)), ["bound of the uniform"]),
    (init_with(lambda fi, fo: xavier(fi, fo) ** 2), ["variance was used as the standard deviation"]),
    (init_with(xavier, bias=0.01), ["biases are not zero"]),
    (init_with(lambda fi, fo: 0.01), ["layer 0", "expected 2/(fan_in + fan_out)"]),
    (unchanged, ["weights did not change"]),
    (first_layer_only, ["layer 1", "not initialized"]),
    (default_reset, ["PyTorch's default"]),
    (new_model_returned, ["different model", "in place"]),
    (off_centre, ["not centred on zero"]),
])
def test_xavier_mistakes_are_named(answer, key_words, capsys):
    passed, line = verdict(check_xavier_init, answer, capsys)
    assert not passed
    assert line.startswith("xavier_init: not right yet — ")
    for words in key_words:
        assert words in line, line


@pytest.mark.parametrize(("answer", "key_words"), [
    (init_with(lambda fi, fo: 1 / fi), ["1/fan_in everywhere", "factor 2"]),
    (init_with(xavier), ["Xavier"]),
    (init_with(lambda fi, fo: 2 / fo), ["2/fan_out", "fan-in"]),
    (init_with(lambda fi, fo: kaiming(fi, fo) / 3, "uniform"), ["a²/3", "√(6/fan_in)"]),
    (init_with(lambda fi, fo: kaiming(fi, fo) ** 2), ["variance was used as the standard deviation"]),
    (init_with(kaiming, bias=-0.1), ["biases are not zero"]),
    (init_with(kaiming, first_variance=lambda fan_in: 4 / fan_in), ["layer 0", "1/fan_in or 2/fan_in"]),
])
def test_kaiming_mistakes_are_named(answer, key_words, capsys):
    passed, line = verdict(check_kaiming_init, answer, capsys)
    assert not passed
    assert line.startswith("kaiming_init: not right yet — ")
    for words in key_words:
        assert words in line, line


@pytest.mark.parametrize(("check", "answer", "words"), [
    (check_xavier_init, xavier_with_nn_init, "`torch.nn.init.xavier_normal_`, which this exercise re-implements"),
    (check_kaiming_init, kaiming_with_nn_init, "`torch.nn.init.kaiming_uniform_`, which this exercise re-implements"),
    (check_xavier_init, lambda model: init_xavier(model, distribution="normal"), "course_lib's reference `init_xavier`"),
])
def test_handing_the_work_to_torch_or_the_reference_scores_0(check, answer, words, capsys):
    passed, line = verdict(check, answer, capsys)
    assert not passed
    assert "delegated, not accepted — your code calls " in line and words in line, line


def stub(model):
    raise NotImplementedError("Exercise: xavier_init")


def wrong_attribute(model):
    for layer in model.linear_layers:
        nn.init.xavier_uniform_(layer.weight)


@pytest.mark.parametrize(("answer", "key_words"), [
    (stub, ["not implemented yet"]),
    (wrong_attribute, ["TypeError", "not iterable"]),
    (None, ["expected your function", "got None"]),
    (init_xavier(nn.Linear(2, 2)), ["expected your function", "a torch.Linear"]),
])
def test_errors_and_wrong_types_become_one_sentence(answer, key_words, capsys):
    passed, line = verdict(check_xavier_init, answer, capsys)
    assert not passed
    for words in key_words:
        assert words in line, line


def test_init_check_keeps_global_random_state(capsys):
    torch.manual_seed(3)
    expected = torch.randn(4)
    torch.manual_seed(3)
    assert check_kaiming_init(init_kaiming)
    assert torch.equal(torch.randn(4), expected)
    capsys.readouterr()


@pytest.mark.parametrize("seed", range(8))
def test_verdicts_hold_for_other_check_seeds(seed, monkeypatch, capsys):
    """The tolerance comes from the sampling error, not from one lucky seed."""
    import course_lib.checks.initialization as initialization

    monkeypatch.setattr(initialization, "CHECK_SEED", 1000 + seed)
    assert check_xavier_init(init_xavier)
    assert check_xavier_init(init_with(xavier, "normal"))
    assert check_kaiming_init(init_kaiming)
    assert not check_xavier_init(init_with(lambda fi, fo: 1 / fi, "uniform"))
    assert not check_kaiming_init(init_with(lambda fi, fo: 1 / fi))
    lines = capsys.readouterr().out.splitlines()
    assert "fan-in only" in lines[3] and "everywhere" in lines[4], lines
