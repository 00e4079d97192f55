"""An append that waited for the ledger's lock decides on what the appender
before it committed, even where its first read was older than the head it
locked (PostgreSQL reads the key and the totals in the locking statement)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, select, text

from marketplace.extensions import db as _db
from marketplace.ledger import services
from marketplace.ledger.models import ContractTotal, LedgerEntry

from ..conftest import TEST_DATABASE_URL
from ..factories import LedgerEventFactory, amendment_of
from .test_append_only import _cleanup, _make_regulator


def _wait_for_a_lock_waiter(engine, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )
            ).scalar()
            conn.rollback()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the second append never waited for the lock")


@pytest.mark.postgres
@pytest.mark.parametrize("second", ["same_event", "amendment"])
def test_an_append_that_waited_for_the_lock_sees_what_the_holder_committed(app, second):
    from marketplace.accounts.models import User

    engine = create_engine(TEST_DATABASE_URL)
    with app.app_context():
        regulator_id, org_id = _make_regulator(_db.session)
        _db.session.commit()
        _db.session.remove()
    reg = LedgerEventFactory(contract_id=881_000_001)
    if second == "amendment":
        first, later = amendment_of(reg, 100_00, 0), amendment_of(reg, 50_00, 50_00)
    else:
        first = later = reg
    outcome: dict[str, object] = {}

    def append_later() -> None:
        try:
            with app.test_request_context("/"):
                entry = services.append_entry(later, actor=_db.session.get(User, regulator_id))
                outcome["seq"] = entry.seq
                _db.session.commit()
                _db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcome["error"] = exc

    try:
        with app.test_request_context("/"):
            actor = _db.session.get(User, regulator_id)
            if second == "amendment":
                services.append_entry(reg, actor=actor)
                _db.session.commit()
            held = services.append_entry(first, actor=actor)  # holds the lock until the commit
            held_seq = held.seq
            thread = threading.Thread(target=append_later)
            thread.start()
            _wait_for_a_lock_waiter(engine)
            _db.session.commit()
            thread.join(10)
            _db.session.remove()
        assert "error" not in outcome, outcome.get("error")
        with app.app_context():
            entries = _db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq)).all()
            totals = _db.session.get(ContractTotal, reg.contract_id)
            if second == "same_event":
                assert outcome["seq"] == held_seq  # the entry the holder appended
                assert [e.event_key for e in entries] == [reg.event_key]
                assert (totals.turnover_fen, totals.entries) == (reg.turnover_delta_fen, 1)
            else:
                assert outcome["seq"] == held_seq + 1
                assert len(entries) == 3
                assert (totals.turnover_fen, totals.tech_income_fen, totals.entries) == (
                    reg.turnover_delta_fen + 150_00,
                    reg.tech_income_delta_fen + 50_00,
                    3,
                )
            assert services.verify_ledger().ok
            assert services.summaries_match_entries()
            _db.session.remove()
    finally:
        _cleanup(engine, regulator_id, org_id)
        engine.dispose()
