"""Tests for marketplace.core.regno."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask_babel import Babel

from marketplace.core.regno import (
    REGION_CODES,
    RegistrationNo,
    RegistrationNoError,
    format_registration_no,
    parse_registration_no,
    registration_prefix,
)


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
    with pytest.raises(RegistrationNoError) as info:
        func(*args)
    assert isinstance(info.value, ValueError)
    return str(info.value)


@pytest.mark.parametrize(
    ("year", "region", "point", "serial", "number"),
    [
        (2024, "230100", 1, 42, "2024230101000042"),
        (2024, "230100", "01", 42, "2024230101000042"),
        (2024, "230000", 0, 1, "2024230000000001"),
        (2024, "230000", "00", 999_999, "2024230000999999"),
        (2025, "232700", 5, 123, "2025232705000123"),
        (2025, "231200", 99, 7, "2025231299000007"),
        (2023, "230600", "00", 10, "2023230600000010"),
    ],
)
def test_format_and_round_trip(year: int, region: str, point: int | str, serial: int, number: str) -> None:
    assert format_registration_no(year, region, point, serial) == number
    parsed = parse_registration_no(number)
    assert parsed == RegistrationNo(year, region[2:4], f"{int(point):02d}", serial)
    assert parsed.region_code == region
    assert str(parsed) == number
    assert number.startswith(registration_prefix(year, region, point))


def test_prefix() -> None:
    assert registration_prefix(2024, "230100", 1) == "2024230101"
    assert registration_prefix(2024, "230000", "00") == "2024230000"
    assert len(registration_prefix(2026, "231000", 12)) == 10


def test_every_city_round_trips() -> None:
    for region in REGION_CODES:
        point = 0 if region == "230000" else 3
        number = format_registration_no(2024, region, point, 1)
        assert parse_registration_no(number).region_code == region


def test_parse_strips_surrounding_spaces() -> None:
    assert parse_registration_no(" 2024230101000042\n").serial == 42


@pytest.mark.parametrize("year", [999, 10000, 0, -2024, "2024", True, 2024.0])
def test_format_bad_year(year: object) -> None:
    assert error_of(format_registration_no, year, "230100", 1, 1) == (
        f"The registration year must have 4 digits, not {year}."
    )


@pytest.mark.parametrize("region", ["230101", "220100", "231300", "23010", "", 230100, "000000"])
def test_format_bad_region(region: object) -> None:
    assert error_of(format_registration_no, 2024, region, 1, 1) == (
        f"{region} is not the region code of Heilongjiang or one of its cities."
    )


@pytest.mark.parametrize("point", [100, -1, "1", "001", "a1", True, None, 1.0])
def test_format_bad_point(point: object) -> None:
    assert error_of(format_registration_no, 2024, "230100", point, 1) == (
        f"The registration point must be 2 digits, 00 to 99, not {point}."
    )


@pytest.mark.parametrize("point", [1, "01", 99])
def test_format_provincial_point_must_be_00(point: object) -> None:
    assert error_of(format_registration_no, 2024, "230000", point, 1) == (
        f"The provincial authority registers at point 00, not {int(point):02d}."  # type: ignore[call-overload]
    )


@pytest.mark.parametrize("serial", [0, -1, 1_000_000, "1", True, 1.0])
def test_format_bad_serial(serial: object) -> None:
    assert error_of(format_registration_no, 2024, "230100", 1, serial) == (
        f"The serial number must be between 1 and 999999, not {serial}."
    )


def test_prefix_validates_too() -> None:
    assert "not the region code" in error_of(registration_prefix, 2024, "240100", 1)
    assert "4 digits" in error_of(registration_prefix, 24, "230100", 1)
    assert "point 00" in error_of(registration_prefix, 2024, "230000", 2)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "123",
        "20242301010000421",
        "202423010100004",
        "2024230101a00042",
        "2024 230101 000042",
        fullwidth("2024230101000042"),
    ],
)
def test_parse_not_16_digits(text: str) -> None:
    assert error_of(parse_registration_no, text) == (
        f"A registration number has 16 digits; {text.strip()} does not."
    )


def test_parse_not_a_string() -> None:
    assert error_of(parse_registration_no, None) == "A registration number has 16 digits; None does not."


def test_parse_year() -> None:
    assert error_of(parse_registration_no, "0999230101000042") == (
        "Registration number 0999230101000042 does not start with a year."
    )


def test_parse_province() -> None:
    assert error_of(parse_registration_no, "2024220101000042") == (
        "Registration number 2024220101000042 is not from Heilongjiang: digits 5-6 must be 23."
    )


@pytest.mark.parametrize("city", ["13", "26", "28", "99"])
def test_parse_unknown_city(city: str) -> None:
    number = f"202423{city}01000042"
    assert error_of(parse_registration_no, number) == (
        f"Registration number {number} names the unknown city code {city}."
    )


def test_parse_provincial_point() -> None:
    assert error_of(parse_registration_no, "2024230001000042") == (
        "Registration number 2024230001000042 is from the provincial authority, "
        "whose registration point is 00, not 01."
    )


def test_parse_serial_zero() -> None:
    assert error_of(parse_registration_no, "2024230101000000") == (
        "Registration number 2024230101000000 has the serial 000000; serials start at 000001."
    )


@pytest.mark.parametrize("year", [1000, 1001, 9998, 9999])
def test_four_digit_years_at_the_edges(year: int) -> None:
    number = format_registration_no(year, "230100", 1, 1)
    assert number == f"{year}230101000001"
    assert parse_registration_no(number).year == year


def test_parse_year_1000_is_the_first() -> None:
    assert parse_registration_no("1000230101000042").year == 1000
    assert "does not start with a year" in error_of(parse_registration_no, "0999230101000042")
    assert "does not start with a year" in error_of(parse_registration_no, "0000230101000042")


def test_error_carries_its_message() -> None:
    error = RegistrationNoError("plain")
    assert (str(error), error.message, error.args) == ("plain", "plain", ("plain",))
