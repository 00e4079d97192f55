"""Tests for marketplace.ip.identifiers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask_babel import Babel

from marketplace.ip.identifiers import (
    IdentifierError,
    granted_display,
    normalize_patent_number,
    patent_check_char,
    patent_kind_digit_matches,
    validate_identifier,
)

# Real application numbers (published grants), each checked by hand against
# the rule: e.g. 201710601862: 2*2+0*3+1*4+7*5+1*6+0*7+6*8+0*9+1*2+8*3+6*4+2*5
# = 157 = 14*11 + 3 -> "3".
REAL_NUMBERS = [
    "201710601862.3",  # invention
    "201811564288.X",  # invention, check character X
    "201510958772.0",  # invention, check character 0
    "202322865413.3",  # utility model
    "201330496875.1",  # design
    "201880013080.0",  # PCT invention (national phase)
]


def fullwidth(text: str) -> str:
    """The full-width form (U+FF01..U+FF5E) of ASCII text."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.fixture(autouse=True)
def babel_app() -> Iterator[Flask]:
    """Render lazy messages inside an application context."""
    app = Flask(__name__)
    Babel(app)
    with app.app_context():
        yield app


def error_of(func, *args) -> str:
    with pytest.raises(IdentifierError) as info:
        func(*args)
    assert isinstance(info.value, ValueError)
    return str(info.value)


def with_check(first12: str) -> str:
    return f"{first12}.{patent_check_char(first12)}"


def with_check8(first8: str) -> str:
    """An 8-digit number with its check character, computed here by the rule."""
    remainder = sum(int(d) * w for d, w in zip(first8, range(2, 10), strict=True)) % 11
    return f"{first8}.{'X' if remainder == 10 else remainder}"


# --- check character ------------------------------------------------------


@pytest.mark.parametrize("number", REAL_NUMBERS)
def test_real_numbers_are_valid(number: str) -> None:
    assert patent_check_char(number[:12]) == number[-1]
    assert normalize_patent_number(number) == number


def test_check_char_remainder_ten_is_x() -> None:
    assert patent_check_char("201811564288") == "X"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "12345",
        "9310000",
        "931000011",
        "2017106018623",
        "20171060186a",
        fullwidth("201710601862"),
        201710601862,
    ],
)
def test_check_char_needs_8_or_12_ascii_digits(bad: str) -> None:
    assert error_of(patent_check_char, bad) == "A check character is computed from exactly 8 or 12 digits."


# --- normalization ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "201710601862.3",
        "  201710601862.3 ",
        "CN201710601862.3",
        "cn201710601862.3",
        "ZL201710601862.3",
        "zl 2017 1060 1862.3",
        "CN 201710601862 . 3",
        fullwidth("201710601862.3"),
        fullwidth("CN201710601862.3"),
        "ZL\u3000201710601862.3",  # ideographic space
        "2017106018623",  # without the dot
    ],
)
def test_normalize_accepts_prefixes_spaces_full_width(text: str) -> None:
    assert normalize_patent_number(text) == "201710601862.3"


def test_normalize_lower_case_x() -> None:
    assert normalize_patent_number("zl201811564288.x") == "201811564288.X"


@pytest.mark.parametrize("text", ["", "   ", "CN", "zl "])
def test_normalize_empty(text: str) -> None:
    assert error_of(normalize_patent_number, text) == "Enter a patent application number."


def test_normalize_wrong_character() -> None:
    assert error_of(normalize_patent_number, "2017106018b2.3") == (
        "Patent application number 2017106018b2.3 contains the invalid "
        'character "B": use only digits, a dot and the check character.'
    )


@pytest.mark.parametrize("text", ["2017106-01862.3", "201710601862,3", "US201710601862.3"])
def test_normalize_other_wrong_characters(text: str) -> None:
    assert "invalid character" in error_of(normalize_patent_number, text)


def test_normalize_two_dots() -> None:
    assert error_of(normalize_patent_number, "2017.10601862.3") == (
        "Patent application number 2017.10601862.3 has more than one dot."
    )


@pytest.mark.parametrize(
    "text",
    [
        "20171060186.3",  # 11 digits
        "2017106018621.3",  # 13 digits
        "201710601862",  # check character missing
        "201710601862.",  # dot but no check character
        "201710601862.33",  # two check characters
        "9310001.6",  # 7 digits
        "931000011.6",  # 9 digits
        "93100001.66",
        ".3",
    ],
)
def test_normalize_wrong_length(text: str) -> None:
    assert error_of(normalize_patent_number, text) == (
        f"Patent application number {text} has the wrong length: it must be "
        "12 digits, a dot and a check character, e.g. 201710601862.3 "
        "(8 digits for numbers filed before October 2003, e.g. 93100001.7)."
    )


def test_normalize_x_in_body() -> None:
    assert error_of(normalize_patent_number, "2017106018X2.3") == (
        "Patent application number 2017106018X2.3 has an X among its "
        "digits: only the check character can be X."
    )
    assert "has an X among its digits" in error_of(normalize_patent_number, "931X0001.7")


def this_year() -> int:
    return datetime.now(ZoneInfo("Asia/Shanghai")).year


@pytest.mark.parametrize("year", [1984, 1985, 1999, 2002])
def test_twelve_digits_before_2003_do_not_exist(year: int) -> None:
    number = with_check(f"{year}10601862")
    assert error_of(normalize_patent_number, number) == (
        f"Patent application number {number} starts with the year {year}, "
        f"which is not between 2003 and {this_year()}."
    )


def test_normalize_year_in_future() -> None:
    for future in (this_year() + 1, this_year() + 2):
        number = with_check(f"{future}10601862")
        assert error_of(normalize_patent_number, number) == (
            f"Patent application number {number} starts with the year {future}, "
            f"which is not between 2003 and {this_year()}."
        )


@pytest.mark.parametrize("year", [2003, 2004])
def test_normalize_first_twelve_digit_years_accepted(year: int) -> None:
    number = with_check(f"{year}10000001")
    assert normalize_patent_number(number) == number


def test_normalize_current_year_accepted() -> None:
    number = with_check(f"{this_year()}10601862")
    assert normalize_patent_number(number) == number


# --- the 8-digit numbers filed before October 2003 ----------------------------


@pytest.mark.parametrize(
    ("first8", "check"),
    [
        # 9*2 + 3*3 + 1*4 + 0*5 + 0*6 + 0*7 + 0*8 + 1*9 = 40 = 3*11 + 7
        ("93100001", "7"),
        # 8*2 + 5*3 + 1*4 + 0 + 0 + 0 + 0 + 1*9 = 44 = 4*11 + 0
        ("85100001", "0"),
        # 0*2 + 3*3 + 2*4 + 1*5 + 2*6 + 3*7 + 4*8 + 5*9 = 132 = 12*11 + 0
        ("03212345", "0"),
        # 9*2 + 8*3 + 1*4 + 0*5 + 0*6 + 0*7 + 0*8 + 6*9 = 100 = 9*11 + 1
        ("98100006", "1"),
        # 9*2 + 9*3 + 3*4 + 0 + 0 + 0 + 0 + 1*9 = 66 = 6*11 + 0
        ("99300001", "0"),
        # 0*2 + 1*3 + 8*4 + 0 + 0 + 0 + 0 + 8*9 = 107 = 9*11 + 8
        ("01800008", "8"),
        # 9*2 + 6*3 + 2*4 + 0*5 + 0*6 + 0*7 + 4*8 + 0*9 = 76 = 6*11 + 10 -> "X"
        ("96200040", "X"),
    ],
)
def test_eight_digit_check_character(first8: str, check: str) -> None:
    assert patent_check_char(first8) == check
    assert normalize_patent_number(f"{first8}.{check}") == f"{first8}.{check}"
    assert normalize_patent_number(f"CN {first8}{check.lower()}") == f"{first8}.{check}"


@pytest.mark.parametrize("text", ["ZL 93 1 00001.7", fullwidth("93100001.7"), "931000017", "cn93100001.7"])
def test_eight_digit_forms(text: str) -> None:
    assert normalize_patent_number(text) == "93100001.7"


def test_eight_digit_wrong_check_character() -> None:
    assert error_of(normalize_patent_number, "93100001.6") == (
        "The check character of patent application number 93100001.6 is wrong: it should be 7."
    )


@pytest.mark.parametrize(
    ("yy", "year"), [("84", 1984), ("50", 1950), ("04", 2004), ("49", 2049), ("17", 2017)]
)
def test_eight_digit_years_outside_1985_to_2003_do_not_exist(yy: str, year: int) -> None:
    number = with_check8(f"{yy}100001")
    assert error_of(normalize_patent_number, number) == (
        f"Patent application number {number} starts with the year {year}, which is not between 1985 and 2003."
    )


@pytest.mark.parametrize("yy", ["85", "99", "00", "03"])
def test_eight_digit_years_1985_to_2003(yy: str) -> None:
    number = with_check8(f"{yy}100001")
    assert normalize_patent_number(number) == number


@pytest.mark.parametrize("digit", "04567")
def test_eight_digit_unknown_kind_digit(digit: str) -> None:
    number = with_check8(f"93{digit}00001")
    assert error_of(normalize_patent_number, number) == (
        f"Patent application number {number} has the unknown kind digit "
        f"{digit}: the third digit of an 8-digit number must be 1, 2, 3, 8 or 9."
    )


@pytest.mark.parametrize(
    ("first8", "kind"),
    [
        ("93100001", "invention_patent"),
        ("93800001", "invention_patent"),
        ("93200001", "utility_model"),
        ("93900001", "utility_model"),
        ("93300001", "design_patent"),
    ],
)
def test_eight_digit_kinds(first8: str, kind: str) -> None:
    number = with_check8(first8)
    assert validate_identifier(kind, number) == number
    assert patent_kind_digit_matches(number, kind)
    others = {"invention_patent", "utility_model", "design_patent"} - {kind}
    assert not any(patent_kind_digit_matches(number, other) for other in others)
    assert granted_display(number) == "ZL" + number


def test_eight_digit_of_wrong_kind() -> None:
    number = with_check8("93200001")
    assert error_of(validate_identifier, "invention_patent", number) == (
        f'{number} is a number of kind "utility model" (kind digit 2), not "invention patent".'
    )


@pytest.mark.parametrize("digit", "04567")
def test_normalize_unknown_kind_digit(digit: str) -> None:
    number = with_check(f"2017{digit}0601862")
    assert error_of(normalize_patent_number, number) == (
        f"Patent application number {number} has the unknown kind digit "
        f"{digit}: the fifth digit must be 1, 2, 3, 8 or 9."
    )


def test_normalize_wrong_check_character() -> None:
    assert error_of(normalize_patent_number, "201710601862.4") == (
        "The check character of patent application number 201710601862.4 is wrong: it should be 3."
    )


def test_normalize_wrong_check_character_shows_canonical_number() -> None:
    assert error_of(normalize_patent_number, "CN 2018 1156 4288 0") == (
        "The check character of patent application number 201811564288.0 is wrong: it should be X."
    )


def test_normalize_x_where_digit_expected() -> None:
    assert "it should be 3" in error_of(normalize_patent_number, "201710601862.X")


# --- kinds ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "kind", "expected"),
    [
        ("201710601862.3", "invention_patent", True),
        ("201880013080.0", "invention_patent", True),
        ("202322865413.3", "invention_patent", False),
        ("202322865413.3", "utility_model", True),
        ("201330496875.1", "design_patent", True),
        ("201330496875.1", "utility_model", False),
        ("201710601862.3", "design_patent", False),
        ("201710601862.3", "software_copyright", False),
        ("CN201330496875.1", "design_patent", True),
    ],
)
def test_kind_digit_matches(number: str, kind: str, expected: bool) -> None:
    assert patent_kind_digit_matches(number, kind) is expected


def test_kind_digit_matches_pct_utility_model() -> None:
    number = with_check("201990000001")
    assert patent_kind_digit_matches(number, "utility_model")
    assert not patent_kind_digit_matches(number, "invention_patent")


def test_granted_display() -> None:
    assert granted_display("CN 201710601862.3") == "ZL201710601862.3"
    assert granted_display("ZL201811564288x") == "ZL201811564288.X"


def test_granted_display_rejects_invalid() -> None:
    assert "should be 3" in error_of(granted_display, "201710601862.4")


# --- validate_identifier ------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "text", "canonical"),
    [
        ("invention_patent", "ZL201710601862.3", "201710601862.3"),
        ("invention_patent", "cn201880013080.0", "201880013080.0"),
        ("utility_model", "202322865413.3", "202322865413.3"),
        ("design_patent", " 2013 3049 6875.1", "201330496875.1"),
        ("software_copyright", "2023SR0123456", "2023SR0123456"),
        ("software_copyright", " 2023 sr 0123456 ", "2023SR0123456"),
        ("software_copyright", fullwidth("2023SR0123456"), "2023SR0123456"),
        ("ic_layout", "  BS.2150012345 ", "BS.2150012345"),
        ("plant_variety", "CNA20191234.5", "CNA20191234.5"),
        ("technical_secret", "内部编号 TS-2024-01", "内部编号 TS-2024-01"),
        ("achievement", "黑科成登字 2024-001", "黑科成登字 2024-001"),
        ("achievement", "x" * 64, "x" * 64),
    ],
)
def test_validate_identifier_canonical(kind: str, text: str, canonical: str) -> None:
    assert validate_identifier(kind, text) == canonical


def test_validate_patent_of_wrong_kind() -> None:
    assert error_of(validate_identifier, "invention_patent", "202322865413.3") == (
        '202322865413.3 is a number of kind "utility model" (kind digit 2), not "invention patent".'
    )


def test_validate_design_given_pct_invention() -> None:
    message = error_of(validate_identifier, "design_patent", "201880013080.0")
    assert '"invention patent" (kind digit 8), not "design patent"' in message


def test_validate_patent_passes_format_errors_through() -> None:
    assert "should be 3" in error_of(validate_identifier, "utility_model", "201710601862.4")


@pytest.mark.parametrize(
    "text",
    [
        "2023SR012345",
        "2023SR01234567",
        "2023CR0123456",
        "SR0123456",
        "23SR0123456",
        "2023SR01234a6",
    ],
)
def test_software_copyright_format(text: str) -> None:
    assert error_of(validate_identifier, "software_copyright", text) == (
        f"Software copyright registration number {text} must be a 4-digit "
        "year, SR and 7 digits, e.g. 2023SR0123456."
    )


def test_software_copyright_empty() -> None:
    assert error_of(validate_identifier, "software_copyright", "  ") == (
        "Enter a software copyright registration number."
    )


@pytest.mark.parametrize("year", [1992, 1993, 2023])
def test_software_copyright_years_accepted(year: int) -> None:
    assert validate_identifier("software_copyright", f"{year}SR0000001") == f"{year}SR0000001"


def test_software_copyright_current_year_is_the_last() -> None:
    year = this_year()
    assert validate_identifier("software_copyright", f"{year}SR0000001") == f"{year}SR0000001"
    assert error_of(validate_identifier, "software_copyright", f"{year + 1}sr 0000001") == (
        f"Software copyright registration number {year + 1}SR0000001 starts with the year "
        f"{year + 1}, which is not between 1992 and {year}."
    )


def test_software_copyright_year_range() -> None:
    message = error_of(validate_identifier, "software_copyright", "1991SR0000001")
    assert "the year 1991, which is not between 1992 and" in message
    future = date.today().year + 2
    assert f"the year {future}" in error_of(validate_identifier, "software_copyright", f"{future}SR0000001")


@pytest.mark.parametrize("kind", ["ic_layout", "plant_variety", "technical_secret", "achievement"])
def test_free_text_empty(kind: str) -> None:
    assert error_of(validate_identifier, kind, " \t ") == "Enter the registration number."


def test_free_text_too_long() -> None:
    assert error_of(validate_identifier, "ic_layout", "B" * 65) == (
        "The registration number is too long: at most 64 characters."
    )


@pytest.mark.parametrize("text", ["BS.21\n50012345", "CNA2019\x001234.5", "a\x07b", "a\u200bb"])
def test_free_text_control_characters(text: str) -> None:
    assert error_of(validate_identifier, "plant_variety", text) == (
        "The registration number contains a control character."
    )


def test_unknown_asset_kind() -> None:
    assert error_of(validate_identifier, "trademark", "123") == "Unknown asset kind trademark."


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("invention_patent", "Enter a patent application number."),
        ("software_copyright", "Enter a software copyright registration number."),
        ("achievement", "Enter the registration number."),
    ],
)
def test_nothing_given(kind: str, message: str) -> None:
    assert error_of(validate_identifier, kind, None) == message
    assert error_of(validate_identifier, kind, "") == message


def test_the_current_year_is_shanghais(monkeypatch) -> None:
    """At 00:30 on 1 January in Shanghai it is still the old year in UTC."""
    from datetime import UTC

    from marketplace.ip import identifiers

    class NewYearInShanghai(datetime):
        @classmethod
        def now(cls, tz=None):
            instant = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
            return instant.astimezone(tz) if tz is not None else instant.replace(tzinfo=None)

    monkeypatch.setattr(identifiers, "datetime", NewYearInShanghai)
    assert validate_identifier("software_copyright", "2027SR0000001") == "2027SR0000001"
    number = with_check("202710000001")
    assert normalize_patent_number(number) == number
    assert "not between 2003 and 2027" in error_of(normalize_patent_number, with_check("202810000001"))


def test_error_carries_its_message() -> None:
    error = IdentifierError("plain")
    assert (str(error), error.message, error.args) == ("plain", "plain", ("plain",))
