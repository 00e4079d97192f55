"""Time: stored in UTC, shown and cut by day in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC. Pass the function as a default."""
    return datetime.now(UTC)


def to_shanghai(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(SHANGHAI)


def shanghai_date(value: datetime) -> date:
    """The calendar day in China at that moment."""
    return to_shanghai(value).date()


def today_shanghai() -> date:
    return shanghai_date(utcnow())


def start_of_day_utc(day: date) -> datetime:
    """Midnight in Shanghai on `day`, as an aware UTC datetime."""
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).astimezone(UTC)
