"""The hash-chained log of a session: the ledger's construction (ledger.chain),
one chain per session, appended under the session's row lock and verified by anyone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..ledger.chain import GENESIS_HASH, VerifyResult, entry_hash, verify_chain
from .models import BiddingLogEntry, BiddingSession


def append(
    session: BiddingSession,
    kind: str,
    *,
    at: datetime,
    bidder_code: str | None = None,
    amount_fen: int | None = None,
    data: dict[str, Any] | None = None,
) -> BiddingLogEntry:
    """Append one entry; the caller holds the session's row lock."""
    prev = session.head_hash or GENESIS_HASH
    entry = BiddingLogEntry(
        session_id=session.id,
        seq=session.last_seq + 1,
        kind=kind,
        at=at,
        bidder_code=bidder_code,
        amount_fen=amount_fen,
        data=data or {},
        prev_hash=prev,
    )
    entry.hash = entry_hash(prev, entry.fields())
    session.last_seq = entry.seq
    session.head_hash = entry.hash
    db.session.add(entry)
    return entry


def entries(session: BiddingSession, *, kind: str | None = None):
    stmt = select(BiddingLogEntry).where(BiddingLogEntry.session_id == session.id)
    if kind is not None:
        stmt = stmt.where(BiddingLogEntry.kind == kind)
    return stmt.order_by(BiddingLogEntry.seq)


def verify(session: BiddingSession) -> VerifyResult:
    """Check the whole log of the session, streamed in sequence order; the head must be the session's."""
    rows = db.session.scalars(entries(session).execution_options(yield_per=500))
    try:
        result = verify_chain((e.seq, e.prev_hash, e.hash, e.fields()) for e in rows)
    finally:
        rows.close()  # a break stops early: the server-side cursor is closed at once
    if result.ok and result.head != (session.head_hash or GENESIS_HASH):
        return VerifyResult(False, result.entries, result.head, session.last_seq, "head_mismatch")
    return result
