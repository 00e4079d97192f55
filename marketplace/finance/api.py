"""The finance API (API.md "Finance"): pledge loans and their life, risk shares,
interests in equity listings, investments and the regulators' summary."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, request
from flask_babel import lazy_gettext as _l

from ..accounts.apiauth import token_required
from ..core.apidocs import BOOLEAN, DATE, FEN, INTEGER, PAGE_PARAMS, STRING, describe, obj
from ..core.dbsetup import write_transaction
from ..core.errors import NotFound, PermissionDenied, ValidationError
from ..core.idempotency import idempotent
from ..core.jsonbody import json_body
from ..core.pagination import paginate, read_page_args
from ..extensions import db
from ..listings.models import Listing
from ..listings.permissions import can_view_listing
from ..storage.uploads import Attachment, send_attachment
from . import disposals, figures, investments, loans, permissions, risk
from .models import Disposal, Investment, InvestmentInterest, PledgeLoan
from .states import DisposalMode, InvestmentStatus, LoanStatus, SharerKind

bp = Blueprint("finance", __name__)
TAGS = ["finance"]


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _evaluation_json(loan: PledgeLoan) -> dict[str, Any] | None:
    ev = loan.evaluation
    if ev is None:
        return None
    return {
        "id": ev.id,
        "asset_id": ev.asset_id,
        "provider": ev.provider.organization.name,
        "trl": ev.trl,
        "value_low_fen": ev.value_low_fen,
        "value_high_fen": ev.value_high_fen,
        "evaluated_on": _iso(ev.evaluated_on),
        "url": f"/api/v1/evaluations/{ev.id}",
    }


def _file_json(loan: PledgeLoan, a: Attachment) -> dict[str, Any]:
    return {
        "id": a.id,
        "purpose": a.purpose,
        "name": a.original_name,
        "content_type": a.content_type,
        "size": a.size,
        "uploaded_at": _iso(a.uploaded_at),
        "url": f"/api/v1/financing/pledges/{loan.id}/files/{a.id}",
    }


def disposal_json(d: Disposal) -> dict[str, Any]:
    return {
        "id": d.id,
        "loan_id": d.loan_id,
        "status": d.status,
        "mode": d.mode,
        "price_fen": d.price_fen,
        "increment_fen": d.increment_fen,
        "deposit_fen": d.deposit_fen,
        "duration_hours": d.duration_hours,
        "notice_days": d.notice_days,
        "note": d.note,
        "listing_id": d.listing_id,
        "bidding_session_id": d.bidding_session_id,
        "notice_id": d.notice_id,
        "sale_price_fen": d.sale_price_fen,
        "contract_id": d.contract_id,
        "refuse_reason": d.refuse_reason,
        "requested_at": _iso(d.created_at),
        "started_at": _iso(d.started_at),
        "decided_at": _iso(d.decided_at),
    }


def loan_json(loan: PledgeLoan, *, files: bool = False) -> dict[str, Any]:
    out = _loan_fields(loan)
    if files:
        out["files"] = [_file_json(loan, a) for a in [*loans.valuation_reports(loan), *loans.documents(loan)]]
    return out


def _loan_fields(loan: PledgeLoan) -> dict[str, Any]:
    return {
        "id": loan.id,
        "status": loan.status,
        "applicant_org_id": loan.applicant_org_id,
        "applicant": loan.applicant_org.name,
        "bank_org_id": loan.bank_org_id,
        "bank": loan.bank_org.name,
        "region": loan.region_code,
        "amount_fen": loan.amount_fen,
        "outstanding_fen": loan.outstanding_fen,
        "proceeds_fen": loan.proceeds_fen,
        "term_months": loan.term_months,
        "purpose": loan.purpose,
        "evaluation_ref": loan.evaluation_ref,
        "evaluation_id": loan.evaluation_id,
        "evaluation": _evaluation_json(loan),
        "documents_request": loan.documents_request,
        "conditions": loan.conditions,
        "decline_reason": loan.decline_reason,
        "pledge_registration_no": loan.pledge_registration_no,
        "bank_signed_at": _iso(loan.bank_signed_at),
        "owner_signed_at": _iso(loan.owner_signed_at),
        "signed_on": _iso(loan.signed_on),
        "due_on": _iso(loan.due_on),
        "repaid_on": _iso(loan.repaid_on),
        "defaulted_on": _iso(loan.defaulted_on),
        "applied_at": _iso(loan.created_at),
        "assets": [
            {
                "id": link.asset_id,
                "title": link.asset.title,
                "identifier": link.asset.display_identifier,
                "encumbrance_id": link.encumbrance_id,
                "released_on": _iso(link.encumbrance.released_on) if link.encumbrance else None,
            }
            for link in loan.asset_links
        ],
        "consents": [
            {"org_id": c.org_id, "org": c.organization.name, "status": c.status} for c in loan.consents
        ],
        "risk_shares": [
            {
                "id": s.id,
                "sharer_kind": s.sharer_kind,
                "sharer_org_id": s.sharer_org_id,
                "sharer": s.sharer_name,
                "share_bp": s.share_bp,
                "share_fen": s.share_fen,
            }
            for s in loan.risk_shares
        ],
        "proceeds": [
            {"amount_fen": p.amount_fen, "received_on": _iso(p.received_on), "note": p.note}
            for p in loan.proceeds
        ],
        "disposals": [disposal_json(d) for d in loan.disposals],
    }


def investment_json(inv: Investment) -> dict[str, Any]:
    return {
        "id": inv.id,
        "status": inv.status,
        "investor_org_id": inv.investor_org_id,
        "investor": inv.investor_org.name,
        "counterpart_org_id": inv.counterpart_org_id,
        "counterpart": inv.counterpart_org.name,
        "listing_id": inv.listing_id,
        "company": inv.company,
        "amount_fen": inv.amount_fen,
        "share_bp": inv.share_bp,
        "invested_on": _iso(inv.invested_on),
        "region": inv.region_code,
        "reject_reason": inv.reject_reason,
        "recorded_at": _iso(inv.created_at),
        "decided_at": _iso(inv.decided_at),
    }


def _loan(loan_id: int, actor) -> PledgeLoan:
    loan = db.session.get(PledgeLoan, loan_id)
    if loan is None or not permissions.can_view_loan(actor, loan):
        raise NotFound()
    return loan


def _date(body: dict, name: str, errors: dict) -> date | None:
    value = body.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    errors[name] = [_l("Enter a date as YYYY-MM-DD.")]
    return None


def _dates(body: dict, *names: str) -> list[date | None]:
    errors: dict = {}
    values = [_date(body, n, errors) for n in names]
    if errors:
        raise ValidationError(fields=errors)
    return values


@bp.post("/financing/pledges")
@describe(
    "An asset's owner side applies to a bank for an IP pledge loan (知识产权质押融资). Each co-owner of a "
    "pledged asset is asked to consent. `evaluation_id` names a completed evaluation (科技成果评价) of one of "
    "the pledged assets; `evaluation_ref` the number of one made outside the platform. A valuation report "
    "is uploaded with POST /financing/pledges/{id}/valuation-report.",
    tags=TAGS,
    body=obj(
        {
            "bank_org_id": INTEGER,
            "asset_ids": {"type": "array", "items": INTEGER},
            "amount_fen": FEN,
            "term_months": INTEGER,
            "purpose": STRING,
            "evaluation_ref": STRING,
            "evaluation_id": INTEGER,
        },
        required=["bank_org_id", "asset_ids", "amount_fen", "term_months", "purpose"],
    ),
    responses={201: "The loan (status applied)", 403: "Not a seller", 422: "Fields invalid"},
    idempotent=True,
)
@token_required
@idempotent
def apply_for_loan(actor):
    body = json_body()
    loan = loans.apply_for_loan(
        bank_org_id=body.get("bank_org_id"),
        asset_ids=body.get("asset_ids"),
        amount_fen=body.get("amount_fen"),
        term_months=body.get("term_months"),
        purpose=body.get("purpose"),
        evaluation_ref=body.get("evaluation_ref"),
        evaluation_id=body.get("evaluation_id"),
        actor=actor,
    )
    return loan_json(loan), 201


@bp.get("/financing/pledges")
@describe(
    "Pledge loans the caller may see (the parties, co-owners asked to consent, risk sharers, regulators in "
    "scope, admins); `box` is all, mine or to_decide; `status` filters.",
    tags=TAGS,
    params=PAGE_PARAMS
    + [
        {"name": "box", "in": "query", "schema": {"type": "string", "enum": list(loans.BOXES)}},
        {
            "name": "status",
            "in": "query",
            "schema": {"type": "string", "enum": [s.value for s in LoanStatus]},
        },
    ],
    responses={200: "A page of loans", 422: "Bad filter or page"},
)
@token_required
def list_loans(actor):
    page_no, per_page = read_page_args(request.args)
    box = request.args.get("box") or "all"
    status = request.args.get("status") or None
    errors = {}
    if box not in loans.BOXES:
        errors["box"] = [_l("Choose all, mine or to_decide.")]
    if status is not None and status not in {s.value for s in LoanStatus}:
        errors["status"] = [_l("Unknown status.")]
    if errors:
        raise ValidationError(fields=errors)
    page = paginate(loans.loans_visible_to(actor, box=box, status=status), page_no, per_page)
    return page.to_dict(loan_json)


@bp.get("/financing/pledges/<int:loan_id>")
@describe(
    "One pledge loan with its assets, consents, risk shares and proceeds.",
    tags=TAGS,
    responses={200: "The loan", 404: "No such loan, or not visible to you"},
)
@token_required
def get_loan(loan_id: int, actor):
    loan = _loan(loan_id, actor)
    _bring_up_to_date(loan)
    return loan_json(loan, files=True)


def _bring_up_to_date(loan: PledgeLoan) -> None:
    """A sale under way: its outcome, read from public trading (committed on its own)."""
    if disposals.needs_sync(loan):
        with write_transaction():
            disposals.sync_loan(loan)


_UPLOAD_RESPONSES = {
    201: "The loan with its files",
    403: "Not the applicant, or not at this stage",
    404: "No such loan, or not visible to you",
    409: "Not possible in the loan's state",
    422: "No file, too large, or not PDF, PNG or JPEG",
}


@bp.post("/financing/pledges/<int:loan_id>/valuation-report")
@describe(
    "The applicant uploads a valuation report of the pledged assets before the loan is signed "
    "(multipart/form-data, field `valuation_report`: PDF, PNG or JPEG, at most the upload limit).",
    tags=TAGS,
    responses=_UPLOAD_RESPONSES,
)
@token_required
def upload_valuation_report(loan_id: int, actor):
    loan = _loan(loan_id, actor)
    loans.add_valuation_report(loan, request.files.get("valuation_report"), actor=actor)
    return loan_json(loan, files=True), 201


@bp.get("/financing/pledges/<int:loan_id>/files/<int:attachment_id>")
@describe(
    "One of the loan's files (a valuation report or a document sent to the bank), as a download.",
    tags=TAGS,
    responses={200: "The file", 404: "No such file on this loan, or not visible to you"},
)
@token_required
def loan_file(loan_id: int, attachment_id: int, actor):
    loan = _loan(loan_id, actor)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment not in [*loans.valuation_reports(loan), *loans.documents(loan)]:
        raise NotFound()
    return send_attachment(attachment)


_ACTION_RESPONSES = {
    200: "The loan",
    403: "Not the party that takes this step",
    404: "No such loan, or not visible to you",
    409: "Not possible in the loan's state (or a co-owner's consent is missing, or the IP register refuses the pledge)",
    422: "Fields invalid",
}


@bp.post("/financing/pledges/<int:loan_id>/documents-request")
@describe(
    "The bank asks for documents (`request`).",
    tags=TAGS,
    body=obj({"request": STRING}, ["request"]),
    responses=_ACTION_RESPONSES,
)
@token_required
def request_documents(loan_id: int, actor):
    return loan_json(
        loans.request_documents(_loan(loan_id, actor), request=json_body().get("request"), actor=actor)
    )


@bp.post("/financing/pledges/<int:loan_id>/documents")
@describe(
    "The applicant answers a documents request: JSON with a `note`, or multipart/form-data with files in "
    "`documents` (repeat the field; PDF, PNG or JPEG each, at most the upload limit) and an optional `note`.",
    tags=TAGS,
    body=obj({"note": STRING}),
    responses=_ACTION_RESPONSES,
)
@token_required
def provide_documents(loan_id: int, actor):
    loan = _loan(loan_id, actor)
    if request.mimetype == "multipart/form-data":
        files = request.files.getlist("documents")
        note = request.form.get("note")
    else:
        files, note = [], json_body().get("note")
    loans.provide_documents(loan, files=files, note=note, actor=actor)
    return loan_json(loan, files=True)


@bp.post("/financing/pledges/<int:loan_id>/consent")
@describe(
    "A co-owner consents (`give`: true) or refuses to pledge the assets it co-owns.",
    tags=TAGS,
    body=obj({"give": BOOLEAN, "note": STRING}, ["give"]),
    responses=_ACTION_RESPONSES,
)
@token_required
def answer_consent(loan_id: int, actor):
    body = json_body()
    give = body.get("give")
    if not isinstance(give, bool):
        raise ValidationError(fields={"give": [_l("Answer true or false.")]})
    loan = _loan(loan_id, actor)
    loans.answer_consent(loan, give=give, note=body.get("note"), actor=actor)
    return loan_json(loan)


@bp.post("/financing/pledges/<int:loan_id>/approve")
@describe(
    "The bank approves, with `conditions` (rate, guarantees...).",
    tags=TAGS,
    body=obj({"conditions": STRING}),
    responses=_ACTION_RESPONSES,
)
@token_required
def approve(loan_id: int, actor):
    return loan_json(
        loans.approve_loan(_loan(loan_id, actor), conditions=json_body().get("conditions"), actor=actor)
    )


@bp.post("/financing/pledges/<int:loan_id>/decline")
@describe(
    "The bank declines, with a `reason`.",
    tags=TAGS,
    body=obj({"reason": STRING}, ["reason"]),
    responses=_ACTION_RESPONSES,
)
@token_required
def decline(loan_id: int, actor):
    return loan_json(loans.decline_loan(_loan(loan_id, actor), reason=json_body().get("reason"), actor=actor))


@bp.post("/financing/pledges/<int:loan_id>/withdraw")
@describe("The applicant withdraws its application before signing.", tags=TAGS, responses=_ACTION_RESPONSES)
@token_required
def withdraw(loan_id: int, actor):
    return loan_json(loans.withdraw_loan(_loan(loan_id, actor), actor=actor))


@bp.post("/financing/pledges/<int:loan_id>/sign")
@describe(
    "A party signs: the bank with `pledge_registration_no` (from the IP office) and `signed_on`. When both "
    "have signed, each asset gets a pledge encumbrance in the IP register and the loan is signed.",
    tags=TAGS,
    body=obj({"pledge_registration_no": STRING, "signed_on": DATE}),
    responses=_ACTION_RESPONSES,
)
@token_required
def sign(loan_id: int, actor):
    body = json_body()
    (signed_on,) = _dates(body, "signed_on")
    loan = loans.sign_loan(
        _loan(loan_id, actor),
        actor=actor,
        pledge_registration_no=body.get("pledge_registration_no"),
        signed_on=signed_on,
    )
    return loan_json(loan)


@bp.post("/financing/pledges/<int:loan_id>/repay")
@describe(
    "The bank records the repayment (`repaid_on`); the pledges are released, never deleted.",
    tags=TAGS,
    body=obj({"repaid_on": DATE}),
    responses=_ACTION_RESPONSES,
)
@token_required
def repay(loan_id: int, actor):
    (repaid_on,) = _dates(json_body(), "repaid_on")
    return loan_json(loans.repay_loan(_loan(loan_id, actor), actor=actor, repaid_on=repaid_on))


@bp.post("/financing/pledges/<int:loan_id>/default")
@describe(
    "The bank records a default (`defaulted_on`, `note`, optional first `proceeds_fen`).",
    tags=TAGS,
    body=obj({"defaulted_on": DATE, "note": STRING, "proceeds_fen": FEN}),
    responses=_ACTION_RESPONSES,
)
@token_required
def default(loan_id: int, actor):
    body = json_body()
    (defaulted_on,) = _dates(body, "defaulted_on")
    loan = loans.default_loan(
        _loan(loan_id, actor),
        actor=actor,
        defaulted_on=defaulted_on,
        note=body.get("note"),
        proceeds_fen=body.get("proceeds_fen"),
    )
    return loan_json(loan)


@bp.post("/financing/pledges/<int:loan_id>/proceeds")
@describe(
    "The bank records money recovered on a defaulted loan (`amount_fen`, `received_on`, `note`); with "
    "`release` true the pledges are released (the disposal is done).",
    tags=TAGS,
    body=obj({"amount_fen": FEN, "received_on": DATE, "note": STRING, "release": BOOLEAN}, ["amount_fen"]),
    responses=_ACTION_RESPONSES,
)
@token_required
def proceeds(loan_id: int, actor):
    body = json_body()
    (received_on,) = _dates(body, "received_on")
    loan = _loan(loan_id, actor)
    loans.record_proceeds(
        loan,
        amount_fen=body.get("amount_fen"),
        received_on=received_on,
        note=body.get("note"),
        release=body.get("release") is True,
        actor=actor,
    )
    return loan_json(loan)


@bp.post("/financing/pledges/<int:loan_id>/disposals")
@describe(
    "On a defaulted loan the bank puts the pledged assets up for sale through public trading: `mode` "
    "bidding (网络竞价: `price_fen` is the starting price, with `increment_fen`, `deposit_fen`, "
    "`duration_hours` >= 24) or notice (挂牌公示: `price_fen` is the listed price, with `notice_days`); "
    "`note` for the owner side. The pledges then let the sale's transfer through; the owner side starts "
    "the sale on its listing of the assets.",
    tags=TAGS,
    body=obj(
        {
            "mode": {"type": "string", "enum": [m.value for m in DisposalMode]},
            "price_fen": FEN,
            "increment_fen": FEN,
            "deposit_fen": FEN,
            "duration_hours": INTEGER,
            "notice_days": INTEGER,
            "note": STRING,
        },
        ["mode", "price_fen"],
    ),
    responses={**_ACTION_RESPONSES, 201: "The disposal (status requested)"},
)
@token_required
def request_disposal(loan_id: int, actor):
    body = json_body()
    disposal = disposals.request_disposal(
        _loan(loan_id, actor),
        mode=body.get("mode"),
        price_fen=body.get("price_fen"),
        increment_fen=body.get("increment_fen"),
        deposit_fen=body.get("deposit_fen"),
        duration_hours=body.get("duration_hours"),
        notice_days=body.get("notice_days"),
        note=body.get("note"),
        actor=actor,
    )
    return disposal_json(disposal), 201


def _disposal(disposal_id: int, actor) -> Disposal:
    disposal = db.session.get(Disposal, disposal_id)
    if disposal is None or not permissions.can_view_loan(actor, disposal.loan):
        raise NotFound()
    return disposal


_DISPOSAL_RESPONSES = {
    200: "The disposal",
    403: "Not the side that takes this step",
    404: "No such disposal, or not visible to you",
    409: "Not possible in the disposal's state (or public trading refuses the sale)",
    422: "Fields invalid",
}


@bp.get("/financing/disposals/<int:disposal_id>")
@describe(
    "A sale of pledged assets, its outcome brought up to date from public trading.",
    tags=TAGS,
    responses={200: "The disposal", 404: "No such disposal, or not visible to you"},
)
@token_required
def get_disposal(disposal_id: int, actor):
    disposal = _disposal(disposal_id, actor)
    _bring_up_to_date(disposal.loan)
    return disposal_json(disposal)


@bp.post("/financing/disposals/<int:disposal_id>/start")
@describe(
    "The owner side starts the sale the bank asked for on its published listing of the pledged assets "
    "(`listing_id`, offering a transfer): a bidding session or a public notice with the bank's prices.",
    tags=TAGS,
    body=obj({"listing_id": INTEGER}, ["listing_id"]),
    responses=_DISPOSAL_RESPONSES,
)
@token_required
def start_sale(disposal_id: int, actor):
    disposal = _disposal(disposal_id, actor)
    return disposal_json(
        disposals.start_sale(disposal, listing_id=json_body().get("listing_id"), actor=actor)
    )


@bp.post("/financing/disposals/<int:disposal_id>/refuse")
@describe(
    "The owner side refuses the sale, with a `reason`; the pledges block transfers again.",
    tags=TAGS,
    body=obj({"reason": STRING}, ["reason"]),
    responses=_DISPOSAL_RESPONSES,
)
@token_required
def refuse_sale(disposal_id: int, actor):
    disposal = _disposal(disposal_id, actor)
    return disposal_json(disposals.refuse_disposal(disposal, reason=json_body().get("reason"), actor=actor))


@bp.post("/financing/disposals/<int:disposal_id>/cancel")
@describe(
    "The bank gives up a sale the owner side has not started; the pledges block transfers again.",
    tags=TAGS,
    responses=_DISPOSAL_RESPONSES,
)
@token_required
def cancel_sale(disposal_id: int, actor):
    return disposal_json(disposals.cancel_disposal(_disposal(disposal_id, actor), actor=actor))


@bp.post("/financing/pledges/<int:loan_id>/risk-shares")
@describe(
    "The bank records a risk share: `sharer_kind` (guarantee_company, insurer, risk_fund), `sharer_org_id` "
    "(not for the fund), `share_bp` (basis points); the shares on one loan never exceed 10000.",
    tags=TAGS,
    body=obj(
        {
            "sharer_kind": {"type": "string", "enum": [k.value for k in SharerKind]},
            "sharer_org_id": INTEGER,
            "share_bp": INTEGER,
        },
        ["sharer_kind", "share_bp"],
    ),
    responses={**_ACTION_RESPONSES, 201: "The loan with its risk shares"},
)
@token_required
def add_risk_share(loan_id: int, actor):
    body = json_body()
    loan = _loan(loan_id, actor)
    risk.add_risk_share(
        loan,
        sharer_kind=body.get("sharer_kind"),
        sharer_org_id=body.get("sharer_org_id"),
        share_bp=body.get("share_bp"),
        actor=actor,
    )
    return loan_json(loan), 201


@bp.post("/listings/<int:listing_id>/interests")
@describe(
    "An investor shows interest in a listing offered as equity (作价入股) with a `message`: a thread with the "
    "seller side (once per investor and listing; again adds the message).",
    tags=TAGS,
    body=obj({"message": STRING}, ["message"]),
    responses={
        201: "The interest thread",
        403: "Not an investor",
        404: "No such listing",
        409: "Not a published equity listing",
        422: "No message",
    },
)
@token_required
def express_interest(listing_id: int, actor):
    listing = db.session.get(Listing, listing_id)
    if listing is None or not can_view_listing(actor, listing):
        raise NotFound()
    interest = investments.express_interest(listing, message=json_body().get("message"), actor=actor)
    return interest_json(interest), 201


def interest_json(interest: InvestmentInterest) -> dict[str, Any]:
    return {
        "id": interest.id,
        "listing_id": interest.listing_id,
        "startup_id": interest.startup_id,
        "investor_org_id": interest.investor_org_id,
        "counterpart_org_id": interest.counterpart_org_id,
        "messages": [
            {"author_org_id": m.author_org_id, "body": m.body, "at": _iso(m.created_at)}
            for m in interest.messages
        ],
    }


@bp.get("/financing/startups")
@describe(
    "Start-ups incubators have recorded (incubated start-ups), the industries the caller follows first; "
    "`industry` filters.",
    tags=TAGS,
    params=PAGE_PARAMS + [{"name": "industry", "in": "query", "schema": {"type": "string"}}],
    responses={200: "A page of start-ups", 422: "Bad page"},
)
@token_required
def list_startups(actor):
    page_no, per_page = read_page_args(request.args)
    rows = investments.startups(actor, industry=request.args.get("industry") or None, limit=1000)
    start = (page_no - 1) * per_page
    return {
        "items": [
            {
                "id": st.id,
                "name": st.name,
                "industry": st.field,
                "founded_on": _iso(st.founded_on),
                "incubator_provider_id": st.provider_id,
                "incubator": st.provider.organization.name,
            }
            for st in rows[start : start + per_page]
        ],
        "total": len(rows),
        "page": page_no,
        "per_page": per_page,
    }


@bp.post("/startups/<int:startup_id>/interests")
@describe(
    "An investor shows interest in an incubated start-up with a `message`: a thread with the incubator's "
    "staff (once per investor and start-up; again adds the message).",
    tags=TAGS,
    body=obj({"message": STRING}, ["message"]),
    responses={
        201: "The interest thread",
        403: "Not an investor",
        404: "No such start-up",
        422: "No message",
    },
)
@token_required
def express_startup_interest(startup_id: int, actor):
    startup = investments.get_startup(startup_id)
    interest = investments.express_startup_interest(startup, message=json_body().get("message"), actor=actor)
    return interest_json(interest), 201


@bp.post("/investments")
@describe(
    "An investor records an investment: `amount_fen`, `share_bp`, `company`, and `listing_id` (an equity "
    "listing; its seller confirms) or `counterpart_org_id`; `invested_on`. The other side confirms.",
    tags=TAGS,
    body=obj(
        {
            "amount_fen": FEN,
            "share_bp": INTEGER,
            "company": STRING,
            "listing_id": INTEGER,
            "counterpart_org_id": INTEGER,
            "invested_on": DATE,
        },
        ["amount_fen", "share_bp", "company"],
    ),
    responses={201: "The investment (status recorded)", 403: "Not an investor", 422: "Fields invalid"},
    idempotent=True,
)
@token_required
@idempotent
def record_investment(actor):
    body = json_body()
    (invested_on,) = _dates(body, "invested_on")
    inv = investments.record_investment(
        amount_fen=body.get("amount_fen"),
        share_bp=body.get("share_bp"),
        company=body.get("company"),
        listing_id=body.get("listing_id"),
        counterpart_org_id=body.get("counterpart_org_id"),
        invested_on=invested_on,
        actor=actor,
    )
    return investment_json(inv), 201


@bp.get("/investments")
@describe(
    "Investments the caller may see (the two sides, regulators in scope, admins).",
    tags=TAGS,
    params=PAGE_PARAMS
    + [
        {
            "name": "status",
            "in": "query",
            "schema": {"type": "string", "enum": [s.value for s in InvestmentStatus]},
        }
    ],
    responses={200: "A page of investments", 422: "Bad filter"},
)
@token_required
def list_investments(actor):
    page_no, per_page = read_page_args(request.args)
    status = request.args.get("status") or None
    if status is not None and status not in {s.value for s in InvestmentStatus}:
        raise ValidationError(fields={"status": [_l("Unknown status.")]})
    return paginate(investments.investments_visible_to(actor, status=status), page_no, per_page).to_dict(
        investment_json
    )


def _investment(investment_id: int, actor) -> Investment:
    inv = db.session.get(Investment, investment_id)
    if inv is None or not permissions.can_view_investment(actor, inv):
        raise NotFound()
    return inv


@bp.post("/investments/<int:investment_id>/confirm")
@describe(
    "The other side confirms the recorded investment.",
    tags=TAGS,
    responses={200: "The investment", 403: "Not the other side", 404: "Not found", 409: "Already answered"},
)
@token_required
def confirm_investment(investment_id: int, actor):
    return investment_json(investments.confirm_investment(_investment(investment_id, actor), actor=actor))


@bp.post("/investments/<int:investment_id>/reject")
@describe(
    "The other side rejects the record, with a `reason`.",
    tags=TAGS,
    body=obj({"reason": STRING}, ["reason"]),
    responses={
        200: "The investment",
        403: "Not the other side",
        404: "Not found",
        409: "Already answered",
        422: "No reason",
    },
)
@token_required
def reject_investment(investment_id: int, actor):
    inv = _investment(investment_id, actor)
    return investment_json(investments.reject_investment(inv, reason=json_body().get("reason"), actor=actor))


@bp.get("/financing/summary")
@describe(
    "For regulators and admins: pledge loans (count, amount, outstanding, defaults, risk shared) and confirmed "
    "investments, by `year`, `region`, `bank` (the lending bank; for investments the investor) or `industry`, "
    "optionally "
    "for one `year`. A city regulator sees its city.",
    tags=TAGS,
    params=[
        {"name": "year", "in": "query", "schema": {"type": "integer"}},
        {"name": "group_by", "in": "query", "schema": {"type": "string", "enum": list(figures.GROUPS)}},
    ],
    responses={200: "Rows and a total", 403: "Not a regulator or admin", 422: "Bad year or group_by"},
)
@token_required
def summary(actor):
    if not permissions.can_see_figures(actor):
        raise PermissionDenied(_l("Only regulators and administrators see the finance figures."))
    year, group_by = figures.parse_args(request.args.get("year"), request.args.get("group_by"))
    return figures.summary(year=year, group_by=group_by, user=actor).to_dict()
