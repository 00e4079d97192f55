"""The ledger's rules: appending, idempotency, totals, summaries, as-of, verify."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.core.errors import Conflict, PermissionDenied, ValidationError
from marketplace.ledger import services
from marketplace.ledger.chain import GENESIS_HASH, canonical_entry, entry_hash
from marketplace.ledger.models import ContractTotal, LedgerEntry, LedgerSummary
from marketplace.ledger.services import EntryFilter, append_entry, contract_totals, summarize

from ..factories import LedgerEventFactory, amendment_of, cancellation_of, user_with_role

T0 = datetime(2024, 5, 20, 2, 0, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("in_request")


@pytest.fixture
def regulator(db):
    return user_with_role("regulator")


def province(**kwargs) -> EntryFilter:
    return EntryFilter(scope="230000", **kwargs)


def test_first_entry_links_to_genesis_and_hash_covers_its_fields(regulator):
    entry = append_entry(LedgerEventFactory(), actor=regulator, recorded_at=T0)
    assert entry.seq == 1
    assert entry.prev_hash == GENESIS_HASH
    assert entry.hash == entry_hash(GENESIS_HASH, services.entry_fields(entry))
    assert b'"regulator_id":%d' % regulator.id in canonical_entry(services.entry_fields(entry))
    second = append_entry(LedgerEventFactory(), actor=regulator)
    assert second.seq == 2 and second.prev_hash == entry.hash
    assert services.ledger_head()[:2] == (2, second.hash)


def test_same_event_twice_is_one_entry(regulator, db):
    event = LedgerEventFactory()
    first = append_entry(event, actor=regulator)
    again = append_entry(event, actor=regulator)
    assert again.seq == first.seq
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 1
    assert contract_totals(event.contract_id) == (event.turnover_delta_fen, event.tech_income_delta_fen)


def test_reused_event_key_with_other_content_conflicts(regulator):
    event = LedgerEventFactory()
    append_entry(event, actor=regulator)
    with pytest.raises(Conflict):
        append_entry(dataclasses.replace(event, turnover_delta_fen=5), actor=regulator)


def test_totals_are_sums_of_deltas_and_zero_after_cancellation(regulator, db):
    reg = LedgerEventFactory(turnover_delta_fen=500_000_00, tech_income_delta_fen=400_000_00)
    append_entry(reg, actor=regulator)
    append_entry(amendment_of(reg, 200_000_00, 50_000_00), actor=regulator)
    append_entry(amendment_of(reg, -100_000_00, -150_000_00), actor=regulator)
    assert contract_totals(reg.contract_id) == (600_000_00, 300_000_00)
    sums = db.session.execute(
        select(func.sum(LedgerEntry.turnover_delta_fen), func.sum(LedgerEntry.tech_income_delta_fen)).where(
            LedgerEntry.contract_id == reg.contract_id
        )
    ).one()
    assert (int(sums[0]), int(sums[1])) == (600_000_00, 300_000_00)
    append_entry(cancellation_of(reg, 600_000_00, 300_000_00), actor=regulator)
    assert contract_totals(reg.contract_id) == (0, 0)
    assert contract_totals(999_999_999) == (0, 0)


@pytest.mark.parametrize(
    "turnover, income",
    [(-600_000_01, 0), (0, -300_000_01), (-500_000_00, 0)],  # negative, negative, income > turnover
)
def test_totals_never_go_negative_nor_income_above_turnover(regulator, db, turnover, income):
    reg = LedgerEventFactory(turnover_delta_fen=600_000_00, tech_income_delta_fen=300_000_00)
    append_entry(reg, actor=regulator)
    with pytest.raises(Conflict):
        append_entry(amendment_of(reg, turnover, income), actor=regulator)
    assert contract_totals(reg.contract_id) == (600_000_00, 300_000_00)
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 1


def test_order_of_registration_amendment_cancellation_is_enforced(regulator):
    reg = LedgerEventFactory()
    with pytest.raises(Conflict):
        append_entry(amendment_of(reg, 1, 0), actor=regulator)  # nothing registered yet
    append_entry(reg, actor=regulator)
    with pytest.raises(Conflict):
        append_entry(dataclasses.replace(reg, event_key="other-key"), actor=regulator)  # registered twice
    with pytest.raises(Conflict):  # a cancellation must bring both to 0
        append_entry(cancellation_of(reg, 1, 0), actor=regulator)
    append_entry(cancellation_of(reg, reg.turnover_delta_fen, reg.tech_income_delta_fen), actor=regulator)
    with pytest.raises(Conflict):
        append_entry(amendment_of(reg, 100, 0), actor=regulator)


def test_the_database_refuses_negative_totals(regulator, db):
    from sqlalchemy.exc import IntegrityError

    append_entry(LedgerEventFactory(contract_id=777), actor=regulator)
    total = db.session.get(ContractTotal, 777)
    total.turnover_fen = -1
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"kind": "merger"}, "kind"),
        ({"registration_no": "2024230100"}, "registration_no"),
        ({"registration_no": "2024440100000001"}, "registration_no"),
        ({"turnover_delta_fen": 1.5}, "turnover_delta_fen"),
        ({"seller_region": "000000"}, "seller_region"),
        ({"industry": "steel"}, "industry"),
        ({"category": "license"}, "category"),
        ({"seller_org_kind": "club"}, "seller_org_kind"),
        ({"event_key": ""}, "event_key"),
        ({"contract_id": 0}, "contract_id"),
    ],
)
def test_bad_events_are_refused_with_the_field(regulator, change, field):
    with pytest.raises(ValidationError) as info:
        append_entry(dataclasses.replace(LedgerEventFactory(), **change), actor=regulator)
    assert field in info.value.fields


@pytest.mark.parametrize("role, region, allowed", [
    ("regulator", "230000", True),
    ("regulator", "230100", True),
    ("regulator", "230600", False),
    ("admin", None, True),
    ("seller", None, False),
    ("buyer", None, False),
    ("agency", None, False),
])  # fmt: skip
def test_who_may_append(db, role, region, allowed):
    actor = user_with_role(role, region=region)
    event = LedgerEventFactory(seller_region="230100")
    if allowed:
        assert append_entry(event, actor=actor).seq == 1
    else:
        with pytest.raises(PermissionDenied):
            append_entry(event, actor=actor)


def test_recorded_times_never_go_backwards(regulator):
    first = append_entry(LedgerEventFactory(), actor=regulator, recorded_at=T0)
    second = append_entry(LedgerEventFactory(), actor=regulator, recorded_at=T0 - timedelta(days=3))
    assert second.recorded_at == first.recorded_at


def _seed_mixed(regulator):
    """Entries over two months and three years, in two cities, with amendments and a cancellation."""
    events = []
    moments = [T0 + timedelta(days=d) for d in range(0, 60, 3)]
    for i, moment in enumerate(moments):
        reg = LedgerEventFactory(
            turnover_delta_fen=(i + 1) * 100_000_00,
            tech_income_delta_fen=(i + 1) * 60_000_00,
            effective_on=date(2022 + i % 3, 6, 1),
            seller_region="230100" if i % 2 else "230600",
            seller_org_kind=("university", "research_institute", "enterprise")[i % 3],
            industry=("digital", "energy", "aerospace", "new_materials")[i % 4],
            category=("transfer_patent", "service", "development_commissioned")[i % 3],
        )
        append_entry(reg, actor=regulator, recorded_at=moment)
        events.append(reg)
        if i % 4 == 1:
            append_entry(
                amendment_of(reg, 50_000_00, 10_000_00, effective_on=date(2024, 9, 1)),
                actor=regulator,
                recorded_at=moment + timedelta(hours=5),
            )
        if i % 7 == 3:
            append_entry(
                cancellation_of(reg, *contract_totals(reg.contract_id)),
                actor=regulator,
                recorded_at=moment + timedelta(hours=6),
            )
    return events, moments


def _as_tuple(summary):
    return (
        summary.totals,
        [(k, f) for k, f in summary.groups],
        summary.as_of_seq,
    )


@pytest.mark.parametrize("group_by", ["year", "region", "industry", "org_kind", "category"])
def test_summary_table_equals_a_plain_group_by(regulator, db, group_by):
    _events, moments = _seed_mixed(regulator)
    assert services.summaries_match_entries()
    for as_of in (None, moments[5] + timedelta(hours=1), moments[12], T0 - timedelta(days=1)):
        for flt in (
            province(as_of=as_of),
            EntryFilter(scope="230100", as_of=as_of),
            province(year=2023, as_of=as_of),
        ):
            fast = summarize(flt, group_by=group_by)
            plain = summarize(flt, group_by=group_by, use_summaries=False)
            assert _as_tuple(fast) == _as_tuple(plain), (as_of, flt)


def test_ledger_total_is_the_sum_over_contracts_and_counts_positive_contracts(regulator, db):
    events, _moments = _seed_mixed(regulator)
    summary = summarize(province(), group_by="year")
    per_contract = [contract_totals(e.contract_id) for e in events]
    assert summary.totals.turnover_fen == sum(t for t, _ in per_contract)
    assert summary.totals.tech_income_fen == sum(i for _, i in per_contract)
    assert summary.totals.contracts == sum(1 for t, _ in per_contract if t > 0)
    assert summary.totals.contracts < len(events)  # some were cancelled
    stored = db.session.execute(
        select(func.sum(LedgerSummary.turnover_fen)).where(LedgerSummary.dim == "all")
    ).scalar()
    assert int(stored) == summary.totals.turnover_fen


def test_city_regulator_figures_cover_its_city_only(regulator):
    append_entry(
        LedgerEventFactory(seller_region="230100", turnover_delta_fen=300, tech_income_delta_fen=0),
        actor=regulator,
    )
    append_entry(
        LedgerEventFactory(seller_region="230600", turnover_delta_fen=500, tech_income_delta_fen=0),
        actor=regulator,
    )
    harbin = summarize(EntryFilter(scope="230100"), group_by="region")
    assert harbin.totals.turnover_fen == 300
    assert [k for k, _ in harbin.groups] == ["230100"]
    assert summarize(province(), group_by="region").totals.turnover_fen == 800


def test_figures_as_of_a_past_moment_do_not_change_with_later_entries(regulator):
    reg = LedgerEventFactory(turnover_delta_fen=1000, tech_income_delta_fen=100)
    append_entry(reg, actor=regulator, recorded_at=T0)
    before = summarize(province(as_of=T0 + timedelta(days=1)))
    append_entry(amendment_of(reg, 500, 0), actor=regulator, recorded_at=T0 + timedelta(days=2))
    append_entry(LedgerEventFactory(), actor=regulator, recorded_at=T0 + timedelta(days=40))
    again = summarize(province(as_of=T0 + timedelta(days=1)))
    assert again.totals == before.totals
    assert again.totals.turnover_fen == 1000 and again.as_of_seq == 1
    assert summarize(province()).totals.turnover_fen > 1500


def test_parse_as_of():
    end_of_day = services.parse_as_of("2024-12-31")
    assert end_of_day == datetime(2024, 12, 31, 15, 59, 59, 999999, tzinfo=UTC)
    assert services.parse_as_of("2024-12-31T08:00") == datetime(2024, 12, 31, 0, 0, tzinfo=UTC)
    assert services.parse_as_of("2024-12-31T08:00:00Z") == datetime(2024, 12, 31, 8, 0, tzinfo=UTC)
    assert services.parse_as_of("") is None
    for bad in ("yesterday", "2024-13-01", "1900-01-01"):
        with pytest.raises(ValidationError):
            services.parse_as_of(bad)


def test_unknown_group_by_is_a_validation_error(db):
    with pytest.raises(ValidationError):
        summarize(province(), group_by="colour")


def test_verify_a_good_chain(regulator):
    assert services.verify_ledger().ok and services.verify_ledger().entries == 0
    _seed_mixed(regulator)
    check = services.verify_ledger(batch=3)
    assert check.ok
    assert check.entries == services.ledger_head()[0]
    assert check.head == services.ledger_head()[1]
