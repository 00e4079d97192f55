"""The database itself refuses to change or remove ledger entries, verify
finds tampering, and concurrent appends never fork the chain."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import create_engine, delete, func, select, text, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from marketplace.core.errors import DomainError
from marketplace.extensions import db as _db
from marketplace.ledger import services
from marketplace.ledger.chain import REASON_BAD_HASH, REASON_BAD_PREV, verify_chain
from marketplace.ledger.models import LedgerEntry, TargetValue

from ..conftest import ON_POSTGRES, TEST_DATABASE_URL
from ..factories import LedgerEventFactory, TargetValueFactory, user_with_role
from ..ledger_reset import reset_ledger

pytestmark = pytest.mark.usefixtures("in_request")


@pytest.fixture
def three_entries(db):
    regulator = user_with_role("regulator")
    return [services.append_entry(LedgerEventFactory(), actor=regulator) for _ in range(3)]


def _refused(db, statement) -> None:
    with pytest.raises(DatabaseError) as info:
        with db.session.begin_nested():
            db.session.execute(statement)
    assert "append-only" in str(info.value)


def test_raw_update_and_delete_of_an_entry_fail(db, three_entries):
    _refused(db, text("UPDATE ledger_entries SET turnover_delta_fen = 1 WHERE seq = 2"))
    _refused(db, text("DELETE FROM ledger_entries WHERE seq = 3"))
    _refused(db, update(LedgerEntry).where(LedgerEntry.seq == 1).values(kind="amendment"))
    _refused(db, delete(LedgerEntry))
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 3
    assert services.verify_ledger().ok


def test_target_history_is_append_only_too(db):
    row = TargetValueFactory()
    _refused(db, text(f"UPDATE plan_target_values SET value = 1 WHERE id = {row.id}"))
    _refused(db, text(f"DELETE FROM plan_target_values WHERE id = {row.id}"))
    assert db.session.get(TargetValue, row.id).value == 4200


@pytest.mark.postgres
def test_truncate_fails_on_postgres(db, three_entries):
    _refused(db, text("TRUNCATE ledger_entries"))


def _disable_guard(db) -> None:
    """Inside the test's transaction only (rolled back afterwards)."""
    if ON_POSTGRES:
        db.session.execute(text("ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only"))
    else:
        db.session.execute(text("DROP TRIGGER ledger_entries_no_update"))
        db.session.execute(text("DROP TRIGGER ledger_entries_no_delete"))


def test_verify_names_the_entry_whose_content_was_changed(db, three_entries, app):
    _disable_guard(db)
    db.session.execute(
        text("UPDATE ledger_entries SET turnover_delta_fen = turnover_delta_fen + 100 WHERE seq = 2")
    )
    check = services.verify_ledger()
    assert not check.ok
    assert (check.first_bad_seq, check.reason, check.entries) == (2, REASON_BAD_HASH, 1)
    assert "2" in str(check.message)


def test_verify_notices_a_removed_entry_and_a_removed_tail(db, three_entries):
    _disable_guard(db)
    db.session.execute(text("DELETE FROM ledger_entries WHERE seq = 2"))
    check = services.verify_ledger()
    assert (check.ok, check.first_bad_seq, check.reason) == (False, 3, REASON_BAD_PREV)
    db.session.execute(text("DELETE FROM ledger_entries WHERE seq = 3"))
    check = services.verify_ledger()
    assert (check.ok, check.reason, check.entries) == (False, services.REASON_HEAD, 1)


@pytest.mark.postgres
def test_concurrent_appends_never_fork_the_chain(app):
    """Eight threads append with real commits, each on its own session."""
    engine = create_engine(TEST_DATABASE_URL, pool_size=10)
    threads_n, per_thread = 8, 15
    errors: list[BaseException] = []
    base = 880_000_000
    with app.app_context():
        with Session(engine) as session:
            regulator_org = _make_regulator(session)
            session.commit()
            regulator_id, org_id = regulator_org

        barrier = threading.Barrier(threads_n)

        def worker(n: int) -> None:
            try:
                with app.test_request_context("/"):
                    # The app's scoped session, bound to our engine (real commits).
                    _db.session.remove()
                    _db.session.configure(bind=engine)
                    from marketplace.accounts.models import User

                    actor = _db.session.get(User, regulator_id)
                    barrier.wait()
                    for i in range(per_thread):
                        cid = base + n * 1000 + i
                        event = LedgerEventFactory(contract_id=cid, event_key=f"concurrency-{cid}")
                        services.append_entry(event, actor=actor)
                        if i % 5 == 0:  # the same event again, from another transaction
                            _db.session.commit()
                            services.append_entry(event, actor=actor)
                        _db.session.commit()
                    _db.session.remove()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        try:
            assert not errors, errors
            with Session(engine) as session:
                rows = session.execute(select(LedgerEntry).order_by(LedgerEntry.seq)).scalars().all()
                assert len(rows) == threads_n * per_thread
                assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
                assert len({r.prev_hash for r in rows}) == len(rows)  # no two entries share a parent
                result = verify_chain((r.seq, r.prev_hash, r.hash, services.entry_fields(r)) for r in rows)
                assert result.ok and result.entries == len(rows)
                ids = {r.contract_id for r in rows}
                assert ids == {base + n * 1000 + i for n in range(threads_n) for i in range(per_thread)}
        finally:
            _cleanup(engine, regulator_id, org_id)
            engine.dispose()


def _make_regulator(session):
    from marketplace.accounts.models import Organization, User

    from ..factories import _PASSWORD_HASH, PASSWORD, valid_uscc  # noqa: F401

    org = Organization(
        name="并发测试登记机构", kind="regulator", region_code="230000", uscc=valid_uscc("230000")
    )
    session.add(org)
    session.flush()
    user = User(
        email="concurrency-regulator@example.cn",
        name="并发测试",
        password_hash=_PASSWORD_HASH,
        role="regulator",
        organization_id=org.id,
    )
    session.add(user)
    session.flush()
    return user.id, org.id


def _cleanup(engine, regulator_id: int, org_id: int) -> None:
    """Remove what the committed test left (the guard is lifted for this only)."""
    with engine.begin() as conn:
        reset_ledger(conn)
        conn.execute(text("DELETE FROM users WHERE id = :id"), {"id": regulator_id})
        conn.execute(text("DELETE FROM organizations WHERE id = :id"), {"id": org_id})


def test_a_domain_error_leaves_nothing_half_stored(db):
    regulator = user_with_role("regulator")
    event = LedgerEventFactory()
    services.append_entry(event, actor=regulator)
    head = services.ledger_head()
    bad = LedgerEventFactory(contract_id=event.contract_id, event_key="again", effective_on=date(2024, 1, 1))
    with pytest.raises(DomainError):
        services.append_entry(bad, actor=regulator)
    assert services.ledger_head() == head
