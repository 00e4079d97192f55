"""Decisions under a lock: lock the row a decision depends on, and re-read it.

Every state change reads the state it starts from, decides, and writes. Two
requests reading the same state at the same moment would both decide on it (two
signatures that each see the other missing, an edit that does not see the
signature it should clear). So a service locks the row first and decides on
what it reads under the lock:

- PostgreSQL: ``SELECT ... FOR UPDATE`` on the row; a second request waits for
  the first to commit and then reads what it committed (``populate_existing``
  replaces the stale copy in the session, relationships are loaded again).
- SQLite: the statement carries no lock clause (SQLite has none); the write
  transaction is the lock - a transaction that will write begins ``IMMEDIATE``,
  so only one writer runs at a time - and the row is re-read the same way.

A row locked once stays locked until the transaction ends, so a second `lock`
of it in the same transaction only flushes (the session already holds what is
in the row). Lock several rows of one table with `lock_rows`, always in id
order, so two transactions never wait on each other in a cycle.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from ..extensions import db

T = TypeVar("T")

_KEY = "marketplace.locked_rows"


def _locked(session: Session) -> set:
    """The rows this session's current transaction holds locked (cleared when it ends);
    empty, and forgotten at once, while no transaction has begun."""
    transaction = session.get_transaction()
    if transaction is None:
        return set()
    held = session.info.get(_KEY)
    if held is None or held[0] is not transaction:
        held = (transaction, set())
        session.info[_KEY] = held
    return held[1]


@event.listens_for(Session, "after_transaction_end")
def _forget_locks(session: Session, transaction) -> None:
    """A savepoint rolled back releases what it locked; the end of the transaction
    releases everything: either way, lock again next time."""
    if transaction.nested or transaction.parent is None:
        session.info.pop(_KEY, None)


def lock(obj: T, *, of: Any = None) -> T:
    """Lock `obj`'s row until the end of the transaction and re-read it.

    Returns the same object (the session's copy of that row), now holding the
    committed state. Pending changes are flushed first, so none is lost.
    """
    session = db.session()
    state = inspect(obj)
    if state.key is None:  # not stored yet: nobody else can see it
        return obj
    session.flush()
    if state.key in _locked(session):
        return obj
    mapper = state.mapper
    cls = mapper.class_
    stmt = (
        select(cls)
        .where(*[column == value for column, value in zip(mapper.primary_key, state.key[1], strict=True)])
        .with_for_update(of=of if of is not None else cls)
        .execution_options(populate_existing=True)
    )
    locked = session.execute(stmt).scalar_one()
    _locked(session).add(state.key)  # the statement began the transaction if none had
    return locked


def lock_rows(cls: type[T], ids: Iterable[int]) -> None:
    """Lock the rows of `cls` with these ids, in id order (no deadlock between
    two transactions locking overlapping sets). Objects already loaded keep
    their attributes; use `lock` on one to re-read it."""
    session = db.session()
    wanted = sorted(set(ids))
    if not wanted:
        return
    session.flush()
    held = _locked(session)  # rows locked (and re-read) by `lock` need no second lock
    mapper = inspect(cls)
    missing = [i for i in wanted if mapper.identity_key_from_primary_key((i,)) not in held]
    if not missing:
        return
    column = mapper.primary_key[0]
    session.execute(select(column).where(column.in_(missing)).order_by(column).with_for_update())
    # Only the row is locked, not re-read: a later `lock` of one of them re-reads it.


def is_locked(obj: Any) -> bool:
    """Whether this transaction holds `obj`'s row locked through `lock`."""
    state = inspect(obj)
    return state.key is not None and state.key in _locked(db.session())
