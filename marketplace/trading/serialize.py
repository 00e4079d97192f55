"""The JSON of sessions, bids and notices, shared by the API and the page's polling."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from ..core.timeutil import utcnow
from . import permissions
from .models import BiddingLogEntry, BiddingSession, TradingNotice


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _mine(session: BiddingSession, viewer):
    """The viewer's enrolment, from the session's (loaded once) enrolments."""
    if not getattr(viewer, "is_authenticated", False) or viewer.organization_id is None:
        return None
    return next((e for e in session.enrolments if e.org_id == viewer.organization_id), None)


def session_json(session: BiddingSession, viewer, *, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    phase = session.phase(now)
    mine = _mine(session, viewer)
    leader = session.leader
    body: dict[str, Any] = {
        "id": session.id,
        "reference": session.reference,
        "listing_id": session.listing_id,
        "title": session.listing.title,
        "status": phase,
        "deal_terms": session.deal_terms,
        "starting_price_fen": session.starting_price_fen,
        "increment_fen": session.increment_fen,
        "deposit_fen": session.deposit_fen,
        "has_reserve": session.reserve_fen is not None,
        "announce_on": _iso(session.announce_on),
        "starts_at": _iso(session.starts_at),
        "ends_at": _iso(session.effective_ends_at),
        "planned_ends_at": _iso(session.ends_at),
        "extension_minutes": session.extension_minutes,
        "current_price_fen": session.current_price_fen,
        "min_next_bid_fen": session.min_next_bid(),
        "bids_count": session.bids_count,
        "enrolments_count": session.enrolments_count,
        "leader_code": leader.code if leader is not None else None,
        "priority_org_ids": session.priority_org_ids,
        "invited_only": bool(session.invited_org_ids),
        "head_hash": session.head_hash,
        "log_length": session.last_seq,
        "contract_id": session.contract_id,
        "sign_by": _iso(session.sign_by),
        "premium_bp": session.premium_bp(),
        "previous_session_id": session.previous_session_id,
        "server_time": _iso(now),
        "my_code": mine.code if mine is not None else None,
        "my_deposit": (
            {
                "status": mine.deposit.status,
                "amount_fen": mine.deposit.amount_fen,
                "reference": mine.deposit.reference,
            }
            if mine is not None and mine.deposit is not None
            else None
        ),  # fmt: skip
    }
    if permissions.sees_reserve(viewer, session):
        body["reserve_fen"] = session.reserve_fen
    if session.status in ("settled", "forfeited") and leader is not None:
        body["winner_code"] = leader.code
        body["winner_name"] = leader.organization.name
    return body


def state_etag(session: BiddingSession, viewer, now: datetime) -> str:
    """What changes the page: the log's head, the phase, the viewer's enrolment."""
    mine = _mine(session, viewer)
    parts = [
        str(session.id), session.phase(now), str(session.last_seq), session.head_hash or "",
        _iso(session.effective_ends_at) or "", mine.code if mine else "",
        mine.deposit.status if mine is not None and mine.deposit is not None else "",
    ]  # fmt: skip
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def entry_json(entry: BiddingLogEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "kind": entry.kind,
        "bidder_code": entry.bidder_code,
        "amount_fen": entry.amount_fen,
        "at": _iso(entry.at),
        "data": entry.data or {},
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def notice_json(notice: TradingNotice, viewer) -> dict[str, Any]:
    return {
        "id": notice.id,
        "reference": notice.reference,
        "kind": notice.kind,
        "listing_id": notice.listing_id,
        "title": notice.listing.title,
        "status": notice.status,
        "listed_price_fen": notice.listed_price_fen,
        "deal_terms": notice.deal_terms,
        "notice_days": notice.notice_days,
        "starts_on": _iso(notice.starts_on),
        "ends_on": _iso(notice.ends_on),
        "acceptances": len(notice.acceptances),
        "accepted_by_me": any(a.org_id == getattr(viewer, "organization_id", -1) for a in notice.acceptances),
        "objections": [
            {
                "id": o.id,
                "reason": o.reason,
                "at": _iso(o.created_at),
                "answer": o.answer,
                "answered_at": _iso(o.answered_at),
            }
            for o in notice.objections
        ],  # fmt: skip
        "contract_id": notice.contract_id,
        "bidding_session_id": notice.bidding_session_id,
        "open_objections": len(notice.open_objections),
    }
