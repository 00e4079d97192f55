"""Registration numbers, the review deadline, and the hand-off to the ledger in one transaction."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, func, select

from marketplace.contracts import ledger_link, services
from marketplace.contracts.models import Contract, ContractRegistration, RegistrationCounter
from marketplace.core.errors import Conflict
from marketplace.core.regno import parse_registration_no
from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.services import contract_totals

from ..factories import ContractFactory, OrganizationFactory

pytestmark = pytest.mark.usefixtures("in_request")


def test_number_format_uses_the_registering_authority_and_year(cast, db):
    c = cast(submitted=True)
    # 31 December 2024, 17:00 UTC is already 1 January 2025 in Shanghai
    services.register_contract(c.contract, actor=c.province, now=datetime(2024, 12, 31, 17, tzinfo=UTC))
    number = c.contract.registration_no
    assert number == "2025230000000001"
    parts = parse_registration_no(number)
    assert (parts.year, parts.city, parts.point, parts.serial) == (2025, "00", "00", 1)
    other = cast(submitted=True)
    services.register_contract(other.contract, actor=other.regulator, now=datetime(2025, 2, 3, 2, tzinfo=UTC))
    assert other.contract.registration_no == "2025230100000001"  # Harbin's own series


def test_serials_are_consecutive_and_skip_numbers_taken_by_imports(cast, db):
    c = cast(submitted=True)
    ContractFactory(
        status="registered",
        registration_no="2025230100000002",
        seller_org=c.contract.seller_org,
        buyer_org=c.contract.buyer_org,
    )
    numbers = []
    for _i in range(3):
        x = cast(submitted=True)
        services.register_contract(x.contract, actor=x.regulator, now=datetime(2025, 5, 6, 2, tzinfo=UTC))
        numbers.append(x.contract.registration_no)
    assert numbers == ["2025230100000001", "2025230100000003", "2025230100000004"]
    assert db.session.get(RegistrationCounter, "2025230100").last_serial == 4


def test_a_second_registration_of_the_same_contract_is_409(cast, db):
    c = cast(submitted=True)
    services.register_contract(c.contract, actor=c.regulator)
    number = c.contract.registration_no
    with pytest.raises(Conflict) as exc:
        services.register_contract(c.contract, actor=c.province)
    assert exc.value.code == "already_registered"
    assert c.contract.registration_no == number
    assert db.session.scalar(select(func.count()).select_from(ContractRegistration)) == 1


def test_deadline_is_15_working_days_or_30_for_large_income(cast, db):
    small = cast(signed=True, turnover_fen=499_999_999, tech_income_fen=499_999_999)
    large = cast(signed=True, turnover_fen=500_000_000, tech_income_fen=500_000_000)
    monday = datetime(2025, 9, 1, 2, tzinfo=UTC)
    services.submit_contract(small.contract, actor=small.seller, now=monday)
    services.submit_contract(large.contract, actor=large.seller, now=monday)
    assert small.contract.review_due_on == date(2025, 9, 22)
    # 30 working days, across the National Day holiday (1-8 October) and its adjusted working days
    # (28 September and 11 October are worked): 4+5+5+5+1+2 in September, 2+1+5 in October
    assert large.contract.review_due_on == date(2025, 10, 17)


def test_a_failing_ledger_append_rolls_back_the_registration(cast, db, monkeypatch):
    c = cast(submitted=True)
    contract_id = c.contract.id
    db.session.commit()  # a savepoint in the test transaction: the state before

    def refuse(event, *, actor, recorded_at=None):
        raise Conflict("the ledger refuses")

    monkeypatch.setattr(ledger_link, "append", refuse)
    with pytest.raises(Conflict):
        services.register_contract(c.contract, actor=c.regulator)
    db.session.rollback()
    contract = db.session.get(Contract, contract_id)
    assert contract.status == "submitted" and contract.registration_no is None
    assert db.session.scalar(select(func.count()).select_from(ContractRegistration)) == 0
    assert db.session.scalar(select(func.count()).select_from(RegistrationCounter)) == 0


def test_the_ledger_entry_carries_the_contract_dimensions(cast, db):
    c = cast(submitted=True, turnover_fen=3_000_000_00, tech_income_fen=2_500_000_00)
    services.register_contract(c.contract, actor=c.regulator, now=datetime(2023, 6, 1, 2, tzinfo=UTC))
    entry = db.session.scalar(select(LedgerEntry).where(LedgerEntry.contract_id == c.contract.id))
    assert (entry.kind, entry.turnover_delta_fen, entry.tech_income_delta_fen) == (
        "registration",
        3_000_000_00,
        2_500_000_00,
    )
    assert entry.registration_no == c.contract.registration_no
    assert (entry.effective_on, entry.seller_region, entry.seller_org_kind) == (
        date(2023, 6, 1),
        "230100",
        "university",
    )
    assert (entry.industry, entry.category) == ("new_materials", "license_patent")
    assert contract_totals(c.contract.id) == (3_000_000_00, 2_500_000_00)


# --- Concurrency on PostgreSQL -------------------------------------------------------------------


@pytest.mark.postgres
def test_concurrent_registrations_get_distinct_consecutive_numbers(app):
    """Eight regulators register eight contracts at the same moment, each in its own
    connection and transaction with real commits, each appending to the real ledger:
    the numbers are 1..8, no gaps, no twins, and the ledger holds eight entries whose
    chain verifies and whose summaries equal the sums of its entries."""
    from marketplace.extensions import db as _db
    from marketplace.ledger import services as ledger

    with app.app_context():
        assert _db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 0, "ledger not empty"
    year = 2031  # a year nothing else uses: its prefix's counter starts empty
    with app.app_context():
        org_ids, user_ids, contract_ids = [], [], []
        seller = OrganizationFactory._meta.model(
            name="并发测试大学", kind="university", region_code="230100", status="approved"
        )
        buyer = OrganizationFactory._meta.model(
            name="并发测试企业", kind="enterprise", region_code="230100", status="approved"
        )
        reg_org = OrganizationFactory._meta.model(
            name="并发测试登记站", kind="regulator", region_code="230100", status="approved"
        )
        _db.session.add_all([seller, buyer, reg_org])
        _db.session.flush()
        org_ids = [seller.id, buyer.id, reg_org.id]
        from marketplace.accounts.models import User

        regulators = [
            User(
                email=f"concurrent{i}@example.cn",
                name=f"登记员{i}",
                password_hash="x",
                role="regulator",
                organization_id=reg_org.id,
            )
            for i in range(8)
        ]
        _db.session.add_all(regulators)
        contracts = [
            Contract(
                status="submitted",
                source="offer",
                category="license_patent",
                title=f"并发专利实施许可合同{i}",
                seller_org_id=seller.id,
                buyer_org_id=buyer.id,
                industry="digital",
                turnover_fen=100_00,
                tech_income_fen=100_00,
            )
            for i in range(8)
        ]
        _db.session.add_all(contracts)
        _db.session.commit()
        user_ids = [u.id for u in regulators]
        contract_ids = [c.id for c in contracts]

    barrier = threading.Barrier(8)
    results: dict[int, str] = {}
    errors: list[BaseException] = []

    def register(contract_id: int, user_id: int) -> None:
        try:
            with app.app_context(), app.test_request_context("/"):
                contract = _db.session.get(Contract, contract_id)
                user = _db.session.get(User, user_id)
                barrier.wait(timeout=10)
                services.register_contract(contract, actor=user, now=datetime(year, 3, 2, 2, tzinfo=UTC))
                _db.session.commit()
                results[contract_id] = contract.registration_no
                _db.session.remove()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=register, args=pair) for pair in zip(contract_ids, user_ids, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    try:
        assert not errors, errors
        numbers = sorted(results.values())
        assert numbers == [f"{year}230100{n:06d}" for n in range(1, 9)]
        with app.app_context():
            entries = _db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq)).all()
            assert sorted(e.contract_id for e in entries) == sorted(contract_ids)
            assert [e.seq for e in entries] == list(range(entries[0].seq, entries[0].seq + 8))
            assert sum(e.turnover_delta_fen for e in entries) == 8 * 100_00
            assert ledger.verify_ledger().ok
            assert ledger.summaries_match_entries()
            assert all(contract_totals(cid) == (100_00, 100_00) for cid in contract_ids)
            _db.session.remove()
    finally:
        _reset_ledger(app)
        with app.app_context():
            _db.session.execute(
                delete(ContractRegistration).where(ContractRegistration.contract_id.in_(contract_ids))
            )
            _db.session.execute(delete(Contract).where(Contract.id.in_(contract_ids)))
            _db.session.execute(
                delete(RegistrationCounter).where(RegistrationCounter.prefix.like(f"{year}%"))
            )
            from marketplace.core.models import AuditEvent
            from marketplace.notifications.models import Notification

            _db.session.execute(
                delete(AuditEvent).where(
                    AuditEvent.subject_type == "contract", AuditEvent.subject_id.in_(contract_ids)
                )
            )
            _db.session.execute(delete(Notification).where(Notification.user_id.in_(user_ids)))
            _db.session.execute(delete(User).where(User.id.in_(user_ids)))
            from marketplace.accounts.models import Organization

            _db.session.execute(delete(Organization).where(Organization.id.in_(org_ids)))
            _db.session.commit()


def _reset_ledger(app) -> None:
    """Empty the ledger the committed test filled."""
    from marketplace.extensions import db as _db
    from tests.ledger_reset import reset_ledger

    with app.app_context(), _db.engine.begin() as conn:
        reset_ledger(conn)


def test_the_ledger_links_entries_to_contract_pages(app, db):
    from marketplace.ledger import ports as ledger_ports

    assert ledger_ports.contract_link(42) == "/contracts/42"
