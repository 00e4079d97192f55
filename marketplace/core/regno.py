"""Technology-contract registration numbers.

16 digits: ``YYYY 23 CC PP NNNNNN`` - year of registration, province
(Heilongjiang, 23), city (3rd-4th digits of the region code, "00" for the
provincial authority), registration point ("00" for the provincial
authority), serial within that year and point (1-999999).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from flask_babel import lazy_gettext as _l

__all__ = [
    "PROVINCE_CODE",
    "REGION_CODES",
    "RegistrationNo",
    "RegistrationNoError",
    "format_registration_no",
    "parse_registration_no",
    "registration_prefix",
]

PROVINCE_CODE = "23"
#: Heilongjiang's province code and city codes (GB/T 2260, see DOMAIN.md).
REGION_CODES = frozenset(
    {
        "230000", "230100", "230200", "230300", "230400", "230500", "230600",
        "230700", "230800", "230900", "231000", "231100", "231200", "232700",
    }
)  # fmt: skip
_CITIES = frozenset(code[2:4] for code in REGION_CODES)
MAX_SERIAL = 999_999
_REGNO_RE = re.compile(r"[0-9]{16}")
_POINT_RE = re.compile(r"[0-9]{2}")


class RegistrationNoError(ValueError):
    """A registration number or one of its parts is invalid."""

    def __init__(self, message: object) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class RegistrationNo(NamedTuple):
    """The parts of a registration number."""

    year: int
    city: str  # "01".."27", "00" for the provincial authority
    point: str  # "00".."99"
    serial: int  # 1..999999

    @property
    def region_code(self) -> str:
        """The 6-digit region code of the registering authority."""
        return f"{PROVINCE_CODE}{self.city}00"

    def __str__(self) -> str:
        return f"{self.year:04d}{PROVINCE_CODE}{self.city}{self.point}{self.serial:06d}"


def _check_year(year: int) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not 1000 <= year <= 9999:
        raise RegistrationNoError(_l("The registration year must have 4 digits, not %(year)s.", year=year))
    return year


def _check_region(region_code: str) -> str:
    if region_code not in REGION_CODES:
        raise RegistrationNoError(
            _l(
                "%(code)s is not the region code of Heilongjiang or one of its cities.",
                code=region_code,
            )
        )
    return region_code[2:4]


def _check_point(point: int | str, city: str) -> str:
    if isinstance(point, int) and not isinstance(point, bool) and 0 <= point <= 99:
        text = f"{point:02d}"
    elif isinstance(point, str) and _POINT_RE.fullmatch(point):
        text = point
    else:
        raise RegistrationNoError(
            _l(
                "The registration point must be 2 digits, 00 to 99, not %(point)s.",
                point=point,
            )
        )
    if city == "00" and text != "00":
        raise RegistrationNoError(
            _l(
                "The provincial authority registers at point 00, not %(point)s.",
                point=text,
            )
        )
    return text


def _check_serial(serial: int) -> int:
    if isinstance(serial, bool) or not isinstance(serial, int) or not 1 <= serial <= MAX_SERIAL:
        raise RegistrationNoError(
            _l(
                "The serial number must be between 1 and 999999, not %(serial)s.",
                serial=serial,
            )
        )
    return serial


def registration_prefix(year: int, region_code: str, point: int | str) -> str:
    """The first 10 digits (year, province, city, point) of the numbers
    issued at one point in one year; the serial follows it."""
    city = _check_region(region_code)
    point_text = _check_point(point, city)
    return f"{_check_year(year):04d}{PROVINCE_CODE}{city}{point_text}"


def format_registration_no(year: int, region_code: str, point: int | str, serial: int) -> str:
    """The 16-digit registration number, e.g. "2024230101000042"."""
    prefix = registration_prefix(year, region_code, point)
    return f"{prefix}{_check_serial(serial):06d}"


def parse_registration_no(s: str) -> RegistrationNo:
    """Split a 16-digit registration number into its parts, validating each."""
    text = s.strip() if isinstance(s, str) else ""
    if not _REGNO_RE.fullmatch(text):
        raise RegistrationNoError(
            _l(
                "A registration number has 16 digits; %(number)s does not.",
                number=text or str(s),
            )
        )
    year = int(text[:4])
    if year < 1000:
        raise RegistrationNoError(
            _l(
                "Registration number %(number)s does not start with a year.",
                number=text,
            )
        )
    if text[4:6] != PROVINCE_CODE:
        raise RegistrationNoError(
            _l(
                "Registration number %(number)s is not from Heilongjiang: digits 5-6 must be 23.",
                number=text,
            )
        )
    city, point = text[6:8], text[8:10]
    if city not in _CITIES:
        raise RegistrationNoError(
            _l(
                "Registration number %(number)s names the unknown city code %(city)s.",
                number=text,
                city=city,
            )
        )
    if city == "00" and point != "00":
        raise RegistrationNoError(
            _l(
                "Registration number %(number)s is from the provincial "
                "authority, whose registration point is 00, not %(point)s.",
                number=text,
                point=point,
            )
        )
    serial = int(text[10:])
    if serial == 0:
        raise RegistrationNoError(
            _l(
                "Registration number %(number)s has the serial 000000; serials start at 000001.",
                number=text,
            )
        )
    return RegistrationNo(year=year, city=city, point=point, serial=serial)
