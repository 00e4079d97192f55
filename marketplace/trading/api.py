"""API of public trading: bidding sessions (网络竞价) and public notices (挂牌公示)
(../shared/API.md, "Online bidding ... and public listing with notice")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..accounts.apiauth import token_optional, token_required
from ..core.apidocs import BOOLEAN, DATE, DATETIME, FEN, INTEGER, PAGE_PARAMS, STRING, describe, obj
from ..core.errors import NotFound, ValidationError
from ..core.idempotency import idempotent
from ..core.jsonbody import json_body
from ..core.pagination import paginate, read_page_args
from ..extensions import db
from ..listings.models import Listing
from ..listings.permissions import can_view_listing
from . import bidding, chain, clock, enrolment, notices, permissions, sessions
from .models import BiddingDeposit, BiddingEnrolment, BiddingSession, NoticeObjection, TradingNotice
from .serialize import entry_json, notice_json, session_json

bp = Blueprint("trading", __name__)


@bp.after_request
def _live(response):
    """Sessions and notices change by the second: a shared cache keeps no copy it has not
    revalidated (the API still answers 304 to a read whose ETag has not changed)."""
    if request.method in ("GET", "HEAD"):
        response.headers.setdefault("Cache-Control", "no-cache")
    return response


STATUSES = ("announced", "open", "ended", "settled", "failed", "cancelled", "forfeited")
SESSION_SCHEMA = obj(
    {
        "id": INTEGER,
        "status": {"type": "string", "enum": list(STATUSES)},
        "current_price_fen": FEN,
        "min_next_bid_fen": FEN,
        "bids_count": INTEGER,
        "ends_at": DATETIME,
        "server_time": DATETIME,
        "my_code": STRING,
        "reserve_fen": FEN,
        "has_reserve": BOOLEAN,
    }
)
CREATE_BODY = obj(
    {
        "starting_price_fen": FEN,
        "increment_fen": FEN,
        "reserve_fen": FEN,
        "deposit_fen": FEN,
        "announce_on": DATE,
        "starts_at": DATETIME,
        "ends_at": DATETIME,
        "extension_minutes": INTEGER,
        "priority_org_ids": {"type": "array", "items": INTEGER},
        "deal_terms": {"type": "object"},
    },
    required=["starting_price_fen", "increment_fen", "deposit_fen", "announce_on", "starts_at", "ends_at"],
)


def _listing(listing_id: int, actor) -> Listing:
    listing = db.session.get(Listing, listing_id)
    if listing is None or not can_view_listing(actor, listing):
        raise NotFound()
    return listing


def _session(session_id: int, actor, now: datetime) -> BiddingSession:
    session = db.session.get(BiddingSession, session_id)
    if session is None or not permissions.can_view_session(actor, session, now):
        raise NotFound()
    return session


def _date(value, name: str, errors: dict) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value) if isinstance(value, str) else _bad(name, errors)
    except ValueError:
        return _bad(name, errors)


def _datetime(value, name: str, errors: dict) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        errors.setdefault(name, []).append(
            _l("A time in ISO 8601 with its offset, e.g. 2026-12-01T10:00:00+08:00.")
        )
        return None
    return parsed


def _bad(name: str, errors: dict):
    errors.setdefault(name, []).append(_l("A date as YYYY-MM-DD."))
    return None


def _ints(value, name: str, errors: dict) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        errors.setdefault(name, []).append(_l("A list of organization ids."))
        return []
    return value


@bp.post("/listings/<int:listing_id>/biddings")
@describe(
    "The listing's seller side (or its agency) creates a bidding session (网络竞价): starting price, increment, "
    "secret reserve (null: none), deposit (5-20 % of the starting price), announcement date, start and end "
    "(at least 24 hours of bidding, starting at least the configured days after the announcement), extension "
    "minutes (default 5), holders of a right of first refusal, and the terms object whose price is bid.",
    tags=["trading"],
    body=CREATE_BODY,
    responses={
        201: "The session",
        403: "Not the seller side",
        404: "No such listing",
        409: "Listing not published, a bidding or notice under way, or the deal is excluded",
        422: "Fields invalid",
    },  # fmt: skip
    idempotent=True,
)
@token_required
@idempotent
def create_bidding(listing_id: int, actor):
    listing = _listing(listing_id, actor)
    body = json_body()
    errors: dict[str, list] = {}
    data = sessions.SessionInput(
        starting_price_fen=body.get("starting_price_fen"),
        increment_fen=body.get("increment_fen"),
        reserve_fen=body.get("reserve_fen"),
        deposit_fen=body.get("deposit_fen"),
        announce_on=_date(body.get("announce_on"), "announce_on", errors),
        starts_at=_datetime(body.get("starts_at"), "starts_at", errors),
        ends_at=_datetime(body.get("ends_at"), "ends_at", errors),
        extension_minutes=body.get("extension_minutes"),
        priority_org_ids=_ints(body.get("priority_org_ids"), "priority_org_ids", errors),
        deal_terms=body.get("deal_terms"),
    )
    now = clock.now()
    if errors:
        sessions.clean_terms(listing, data.deal_terms, errors)
        sessions.validate(listing, data, now=now, errors=errors)
        raise ValidationError(fields=errors)
    session = sessions.create_session(listing, data, actor=actor, now=now)
    return session_json(session, actor, now=now), 201


@bp.get("/biddings")
@describe(
    "Bidding sessions, newest first; filter `status` (announced, open, ended, settled, failed, cancelled, "
    "forfeited). Sessions are public from their announcement date.",
    tags=["trading"],
    auth="optional",
    params=PAGE_PARAMS
    + [{"name": "status", "in": "query", "schema": {"type": "string", "enum": list(STATUSES)}}],
    responses={200: "A page of sessions", 422: "Bad filter or page"},
)
@token_optional
def list_biddings(actor):
    from ..core.timeutil import shanghai_date

    page_no, per_page = read_page_args(request.args)
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise ValidationError(fields={"status": [_l("Unknown status.")]})
    now = clock.now()
    stmt = select(BiddingSession).where(BiddingSession.announce_on <= shanghai_date(now))
    if status in ("announced", "open", "ended"):
        live = BiddingSession.status.in_(("announced", "open", "ended"))
        if status == "announced":
            stmt = stmt.where(live, BiddingSession.starts_at > now)
        elif status == "open":
            stmt = stmt.where(live, BiddingSession.starts_at <= now, BiddingSession.effective_ends_at > now)
        else:
            stmt = stmt.where(live, BiddingSession.effective_ends_at <= now)
    elif status is not None:
        stmt = stmt.where(BiddingSession.status == status)
    stmt = stmt.options(
        selectinload(BiddingSession.listing),
        selectinload(BiddingSession.enrolments).selectinload(BiddingEnrolment.deposit),
        selectinload(BiddingSession.enrolments).selectinload(BiddingEnrolment.organization),
    )
    page = paginate(stmt.order_by(BiddingSession.id.desc()), page_no, per_page)
    return page.to_dict(lambda s: session_json(s, actor, now=now))


@bp.get("/biddings/stats")
@describe(
    "Deals by trading mode (`negotiation`, `listing`, `bidding`: contracts and turnover, cancelled ones left "
    "out) and the settled biddings' premium over their starting prices (`premium_bp`, weighted).",
    tags=["trading"],
    auth="none",
    responses={200: "`{modes, settled_sessions, starting_total_fen, winning_total_fen, premium_bp}`"},
)
def bidding_stats():
    from .stats import deals_by_mode

    return deals_by_mode()


@bp.get("/biddings/stats/export")
@describe(
    "The same figures as a file: `format=csv` (default; for scripts: `row_kind` mode / premium / session, "
    "amounts in fen, premium in basis points) or `xlsx` (a report in the request's language, amounts in 元); "
    "with one row per settled session (reference, technology, bids, starting and winning price, premium).",
    tags=["trading"],
    auth="none",
    params=[{"name": "format", "in": "query", "schema": {"type": "string", "enum": ["csv", "xlsx"]}}],
    responses={200: "The file", 422: "Unknown format"},
)
def bidding_stats_export():
    from flask import Response

    from . import exports

    fmt = request.args.get("format") or "csv"
    if fmt not in exports.FORMATS:
        raise ValidationError(fields={"format": [_l("The format is csv or xlsx.")]})
    if fmt == "csv":
        body, mimetype = exports.csv_bytes(), "text/csv; charset=utf-8"
    else:
        body, mimetype = (
            exports.xlsx_bytes(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{exports.filename(fmt)}"'})  # fmt: skip


@bp.get("/biddings/<int:session_id>")
@describe(
    "One session: `status`, `current_price_fen`, `bids_count`, `ends_at` (the effective end, after extensions), "
    "`server_time`, `my_code` for an enrolled caller; the reserve only to the seller side. Reading a session "
    "whose end passed settles it.",
    tags=["trading"],
    auth="optional",
    responses={200: "The session", 404: "No such session, or not announced yet"},
)
@token_optional
def get_bidding(session_id: int, actor):
    now = clock.now()
    session = bidding.settle_if_due(_session(session_id, actor, now), now)
    return session_json(session, actor, now=now)


@bp.post("/biddings/<int:session_id>/enrol")
@describe(
    "A buyer enrols (again: the same enrolment), or an agency for `client_org_id` under a buyer mandate in "
    "force; the deposit is then paid by bank transfer quoting "
    "`payment.reference`, and confirmed by the seller side or the listing's agency.",
    tags=["trading"],
    body=obj({"payer_reference": STRING, "client_org_id": INTEGER}),
    responses={
        200: "`{status, code, payment}`",
        403: "Not a buyer, the seller, or not invited",
        404: "No such session",
        409: "Enrolment closed",
    },  # fmt: skip
)
@token_required
def enrol_bidding(session_id: int, actor):
    now = clock.now()
    session = _session(session_id, actor, now)
    body = request.get_json(silent=True) if request.data else {}
    ref = body.get("payer_reference") if isinstance(body, dict) else None
    client = body.get("client_org_id") if isinstance(body, dict) else None
    e = enrolment.enrol(session, actor=actor, payer_reference=ref if isinstance(ref, str) else None,
                        client_org_id=client, now=now)  # fmt: skip
    deposit = e.deposit
    return {
        "status": "eligible" if e.eligible else "awaiting_deposit",
        "code": e.code,
        "payment": {
            "id": deposit.id,
            "method": deposit.method,
            "amount_fen": deposit.amount_fen,
            "reference": deposit.reference,
            "status": deposit.status,
        },  # fmt: skip
    }


@bp.post("/biddings/<int:session_id>/deposit/stripe")
@describe(
    "The enrolled buyer (or the agency that enrolled it: `client_org_id`) pays the deposit online through "
    "Stripe, where the platform has Stripe keys: answers the deposit with the PaymentIntent's `client_secret` "
    "to confirm in the browser. Asking again answers the same intent (a deposit paid twice is one) and applies "
    "what Stripe has now; Stripe's webhook confirms the deposit, and then the bidder may bid.",
    tags=["trading"],
    body=obj({"client_org_id": INTEGER}),
    responses={
        200: "`{status, code, payment}`",
        403: "Not the enrolled buyer or its agency",
        404: "No such session, or not enrolled",
        409: "Stripe not configured, or the deposit can no longer be paid",
        502: "Stripe could not be reached, or refused",
    },  # fmt: skip
)
@token_required
def pay_bidding_deposit_online(session_id: int, actor):
    from .online_deposits import pay_online

    now = clock.now()
    session = _session(session_id, actor, now)
    body = request.get_json(silent=True) if request.data else {}
    client = body.get("client_org_id") if isinstance(body, dict) else None
    e = _enrolment_for(session, actor, client)
    deposit, intent = pay_online(e, actor=actor, now=now)
    return {
        "status": "eligible" if e.eligible else "awaiting_deposit",
        "code": e.code,
        "payment": {**deposit_json(deposit), "client_secret": intent.client_secret if intent else None},
    }


def _enrolment_for(session, actor, client_org_id) -> BiddingEnrolment:
    from ..core.errors import PermissionDenied

    try:
        org_id = enrolment.bidding_org_id(session, actor, client_org_id)
    except PermissionDenied:
        raise NotFound(_l("You are not enrolled in this bidding.")) from None
    e = enrolment.enrolment_of(session, org_id)
    if e is None:
        raise NotFound(_l("You are not enrolled in this bidding."))
    return e


@bp.post("/biddings/<int:session_id>/cancel")
@describe(
    "The seller side cancels a session before its first bid; every deposit is released for refund.",
    tags=["trading"],
    responses={200: "The session", 403: "Not the seller side", 404: "No such session", 409: "A bid was made"},
)
@token_required
def cancel_bidding(session_id: int, actor):
    now = clock.now()
    session = sessions.cancel_session(_session(session_id, actor, now), actor=actor, now=now)
    return session_json(session, actor, now=now)


@bp.get("/biddings/<int:session_id>/deposits")
@describe(
    "The session's deposits for the seller side: bidder code, amount, transfer reference, status (no names).",
    tags=["trading"],
    responses={200: "`{items}`", 404: "No such session, or not the seller side"},
)
@token_required
def list_bidding_deposits(session_id: int, actor):
    session = _session(session_id, actor, clock.now())
    if not permissions.can_confirm_deposits(actor, session):
        raise NotFound()
    stmt = enrolment.deposits_of(session).options(selectinload(BiddingDeposit.enrolment))
    return {"items": [deposit_json(d) for d in db.session.scalars(stmt)]}


def deposit_json(d: BiddingDeposit) -> dict[str, Any]:
    return {"id": d.id, "bidder_code": d.enrolment.code, "amount_fen": d.amount_fen, "reference": d.reference,
            "payer_reference": d.payer_reference, "status": d.status, "method": d.method,
            "stripe_payment_intent_id": d.stripe_payment_intent_id, "refund_status": d.refund_status,
            "confirmed_at": d.confirmed_at.isoformat() if d.confirmed_at else None}  # fmt: skip


@bp.post("/biddings/<int:session_id>/deposits/<int:deposit_id>/confirm")
@describe(
    "The seller side or the listing's agency confirms a deposit received by bank transfer; confirming it again "
    "changes nothing (a deposit paid twice is one).",
    tags=["trading"],
    responses={200: "The deposit", 403: "Not the seller side", 404: "No such deposit", 409: "Too late"},
)
@token_required
def confirm_bidding_deposit(session_id: int, deposit_id: int, actor):
    now = clock.now()
    session = _session(session_id, actor, now)
    deposit = db.session.get(BiddingDeposit, deposit_id)
    if deposit is None or deposit.session_id != session.id:
        raise NotFound()
    return deposit_json(enrolment.confirm_deposit(deposit, actor=actor, now=now))


@bp.post("/biddings/<int:session_id>/bids")
@describe(
    "An enrolled bidder whose deposit is confirmed bids `amount_fen`: at least the current price plus the "
    "increment (the first at least the starting price; a priority holder may match the highest bid). Decided "
    "under a lock on the session by the server's clock; a bid in the last N minutes extends the end to N "
    "minutes after it.",
    tags=["trading"],
    body=obj({"amount_fen": FEN, "client_org_id": INTEGER}, required=["amount_fen"]),
    responses={
        201: "The bid: `seq`, `hash`, the new `ends_at`",
        404: "No such session",
        409: "Below the minimum, not open, or not eligible",
        422: "Amount invalid",
    },  # fmt: skip
    idempotent=True,
)
@token_required
@idempotent
def place_bidding_bid(session_id: int, actor):
    now = clock.now()
    session = _session(session_id, actor, now)
    body = json_body()
    bidding.settle_before_refusing(session, now)
    result = bidding.place_bid(session, body.get("amount_fen"), actor=actor, now=now,
                               client_org_id=body.get("client_org_id"))  # fmt: skip
    return {
        **entry_json(result.entry),
        "ends_at": result.session.effective_ends_at.isoformat(),
        "extended": result.extended,
        "current_price_fen": result.session.current_price_fen,
        "server_time": now.isoformat(),
    }, 201


@bp.get("/biddings/<int:session_id>/bids")
@describe(
    "The session's log in order: bids (and the opening, extensions and outcome): `seq`, `kind`, `bidder_code` "
    "(never a name), `amount_fen`, `at`, `prev_hash`, `hash`. `kind=bid` gives only the bids.",
    tags=["trading"],
    auth="optional",
    params=PAGE_PARAMS + [{"name": "kind", "in": "query", "schema": {"type": "string"}}],
    responses={200: "A page of entries", 404: "No such session"},
)
@token_optional
def list_bidding_bids(session_id: int, actor):
    now = clock.now()
    session = bidding.settle_if_due(_session(session_id, actor, now), now)
    page_no, per_page = read_page_args(request.args)
    kind = request.args.get("kind") or None
    return paginate(chain.entries(session, kind=kind), page_no, per_page).to_dict(entry_json)


@bp.get("/biddings/<int:session_id>/verify")
@describe(
    "Check the session's hash chain (the turnover ledger's construction): `{ok, bids, head}`, or where it breaks.",
    tags=["trading"],
    auth="optional",
    responses={200: "`{ok, bids, entries, head}`", 404: "No such session"},
)
@token_optional
def verify_bidding(session_id: int, actor):
    session = _session(session_id, actor, clock.now())
    result = chain.verify(session)
    body = {"ok": result.ok, "entries": result.entries, "bids": session.bids_count, "head": result.head}
    if not result.ok:
        body.update({"first_bad_seq": result.first_bad_seq, "reason": result.reason})
    return body


# --- public notice (挂牌公示) -----------------------------------------------------


def _notice(notice_id: int) -> TradingNotice:
    notice = db.session.get(TradingNotice, notice_id)
    if notice is None:
        raise NotFound()
    return notices.finish_if_due(notice, clock.now())


@bp.post("/listings/<int:listing_id>/notice")
@describe(
    "The seller side or its agency starts a public notice (挂牌公示) of `listed_price_fen` for `notice_days` "
    "(default 15, within the configured limits).",
    tags=["trading"],
    body=obj(
        {"listed_price_fen": FEN, "notice_days": INTEGER, "deal_terms": {"type": "object"}},
        required=["listed_price_fen"],
    ),  # fmt: skip
    responses={
        201: "The notice",
        403: "Not the seller side",
        404: "No such listing",
        409: "Not published, or a bidding or notice under way",
        422: "Fields invalid",
    },  # fmt: skip
    idempotent=True,
)
@token_required
@idempotent
def start_listing_notice(listing_id: int, actor):
    listing = _listing(listing_id, actor)
    body = json_body()
    notice = notices.start_notice(listing, listed_price_fen=body.get("listed_price_fen"),
                                  notice_days=body.get("notice_days"), deal_terms=body.get("deal_terms"),
                                  actor=actor, now=clock.now())  # fmt: skip
    return notice_json(notice, actor), 201


@bp.get("/notices/<int:notice_id>")
@describe("A public notice with its objections and answers, and its outcome once ended.", tags=["trading"],
          auth="optional", responses={200: "The notice", 404: "No such notice"})  # fmt: skip
@token_optional
def get_trading_notice(notice_id: int, actor):
    return notice_json(_notice(notice_id), actor)


@bp.post("/listings/<int:listing_id>/objections")
@describe(
    "Any logged-in user objects, with a reason, to the listing's running public notice; the seller side answers.",
    tags=["trading"],
    body=obj({"reason": STRING}, required=["reason"]),
    responses={
        201: "The objection",
        404: "No such listing or no notice running",
        409: "Notice over",
        422: "No reason",
    },  # fmt: skip
)
@token_required
def object_to_notice(listing_id: int, actor):
    listing = _listing(listing_id, actor)
    notice = sessions.running_notice_of(listing.id)
    if notice is None:
        raise NotFound(_l("No public notice is running on this listing."))
    objection = notices.object_to(notice, json_body().get("reason"), actor=actor, now=clock.now())
    return {"id": objection.id, "notice_id": notice.id, "reason": objection.reason}, 201


@bp.post("/notices/<int:notice_id>/objections/<int:objection_id>/answer")
@describe("The seller side or its agency answers an objection.", tags=["trading"],
          body=obj({"answer": STRING}, required=["answer"]),
          responses={200: "The notice", 403: "Not the seller side", 404: "Not found", 409: "Answered already",
                     422: "No answer"})  # fmt: skip
@token_required
def answer_notice_objection(notice_id: int, objection_id: int, actor):
    notice = _notice(notice_id)
    objection = db.session.get(NoticeObjection, objection_id)
    if objection is None or objection.notice_id != notice.id:
        raise NotFound()
    notices.answer_objection(objection, json_body().get("answer"), actor=actor, now=clock.now())
    return notice_json(notices.finish_if_due(notice, clock.now()), actor)


@bp.post("/notices/<int:notice_id>/objections")
@describe(
    "Any logged-in user objects, with a reason, to a running notice (a listing's 挂牌公示 or a result's 成果公示).",
    tags=["trading"],
    body=obj({"reason": STRING}, required=["reason"]),
    responses={201: "The objection", 404: "No such notice", 409: "Notice over", 422: "No reason"},
)
@token_required
def object_to_any_notice(notice_id: int, actor):
    notice = _notice(notice_id)
    objection = notices.object_to(notice, json_body().get("reason"), actor=actor, now=clock.now())
    return {"id": objection.id, "notice_id": notice.id, "reason": objection.reason}, 201


@bp.post("/contracts/<int:contract_id>/result-notice")
@describe(
    "The seller side of a state-funded seller's agreed deal (a university's or research institute's contract "
    "made on a listing) publishes the result's name and the intended price (成果公示) for `notice_days` before "
    "signing; the contract's checklist shows it, and signing waits for its end with every objection answered.",
    tags=["trading"],
    body=obj({"notice_days": INTEGER}),
    responses={
        201: "The notice",
        403: "Not the seller side",
        404: "No such contract",
        409: "Not a state-funded agreed deal, signed already, or published already",
        422: "Days invalid",
    },  # fmt: skip
)
@token_required
def start_result_notice(contract_id: int, actor):
    from ..contracts.models import Contract
    from ..contracts.permissions import can_view
    from .results import start_result_notice as start

    contract = db.session.get(Contract, contract_id)
    if contract is None or not can_view(actor, contract):
        raise NotFound()
    body = request.get_json(silent=True) if request.data else {}
    days = body.get("notice_days") if isinstance(body, dict) else None
    return notice_json(start(contract, notice_days=days, actor=actor, now=clock.now()), actor), 201


@bp.post("/notices/<int:notice_id>/accept")
@describe("A qualified buyer accepts the listed price during the notice (again: the same acceptance).",
          tags=["trading"], responses={200: "The notice", 403: "Not a buyer", 404: "Not found",
                                       409: "Notice over"})  # fmt: skip
@token_required
def accept_notice_price(notice_id: int, actor):
    notice = _notice(notice_id)
    notices.accept_listed_price(notice, actor=actor, now=clock.now())
    return notice_json(notice, actor)
