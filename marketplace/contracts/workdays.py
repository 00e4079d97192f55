"""Working days in mainland China and the registration review deadline.

The table holds the public holidays and the adjusted working days (调休:
weekend days worked in exchange) published each year by the General Office
of the State Council in its notice on the arrangement of certain holidays
(国务院办公厅关于YYYY年部分节假日安排的通知). Outside ``HOLIDAY_YEARS`` only
weekends are days off: callers should say so next to a computed deadline.

Dates are calendar dates in Asia/Shanghai; convert datetimes before calling.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l

__all__ = [
    "EXPERT_REVIEW_THRESHOLD_FEN",
    "HOLIDAY_YEARS",
    "REVIEW_DAYS",
    "REVIEW_DAYS_EXPERT",
    "add_working_days",
    "is_working_day",
    "registration_deadline",
    "working_days_between",
]

#: Registration review period in working days (DOMAIN.md, registration step 2).
REVIEW_DAYS = 15
#: Review period where technology income reaches the expert-review threshold.
REVIEW_DAYS_EXPERT = 30
#: 5,000,000 yuan in fen: at or above it the 30-day period applies.
EXPERT_REVIEW_THRESHOLD_FEN = 500_000_000

# One line per holiday: notice year, days off (first..last), adjusted
# working days. Sources, the State Council General Office notices:
#   2022  国办发明电〔2021〕11号  gov.cn/zhengce/content/2021-10/25/content_5644835.htm
#   2023  国办发明电〔2022〕16号  gov.cn/zhengce/content/2022-12/08/content_5730844.htm
#   2024  国办发明电〔2023〕7号   gov.cn/zhengce/content/202310/content_6911527.htm
#   2025  国办发明电〔2024〕12号  gov.cn/zhengce/content/202411/content_6986382.htm
#   2026  国办发明电〔2025〕7号   gov.cn/zhengce/zhengceku/202511/content_7047091.htm
#         (published 4 November 2025)
_TABLE = """
2022 New Year         2022-01-01..2022-01-03
2022 Spring Festival  2022-01-31..2022-02-06  2022-01-29 2022-01-30
2022 Qingming         2022-04-03..2022-04-05  2022-04-02
2022 Labour Day       2022-04-30..2022-05-04  2022-04-24 2022-05-07
2022 Dragon Boat      2022-06-03..2022-06-05
2022 Mid-Autumn       2022-09-10..2022-09-12
2022 National Day     2022-10-01..2022-10-07  2022-10-08 2022-10-09
2023 New Year         2022-12-31..2023-01-02
2023 Spring Festival  2023-01-21..2023-01-27  2023-01-28 2023-01-29
2023 Qingming         2023-04-05..2023-04-05
2023 Labour Day       2023-04-29..2023-05-03  2023-04-23 2023-05-06
2023 Dragon Boat      2023-06-22..2023-06-24  2023-06-25
2023 Mid-Autumn+Natl  2023-09-29..2023-10-06  2023-10-07 2023-10-08
2024 New Year         2024-01-01..2024-01-01
2024 Spring Festival  2024-02-10..2024-02-17  2024-02-04 2024-02-18
2024 Qingming         2024-04-04..2024-04-06  2024-04-07
2024 Labour Day       2024-05-01..2024-05-05  2024-04-28 2024-05-11
2024 Dragon Boat      2024-06-10..2024-06-10
2024 Mid-Autumn       2024-09-15..2024-09-17  2024-09-14
2024 National Day     2024-10-01..2024-10-07  2024-09-29 2024-10-12
2025 New Year         2025-01-01..2025-01-01
2025 Spring Festival  2025-01-28..2025-02-04  2025-01-26 2025-02-08
2025 Qingming         2025-04-04..2025-04-06
2025 Labour Day       2025-05-01..2025-05-05  2025-04-27
2025 Dragon Boat      2025-05-31..2025-06-02
2025 Natl+Mid-Autumn  2025-10-01..2025-10-08  2025-09-28 2025-10-11
2026 New Year         2026-01-01..2026-01-03  2026-01-04
2026 Spring Festival  2026-02-15..2026-02-23  2026-02-14 2026-02-28
2026 Qingming         2026-04-04..2026-04-06
2026 Labour Day       2026-05-01..2026-05-05  2026-05-09
2026 Dragon Boat      2026-06-19..2026-06-21
2026 Mid-Autumn       2026-09-25..2026-09-27
2026 National Day     2026-10-01..2026-10-07  2026-09-20 2026-10-10
"""
_ROW = re.compile(
    r"(?P<year>\d{4}) +(?P<name>\S+(?: \S+)?) +"
    r"(?P<first>\S+)\.\.(?P<last>\S+)(?P<worked>(?: +\S+)*)"
)


def _build() -> tuple[frozenset[int], frozenset[date], frozenset[date]]:
    years: set[int] = set()
    days_off: set[date] = set()
    days_on: set[date] = set()
    for line in _TABLE.strip().splitlines():
        row = _ROW.fullmatch(line.strip())
        if row is None:
            raise RuntimeError(f"holiday table: bad line {line!r}")
        years.add(int(row["year"]))
        day, last = date.fromisoformat(row["first"]), date.fromisoformat(row["last"])
        while day <= last:
            days_off.add(day)
            day += timedelta(days=1)
        days_on.update(date.fromisoformat(d) for d in row["worked"].split())
    if days_off & days_on:
        raise RuntimeError("holiday table: a day is both off and worked")
    return frozenset(years), frozenset(days_off), frozenset(days_on)


_YEARS, _DAYS_OFF, _ADJUSTED_WORKING_DAYS = _build()

#: Calendar years whose holidays and adjusted working days are known.
HOLIDAY_YEARS: frozenset[int] = _YEARS


def _check_date(d: object) -> date:
    # datetime is a date subclass; refuse it so that no one compares a UTC
    # instant with a Shanghai calendar day by accident.
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"expected a datetime.date (Asia/Shanghai), got {d!r}")
    return d


def is_working_day(d: date) -> bool:
    """Whether ``d`` is a working day (adjusted weekend working days count)."""
    d = _check_date(d)
    if d in _ADJUSTED_WORKING_DAYS:
        return True
    if d in _DAYS_OFF:
        return False
    return d.weekday() < 5


def add_working_days(start: date, n: int) -> date:
    """The ``n``-th working day after ``start`` (``start`` itself not counted).

    ``n == 0`` returns ``start``.
    """
    start = _check_date(start)
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(_l("The number of working days must be 0 or more."))
    day = start
    while n:
        day += timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def working_days_between(a: date, b: date) -> int:
    """Working days ``d`` with ``a < d <= b``; negative when ``b < a``.

    The inverse of :func:`add_working_days`:
    ``working_days_between(a, add_working_days(a, n)) == n``.
    """
    a, b = _check_date(a), _check_date(b)
    if b < a:
        return -working_days_between(b, a)
    count = 0
    day = a + timedelta(days=1)
    while day <= b:
        count += is_working_day(day)
        day += timedelta(days=1)
    return count


def registration_deadline(submitted_on: date, tech_income_fen: int) -> date:
    """Last day for the authority to decide on a registration application.

    15 working days after submission, 30 where technology income is
    5,000,000 yuan (500,000,000 fen) or more.
    """
    if isinstance(tech_income_fen, bool) or not isinstance(tech_income_fen, int) or tech_income_fen < 0:
        raise ValueError(_l("Technology income must be a whole number of fen, 0 or more."))
    days = REVIEW_DAYS_EXPERT if tech_income_fen >= EXPERT_REVIEW_THRESHOLD_FEN else REVIEW_DAYS
    return add_working_days(submitted_on, days)
