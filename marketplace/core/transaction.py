"""The transaction boundary: one commit per request, side effects after it.

- **One commit per request.** `register` installs an `after_request` hook (the
  last to run) that commits the request's transaction when the answer is a
  success (status below 400) and rolls it back otherwise. Views and API views
  never commit; services add and flush. A web view that turns a refusal into
  a message uses `core.web.attempt`, which rolls back at once; an API view
  lets the `DomainError` reach the error handler, whose 4xx answer rolls back.
  Commands (`flask ...`) commit themselves: they are their own boundary.

- **Side effects after commit.** `after_commit(fn)` queues a call (e-mail, the
  search outbox drain) on the session's current transaction. It runs once
  that transaction has committed - from a request, a command or a test alike -
  and is dropped when it rolls back, a savepoint's queue with its savepoint.
  The calls run after the session has left the committed transaction, so they
  may use the database (in a new transaction); one that fails is logged and
  the others still run: the change they follow is already committed.

- **The one deliberate early commit.** `commit_early(reason)` makes what the
  session holds durable before a call to an outside party whose outcome must
  be findable after a crash or a retry (the Stripe idempotency key, and the
  API's answer stored with such a key).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from typing import Any

from flask import Flask
from flask_sqlalchemy.session import Session
from sqlalchemy import event
from sqlalchemy.orm import SessionTransaction

from ..extensions import db

log = logging.getLogger("marketplace.transaction")

_QUEUE = "after_commit_queue"  # [(transaction, key, call)]
_COMMITTED = "after_commit_committed"  # transactions whose commit went through


def after_commit(call: Callable[[], Any], *, key: Hashable | None = None) -> None:
    """Run `call()` once the current transaction commits; never if it rolls back.

    Calls with the same `key` in one transaction run once (the first queued)."""
    session = db.session()
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    queue = session.info.setdefault(_QUEUE, [])
    if key is not None and any(k == key for _t, k, _c in queue):
        return
    queue.append((transaction, key, call))


def pending_after_commit() -> int:
    """How many calls wait for the current transaction's commit (for tests)."""
    return len(db.session().info.get(_QUEUE, []))


def commit_early(reason: str) -> None:
    """Commit now, inside a request: the only commit outside the boundary.

    `reason` says why (it is logged at debug level). Used where an outside party
    is called next: a card payment's idempotency key must be in the database
    before Stripe is asked, so that a crash or a retry during the call finds it."""
    log.debug("early commit: %s", reason)
    db.session.commit()


@event.listens_for(Session, "after_commit")
def _mark_committed(session: Session) -> None:
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is not None and session.info.get(_QUEUE):
        session.info.setdefault(_COMMITTED, set()).add(transaction)


@event.listens_for(Session, "after_transaction_end")
def _settle(session: Session, transaction: SessionTransaction) -> None:
    queue = session.info.get(_QUEUE)
    if not queue:
        return
    committed = session.info.get(_COMMITTED, set())
    was_committed = transaction in committed
    committed.discard(transaction)
    mine = [entry for entry in queue if entry[0] is transaction]
    if not mine:
        return
    rest = [entry for entry in queue if entry[0] is not transaction]
    if transaction.parent is not None:
        # A savepoint: released, its calls now wait for the enclosing transaction;
        # rolled back, they are dropped with it.
        if was_committed:
            rest += [(transaction.parent, key, call) for _t, key, call in mine]
        session.info[_QUEUE] = rest
        return
    session.info[_QUEUE] = rest
    if not was_committed:
        return
    for _t, _key, call in mine:
        try:
            call()
        except Exception:  # noqa: BLE001 - the change is committed; log and go on
            log.exception("A call after commit failed")


def register(app: Flask) -> None:
    """Commit each successful request, roll back the others. Register it before
    every other `after_request` hook: Flask runs them last-registered first, so
    this one runs last, after any hook that still writes."""

    @app.after_request
    def _end_of_request(response):
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response
