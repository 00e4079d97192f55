"""Tests for marketplace.contracts.workdays."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from flask import Flask
from flask_babel import Babel

from marketplace.contracts.workdays import (
    EXPERT_REVIEW_THRESHOLD_FEN,
    HOLIDAY_YEARS,
    add_working_days,
    is_working_day,
    registration_deadline,
    working_days_between,
)

D = date


@pytest.fixture(autouse=True)
def babel_app() -> Iterator[Flask]:
    """Render lazy messages inside an application context."""
    app = Flask(__name__)
    Babel(app)
    with app.app_context():
        yield app


def test_holiday_years() -> None:
    assert HOLIDAY_YEARS == frozenset({2022, 2023, 2024, 2025, 2026})


@pytest.mark.parametrize(
    ("day", "working"),
    [
        # ordinary weeks
        (D(2024, 3, 4), True),  # Monday
        (D(2024, 3, 9), False),  # Saturday
        (D(2024, 3, 10), False),  # Sunday
        # Spring Festival 2024: off 10-17 Feb; Sun 4 Feb and Sun 18 Feb worked
        (D(2024, 2, 4), True),
        (D(2024, 2, 9), True),  # New Year's Eve: only "encouraged" to rest
        (D(2024, 2, 10), False),
        (D(2024, 2, 12), False),  # Monday
        (D(2024, 2, 16), False),  # Friday
        (D(2024, 2, 17), False),
        (D(2024, 2, 18), True),
        # National Day 2024: off 1-7 Oct; Sun 29 Sep and Sat 12 Oct worked;
        # Mid-Autumn 15-17 Sep with Sat 14 Sep worked
        (D(2024, 9, 14), True),
        (D(2024, 9, 16), False),
        (D(2024, 9, 29), True),
        (D(2024, 10, 1), False),
        (D(2024, 10, 7), False),  # Monday
        (D(2024, 10, 8), True),
        (D(2024, 10, 12), True),
        (D(2024, 10, 13), False),
        # Spring Festival 2025: off 28 Jan - 4 Feb; Sun 26 Jan, Sat 8 Feb worked
        (D(2025, 1, 26), True),
        (D(2025, 1, 27), True),
        (D(2025, 1, 28), False),
        (D(2025, 2, 4), False),  # Tuesday
        (D(2025, 2, 5), True),
        (D(2025, 2, 8), True),
        (D(2025, 2, 9), False),
        # National Day 2025: off 1-8 Oct; Sun 28 Sep and Sat 11 Oct worked
        (D(2025, 9, 28), True),
        (D(2025, 10, 8), False),  # Wednesday
        (D(2025, 10, 9), True),
        (D(2025, 10, 11), True),
        # other years of the table
        (D(2022, 1, 29), True),  # Saturday worked before Spring Festival
        (D(2022, 12, 31), False),  # in the 2023 notice
        (D(2023, 1, 2), False),  # Monday, New Year
        (D(2023, 6, 25), True),  # Sunday worked after Dragon Boat
        (D(2026, 1, 2), False),  # Friday, New Year
        (D(2026, 1, 4), True),  # Sunday worked
        (D(2026, 2, 14), True),  # Saturday worked
        (D(2026, 2, 23), False),  # Monday, Spring Festival
        (D(2026, 2, 28), True),  # Saturday worked
        (D(2026, 10, 10), True),  # Saturday worked
        # outside the table: weekends only
        (D(2021, 10, 1), True),
        (D(2030, 1, 1), True),
        (D(2030, 1, 5), False),
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert is_working_day(day) is working


def test_add_zero_days_is_start() -> None:
    assert add_working_days(D(2024, 2, 10), 0) == D(2024, 2, 10)


@pytest.mark.parametrize(
    ("start", "n", "end"),
    [
        (D(2024, 2, 8), 1, D(2024, 2, 9)),
        (D(2024, 2, 9), 1, D(2024, 2, 18)),  # skips the festival, lands on Sunday
        (D(2024, 2, 9), 2, D(2024, 2, 19)),
        (D(2024, 2, 3), 1, D(2024, 2, 4)),  # Saturday -> worked Sunday
        (D(2024, 9, 27), 1, D(2024, 9, 29)),
        (D(2024, 9, 30), 1, D(2024, 10, 8)),
        (D(2024, 9, 30), 5, D(2024, 10, 12)),
        (D(2025, 1, 24), 1, D(2025, 1, 26)),
        (D(2025, 1, 27), 1, D(2025, 2, 5)),
        (D(2025, 9, 26), 1, D(2025, 9, 28)),
        (D(2025, 9, 30), 1, D(2025, 10, 9)),
        (D(2025, 9, 30), 3, D(2025, 10, 11)),
        (D(2029, 12, 28), 1, D(2029, 12, 31)),  # outside the table
    ],
)
def test_add_working_days(start: date, n: int, end: date) -> None:
    assert add_working_days(start, n) == end


def test_working_days_between() -> None:
    # 8, 9, 10, 11 October and the worked Saturday 12 October
    assert working_days_between(D(2024, 9, 30), D(2024, 10, 12)) == 5
    assert working_days_between(D(2024, 10, 12), D(2024, 9, 30)) == -5
    assert working_days_between(D(2024, 10, 3), D(2024, 10, 3)) == 0
    assert working_days_between(D(2024, 10, 1), D(2024, 10, 7)) == 0


def test_between_is_inverse_of_add() -> None:
    start = D(2023, 12, 1)
    for offset in range(0, 800, 7):
        day = start + timedelta(days=offset)
        for n in (1, 15, 30):
            assert working_days_between(day, add_working_days(day, n)) == n


def test_deadline_spring_festival_2024() -> None:
    # 2 Feb, Sun 4 Feb, 5-9 Feb, Sun 18 Feb, 19-23 Feb, 26, 27 Feb = 15
    assert registration_deadline(D(2024, 2, 1), 0) == D(2024, 2, 27)
    # ... 28, 29 Feb, 1 Mar, 4-8, 11-15 Mar, 18, 19 Mar = 30
    assert registration_deadline(D(2024, 2, 1), 10**12) == D(2024, 3, 19)


def test_deadline_boundary_spring_festival_2025() -> None:
    submitted = D(2025, 1, 20)
    # 21-24 Jan, Sun 26 Jan, 27 Jan, 5-7 Feb, Sat 8 Feb, 10-14 Feb = 15
    assert registration_deadline(submitted, EXPERT_REVIEW_THRESHOLD_FEN - 1) == D(2025, 2, 14)
    # ... 17-21, 24-28 Feb, 3-7 Mar = 30
    assert registration_deadline(submitted, EXPERT_REVIEW_THRESHOLD_FEN) == D(2025, 3, 7)
    assert registration_deadline(submitted, EXPERT_REVIEW_THRESHOLD_FEN + 1) == D(2025, 3, 7)
    assert EXPERT_REVIEW_THRESHOLD_FEN == 500_000_000  # 5,000,000 yuan


def test_deadline_national_day_2025() -> None:
    # 26 Sep, Sun 28, 29, 30 Sep, 9, 10, Sat 11 Oct, 13-17, 20, 21, 22 Oct = 15
    assert registration_deadline(D(2025, 9, 25), 1) == D(2025, 10, 22)


def test_rejects_datetime() -> None:
    with pytest.raises(TypeError):
        is_working_day(datetime(2024, 2, 10, 12, 0))
    with pytest.raises(TypeError):
        add_working_days("2024-02-10", 1)  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [-1, 1.0, True, "3"])
def test_add_rejects_bad_count(n: object) -> None:
    with pytest.raises(ValueError) as info:
        add_working_days(D(2024, 1, 1), n)  # type: ignore[arg-type]
    assert str(info.value) == "The number of working days must be 0 or more."


@pytest.mark.parametrize("income", [-1, 5_000_000.0, True, None])
def test_deadline_rejects_bad_income(income: object) -> None:
    with pytest.raises(ValueError) as info:
        registration_deadline(D(2024, 1, 1), income)  # type: ignore[arg-type]
    assert str(info.value) == "Technology income must be a whole number of fen, 0 or more."
