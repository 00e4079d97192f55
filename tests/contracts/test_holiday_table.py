"""Every public holiday and adjusted working day of 2022-2026, pinned.

Written out here from the State Council General Office notices on the
arrangement of certain holidays (国务院办公厅关于YYYY年部分节假日安排的通知),
independently of the table in marketplace/contracts/workdays.py: each day of
those five years must be a working day or not exactly as the notice says
(days not named in a notice: Monday to Friday work, weekends off).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from marketplace.contracts import workdays
from marketplace.contracts.workdays import HOLIDAY_YEARS, is_working_day

# year -> (notice, [(holiday, first day off, last day off, days in the notice, [adjusted working days])])
NOTICES: dict[int, tuple[str, list[tuple[str, str, str, int, list[str]]]]] = {
    2022: (
        "国办发明电〔2021〕11号",
        [
            ("元旦", "2022-01-01", "2022-01-03", 3, []),
            ("春节", "2022-01-31", "2022-02-06", 7, ["2022-01-29", "2022-01-30"]),
            ("清明节", "2022-04-03", "2022-04-05", 3, ["2022-04-02"]),
            ("劳动节", "2022-04-30", "2022-05-04", 5, ["2022-04-24", "2022-05-07"]),
            ("端午节", "2022-06-03", "2022-06-05", 3, []),
            ("中秋节", "2022-09-10", "2022-09-12", 3, []),
            ("国庆节", "2022-10-01", "2022-10-07", 7, ["2022-10-08", "2022-10-09"]),
        ],
    ),
    2023: (
        "国办发明电〔2022〕16号",
        [
            ("元旦", "2022-12-31", "2023-01-02", 3, []),
            ("春节", "2023-01-21", "2023-01-27", 7, ["2023-01-28", "2023-01-29"]),
            ("清明节", "2023-04-05", "2023-04-05", 1, []),
            ("劳动节", "2023-04-29", "2023-05-03", 5, ["2023-04-23", "2023-05-06"]),
            ("端午节", "2023-06-22", "2023-06-24", 3, ["2023-06-25"]),
            ("中秋节、国庆节", "2023-09-29", "2023-10-06", 8, ["2023-10-07", "2023-10-08"]),
        ],
    ),
    2024: (
        "国办发明电〔2023〕7号",
        [
            ("元旦", "2024-01-01", "2024-01-01", 1, []),
            ("春节", "2024-02-10", "2024-02-17", 8, ["2024-02-04", "2024-02-18"]),
            ("清明节", "2024-04-04", "2024-04-06", 3, ["2024-04-07"]),
            ("劳动节", "2024-05-01", "2024-05-05", 5, ["2024-04-28", "2024-05-11"]),
            ("端午节", "2024-06-10", "2024-06-10", 1, []),
            ("中秋节", "2024-09-15", "2024-09-17", 3, ["2024-09-14"]),
            ("国庆节", "2024-10-01", "2024-10-07", 7, ["2024-09-29", "2024-10-12"]),
        ],
    ),
    2025: (
        "国办发明电〔2024〕12号",
        [
            ("元旦", "2025-01-01", "2025-01-01", 1, []),
            ("春节", "2025-01-28", "2025-02-04", 8, ["2025-01-26", "2025-02-08"]),
            ("清明节", "2025-04-04", "2025-04-06", 3, []),
            ("劳动节", "2025-05-01", "2025-05-05", 5, ["2025-04-27"]),
            ("端午节", "2025-05-31", "2025-06-02", 3, []),
            ("国庆节、中秋节", "2025-10-01", "2025-10-08", 8, ["2025-09-28", "2025-10-11"]),
        ],
    ),
    2026: (
        "国办发明电〔2025〕7号",
        [
            ("元旦", "2026-01-01", "2026-01-03", 3, ["2026-01-04"]),
            ("春节", "2026-02-15", "2026-02-23", 9, ["2026-02-14", "2026-02-28"]),
            ("清明节", "2026-04-04", "2026-04-06", 3, []),
            ("劳动节", "2026-05-01", "2026-05-05", 5, ["2026-05-09"]),
            ("端午节", "2026-06-19", "2026-06-21", 3, []),
            ("中秋节", "2026-09-25", "2026-09-27", 3, []),
            ("国庆节", "2026-10-01", "2026-10-07", 7, ["2026-09-20", "2026-10-10"]),
        ],
    ),
}

ROWS = [(year, notice, *row) for year, (notice, rows) in NOTICES.items() for row in rows]


def days(first: str, last: str) -> list[date]:
    day, end = date.fromisoformat(first), date.fromisoformat(last)
    out = []
    while day <= end:
        out.append(day)
        day += timedelta(days=1)
    return out


DAYS_OFF = {d for *_, first, last, _n, _worked in ROWS for d in days(first, last)}
WORKED = {date.fromisoformat(d) for *_, worked in ROWS for d in worked}


def test_the_table_covers_the_five_notices() -> None:
    assert HOLIDAY_YEARS == frozenset(NOTICES)


@pytest.mark.parametrize(
    ("year", "notice", "holiday", "first", "last", "count", "worked"),
    ROWS,
    ids=[f"{row[0]}-{row[3]}" for row in ROWS],
)
def test_each_holiday_as_the_notice_says(
    year: int, notice: str, holiday: str, first: str, last: str, count: int, worked: list[str]
) -> None:
    off = days(first, last)
    assert len(off) == count, f"{year} {holiday} ({notice}): the notice gives {count} days"
    for day in off:
        assert not is_working_day(day), f"{day} is a day off for {holiday} ({notice})"
    for text in worked:
        day = date.fromisoformat(text)
        assert day.weekday() >= 5, f"{day} is an adjusted working day, so a weekend day"
        assert is_working_day(day), f"{day} is worked in exchange for {holiday} ({notice})"
    # The days just outside the holiday follow the ordinary week (or another holiday).
    for day in (off[0] - timedelta(days=1), off[-1] + timedelta(days=1)):
        assert is_working_day(day) == (day in WORKED or (day.weekday() < 5 and day not in DAYS_OFF))


def test_every_day_of_2022_to_2026() -> None:
    day, end = date(2022, 1, 1), date(2026, 12, 31)
    wrong = []
    while day <= end:
        expected = day in WORKED or (day.weekday() < 5 and day not in DAYS_OFF)
        if is_working_day(day) != expected:
            wrong.append(day)
        day += timedelta(days=1)
    assert wrong == []


@pytest.mark.parametrize(
    "day",
    [
        # single edits that a table can suffer unnoticed
        date(2026, 10, 1),
        date(2026, 10, 7),
        date(2024, 5, 1),
        date(2025, 10, 8),
        date(2026, 2, 23),
        date(2022, 12, 31),
    ],
)
def test_named_days_off(day: date) -> None:
    assert not is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [date(2026, 5, 9), date(2025, 4, 27), date(2026, 1, 4), date(2024, 2, 18), date(2023, 6, 25)],
)
def test_named_adjusted_working_days(day: date) -> None:
    assert is_working_day(day)


def test_the_table_reads_as_the_days_of_the_notices() -> None:
    years, off, worked = workdays._build()
    assert (years, off, worked) == (frozenset(NOTICES), frozenset(DAYS_OFF), frozenset(WORKED))


def test_a_table_line_is_read_whole(monkeypatch) -> None:
    monkeypatch.setattr(
        workdays,
        "_TABLE",
        "\n  2030 Two Words   2030-01-30..2030-02-02  2030-01-26 2030-02-09  \n2031 One  2031-01-01..2031-01-01\n",
    )
    years, off, worked = workdays._build()
    assert years == {2030, 2031}
    assert off == {date(2030, 1, 30), date(2030, 1, 31), date(2030, 2, 1), date(2030, 2, 2), date(2031, 1, 1)}
    assert worked == {date(2030, 1, 26), date(2030, 2, 9)}


@pytest.mark.parametrize(
    "table",
    ["2030 New Year 2030-01-01", "2030 New Year  2030-01-01..", "New Year  2030-01-01..2030-01-01"],
)
def test_a_bad_table_line_is_refused(monkeypatch, table: str) -> None:
    monkeypatch.setattr(workdays, "_TABLE", table)
    with pytest.raises(RuntimeError, match="bad line"):
        workdays._build()


def test_a_day_both_off_and_worked_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(workdays, "_TABLE", "2030 New Year  2030-01-01..2030-01-03  2030-01-03")
    with pytest.raises(RuntimeError, match="both off and worked"):
        workdays._build()
