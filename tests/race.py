"""Two conflicting actions at the same moment, each over its own connection.

Used by the `test_races.py` of each domain (PostgreSQL only: the decisions are
taken under row locks). Each round commits its data for real (the threads must
see it); everything created is deleted afterwards. A helper:

- `committed(app)`: a request context whose session commits at the end;
  the factories write through it.
- `act(model, id, user_id, service, **kwargs)`: such a `prepare` for one service.
- `race(app, *prepares, lead=...)`: each `prepare` runs in its own thread, request
  context, session and connection, loads what its action needs and returns the
  action; a barrier starts every action at once; each commits. The `lead` (see
  `lead_of`: the first, the second, then either, by round) acts first and keeps
  its locks a little longer, so the other really meets them; every order is
  tried. Returns "ok" or the domain error's code, per action.
- `audit_chain(subject)`: the state changes recorded for a
  subject, in order, checked to form one chain (each change starts from the
  state the previous one ended in): two decisions taken on the same stale state
  break it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import delete, func, select

from marketplace.core.errors import DomainError
from marketplace.core.models import AuditEvent
from marketplace.extensions import db as _db

from . import factories

ROUNDS = 5
HOLD_SECONDS = 0.15

Prepare = Callable[[], Callable[[], object]]


def max_ids() -> dict[str, int]:
    """The highest id of every table that has one (what a test may delete above)."""
    return {
        t.name: _db.session.scalar(select(func.coalesce(func.max(t.c.id), 0)))
        for t in _db.metadata.sorted_tables
        if "id" in t.c
    }


def clean_up(before: dict[str, int]) -> None:
    """Delete every row added since `before` (children first)."""
    from marketplace.contracts.models import ContractAsset
    from marketplace.listings.models import ListingAsset

    _db.session.execute(delete(ContractAsset).where(ContractAsset.contract_id > before["contracts"]))
    _db.session.execute(delete(ListingAsset).where(ListingAsset.listing_id > before["listings"]))
    for table in reversed(_db.metadata.sorted_tables):
        if table.name in before:
            _db.session.execute(delete(table).where(table.c.id > before[table.name]))
    _db.session.commit()


@contextmanager
def committed(app) -> Iterator[None]:
    """Build data that every connection sees: the factories write through this
    context's session, which commits at the end."""
    with app.test_request_context("/"):
        factories.bind(_db.session)
        try:
            yield
            _db.session.commit()
        finally:
            _db.session.remove()


@contextmanager
def rounds(app) -> Iterator[None]:
    """Remember what exists, and delete whatever the test added when it ends."""
    with app.app_context():
        before = max_ids()
        _db.session.remove()
    try:
        yield
    finally:
        with app.app_context():
            clean_up(before)
            _db.session.remove()


def act(model, obj_id: int, user_id: int, service, **kwargs) -> Prepare:
    """Prepare `service(obj, actor=user, **kwargs)` as a request would: load the object
    and the user (reading the state, as a page does before the user acts), then act."""

    def prepare():
        from marketplace.accounts.models import User

        obj = _db.session.get(model, obj_id)
        user = _db.session.get(User, user_id)
        assert obj.status is not None

        return lambda: service(obj, actor=user, **kwargs)

    return prepare


def lead_of(round_no: int) -> int | None:
    """Who goes first in a round: the first action, the second, or either (0, 1, None, 0, 1...)."""
    return (0, 1, None)[round_no % 3]


def race(app, *prepares: Prepare, lead: int | None = None) -> list[str]:
    """Run the actions at the same moment; answer "ok" or the error code of each.

    A barrier starts them together. With `lead`, that action goes first: the
    others start as soon as it has acted, while it keeps its transaction (and
    its locks) open for HOLD_SECONDS, so they meet its lock and must decide on
    what it commits. Without `lead`, whichever is faster goes first.
    """
    barrier = threading.Barrier(len(prepares))
    acted = threading.Event()
    outcomes: list[str] = ["not run"] * len(prepares)

    def run(i: int) -> None:
        with app.test_request_context("/"):
            try:
                action = prepares[i]()
                barrier.wait(10)
                if lead is not None and i != lead:
                    acted.wait(10)
                try:
                    action()
                    if i == lead:
                        _db.session.flush()
                finally:
                    if i == lead:
                        acted.set()
                if i == lead:
                    time.sleep(HOLD_SECONDS)
                _db.session.commit()
                outcomes[i] = "ok"
            except DomainError as exc:
                _db.session.rollback()
                outcomes[i] = exc.code
            except BaseException as exc:  # noqa: BLE001 - reported by the test's assertion
                _db.session.rollback()
                outcomes[i] = repr(exc)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(prepares))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # The lead acted on the state every action was prepared on: it must succeed.
    assert lead is None or outcomes[lead] == "ok", outcomes
    return outcomes


def audit_chain(subject) -> list[tuple[str, str | None, str | None]]:
    """The subject's recorded state changes (action, from, to) in the order they were
    decided; asserts that each starts where the previous one ended, and the last
    ends in the subject's state."""
    subject_type = getattr(subject, "__audit_type__", subject.__tablename__)
    events = _db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == subject.id)
        .order_by(AuditEvent.id)
    ).all()
    chain = [(e.action, e.from_state, e.to_state) for e in events if e.to_state is not None]
    assert chain, f"no state change recorded for {subject_type} {subject.id}"
    for previous, current in zip(chain, chain[1:], strict=False):
        if current[1] is not None:
            assert current[1] == previous[2], f"{current} decided on a stale state; trail: {chain}"
    assert chain[-1][2] == subject.status, (subject.status, chain)
    return chain
