"""Public notice (挂牌公示) of a listing at a listed price: anyone logged in may
object during it and the seller side answers; qualified buyers accept the listed
price. At its end (and once every objection is answered): no buyer -> back to
negotiation; one -> a contract draft at the listed price; several -> a bidding
session among them. 成果公示 (kind "result"): a state-funded seller's agreed
price published before signing, with the same objections."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.models import User
from ..core.errors import Conflict, PermissionDenied, ValidationError
from ..core.locking import lock
from ..core.models import record_audit
from ..core.timeutil import shanghai_date, utcnow
from ..extensions import db
from . import permissions
from .enrolment import _add_enrolment
from .models import PRICE_FIELD, BiddingSession, NoticeAcceptance, NoticeObjection, TradingNotice
from .sessions import MIN_BIDDING, BiddingConflict, clean_terms, live_session_of, running_notice_of, setting
from .states import NOTICE_MACHINE, NoticeStatus

MAX_REASON = 2000


def notice_limits() -> tuple[int, int]:
    return setting("NOTICE_MIN_DAYS", 5), setting("NOTICE_MAX_DAYS", 30)


def start_notice(listing, *, listed_price_fen, notice_days=None, deal_terms=None, actor,
                 now: datetime | None = None) -> TradingNotice:  # fmt: skip
    """The seller side puts its published listing on public notice at a listed price."""
    now = now or utcnow()
    if not permissions.is_seller_side(actor, listing):
        raise PermissionDenied(_l("Only the seller side or its agency puts this listing on notice."))
    lock(listing)
    if not listing.is_published:
        raise BiddingConflict(
            _l("Only a published listing can be put on notice."), code="listing_not_published"
        )
    errors: dict[str, list] = {}
    terms = clean_terms(listing, deal_terms, errors)
    low, high = notice_limits()
    days = setting("NOTICE_DEFAULT_DAYS", 15) if notice_days is None else notice_days
    if not isinstance(days, int) or isinstance(days, bool) or not low <= days <= high:
        errors.setdefault("notice_days", []).append(
            _l("The notice lasts %(low)s to %(high)s days.", low=low, high=high)
        )
    if not isinstance(listed_price_fen, int) or isinstance(listed_price_fen, bool) or listed_price_fen <= 0:
        errors.setdefault("listed_price_fen", []).append(_l("Give the listed price above zero."))
    if errors:
        raise ValidationError(fields=errors)
    if live_session_of(listing.id) is not None or running_notice_of(listing.id) is not None:
        raise BiddingConflict(_l("This listing already has a bidding or a public notice under way."))
    today = shanghai_date(now)
    notice = TradingNotice(
        kind="listing",
        listing_id=listing.id,
        seller_org_id=listing.org_id,
        status="running",
        deal_terms=terms,
        listed_price_fen=listed_price_fen,
        notice_days=days,
        starts_on=today,
        ends_on=today + timedelta(days=days),
        created_by_id=actor.id,
    )
    db.session.add(notice)
    db.session.flush()
    record_audit("notice.start", notice, actor=actor, to_state="running")
    return notice


def _running(notice: TradingNotice, now: datetime) -> None:
    if notice.status != "running" or shanghai_date(now) > notice.ends_on:
        raise Conflict(_l("The notice period is over."), code="notice_over")


def object_to(notice: TradingNotice, reason, *, actor, now: datetime | None = None) -> NoticeObjection:
    now = now or utcnow()
    if not permissions.can_object(actor):
        raise PermissionDenied()
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError(fields={"reason": [_l("Give the reason for the objection.")]})
    if len(reason) > MAX_REASON:
        raise ValidationError(fields={"reason": [_l("At most %(n)s characters.", n=MAX_REASON)]})
    lock(notice)
    _running(notice, now)
    objection = NoticeObjection(notice_id=notice.id, user_id=actor.id, reason=reason, created_at=now)
    db.session.add(objection)
    db.session.flush()
    record_audit("notice.objection", notice, actor=actor, data={"objection_id": objection.id})
    return objection


def answer_objection(
    objection: NoticeObjection, answer, *, actor, now: datetime | None = None
) -> NoticeObjection:
    now = now or utcnow()
    notice = objection.notice
    if not permissions.can_answer(actor, notice):
        raise PermissionDenied(_l("Only the seller side or its agency answers objections."))
    answer = (answer or "").strip() if isinstance(answer, str) else ""
    if not answer:
        raise ValidationError(fields={"answer": [_l("Write the answer.")]})
    if len(answer) > MAX_REASON:
        raise ValidationError(fields={"answer": [_l("At most %(n)s characters.", n=MAX_REASON)]})
    lock(notice)
    if objection.answered_at is not None:
        raise Conflict(_l("This objection was answered already."), code="answered")
    objection.answer, objection.answered_by_id, objection.answered_at = answer, actor.id, now
    record_audit("notice.answer", notice, actor=actor, data={"objection_id": objection.id})
    return objection


def accept_listed_price(notice: TradingNotice, *, actor, now: datetime | None = None) -> NoticeAcceptance:
    """A buyer accepts the listed price during the notice (again: the same acceptance)."""
    now = now or utcnow()
    if not permissions.can_accept_notice(actor, notice):
        raise PermissionDenied(
            _l("Only a buyer organization other than the seller accepts the listed price.")
        )
    lock(notice)
    _running(notice, now)
    existing = db.session.scalar(
        select(NoticeAcceptance).where(
            NoticeAcceptance.notice_id == notice.id, NoticeAcceptance.org_id == actor.organization_id
        )
    )
    if existing is not None:
        return existing
    acceptance = NoticeAcceptance(notice_id=notice.id, org_id=actor.organization_id, user_id=actor.id,
                                  created_at=now)  # fmt: skip
    db.session.add(acceptance)
    db.session.flush()
    record_audit("notice.accept", notice, actor=actor)
    return acceptance


def finish_if_due(notice: TradingNotice, now: datetime | None = None) -> TradingNotice:
    """At the end of the notice, once every objection is answered: the outcome."""
    from .settlement import draft_contract

    now = now or utcnow()
    today = shanghai_date(now)
    if notice.status != "running" or today <= notice.ends_on:
        return notice
    lock(notice)
    if notice.status != "running" or notice.open_objections:
        return notice  # unanswered objections block the deal
    actor = db.session.get(User, notice.created_by_id)
    buyers = list(notice.acceptances)
    notice.decided_at = now
    if notice.kind == "result":
        NOTICE_MACHINE.apply(notice, NoticeStatus.PASSED)
    elif not buyers:
        NOTICE_MACHINE.apply(notice, NoticeStatus.NO_BUYER)
    elif len(buyers) == 1:
        terms = {**notice.deal_terms, PRICE_FIELD[notice.deal_terms["deal_kind"]]: notice.listed_price_fen}
        contract = draft_contract(notice.listing, buyer_org=buyers[0].organization, terms=terms,
                                  reference=notice.reference, actor=actor, today=today,
                                  extra={"notice_id": notice.id, "trading_mode": "listing"})  # fmt: skip
        notice.contract_id = contract.id
        NOTICE_MACHINE.apply(notice, NoticeStatus.CONTRACTED)
    else:
        session = bidding_among(notice, [b.org_id for b in buyers], now=now, actor=actor)
        notice.bidding_session_id = session.id
        NOTICE_MACHINE.apply(notice, NoticeStatus.TO_BIDDING)
    record_audit("notice.end", notice, actor=None, from_state="running", to_state=notice.status)
    return notice


def bidding_among(notice: TradingNotice, org_ids: list[int], *, now: datetime, actor) -> BiddingSession:
    """Several buyers accepted: a session among them from the listed price, open now for 24 hours,
    each enrolled with a 5 % deposit due."""
    price = notice.listed_price_fen
    session = BiddingSession(
        listing_id=notice.listing_id,
        seller_org_id=notice.seller_org_id,
        status="announced",
        deal_terms=dict(notice.deal_terms),
        starting_price_fen=price,
        increment_fen=max(price // 100, 100),
        reserve_fen=None,
        deposit_fen=price * 5 // 100,
        announce_on=shanghai_date(now),
        starts_at=now,
        ends_at=now + MIN_BIDDING,
        effective_ends_at=now + MIN_BIDDING,
        extension_minutes=5,
        priority_org_ids=[],
        invited_org_ids=sorted(org_ids),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(session)
    db.session.flush()
    for org_id in sorted(org_ids):
        _add_enrolment(session, org_id, user_id=None)
    return session


def due_notices(today: date) -> list[int]:
    return list(
        db.session.scalars(
            select(TradingNotice.id)
            .where(TradingNotice.status == "running", TradingNotice.ends_on < today)
            .order_by(TradingNotice.id)
        )
    )


def notice_json_terms(notice: TradingNotice) -> dict[str, Any]:
    return {**notice.deal_terms, PRICE_FIELD[notice.deal_terms["deal_kind"]]: notice.listed_price_fen}
