"""Starting and cancelling a bidding session (网络竞价) on a listing, and the hold a
live session (or a running notice) keeps on the listing's assets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.models import Organization
from ..core.errors import Conflict, PermissionDenied, ValidationError
from ..core.locking import lock
from ..core.models import record_audit
from ..core.timeutil import shanghai_date, start_of_day_utc, utcnow
from ..extensions import db
from ..listings.models import ListingAsset
from ..listings.terms import TermsData
from . import permissions
from .models import PRICE_FIELD, BiddingSession, TradingNotice
from .states import LIVE_BIDDING, RERUN_AFTER, BiddingStatus

MIN_BIDDING = timedelta(hours=24)


def setting(name: str, default: int) -> int:
    if has_app_context():
        return int(current_app.config.get(name, default))
    return default


def default_extension_minutes() -> int:
    return setting("BIDDING_EXTENSION_MINUTES", 5)


def rerun_floor(previous_start_fen: int) -> int:
    """The lowest starting price of a session run again after `previous_start_fen`
    (at most BIDDING_RERUN_MAX_REDUCTION_PCT, default 20 %, lower; rounded up to the fen)."""
    pct = min(max(setting("BIDDING_RERUN_MAX_REDUCTION_PCT", 20), 0), 100)
    return -(-previous_start_fen * (100 - pct) // 100)


class BiddingConflict(Conflict):
    code = "bidding_conflict"


@dataclass
class SessionInput:
    starting_price_fen: int | None
    increment_fen: int | None
    deposit_fen: int | None
    announce_on: date | None
    starts_at: datetime | None
    ends_at: datetime | None
    reserve_fen: int | None = None
    extension_minutes: int | None = None  # None: BIDDING_EXTENSION_MINUTES
    priority_org_ids: list[int] = field(default_factory=list)
    deal_terms: dict[str, Any] | None = None


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def default_terms(listing) -> dict[str, Any] | None:
    """The listing's terms for a transfer, else its first terms: what is bid if none are given."""
    terms = listing.terms_for("transfer") or (listing.terms[0] if listing.terms else None)
    if terms is None:
        return None
    return {name: getattr(terms, name) for name in ("deal_kind", "license_type", "field_of_use", "territory",
                                                    "term_months", "royalty_bp", "equity_share_bp", "company")
            if getattr(terms, name, None) not in (None, "")}  # fmt: skip


def clean_terms(listing, raw: dict[str, Any] | None, errors: dict[str, list]) -> dict[str, Any] | None:
    terms = dict(raw) if isinstance(raw, dict) else default_terms(listing)
    if raw is not None and not isinstance(raw, dict):
        errors.setdefault("deal_terms", []).append(_l("The deal terms are one terms object."))
        return None
    if not terms or terms.get("deal_kind") not in PRICE_FIELD:
        errors.setdefault("deal_terms", []).append(_l("Choose the deal kind: license, transfer or equity."))
        return None
    if listing.terms_for(terms["deal_kind"]) is None:
        errors.setdefault("deal_terms", []).append(_l("The listing does not offer this kind of deal."))
        return None
    price_field = PRICE_FIELD[terms["deal_kind"]]
    terms[price_field] = 1  # what is bid; checked as a complete terms object with a placeholder
    data = TermsData.from_dict(terms)
    problems = data.problems(complete=False)
    for name, messages in (problems or {}).items():
        errors.setdefault(f"deal_terms.{name}", []).extend(messages)
    cleaned = {
        k: v for k, v in data.cleaned().items() if v not in (None, "") or k in ("field_of_use", "territory")
    }
    cleaned.pop(price_field, None)
    return cleaned


def validate(
    listing, data: SessionInput, *, now: datetime, errors: dict[str, list] | None = None
) -> dict[str, list]:
    """Every field's problems at once (shape and the rules of DOMAIN.md)."""
    errors = errors if errors is not None else {}
    start = data.starting_price_fen
    if not _whole(start) or start <= 0:
        errors.setdefault("starting_price_fen", []).append(_l("Give a starting price above zero."))
        start = None
    if not _whole(data.increment_fen) or data.increment_fen <= 0:
        errors.setdefault("increment_fen", []).append(_l("Give an increment above zero."))
    if data.reserve_fen is not None:
        if not _whole(data.reserve_fen) or (start is not None and data.reserve_fen < start):
            errors.setdefault("reserve_fen", []).append(
                _l("The reserve is at least the starting price (or leave it empty).")
            )
    if not _whole(data.deposit_fen) or data.deposit_fen < 0:
        errors.setdefault("deposit_fen", []).append(_l("Give the deposit."))
    elif start is not None and not (start * 5 <= data.deposit_fen * 100 <= start * 20):
        errors.setdefault("deposit_fen", []).append(
            _l("The deposit is 5 to 20 percent of the starting price.")
        )
    minutes = data.extension_minutes if data.extension_minutes is not None else default_extension_minutes()
    if not _whole(minutes) or not 1 <= minutes <= 60:
        errors.setdefault("extension_minutes", []).append(_l("The extension is 1 to 60 minutes."))
    today = shanghai_date(now)
    if data.announce_on is None:
        errors.setdefault("announce_on", []).append(_l("Give the announcement date."))
    elif data.announce_on < today:
        errors.setdefault("announce_on", []).append(_l("The announcement date cannot be in the past."))
    if data.starts_at is None:
        errors.setdefault("starts_at", []).append(_l("Give the start."))
    elif data.announce_on is not None:
        days = setting("BIDDING_ANNOUNCE_DAYS", 7)
        if data.starts_at < start_of_day_utc(data.announce_on + timedelta(days=days)):
            errors.setdefault("starts_at", []).append(
                _l("Bidding starts at least %(days)s days after the announcement.", days=days)
            )
    if data.ends_at is None:
        errors.setdefault("ends_at", []).append(_l("Give the end."))
    elif data.starts_at is not None and data.ends_at - data.starts_at < MIN_BIDDING:
        errors.setdefault("ends_at", []).append(_l("Bidding lasts at least 24 hours."))
    for org_id in data.priority_org_ids or []:
        org = db.session.get(Organization, org_id) if _whole(org_id) else None
        if org is None or org.id == listing.org_id:
            errors.setdefault("priority_org_ids", []).append(
                _l("Organization %(id)s cannot hold a right of first refusal here.", id=org_id)
            )
    return errors


def live_session_of(listing_id: int) -> BiddingSession | None:
    return db.session.scalar(
        select(BiddingSession)
        .where(BiddingSession.listing_id == listing_id, BiddingSession.status.in_(tuple(LIVE_BIDDING)))
        .limit(1)
    )


def last_session_of(listing_id: int) -> BiddingSession | None:
    return db.session.scalar(
        select(BiddingSession)
        .where(BiddingSession.listing_id == listing_id)
        .order_by(BiddingSession.id.desc())
    )


def running_notice_of(listing_id: int) -> TradingNotice | None:
    return db.session.scalar(
        select(TradingNotice).where(TradingNotice.listing_id == listing_id, TradingNotice.status == "running")
    )


def create_session(listing, data: SessionInput, *, actor, now: datetime | None = None) -> BiddingSession:
    """The seller side (or its agency) starts a bidding session on its published listing."""
    from ..ip.deals import check_deal
    from ..offers.negotiation import deal_terms_for_check

    now = now or utcnow()
    if not permissions.is_seller_side(actor, listing):
        raise PermissionDenied(_l("Only the seller side or its agency starts a bidding on this listing."))
    lock(listing)
    if not listing.is_published:
        raise BiddingConflict(_l("Only a published listing can be bid on."), code="listing_not_published")
    errors: dict[str, list] = {}
    terms = clean_terms(listing, data.deal_terms, errors)
    validate(listing, data, now=now, errors=errors)
    previous = last_session_of(listing.id)
    if previous is not None and previous.status in RERUN_AFTER and "starting_price_fen" not in errors:
        floor = rerun_floor(previous.starting_price_fen)
        if data.starting_price_fen < floor:
            errors.setdefault("starting_price_fen", []).append(
                _l("A session run again starts at most %(pct)s percent lower than before: at least %(floor)s fen.",
                   pct=setting("BIDDING_RERUN_MAX_REDUCTION_PCT", 20), floor=floor)
            )  # fmt: skip
    if errors:
        raise ValidationError(fields=errors)
    if live_session_of(listing.id) is not None or running_notice_of(listing.id) is not None:
        raise BiddingConflict(_l("This listing already has a bidding or a public notice under way."))
    deal = deal_terms_for_check({**terms}, start=shanghai_date(now))
    reasons = []
    for asset in listing.assets:
        check = check_deal(asset, deal)
        if not check.ok:
            reasons.append(f"{asset.title}: {check.message}")
    if reasons:
        raise BiddingConflict(" ".join(reasons), code="deal_excluded")
    session = BiddingSession(
        listing_id=listing.id,
        seller_org_id=listing.org_id,
        status=BiddingStatus.ANNOUNCED.value,
        deal_terms=terms,
        starting_price_fen=data.starting_price_fen,
        increment_fen=data.increment_fen,
        reserve_fen=data.reserve_fen,
        deposit_fen=data.deposit_fen,
        announce_on=data.announce_on,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        effective_ends_at=data.ends_at,
        extension_minutes=data.extension_minutes or default_extension_minutes(),
        priority_org_ids=sorted(set(data.priority_org_ids or [])),
        previous_session_id=previous.id if previous is not None and previous.status in RERUN_AFTER else None,
        created_by_id=actor.id,
    )
    db.session.add(session)
    db.session.flush()
    record_audit("bidding.create", session, actor=actor, to_state=session.status,
                 data={"listing_id": listing.id})  # fmt: skip
    return session


def cancel_session(session: BiddingSession, *, actor, now: datetime | None = None) -> BiddingSession:
    """The seller side cancels a session before its first bid; deposits are released."""
    from .states import BIDDING_MACHINE

    now = now or utcnow()
    if not permissions.is_seller_side(actor, session.listing):
        raise PermissionDenied()
    lock(session)
    if session.bids_count or session.phase(now) not in ("announced", "open"):
        raise BiddingConflict(_l("A session can be cancelled only before its first bid."))
    BIDDING_MACHINE.apply(session, BiddingStatus.CANCELLED)
    from .enrolment import release_deposits

    release_deposits(session, now=now, keep=None)
    record_audit("bidding.cancel", session, actor=actor, to_state=session.status)
    return session


def hold_on_asset(asset, reference: str):
    """The IP register's question (ip.encumbrances.bidding_hold): is the asset held by a
    live bidding session or a running notice other than `reference`? The reason, or None."""
    listing_ids = select(ListingAsset.listing_id).where(ListingAsset.asset_id == asset.id)
    session = db.session.scalar(
        select(BiddingSession)
        .where(BiddingSession.listing_id.in_(listing_ids), BiddingSession.status.in_(tuple(LIVE_BIDDING)))
        .limit(1)
    )
    if session is not None and session.reference != reference:
        return _l(
            "A bidding session (%(ref)s) holds this technology until it is settled.", ref=session.reference
        )
    notice = db.session.scalar(
        select(TradingNotice)
        .where(TradingNotice.listing_id.in_(listing_ids), TradingNotice.status == "running",
               TradingNotice.kind == "listing")
        .limit(1)
    )  # fmt: skip
    if notice is not None and notice.reference != reference:
        return _l("A public notice (%(ref)s) holds this technology until it ends.", ref=notice.reference)
    return None
