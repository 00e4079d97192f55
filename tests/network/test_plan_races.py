"""Two regulators enter plan periods at the same moment into a table that holds
none yet: one is entered, the other gets a clear conflict, never a database
error (PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from marketplace.accounts.models import User
from marketplace.core.money import FEN_PER_YI
from marketplace.extensions import db as _db
from marketplace.network import periods
from marketplace.network.models import PlanPeriod, PlanPeriodYear
from tests import factories
from tests.race import committed, lead_of, race, rounds

pytestmark = pytest.mark.postgres


def _enter(user_id: int, first: int, last: int):
    def prepare():
        user = _db.session.get(User, user_id)
        assert periods.all_periods()  # read the periods, as the page does before the form is sent
        return lambda: periods.create_period(
            slug="",
            title=f"黑龙江省科技成果转化行动方案（{first}-{last}年）",
            title_en=None,
            first_year=first,
            last_year=last,
            turnover_target_fen=4000 * FEN_PER_YI,
            yearly_path={y: 800 * FEN_PER_YI for y in range(first, last + 1)},
            targets={"transfer_institutions": 150},
            source="省科技厅公布",
            actor=user,
        )

    return prepare


def _remove_periods() -> None:
    _db.session.execute(delete(PlanPeriodYear))
    _db.session.execute(delete(PlanPeriod))
    _db.session.commit()


@pytest.mark.parametrize("second", [(2026, 2030), (2028, 2032)], ids=["same period", "overlapping period"])
def test_two_periods_entered_at_once_into_an_empty_table(app, second):
    with rounds(app):
        with committed(app):
            regulators = [factories.user_with_role("regulator", region="230000") for _ in range(2)]
            _db.session.flush()
            ids = [u.id for u in regulators]
        try:
            for round_no in range(5):
                with app.app_context():
                    _remove_periods()  # each round starts from an empty table
                    _db.session.remove()
                outcomes = race(
                    app, _enter(ids[0], 2026, 2030), _enter(ids[1], *second), lead=lead_of(round_no)
                )
                assert sorted(outcomes) == ["conflict", "ok"], outcomes
                with app.app_context():
                    assert _db.session.scalar(select(func.count()).select_from(PlanPeriod)) == 1
                    _db.session.remove()
        finally:
            with app.app_context():
                _remove_periods()
                _db.session.remove()
