"""The shared runner: one printed sentence, True/False, no exception escapes, global state restored."""

import random

import numpy as np
import pytest
import torch

import course_lib.checks as checks
from course_lib.checks._runner import Wrong, call_student, self_check
from course_lib.optimizers import CourseOptimizer, momentum_update, sgd_step


def only_line(capsys):
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_public_api_lists_one_check_per_exercise():
    assert sorted(checks.__all__) == sorted(exercise.check.__name__ for exercise in checks.EXERCISES.values())
    assert all(getattr(checks, exercise.check.__name__) is exercise.check for exercise in checks.EXERCISES.values())


def test_praise_and_wrong_become_one_sentence_each(capsys):
    @self_check("demo")
    def check_demo(answer):
        if answer != 42:
            raise Wrong("the answer should be 42")
        return "the answer is 42"

    assert check_demo(42) is True
    assert only_line(capsys) == "demo: correct — the answer is 42."
    assert check_demo(41) is False
    assert only_line(capsys) == "demo: not right yet — the answer should be 42."


def test_student_exceptions_are_reported_with_type_message_and_hint(capsys):
    def student():
        raise ValueError("velocity is missing.\nsecond line of a long message")

    @self_check("demo")
    def check_demo(answer):
        call_student(answer, hint="look at your dictionary keys", signature="demo()")
        return "fine"

    assert check_demo(student) is False
    assert only_line(capsys) == ("demo: your code raised ValueError: velocity is missing (in student, line 40: "
                                 "`raise ValueError(\"velocity is missing.\\nsecond line of a long message\")`) — "
                                 "hint: look at your dictionary keys.")


def test_a_flaw_in_the_check_itself_is_reported_not_raised(capsys):
    @self_check("demo")
    def check_demo(answer):
        return answer.missing_attribute

    assert check_demo(object()) is False
    assert "demo: the check could not judge this answer (AttributeError" in only_line(capsys)


def test_checks_work_under_no_grad_and_restore_threads_and_random_state(capsys):
    threads = torch.get_num_threads()
    torch.manual_seed(5)
    np.random.seed(5)
    random.seed(5)
    expected = (torch.rand(2), np.random.rand(2), random.random())
    torch.manual_seed(5)
    np.random.seed(5)
    random.seed(5)
    with torch.no_grad():
        assert checks.check_momentum_update(momentum_update)
        assert checks.check_sgd_step(sgd_step)
        assert not torch.is_grad_enabled()
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.rand(2), expected[0])
    assert np.array_equal(np.random.rand(2), expected[1])
    assert random.random() == expected[2]
    capsys.readouterr()


def _replace_first_state(loss, params, state, **hyper):
    state[0] = None


def _truncate_parameters(params, lr):
    for p in params:
        p.data = p.data[:1]


def _shrink_weights(model):
    for module in model.modules():
        if isinstance(module, torch.nn.Linear):
            module.weight = torch.nn.Parameter(torch.zeros(2, 2))


def _nan_weights(model):
    for module in model.modules():
        if isinstance(module, torch.nn.Linear):
            torch.nn.init.constant_(module.weight, float("nan"))


class _ShrinkingAdam(CourseOptimizer):
    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(params, lr=lr)

    def update(self, p, grad, state, group):
        p.data = p.data.flatten()[:1]


@pytest.mark.parametrize(("check", "answer", "key_words"), [
    (checks.check_momentum_update, _replace_first_state, ["grad_vel[0] is None"]),
    (checks.check_rmsprop_update, lambda loss, params, grad_sq, **hyper: grad_sq.clear(), ["one tensor per parameter"]),
    (checks.check_xavier_init, _shrink_weights, ["layer 0's weight", "(256, 512)"]),
    (checks.check_kaiming_init, _nan_weights, ["NaN"]),
    (checks.check_sample_minibatch, lambda x, y, num_points=100: (None, None), ["inputs tensor is None"]),
    (checks.check_sample_minibatch, lambda x, y, num_points=100: (x[0, 0, 0], y[0]), ["wrong batch size"]),
    (checks.check_sgd_step, _truncate_parameters, ["parameter 0 has shape (1, 3), expected (4, 3)"]),
    (checks.check_adam, _ShrinkingAdam, ["parameter 0 has shape (1,), expected (3, 4)"]),
])
def test_odd_answers_get_a_specific_sentence_not_a_check_failure(check, answer, key_words, capsys):
    assert check(answer) is False
    line = only_line(capsys)
    assert "could not judge" not in line
    for words in key_words:
        assert words in line, line


def test_a_check_shows_its_students_parameter_and_returns_a_bool():
    """help(check_adam) in a notebook shows check_adam(adam_class) -> bool, not the body's '-> str'."""
    import inspect

    from course_lib.checks import EXERCISES

    for exercise in EXERCISES.values():
        signature = inspect.signature(exercise.check)
        assert len(signature.parameters) == 1 and signature.return_annotation is bool, exercise.check.__name__


def test_an_error_in_the_students_code_names_the_line_it_happened_on(capsys):
    from course_lib.checks import check_momentum_update

    def momentum_update(loss, params, velocities, lr, beta):
        grads = torch.autograd.grad(loss, params)
        return grads[7]  # the line the sentence must name

    assert not check_momentum_update(momentum_update)
    sentence = capsys.readouterr().out
    assert "IndexError" in sentence and "(in momentum_update, line" in sentence and "`return grads[7]" in sentence
