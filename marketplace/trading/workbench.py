"""What public trading puts on the workbench (portal.workbench wraps these as its
work items): deposits to confirm and objections to answer, for the seller side and
the listing's agency. Two queries each, whatever the rows."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..listings.models import Listing
from .models import BiddingDeposit, BiddingSession, NoticeObjection, TradingNotice
from .states import LIVE_BIDDING


def items_for(user, today: date) -> list[tuple[str, Any, int, str]]:
    """(key, label, count, url) for a seller or an agency member; nothing for others."""
    if not user.acts_as("seller", "agency"):
        return []
    org_column = Listing.agency_org_id if user.acts_as("agency") else Listing.org_id
    mine = select(Listing.id).where(org_column == user.organization_id)
    deposits = db.session.execute(
        select(func.count(BiddingDeposit.id), func.min(BiddingSession.id))
        .join(BiddingSession, BiddingSession.id == BiddingDeposit.session_id)
        .where(
            BiddingDeposit.status == "awaiting",
            BiddingSession.status.in_(tuple(LIVE_BIDDING)),
            BiddingSession.listing_id.in_(mine),
        )
    ).one()
    objections = db.session.execute(
        select(func.count(NoticeObjection.id), func.min(TradingNotice.id))
        .join(TradingNotice, TradingNotice.id == NoticeObjection.notice_id)
        .where(
            NoticeObjection.answered_at.is_(None),
            TradingNotice.status == "running",
            TradingNotice.listing_id.in_(mine),
        )
    ).one()
    return [
        (
            "bidding_deposits_to_confirm",
            _l("Bidding deposits to confirm"),
            int(deposits[0]),
            url_for("trading.detail", session_id=deposits[1]) + "#deposits"
            if deposits[1]
            else url_for("trading.index"),
        ),
        (
            "notice_objections_to_answer",
            _l("Objections to answer on a public notice"),
            int(objections[0]),
            url_for("trading.notice", notice_id=objections[1]) + "#objections"
            if objections[1]
            else url_for("trading.index"),
        ),
    ]
