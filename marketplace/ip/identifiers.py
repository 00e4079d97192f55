"""Identifiers of IP assets: Chinese patent application numbers, software
copyright registration numbers and the free-text numbers of other kinds.

Every public function returns the canonical form of an identifier or raises
:class:`IdentifierError` (a ``ValueError``) carrying a translatable message.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

__all__ = [
    "ASSET_KINDS",
    "PATENT_KINDS",
    "IdentifierError",
    "granted_display",
    "normalize_patent_number",
    "patent_check_char",
    "patent_kind_digit_matches",
    "validate_identifier",
]

_SHANGHAI = ZoneInfo("Asia/Shanghai")

#: Weights of the 12 digits in the check-character computation (an 8-digit
#: number of the old format uses the first 8: 2 to 9).
_PATENT_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
#: First year of the Chinese patent system (Patent Law in force 1 April 1985).
FIRST_PATENT_YEAR = 1985
#: Application numbers have 12 digits (YYYY K NNNNNNN) from 1 October 2003;
#: before, 8 digits (YY K NNNNN), both followed by a dot and the check character.
FIRST_12_DIGIT_YEAR = 2003
#: Kind digit (5th digit) of an application number -> what it denotes.
_KIND_DIGITS = {
    "1": "invention_patent",
    "2": "utility_model",
    "3": "design_patent",
    "8": "invention_patent",  # PCT application entering the national phase
    "9": "utility_model",  # PCT application entering the national phase
}
#: Patent asset kinds -> the kind digits they accept.
PATENT_KINDS: dict[str, frozenset[str]] = {
    "invention_patent": frozenset("18"),
    "utility_model": frozenset("29"),
    "design_patent": frozenset("3"),
}
#: Every asset kind (see DOMAIN.md, "IP assets and achievements").
ASSET_KINDS = (
    "invention_patent",
    "utility_model",
    "design_patent",
    "software_copyright",
    "ic_layout",
    "plant_variety",
    "technical_secret",
    "achievement",
)
_KIND_NAMES = {
    "invention_patent": _l("invention patent"),
    "utility_model": _l("utility model"),
    "design_patent": _l("design patent"),
}
_FREE_TEXT_MAX = 64
#: Software copyright registration started under the 1991 regulations.
FIRST_SOFTWARE_YEAR = 1992

_PATENT_ALPHABET = frozenset("0123456789.X")
_SOFTWARE_RE = re.compile(r"([0-9]{4})SR([0-9]{7})")
_CHECKED_DIGITS = re.compile(r"[0-9]{8}|[0-9]{12}")


class IdentifierError(ValueError):
    """An identifier is malformed; ``str(exc)`` is the translated message."""

    def __init__(self, message: object) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def _current_year() -> int:
    return datetime.now(_SHANGHAI).year


def _compact(text: str) -> str:
    """Fold full-width forms (NFKC), drop all whitespace, upper-case."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(folded.split()).upper()


def patent_check_char(first12: str) -> str:
    """Return the check character ("0"-"9" or "X") of 12 application digits
    (or of the 8 digits of a number of the format used before October 2003)."""
    if not isinstance(first12, str) or not _CHECKED_DIGITS.fullmatch(first12):
        raise IdentifierError(_l("A check character is computed from exactly 8 or 12 digits."))
    remainder = sum(int(d) * w for d, w in zip(first12, _PATENT_WEIGHTS, strict=False)) % 11
    return "X" if remainder == 10 else str(remainder)


def _kind_digit(number: str) -> str:
    """The kind digit of a canonical number: the 5th of 12 digits, the 3rd of 8."""
    return number[2] if number.index(".") == 8 else number[4]


def _filing_year(body: str) -> int:
    if len(body) == 12:
        return int(body[:4])
    yy = int(body[:2])
    return 1900 + yy if yy >= 50 else 2000 + yy


def normalize_patent_number(text: str) -> str:
    """Return the canonical application number, e.g. "201710601862.3".

    Accepts an optional "CN" or "ZL" prefix (any case), spaces, full-width
    digits and dot, and the number with or without its dot. Numbers filed
    before October 2003 have 8 digits (e.g. "93100001.7"), later ones 12;
    a 12-digit number of a year before 2003, or an 8-digit one after it,
    does not exist.
    """
    compact = _compact(text or "")
    if compact[:2] in ("CN", "ZL"):
        compact = compact[2:]
    if not compact:
        raise IdentifierError(_l("Enter a patent application number."))
    shown = (text or "").strip()
    bad = next((c for c in compact if c not in _PATENT_ALPHABET), None)
    if bad is not None:
        raise IdentifierError(
            _l(
                "Patent application number %(number)s contains the invalid "
                'character "%(char)s": use only digits, a dot and the check '
                "character.",
                number=shown,
                char=bad,
            )
        )
    if compact.count(".") > 1:
        raise IdentifierError(
            _l(
                "Patent application number %(number)s has more than one dot.",
                number=shown,
            )
        )
    if "." in compact:
        body, check = compact.split(".")
    else:
        body, check = compact[:-1], compact[-1:]
    if len(body) not in (8, 12) or len(check) != 1:
        raise IdentifierError(
            _l(
                "Patent application number %(number)s has the wrong length: "
                "it must be 12 digits, a dot and a check character, "
                "e.g. 201710601862.3 (8 digits for numbers filed before "
                "October 2003, e.g. 93100001.7).",
                number=shown,
            )
        )
    if "X" in body:
        raise IdentifierError(
            _l(
                "Patent application number %(number)s has an X among its "
                "digits: only the check character can be X.",
                number=shown,
            )
        )
    year = _filing_year(body)
    if len(body) == 12:
        first_year, last_year = FIRST_12_DIGIT_YEAR, _current_year()
    else:
        first_year, last_year = FIRST_PATENT_YEAR, FIRST_12_DIGIT_YEAR
    if not first_year <= year <= last_year:
        raise IdentifierError(
            _l(
                "Patent application number %(number)s starts with the year "
                "%(year)s, which is not between %(first)s and %(last)s.",
                number=shown,
                year=year,
                first=first_year,
                last=last_year,
            )
        )
    kind = _kind_digit(f"{body}.")
    if kind not in _KIND_DIGITS:
        if len(body) == 8:
            raise IdentifierError(
                _l(
                    "Patent application number %(number)s has the unknown kind "
                    "digit %(digit)s: the third digit of an 8-digit number must "
                    "be 1, 2, 3, 8 or 9.",
                    number=shown,
                    digit=kind,
                )
            )
        raise IdentifierError(
            _l(
                "Patent application number %(number)s has the unknown kind "
                "digit %(digit)s: the fifth digit must be 1, 2, 3, 8 or 9.",
                number=shown,
                digit=kind,
            )
        )
    expected = patent_check_char(body)
    if check != expected:
        raise IdentifierError(
            _l(
                "The check character of patent application number "
                "%(number)s is wrong: it should be %(check)s.",
                number=f"{body}.{check}",
                check=expected,
            )
        )
    return f"{body}.{check}"


def patent_kind_digit_matches(number: str, asset_kind: str) -> bool:
    """Whether the kind digit of a (valid) application number fits the kind.

    invention_patent: 1 or 8; utility_model: 2 or 9; design_patent: 3.
    Any other asset kind never matches.
    """
    accepted = PATENT_KINDS.get(asset_kind)
    if accepted is None:
        return False
    return _kind_digit(normalize_patent_number(number)) in accepted


def granted_display(number: str) -> str:
    """The number of a granted patent: "ZL" + the canonical number."""
    return "ZL" + normalize_patent_number(number)


def _software_copyright(text: str) -> str:
    compact = _compact(text or "")
    if not compact:
        raise IdentifierError(_l("Enter a software copyright registration number."))
    match = _SOFTWARE_RE.fullmatch(compact)
    if match is None:
        raise IdentifierError(
            _l(
                "Software copyright registration number %(number)s must be a "
                "4-digit year, SR and 7 digits, e.g. 2023SR0123456.",
                number=(text or "").strip(),
            )
        )
    year = int(match.group(1))
    last_year = _current_year()
    if not FIRST_SOFTWARE_YEAR <= year <= last_year:
        raise IdentifierError(
            _l(
                "Software copyright registration number %(number)s starts "
                "with the year %(year)s, which is not between %(first)s and "
                "%(last)s.",
                number=compact,
                year=match.group(1),
                first=FIRST_SOFTWARE_YEAR,
                last=last_year,
            )
        )
    return compact


def _free_text(text: str) -> str:
    value = (text or "").strip()
    if not value:
        raise IdentifierError(_l("Enter the registration number."))
    if len(value) > _FREE_TEXT_MAX:
        raise IdentifierError(
            _l(
                "The registration number is too long: at most %(max)s characters.",
                max=_FREE_TEXT_MAX,
            )
        )
    if any(unicodedata.category(c).startswith("C") for c in value):
        raise IdentifierError(_l("The registration number contains a control character."))
    return value


def validate_identifier(asset_kind: str, text: str) -> str:
    """Validate the identifier of an asset of ``asset_kind``; return it canonical.

    Patents: a valid application number whose kind digit fits the kind.
    Software copyright: e.g. "2023SR0123456". Other kinds (ic_layout,
    plant_variety, technical_secret, achievement): trimmed text, 1-64
    characters, no control characters.
    """
    if asset_kind in PATENT_KINDS:
        number = normalize_patent_number(text)
        digit = _kind_digit(number)
        if digit not in PATENT_KINDS[asset_kind]:
            raise IdentifierError(
                _l(
                    '%(number)s is a number of kind "%(actual)s" (kind digit %(digit)s), not "%(expected)s".',
                    number=number,
                    actual=_KIND_NAMES[_KIND_DIGITS[digit]],
                    digit=digit,
                    expected=_KIND_NAMES[asset_kind],
                )
            )
        return number
    if asset_kind == "software_copyright":
        return _software_copyright(text)
    if asset_kind in ASSET_KINDS:
        return _free_text(text)
    raise IdentifierError(_l("Unknown asset kind %(kind)s.", kind=str(asset_kind)))
