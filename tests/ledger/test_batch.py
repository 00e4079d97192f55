"""`append_entries`: many events under one lock give what appending them one by one gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from marketplace.core.errors import Conflict, PermissionDenied
from marketplace.ledger import checkpoints, services
from marketplace.ledger.models import ContractTotal, LedgerEntry, LedgerSummary

from ..factories import LedgerEventFactory, amendment_of, cancellation_of, user_with_role


def _events():
    first = LedgerEventFactory(seller_region="230100")
    second = LedgerEventFactory(seller_region="230600", industry="chemical", category="license_patent")
    third = LedgerEventFactory(seller_region="230100", seller_org_kind="enterprise")
    return [
        first,
        second,
        amendment_of(first, 50_000_00, 10_000_00),
        third,
        cancellation_of(second, second.turnover_delta_fen, second.tech_income_delta_fen),
        amendment_of(first, -20_000_00, 0),
    ]


def _times(n: int):
    start = datetime(2024, 6, 1, 2, 0, tzinfo=UTC)
    return [start + timedelta(hours=i) for i in range(n)]


def _state(db):
    entries = [
        (e.seq, e.event_key, e.prev_hash, e.hash, e.contracts_delta)
        for e in db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq))
    ]
    totals = sorted(
        (t.contract_id, t.turnover_fen, t.tech_income_fen, t.entries, t.last_seq, t.cancelled)
        for t in db.session.scalars(select(ContractTotal))
    )
    summary = sorted(
        (
            s.dim,
            s.period,
            s.year,
            s.seller_region,
            s.key,
            s.turnover_fen,
            s.tech_income_fen,
            s.contracts,
            s.entries,
        )
        for s in db.session.scalars(select(LedgerSummary))
    )
    return entries, totals, summary, services.ledger_head()


def test_a_batch_gives_the_chain_totals_and_summaries_of_one_by_one(db, in_request):
    regulator = user_with_role("regulator")
    events, times = _events(), _times(6)
    services.append_entry(LedgerEventFactory(), actor=regulator)  # something before
    db.session.flush()
    savepoint = db.session.begin_nested()
    for event, at in zip(events, times, strict=True):
        services.append_entry(event, actor=regulator, recorded_at=at)
    db.session.flush()
    one_by_one = _state(db)
    savepoint.rollback()
    db.session.expire_all()
    assert services.append_entries(events, actor=regulator, recorded_at=times) == 6
    db.session.expire_all()
    assert _state(db) == one_by_one
    assert services.verify_ledger().ok
    assert services.summaries_match_entries()
    assert checkpoints.check_against_checkpoints().ok


def test_a_batch_again_appends_nothing_and_a_reused_key_is_a_conflict(db, in_request):
    regulator = user_with_role("regulator")
    events = _events()
    assert services.append_entries(events, actor=regulator) == 6
    assert services.append_entries(events, actor=regulator) == 0
    other = LedgerEventFactory(event_key=events[0].event_key, turnover_delta_fen=1)
    with pytest.raises(Conflict):
        services.append_entries([other], actor=regulator)


def test_a_batch_keeps_the_rules_and_the_authoritys_region(db, in_request):
    regulator = user_with_role("regulator")
    first = LedgerEventFactory()
    with pytest.raises(Conflict):  # income above turnover after the amendment
        services.append_entries([first, amendment_of(first, 0, first.turnover_delta_fen)], actor=regulator)
    harbin = user_with_role("regulator", region="230100")
    with pytest.raises(PermissionDenied):
        services.append_entries([LedgerEventFactory(seller_region="230600")], actor=harbin)
