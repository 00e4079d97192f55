"""Checks on account data shared by forms, the API and the command line."""

from __future__ import annotations

import re
import threading

from flask_babel import lazy_gettext as _l
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError
from zxcvbn import zxcvbn

from ..core.catalog import ORG_KINDS, OUT_OF_PROVINCE, PROVINCE_CODE, REGIONS

COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "password123",
        "1234567890",
        "12345678910",
        "qwertyuiop",
        "woaini1314",
        "a123456789",
        "abc1234567",
        "1q2w3e4r5t",
        "qwerty12345",
        "iloveyou12",
        "admin12345",
        "zhang123456",
        "wang1234567",
        "li123456789",
    }
)
MIN_PASSWORD_LENGTH = 10
# zxcvbn's score (0-4); 3 means about 10^8 guesses or more, safely unguessable online
# and costly offline against the slow password hash.
MIN_PASSWORD_SCORE = 3
_ZXCVBN_MAX_LENGTH = 72
# zxcvbn keeps the user's own words in a module-level dictionary while it estimates.
_zxcvbn_lock = threading.Lock()

_PATTERN_REASONS = {
    "passwords": _l("It is one of the most common passwords."),
    "user_inputs": _l("Do not use your name or e-mail address in the password."),
    "dictionary": _l("Common words and names alone are easy to guess; add more uncommon words."),
    "repeat": _l("Repeated characters or words (like “aaa” or “abcabc”) are easy to guess."),
    "sequence": _l("Sequences (like “abc” or “6543”) are easy to guess."),
    "spatial": _l("Keyboard patterns (like “qwerty”) are easy to guess."),
    "date": _l("Dates and years are easy to guess."),
    "regex": _l("Dates and years are easy to guess."),
}


# A mainland mobile number (optionally +86), or a landline with its area code and an
# optional extension: 13812345678, +86 138 1234 5678, 0451-86412345, 010-12345678-806.
_MOBILE = re.compile(r"(?:\+?86)?(1[3-9]\d{9})")
_LANDLINE = re.compile(r"(0\d{2,3})-?([1-9]\d{6,7})(?:(?:-|转|ext\.?|x)(\d{1,6}))?", re.IGNORECASE)


def clean_phone(value: str) -> str:
    """A phone number in one written form ("13812345678", "0451-86412345-806");
    ValueError with a translatable message."""
    text = (value or "").strip().translate(str.maketrans("０１２３４５６７８９－＋", "0123456789-+"))
    compact = re.sub(r"[\s()（）]", "", text)
    if mobile := _MOBILE.fullmatch(compact.replace("-", "")):
        return mobile.group(1)
    if landline := _LANDLINE.fullmatch(compact):
        area, number, extension = landline.groups()
        return f"{area}-{number}" + (f"-{extension}" if extension else "")
    raise ValueError(
        _l(
            "Phone: enter a mobile number of 11 digits (e.g. 13812345678) or a landline with "
            "its area code (e.g. 0451-86412345, an extension after a hyphen)."
        )
    )


_ACCOUNT_NUMBER = re.compile(r"\d{8,30}")


def clean_account_number(value: str) -> str:
    """A bank account number as digits only (spaces, full-width digits accepted on input);
    ValueError with a translatable message.

    Chinese banks number accounts in their own ways (8 to 30 digits; some carry a
    Luhn check digit, many do not), so only the form is checked, not a check digit.
    """
    text = (value or "").translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    compact = re.sub(r"[\s\u3000]", "", text)
    if not _ACCOUNT_NUMBER.fullmatch(compact):
        raise ValueError(_l("Account number: 8 to 30 digits (spaces are allowed and removed)."))
    return compact


def clean_uscc(value: str) -> str:
    """Canonical Unified Social Credit Code; ValueError with a translatable message."""
    text = (value or "").strip().upper().replace(" ", "").replace("-", "")
    if not text:
        raise ValueError(_l("Enter the 18-character Unified Social Credit Code."))
    try:
        return stdnum_uscc.validate(text)
    except InvalidLength:
        raise ValueError(_l("A Unified Social Credit Code has 18 characters.")) from None
    except InvalidChecksum:
        raise ValueError(
            _l("The check character of this Unified Social Credit Code is wrong; please check it.")
        ) from None
    except (InvalidFormat, ValidationError):
        raise ValueError(
            _l(
                "This is not a valid Unified Social Credit Code (digits and capital letters "
                "except I, O, Z, S, V)."
            )
        ) from None


def strength_problems(password: str, user_inputs: list[str] | tuple = ()) -> list:
    """Reasons why zxcvbn estimates the password easy to guess (empty when it is not)."""
    with _zxcvbn_lock:
        result = zxcvbn(password[:_ZXCVBN_MAX_LENGTH], user_inputs=[u for u in user_inputs if u])
    if result["score"] >= MIN_PASSWORD_SCORE:
        return []
    reasons = [_l("This password is too easy to guess.")]
    for match in result["sequence"]:
        pattern = match["pattern"]
        if pattern == "dictionary" and match.get("dictionary_name") in ("passwords", "user_inputs"):
            pattern = match["dictionary_name"]
        reason = _PATTERN_REASONS.get(pattern)
        if reason is not None and reason not in reasons:
            reasons.append(reason)
    if len(reasons) == 1:
        reasons.append(_l("Make it longer, e.g. several words that do not belong together."))
    return reasons


def password_problems(password: str, email: str = "", name: str = "") -> list:
    """Why a new password is refused, in the user's language (empty when it is accepted).

    Length, letters mixed with other characters, a list of common passwords, and
    zxcvbn's strength estimate (which knows tens of thousands of common passwords,
    words, names, keyboard patterns, repeats, sequences and dates).
    """
    password = password or ""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(_l("Use at least %(n)s characters.", n=MIN_PASSWORD_LENGTH))
    if password and (password.isdigit() or password.isalpha()):
        problems.append(_l("Mix letters with digits or symbols."))
    local = (email or "").split("@")[0].lower()
    if password and (password.lower() in COMMON_PASSWORDS or (len(local) >= 4 and local in password.lower())):
        problems.append(_l("This password is too easy to guess."))
    if password and not problems:
        problems.extend(strength_problems(password, [email, local, name]))
    return problems


def organization_problems(
    *, name: str, kind: str, uscc: str | None, region_code: str, place: str | None
) -> tuple[dict[str, list], dict]:
    """Check an organization's fields; return (errors by field, cleaned values)."""
    errors: dict[str, list] = {}
    cleaned: dict = {}
    name = (name or "").strip()
    if not name:
        errors["org_name"] = [_l("Enter the organization's name.")]
    elif len(name) > 200:
        errors["org_name"] = [_l("At most 200 characters.")]
    cleaned["name"] = name
    if kind not in ORG_KINDS:
        errors["org_kind"] = [_l("Choose a kind of organization from the list.")]
    cleaned["kind"] = kind
    if region_code not in REGIONS:
        errors["region"] = [_l("Choose a region from the Heilongjiang list, or outside the province.")]
    elif kind == "regulator" and region_code == OUT_OF_PROVINCE:
        errors["region"] = [_l("A registration authority is the provincial one or a city's.")]
    cleaned["region_code"] = region_code
    place = (place or "").strip() or None
    if region_code == OUT_OF_PROVINCE and not place:
        errors["place"] = [_l("Say where the organization is (province and city).")]
    cleaned["place"] = place if region_code == OUT_OF_PROVINCE else None
    raw = (uscc or "").strip()
    if raw:
        try:
            cleaned["uscc"] = clean_uscc(raw)
        except ValueError as exc:
            errors["uscc"] = [exc.args[0]]
    elif kind != "individual":
        errors["uscc"] = [_l("Enter the 18-character Unified Social Credit Code.")]
    else:
        cleaned["uscc"] = None
    if region_code == PROVINCE_CODE and kind not in ("regulator", "agency", "other"):
        # Province-wide is for provincial bodies; others are registered in a city.
        errors.setdefault("region", []).append(_l("Choose the city where the organization is registered."))
    return errors, cleaned
