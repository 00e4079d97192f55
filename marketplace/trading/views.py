"""Web pages of public trading: the sessions' list, one session's public page
(price, bid list by codes, countdown on server time, enrol/bid forms, the seller
side's deposits), its JSON state polled by static/js/bidding.js (ETag/304), the
seller's forms, and the public notice page with objections and acceptances."""

from __future__ import annotations

from datetime import UTC

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..accounts.models import Organization
from ..core.errors import DomainError, ValidationError
from ..core.money import for_locale, format_yuan, format_yuan_en
from ..core.pagination import paginate, read_page_args
from ..core.templating import _local_datetime as local_datetime
from ..core.timeutil import SHANGHAI, shanghai_date
from ..core.web import attempt, get_or_404
from ..extensions import db
from ..listings.models import Listing
from ..listings.permissions import can_view_listing
from ..listings.states import DEAL_KIND_LABELS
from . import bidding, chain, clock, enrolment, notices, online_deposits, permissions, sessions
from .forms import (
    AnswerForm,
    BidForm,
    ClientEnrolForm,
    ConfirmForm,
    EnrolForm,
    NoticeForm,
    ObjectionForm,
    SessionForm,
)
from .models import BiddingDeposit, BiddingSession, NoticeObjection, TradingNotice
from .serialize import session_json, state_etag

bp = Blueprint("trading", __name__)


def _session_or_404(session_id: int) -> BiddingSession:
    now = clock.now()
    session = get_or_404(BiddingSession, session_id,
                         visible=lambda s: permissions.can_view_session(current_user, s, now))  # fmt: skip
    return bidding.settle_if_due(session, now)


def _listing_or_404(listing_id: int) -> Listing:
    return get_or_404(Listing, listing_id, visible=lambda x: can_view_listing(current_user, x))


@bp.app_template_global("trading_for_listing")
def trading_for_listing(listing) -> dict:
    """What the listing page shows about public trading (its included block)."""
    live = sessions.live_session_of(listing.id)
    notice = sessions.running_notice_of(listing.id)
    last = sessions.last_session_of(listing.id) if live is None else None
    # Won, the winner has until `sign_by` to sign: no other trading meanwhile (a forfeit frees it).
    signing = last if last is not None and last.status == "settled" and _unsigned(last) else None
    return {
        "session": live,
        "notice": notice,
        "signing": signing,
        "can_start": permissions.can_start_trading(current_user, listing)
        and live is None
        and notice is None
        and signing is None,
    }


def _unsigned(session) -> bool:
    from ..contracts.models import Contract

    contract = db.session.get(Contract, session.contract_id) if session.contract_id else None
    return contract is not None and contract.status in ("draft", "signing")


@bp.app_template_global("trading_stats")
def trading_stats() -> dict:
    from .stats import deals_by_mode

    return deals_by_mode()


@bp.get("/biddings")
def index():
    page_no, per_page = read_page_args(request.args)
    now = clock.now()
    stmt = (
        select(BiddingSession)
        .where(BiddingSession.announce_on <= shanghai_date(now))
        .order_by(BiddingSession.effective_ends_at.desc())
        .options(selectinload(BiddingSession.listing))
    )
    page = paginate(stmt, page_no, per_page)
    from .stats import deals_by_mode

    return render_template("trading/index.html", page=page, now=now, stats=deals_by_mode())


@bp.get("/biddings/figures.<fmt>")
def figures_export(fmt: str):
    """Deals by trading mode and the bidding premium, as CSV or XLSX (public, like the figures)."""
    from flask import Response

    from . import exports

    if fmt not in exports.FORMATS:
        abort(404)
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
def detail(session_id: int):
    session = _session_or_404(session_id)
    return _render_detail(session)


def _render_detail(session, *, bid_form=None, enrol_form=None, client_enrol_form=None, status=200):
    now = clock.now()
    state = session_json(session, current_user, now=now)
    mine = enrolment.enrolment_of(session, getattr(current_user, "organization_id", None)) if (
        current_user.is_authenticated) else None  # fmt: skip
    log = list(db.session.scalars(chain.entries(session).order_by(None).order_by(chain.BiddingLogEntry.seq.desc())
                                  .limit(50)))  # fmt: skip
    deposits = (
        list(db.session.scalars(enrolment.deposits_of(session).options(selectinload(BiddingDeposit.enrolment))))
        if permissions.can_confirm_deposits(current_user, session) else []
    )  # fmt: skip
    if bid_form is None:
        bid_form = BidForm()
        bid_form.amount_fen.data = session.min_next_bid()
    clients = enrolment.agency_clients(current_user, session)
    by_org = {e.org_id: e for e in session.enrolments}
    client_enrolments = [(org, by_org.get(org.id)) for org in clients]
    if client_enrol_form is None:
        client_enrol_form = ClientEnrolForm(formdata=None)
    client_enrol_form.client_org_id.choices = [
        (org.id, org.name) for org, e in client_enrolments if e is None
    ]
    return render_template(
        "trading/detail.html",
        session=session,
        state=state,
        mine=mine,
        log=log,
        deposits=deposits,
        bid_form=bid_form,
        enrol_form=enrol_form or EnrolForm(),
        client_enrolments=client_enrolments,
        client_enrol_form=client_enrol_form,
        client_bid_form=BidForm(formdata=None),
        stripe_offered=online_deposits.stripe_offered(),
        confirm_form=ConfirmForm(),
        permissions=permissions,
        now=now,
    ), status


@bp.get("/biddings/<int:session_id>/state.json")
def state(session_id: int):
    """The page's polling: the session's JSON with an ETag; 304 while nothing changed."""
    session = _session_or_404(session_id)
    now = clock.now()
    etag = state_etag(session, current_user, now)
    headers = {"ETag": f'"{etag}"', "Cache-Control": "no-cache", "Vary": "Cookie"}
    if request.if_none_match.contains(etag):
        return "", 304, {**headers, "X-Server-Time": now.isoformat()}
    body = session_json(session, current_user, now=now)
    yuan = for_locale(format_yuan, format_yuan_en)
    body.update({
        "status_label": session.phase_label(now),
        "current_price_text": yuan(session.current_price_fen) if session.current_price_fen is not None else None,
        "min_next_bid_text": yuan(session.min_next_bid()),
        "ends_at_text": local_datetime(session.effective_ends_at),
        "server_time_text": local_datetime(now),
    })  # fmt: skip
    body["bids"] = [
        {"seq": e.seq, "kind": e.kind, "bidder_code": e.bidder_code, "amount_fen": e.amount_fen,
         "amount_text": yuan(e.amount_fen), "at": e.at.isoformat(), "at_text": local_datetime(e.at), "hash": e.hash}
        for e in db.session.scalars(chain.entries(session).order_by(None)
                                    .order_by(chain.BiddingLogEntry.seq.desc()).limit(50))
    ]  # fmt: skip
    response = jsonify(body)
    response.headers.update(headers)
    return response


@bp.post("/biddings/<int:session_id>/enrol")
@login_required
def enrol(session_id: int):
    session = _session_or_404(session_id)
    if "client_org_id" in request.form:
        return _enrol_client(session)
    form = EnrolForm()
    if not form.validate_on_submit():
        return _render_detail(session, enrol_form=form, status=422)
    ok, _result = attempt(
        lambda: enrolment.enrol(session, actor=current_user, payer_reference=form.payer_reference.data,
                                now=clock.now()),
        success=_("You are enrolled. Pay the deposit by bank transfer quoting its reference."),
        form=form,
    )  # fmt: skip
    return redirect(url_for("trading.detail", session_id=session.id))


def _enrol_client(session):
    """An agency enrols a buyer it represents (the service checks the mandate)."""
    form = ClientEnrolForm()
    form.client_org_id.choices = [
        (org.id, org.name) for org in enrolment.agency_clients(current_user, session)
    ]
    if not form.validate_on_submit():
        return _render_detail(session, client_enrol_form=form, status=422)
    ok, _result = attempt(
        lambda: enrolment.enrol(session, actor=current_user, payer_reference=form.payer_reference.data,
                                client_org_id=form.client_org_id.data, now=clock.now()),
        success=_("Your client is enrolled. It pays the deposit by bank transfer quoting its reference."),
        form=form,
    )  # fmt: skip
    if not ok:
        return _render_detail(db.session.get(BiddingSession, session.id), client_enrol_form=form, status=409)
    return redirect(url_for("trading.detail", session_id=session.id) + "#client-bidding")


@bp.post("/biddings/<int:session_id>/bid")
@login_required
def bid(session_id: int):
    now = clock.now()
    session = get_or_404(BiddingSession, session_id,
                         visible=lambda s: permissions.can_view_session(current_user, s, now))  # fmt: skip
    form = BidForm()
    if not form.validate_on_submit():
        return _render_detail(session, bid_form=form, status=422)
    bidding.settle_before_refusing(session, clock.now())
    ok, _result = attempt(
        lambda: bidding.place_bid(
            session,
            form.amount_fen.data,
            actor=current_user,
            now=clock.now(),
            client_org_id=form.client_org_id.data,
        ),
        success=_("Your bid is in."),
        form=form,
    )
    if not ok:
        session = db.session.get(BiddingSession, session_id)
        return _render_detail(session, bid_form=form, status=409)
    return redirect(url_for("trading.detail", session_id=session.id))


@bp.post("/biddings/<int:session_id>/deposit/online")
@login_required
def pay_deposit_online(session_id: int):
    """Pay (or check) the deposit online through Stripe: for oneself, or for a client."""
    from .online_deposits import pay_online

    session = _session_or_404(session_id)
    form = BidForm(formdata=None)  # only its client_org_id and the CSRF token
    form.process(request.form)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    client = form.client_org_id.data
    try:
        org_id = enrolment.bidding_org_id(session, current_user, client)
    except DomainError:
        abort(404)
    mine = enrolment.enrolment_of(session, org_id)
    if mine is None:
        abort(404)
    ok, result = attempt(lambda: pay_online(mine, actor=current_user, now=clock.now()))
    if ok:
        deposit, _intent = result
        flash(_("Deposit received: you may bid.") if deposit.status == "confirmed" else
              _("The online payment is under way; the deposit counts once Stripe confirms it."),
              "success" if deposit.status == "confirmed" else "info")  # fmt: skip
    anchor = "#client-bidding" if client else "#my-bidding"
    return redirect(url_for("trading.detail", session_id=session.id) + anchor)


@bp.post("/biddings/<int:session_id>/deposits/<int:deposit_id>/confirm")
@login_required
def confirm_deposit(session_id: int, deposit_id: int):
    session = _session_or_404(session_id)
    deposit = db.session.get(BiddingDeposit, deposit_id)
    if (
        deposit is None
        or deposit.session_id != session.id
        or not permissions.can_confirm_deposits(current_user, session)
    ):
        abort(404)
    if ConfirmForm().validate_on_submit():
        attempt(lambda: enrolment.confirm_deposit(deposit, actor=current_user, now=clock.now()),
                success=_("Deposit confirmed: the bidder may bid."))  # fmt: skip
    return redirect(url_for("trading.detail", session_id=session.id) + "#deposits")


def _kind_choices(listing) -> list[tuple[str, str]]:
    return [(t.deal_kind, str(DEAL_KIND_LABELS.get(t.deal_kind, t.deal_kind))) for t in listing.terms]


def _usccs(text: str | None) -> list[int]:
    ids = []
    for code in [c.strip().upper() for c in (text or "").replace("，", ",").split(",") if c.strip()]:
        org = db.session.scalar(select(Organization).where(Organization.uscc == code))
        if org is None:
            raise ValidationError(fields={"priority_usccs": [_l("No organization has the code %(code)s.",
                                                                 code=code)]})  # fmt: skip
        ids.append(org.id)
    return ids


def _utc(local):
    return local.replace(tzinfo=SHANGHAI).astimezone(UTC) if local is not None else None


@bp.route("/listings/<int:listing_id>/biddings/new", methods=["GET", "POST"])
@login_required
def new_session(listing_id: int):
    listing = _listing_or_404(listing_id)
    if not permissions.is_seller_side(current_user, listing):
        abort(404)
    form = SessionForm()
    form.deal_kind.choices = _kind_choices(listing)
    status = 200
    if request.method == "GET":
        form.announce_on.data = shanghai_date(clock.now())
        form.extension_minutes.data = sessions.default_extension_minutes()
    if form.validate_on_submit():

        def create():
            terms = sessions.default_terms(listing) or {}
            if terms.get("deal_kind") != form.deal_kind.data:
                chosen = listing.terms_for(form.deal_kind.data)
                terms = {"deal_kind": form.deal_kind.data}
                if chosen is not None and chosen.deal_kind == "license":
                    terms.update({"license_type": chosen.license_type, "field_of_use": chosen.field_of_use or "",
                                  "territory": chosen.territory or "", "term_months": chosen.term_months})  # fmt: skip
            data = sessions.SessionInput(
                starting_price_fen=form.starting_price_fen.data,
                increment_fen=form.increment_fen.data,
                reserve_fen=form.reserve_fen.data,
                deposit_fen=form.deposit_fen.data,
                announce_on=form.announce_on.data,
                starts_at=_utc(form.starts_at.data),
                ends_at=_utc(form.ends_at.data),
                extension_minutes=form.extension_minutes.data,
                priority_org_ids=_usccs(form.priority_usccs.data),
                deal_terms=terms,
            )
            return sessions.create_session(listing, data, actor=current_user, now=clock.now())

        ok, session = attempt(create, success=_("The bidding is announced."), form=form)
        if ok:
            return redirect(url_for("trading.detail", session_id=session.id))
        status = 422
    elif request.method == "POST":
        status = 422
    return render_template("trading/new.html", form=form, listing=listing), status


# --- public notice (挂牌公示) -----------------------------------------------------


def _notice_or_404(notice_id: int) -> TradingNotice:
    notice = get_or_404(TradingNotice, notice_id)
    return notices.finish_if_due(notice, clock.now())


@bp.get("/notices/<int:notice_id>")
def notice(notice_id: int):
    return _render_notice(_notice_or_404(notice_id))


def _render_notice(notice, *, objection_form=None, status=200):
    return render_template(
        "trading/notice.html",
        notice=notice,
        objection_form=objection_form or ObjectionForm(),
        answer_form=AnswerForm(),
        confirm_form=ConfirmForm(),
        permissions=permissions,
        today=shanghai_date(clock.now()),
    ), status


@bp.post("/notices/<int:notice_id>/objections")
@login_required
def object_to(notice_id: int):
    notice = _notice_or_404(notice_id)
    form = ObjectionForm()
    if not form.validate_on_submit():
        return _render_notice(notice, objection_form=form, status=422)
    ok, _r = attempt(lambda: notices.object_to(notice, form.reason.data, actor=current_user, now=clock.now()),
                     success=_("Your objection is recorded; the seller side will answer it."), form=form)  # fmt: skip
    if not ok:
        return _render_notice(db.session.get(TradingNotice, notice_id), objection_form=form, status=409)
    return redirect(url_for("trading.notice", notice_id=notice_id) + "#objections")


@bp.post("/notices/<int:notice_id>/objections/<int:objection_id>/answer")
@login_required
def answer(notice_id: int, objection_id: int):
    notice = _notice_or_404(notice_id)
    objection = db.session.get(NoticeObjection, objection_id)
    if (
        objection is None
        or objection.notice_id != notice.id
        or not permissions.can_answer(current_user, notice)
    ):
        abort(404)
    form = AnswerForm()
    if form.validate_on_submit():
        attempt(lambda: notices.answer_objection(objection, form.answer.data, actor=current_user, now=clock.now()),
                success=_("Answer published."))  # fmt: skip
    else:
        for message in form.answer.errors:
            from flask import flash

            flash(str(message), "error")
    return redirect(url_for("trading.notice", notice_id=notice_id) + "#objections")


@bp.post("/notices/<int:notice_id>/accept")
@login_required
def accept(notice_id: int):
    notice = _notice_or_404(notice_id)
    if ConfirmForm().validate_on_submit():
        attempt(lambda: notices.accept_listed_price(notice, actor=current_user, now=clock.now()),
                success=_("You accepted the listed price."))  # fmt: skip
    return redirect(url_for("trading.notice", notice_id=notice_id))


@bp.app_template_global("trading_for_contract")
def trading_for_contract(contract) -> dict:
    """What the contract page shows about its result notice (成果公示)."""
    from . import results

    return {
        "notice": results.notice_of(contract),
        "can_start": results.can_start(current_user, contract),
        "form": ConfirmForm(),
    }


@bp.post("/contracts/<int:contract_id>/result-notice")
@login_required
def start_result_notice(contract_id: int):
    from ..contracts.models import Contract
    from ..contracts.permissions import can_view
    from .results import start_result_notice as start

    contract = get_or_404(Contract, contract_id, visible=lambda c: can_view(current_user, c))
    if ConfirmForm().validate_on_submit():
        ok, created = attempt(lambda: start(contract, actor=current_user, now=clock.now()),
                              success=_("The result notice is published."))  # fmt: skip
        if ok:
            return redirect(url_for("trading.notice", notice_id=created.id))
    return redirect(url_for("contracts.detail", contract_id=contract_id))


@bp.route("/listings/<int:listing_id>/notice/new", methods=["GET", "POST"])
@login_required
def new_notice(listing_id: int):
    listing = _listing_or_404(listing_id)
    if not permissions.is_seller_side(current_user, listing):
        abort(404)
    form = NoticeForm()
    form.deal_kind.choices = _kind_choices(listing)
    status = 200
    if form.validate_on_submit():

        def start():
            terms = sessions.default_terms(listing) or {}
            if terms.get("deal_kind") != form.deal_kind.data:
                terms = {"deal_kind": form.deal_kind.data}
            return notices.start_notice(listing, listed_price_fen=form.listed_price_fen.data,
                                        notice_days=form.notice_days.data, deal_terms=terms,
                                        actor=current_user, now=clock.now())  # fmt: skip

        ok, created = attempt(start, success=_("The public notice has started."), form=form)
        if ok:
            return redirect(url_for("trading.notice", notice_id=created.id))
        status = 422
    elif request.method == "POST":
        status = 422
    return render_template("trading/new_notice.html", form=form, listing=listing), status
