"""Checks of typed input shared by the finance services: each adds its message to
`errors` under the field's name and answers the cleaned value (or None)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

MAX_TEXT = 2000


def whole(value: Any, field: str, errors: dict[str, list], *, low: int, high: int) -> int | None:
    if value is None or value == "":
        errors.setdefault(field, []).append(_l("This field is required."))
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors.setdefault(field, []).append(_l("Enter a whole number."))
        return None
    if value < low or value > high:
        errors.setdefault(field, []).append(
            _l("Enter a number from %(low)s to %(high)s.", low=low, high=high)
        )
        return None
    return value


def text(value: Any, field: str, errors: dict[str, list], *, required: bool, message=None, limit=MAX_TEXT):
    text = (value or "").strip() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        errors.setdefault(field, []).append(_l("Enter text."))
        return None
    if required and not text:
        errors.setdefault(field, []).append(message or _l("This field is required."))
        return None
    if len(text) > limit:
        errors.setdefault(field, []).append(_l("At most %(n)s characters.", n=limit))
        return None
    return text or None


def day(value: Any, field: str, errors: dict[str, list], *, today: date, earliest: date | None = None):
    if value is None:
        return today
    if not isinstance(value, date):
        errors.setdefault(field, []).append(_l("Enter a date as YYYY-MM-DD."))
        return None
    if value > today:
        errors.setdefault(field, []).append(_l("The date cannot be in the future."))
        return None
    if earliest is not None and value < earliest:
        errors.setdefault(field, []).append(
            _l("The date cannot be before %(day)s.", day=earliest.isoformat())
        )
        return None
    return value
