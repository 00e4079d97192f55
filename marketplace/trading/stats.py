"""Deals by trading mode (negotiation, public listing, bidding) and the bidding
premium over the starting price, for the regulator's dashboard, the public
bidding page and GET /api/v1/biddings/stats. Two queries, whatever the rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select

from ..contracts.models import Contract
from ..extensions import db
from .models import BiddingSession

MODES = ("negotiation", "listing", "bidding")


def deals_by_mode() -> dict[str, Any]:
    """Contract drafts and contracts (not cancelled, not a forfeited bidding's draft) by
    the mode that made them; settled sessions' winning prices over their starting
    prices (weighted, in basis points; a forfeited session's sale did not happen)."""
    mode = case(
        (Contract.source_ref.like("JJ%"), "bidding"),
        (Contract.source_ref.like("GP%"), "listing"),
        else_="negotiation",
    )
    forfeited = select(BiddingSession.contract_id).where(
        BiddingSession.status == "forfeited", BiddingSession.contract_id.is_not(None)
    )
    rows = db.session.execute(
        select(mode, func.count(Contract.id), func.coalesce(func.sum(Contract.turnover_fen), 0))
        .where(
            Contract.status != "cancelled",
            Contract.source.in_(("offer", "offline")),
            Contract.id.not_in(forfeited),
        )
        .group_by(mode)
    ).all()
    by_mode = {m: {"contracts": 0, "turnover_fen": 0} for m in MODES}
    for key, count, turnover in rows:
        by_mode[key] = {"contracts": int(count), "turnover_fen": int(turnover)}
    settled = db.session.execute(
        select(
            func.count(BiddingSession.id),
            func.coalesce(func.sum(BiddingSession.starting_price_fen), 0),
            func.coalesce(func.sum(BiddingSession.current_price_fen), 0),
        ).where(BiddingSession.status == "settled")
    ).one()
    sessions, starting, winning = (int(v) for v in settled)
    premium_bp = (winning - starting) * 10000 // starting if starting else None
    return {
        "modes": by_mode,
        "settled_sessions": sessions,
        "starting_total_fen": starting,
        "winning_total_fen": winning,
        "premium_bp": premium_bp,
    }
