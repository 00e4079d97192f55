"""The search outbox: index updates that survive a crash.

A change to a listing that the index must reflect adds a row to
``search_outbox`` in the SAME transaction as the change (`enqueue`). After the
commit, `drain` reads the rows, looks at each listing's *current* state in the
database (published -> upsert, anything else -> delete), writes the index and
only then deletes the rows it handled. If the process dies between the commit
and the indexing, or the index write fails, the rows stay and the next drain
(after the next request that changes a listing, `flask search worker`,
`flask search drain`, or `flask search reindex`) handles them. Index writes
are idempotent, so handling a row twice is harmless.

Who drains: by default (``SEARCH_DRAIN_IN_REQUEST=true``, so that ``make run``
needs nothing else) the transaction that queued a change drains after its commit (a request or
a command; see core.transaction).
With ``SEARCH_DRAIN_IN_REQUEST=false`` no request writes the index: a
long-running ``flask search worker`` (one per index, on the index's host)
applies the outbox every second. The PostgreSQL backend needs neither: its
documents change in the listing's own transaction.

Only one drain (or rebuild) runs at a time: `index_lock` holds an exclusive
`flock` on a file in the index directory (and a thread lock within the
process), so two workers never interleave reading the database and writing
the index in the wrong order.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import CheckConstraint, Index, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from ..core.timeutil import utcnow
from ..core.transaction import after_commit
from ..core.types import UTCDateTime
from ..extensions import db

log = logging.getLogger("marketplace.search")

OP_UPSERT = "upsert"
OP_DELETE = "delete"


class SearchOutbox(db.Model):
    """A listing whose index entry must be brought up to date."""

    __tablename__ = "search_outbox"
    __table_args__ = (
        CheckConstraint("op IN ('upsert','delete')", name="op"),
        Index("ix_search_outbox_listing_id", "listing_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(nullable=False)
    op: Mapped[str] = mapped_column(String(8), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


def enqueue(listing_id: int, op: str = OP_UPSERT) -> SearchOutbox | None:
    """Record, in the current transaction, that a listing's index entry must change.

    With the PostgreSQL backend the document itself changes now, in this
    transaction (no outbox row, nothing to drain; see ``service.write_through``).
    """
    from .service import write_through

    if write_through(listing_id):
        return None
    row = SearchOutbox(listing_id=listing_id, op=op)
    db.session.add(row)
    after_commit(drain_after_commit, key=DRAIN_KEY)
    return row


class IndexLockTimeout(RuntimeError):
    """Another process held the index lock for too long."""


_thread_lock = threading.Lock()


@contextmanager
def index_lock(timeout: float = 30.0) -> Iterator[None]:
    """Exclusive right to read the outbox and write the index, across processes."""
    folder = current_app.config["SEARCH_INDEX_DIR"]
    os.makedirs(folder, exist_ok=True)
    deadline = time.monotonic() + timeout
    if not _thread_lock.acquire(timeout=timeout):
        raise IndexLockTimeout("search index lock is busy")
    try:
        with open(os.path.join(folder, "outbox.lock"), "a+") as handle:
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise IndexLockTimeout("search index lock is busy") from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        _thread_lock.release()


@dataclass
class DrainResult:
    upserted: int = 0
    deleted: int = 0
    rows: int = 0


def pending_count() -> int:
    return len(db.session.scalars(select(SearchOutbox.id)).all())


def drain(*, batch: int = 500, timeout: float = 30.0) -> DrainResult:
    """Apply every pending outbox row to the index; commit the removal of the rows.

    Raises whatever the index raises (the rows then stay for the next drain).
    """
    from .service import get_backend, listing_docs_for

    result = DrainResult()
    if getattr(_draining, "active", False):
        # A commit inside the drain in progress on this thread (a seed that drains
        # mid-way commits its own changes this way) queued another drain: the loop
        # in progress reads the outbox again until it is empty, so this one has
        # nothing to add, and waiting for the lock its caller holds would only time out.
        return result
    backend = get_backend()
    with index_lock(timeout):
        _draining.active = True
        try:
            _drain_rows(backend, batch, result, listing_docs_for)
        finally:
            _draining.active = False
    return result


_draining = threading.local()


def _drain_rows(backend, batch: int, result: DrainResult, listing_docs_for) -> None:
    """Apply the outbox to the index batch by batch, committing each, until it is empty."""
    while True:
        rows = list(db.session.scalars(select(SearchOutbox).order_by(SearchOutbox.id).limit(batch)))
        if not rows:
            break
        ids = sorted({row.listing_id for row in rows})
        try:
            docs = listing_docs_for(ids)
            live = {doc.id for doc in docs}
            gone = [i for i in ids if i not in live]
            if docs:
                backend.upsert(docs)
            if gone:
                backend.delete(gone)
            db.session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_([r.id for r in rows])))
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        result.upserted += len(docs)
        result.deleted += len(gone)
        result.rows += len(rows)


def run_worker(stop: threading.Event, *, interval: float = 1.0, report=None) -> DrainResult:
    """Drain until ``stop`` is set, looking at the outbox every ``interval``
    seconds. A failing drain is logged and retried at the next look (its rows
    stay); a drain in progress is finished before stopping, so nothing is left
    half-applied. Returns what was applied in total."""
    total = DrainResult()
    while not stop.is_set():
        try:
            result = drain(timeout=max(interval, 5.0))
        except IndexLockTimeout:
            result = None
        except Exception:  # noqa: BLE001 - logged; the outbox keeps the work
            db.session.rollback()
            log.exception("search worker: index update failed; retrying")
            result = None
        finally:
            db.session.remove()
        if result is not None and result.rows:
            total.rows += result.rows
            total.upserted += result.upserted
            total.deleted += result.deleted
            if report is not None:
                report(result)
        stop.wait(interval)
    return total


def drain_quietly() -> DrainResult | None:
    """Drain, logging instead of raising: a failed index write must not fail a
    request whose change is already committed; the rows wait for the next drain."""
    try:
        return drain(timeout=5.0)
    except Exception:  # noqa: BLE001 - logged; the outbox keeps the work
        db.session.rollback()
        log.exception("search index update failed; the outbox keeps the pending changes")
        return None


#: One drain per transaction, however many listings it changed.
DRAIN_KEY = "search-outbox-drain"


def drain_after_commit() -> None:
    """After a transaction that queued index changes commits (a request, a command):
    drain them here unless a `flask search worker` does (SEARCH_DRAIN_IN_REQUEST=false).
    A rolled-back transaction took its rows back and queues no drain."""
    if current_app.config.get("SEARCH_DRAIN_IN_REQUEST", True):
        drain_quietly()
