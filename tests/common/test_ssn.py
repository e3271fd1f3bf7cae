import datetime as dt

import pytest

from common.ssn import (
    InvalidSSN,
    check_digit,
    gender_of,
    is_valid_ssn,
    make_ssn,
    mask_card_number,
    mask_name,
    mask_ssn,
    validate_ssn,
)


def test_known_check_digits():
    # GB 11643-1999 worked example and a number ending in X
    assert check_digit("11010519491231002") == "X"
    assert validate_ssn("11010519491231002x") == "11010519491231002X"
    assert check_digit("44052418800101001") == "4"


def test_make_ssn_round_trip_and_gender():
    number = make_ssn("320583", dt.date(1968, 7, 9), 123)
    assert is_valid_ssn(number)
    assert number.startswith("32058319680709123")
    assert gender_of(number) == "1"
    assert gender_of(make_ssn("441900", dt.date(1990, 1, 2), 124)) == "2"


@pytest.mark.parametrize(
    "bad, reason",
    [
        ("", "length"),
        ("3205831968070912", "length"),
        ("32058319680709123A", "check"),
        ("3205831968A709123X", "digits"),
        ("320583196813091234", "date"),
    ],
)
def test_invalid_numbers_say_why(bad, reason):
    with pytest.raises(InvalidSSN, match=reason):
        validate_ssn(bad)


def test_wrong_check_digit_refused():
    good = make_ssn("110105", dt.date(1955, 3, 1), 7)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    assert not is_valid_ssn(wrong)


def test_masks_hide_the_middle():
    assert mask_ssn("330106199001011234") == "3301**********1234"
    assert mask_ssn(None) == ""
    assert mask_ssn("123") == "***"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("李") == "*"
    assert mask_card_number("A12345678") == "A******78"
