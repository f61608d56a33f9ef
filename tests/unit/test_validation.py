"""Settings are parsed or refused in one sentence that names the setting and what is wrong."""

import math

import pytest

from course_lib.errors import CourseInputError
from course_lib.validation import parse_choice, parse_number, parse_number_list


@pytest.mark.parametrize("text, message", [
    ("", "please enter a number"),
    ("abc", "is not a number"),
    ("1e999", "is not a finite number"),
    ("-5", "below the smallest allowed value"),
    ("2.5", "must be a whole number"),
])
def test_parse_number_says_what_is_wrong(text, message):
    with pytest.raises(CourseInputError, match=message):
        parse_number(text, "batch size", minimum=1, integer=True)


def test_parse_number_list_rejects_empty_entries_and_accepts_a_clean_list():
    with pytest.raises(CourseInputError, match="comma-separated"):
        parse_number_list("1,,2", "batch sizes")
    assert parse_number_list(" 32, 128 ,512", "batch sizes", minimum=1, integer=True) == [32, 128, 512]


@pytest.mark.parametrize("value", [True, None, [1], "", "1,5", math.nan, "-inf"])
def test_parse_number_refuses_values_that_are_not_one_finite_number(value):
    with pytest.raises(CourseInputError, match="^steps: "):
        parse_number(value, "steps")


def test_parse_number_accepts_numbers_and_numeric_text_in_range():
    assert parse_number(3, "steps", minimum=1, maximum=5, integer=True) == 3
    assert parse_number(" 2.5 ", "lr", maximum=10) == 2.5
    with pytest.raises(CourseInputError, match="above the largest allowed value, 5"):
        parse_number(6, "steps", maximum=5)


def test_parse_choice_accepts_options_labels_and_values_only():
    options = {"Xavier": "xavier", "Kaiming": "kaiming"}
    assert parse_choice("kaiming", options, "scheme") == "kaiming"
    assert parse_choice("Xavier", options, "scheme") == "xavier"
    assert parse_choice(0.001, (0.0, 0.001), "λ") == 0.001
    for bad in ("he", None, [1], True):
        with pytest.raises(CourseInputError, match="scheme: .* is not one of Xavier, Kaiming"):
            parse_choice(bad, options, "scheme")
    with pytest.raises(CourseInputError):
        parse_choice(True, (0, 1), "flag")
