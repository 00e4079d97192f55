"""API endpoints of the contracts domain (added to the shared /api/v1 blueprint)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, request
from sqlalchemy.orm import selectinload

from ..accounts.apiauth import require_role, token_required
from ..accounts.models import Organization, User
from ..core.apidocs import DATETIME, INTEGER, PAGE_PARAMS, STRING, describe, obj
from ..core.errors import NotFound, ValidationError
from ..core.idempotency import idempotent
from ..core.jsonbody import json_body, validate_json
from ..core.pagination import paginate, read_page_args
from ..extensions import db
from . import services
from .forms import (
    OFFLINE_DEAL_KINDS,
    AmendApiForm,
    ContractApiForm,
    OfflineDealApiForm,
    ReturnApiForm,
    body_schema,
    read_id_list,
)
from .models import Contract
from .permissions import can_view
from .ports import contract_url
from .states import ContractStatus

bp = Blueprint("contracts", __name__)

TAGS = ["contracts"]
ID_PARAM = [{"name": "contract_id", "in": "path", "required": True, "schema": INTEGER}]


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def milestone_json(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "due_on": _iso(row["due_on"])}


def contract_json(contract: Contract, *, full: bool = True) -> dict[str, Any]:
    c = contract
    data: dict[str, Any] = {
        "id": c.id,
        "status": c.status,
        "category": c.category,
        "title": c.title,
        "source": c.source,
        "seller_org_id": c.seller_org_id,
        "seller_name": c.seller_org.name,
        "seller_region": c.seller_org.region_code,
        "buyer_org_id": c.buyer_org_id,
        "buyer_name": c.buyer_display,
        "buyer_place": c.buyer_place if c.buyer_org_id is None else c.buyer_org.place,
        "buyer_region": c.buyer_region,
        "agency_org_id": c.agency_org_id,
        "industry": c.industry,
        "turnover_fen": c.turnover_fen,
        "tech_income_fen": c.tech_income_fen,
        "signed_on": _iso(c.signed_on),
        "valid_from": _iso(c.valid_from),
        "valid_to": _iso(c.valid_to),
        "registration_no": c.registration_no,
        "registered_at": _iso(c.registered_at),
        "submitted_at": _iso(c.submitted_at),
        "review_due_on": _iso(c.review_due_on),
        "authority_region": c.authority_region,
        "url": contract_url(c.id),
    }
    if not full:
        return data
    data.update(
        {
            "subject": c.subject,
            "source_ref": c.source_ref,
            "terms": c.terms,
            "asset_ids": c.asset_ids,
            "new_investment_fen": c.new_investment_fen,
            "new_output_fen": c.new_output_fen,
            "cost_lines": [
                {"kind": line.kind, "description": line.description, "amount_fen": line.amount_fen}
                for line in c.cost_lines
            ],
            "milestones": [milestone_json(r) for r in services.milestone_rows(c)],
            "seller_confirmed_at": _iso(c.seller_confirmed_at),
            "buyer_confirmed_at": _iso(c.buyer_confirmed_at),
            "seller_signed_at": _iso(c.seller_signed_at),
            "buyer_signed_at": _iso(c.buyer_signed_at),
            "return_reasons": c.return_reasons,
            "return_note": c.return_note,
            "pending_change": c.pending_change,
            "registrations": [
                {
                    "seq": r.seq,
                    "kind": r.kind,
                    "registration_no": r.registration_no,
                    "label": r.label_no,
                    "category": r.category,
                    "turnover_fen": r.turnover_fen,
                    "tech_income_fen": r.tech_income_fen,
                    "effective_on": _iso(r.effective_on),
                    "registered_at": _iso(r.registered_at),
                    "authority_region": r.authority_region,
                }
                for r in c.registrations
            ],
            "checklist": [item.to_dict() for item in services.checklist(c)]
            if ContractStatus(c.status)
            in (
                ContractStatus.DRAFT,
                ContractStatus.AWAITING_CONFIRMATION,
                ContractStatus.SIGNING,
                ContractStatus.SIGNED,
                ContractStatus.RETURNED,
            )
            else [],
        }
    )
    return data


def _load(contract_id: int, actor: User, options=()) -> Contract:
    """The contract (with the relations `options` load in the query); 404 if not visible."""
    contract = db.session.get(Contract, contract_id, options=list(options))
    if contract is None or not can_view(actor, contract):
        raise NotFound()
    return contract


#: The list of asset ids a body may carry (read by `read_id_list`, not by a form field).
ASSET_IDS = {"type": "array", "items": INTEGER}

CONTRACT_SCHEMA = body_schema(ContractApiForm, extra={"asset_ids": ASSET_IDS})


@bp.get("/contracts")
@describe(
    "The caller's contracts (as party or agency); a regulator's: those of sellers in scope.",
    tags=TAGS,
    params=[*PAGE_PARAMS, {"name": "status", "in": "query", "schema": STRING}],
    responses={200: "A page of contracts"},
)
@token_required
def list_contracts(actor: User):
    page, per_page = read_page_args(request.args)
    status = request.args.get("status") or None
    if status and status not in {s.value for s in ContractStatus}:
        raise ValidationError(fields={"status": ["unknown status"]})
    result = paginate(services.visible_contracts_stmt(actor, status=status), page, per_page)
    return result.to_dict(lambda c: contract_json(c, full=False))


@bp.post("/contracts")
@describe(
    "An agency records an offline deal as a contract draft naming both parties; the parties confirm it.",
    tags=TAGS,
    body=body_schema(
        OfflineDealApiForm,
        required=["seller_org_id", "title"],
        extra={
            "asset_ids": ASSET_IDS,
            "deal_terms": obj({"deal_kind": {"type": "string", "enum": [k for k, _l in OFFLINE_DEAL_KINDS]}}),
        },
    ),
    responses={201: "The draft", 403: "Not an agency", 422: "Invalid fields"},
    idempotent=True,
)
@token_required
@idempotent
def create_contract(actor: User):
    require_role(actor, "agency")
    body = json_body()
    form = validate_json(OfflineDealApiForm, {k: v for k, v in body.items() if k != "deal_terms"})
    seller = db.session.get(Organization, form.seller_org_id.data)
    buyer = db.session.get(Organization, form.buyer_org_id.data) if form.buyer_org_id.data else None
    errors = {}
    if seller is None:
        errors["seller_org_id"] = ["no such organization"]
    if form.buyer_org_id.data and buyer is None:
        errors["buyer_org_id"] = ["no such organization"]
    terms = body.get("deal_terms") or {"deal_kind": "transfer"}
    if not isinstance(terms, dict):
        errors["deal_terms"] = ["must be an object"]
    if errors:
        raise ValidationError(fields=errors)
    details = form.changes(body)
    for key in ("title", "seller_org_id", "buyer_org_id", "deal_terms"):
        details.pop(key, None)
    contract = services.record_offline_deal(
        agency_org=actor.organization,
        seller_org=seller,
        buyer_org=buyer,
        buyer_name=form.buyer_name.data,
        buyer_place=form.buyer_place.data,
        title=form.title.data or "",
        deal_terms=terms,
        details={k: v for k, v in details.items() if k not in ("buyer_name", "buyer_place")},
        actor=actor,
    )
    return contract_json(contract), 201


@bp.get("/contracts/<int:contract_id>")
@describe(
    "A contract with its terms, milestones, checklist and registrations.",
    tags=TAGS,
    params=ID_PARAM,
    responses={200: "The contract", 404: "No such contract, or not visible to you"},
)
@token_required
def get_contract(contract_id: int, actor: User):
    return contract_json(_load(contract_id, actor, services.CONTRACT_PAGE_LOADING))


@bp.patch("/contracts/<int:contract_id>")
@describe(
    "Complete or change the terms while the contract is not submitted; a change after a "
    "signature clears the signatures.",
    tags=TAGS,
    params=ID_PARAM,
    body=CONTRACT_SCHEMA,
    responses={200: "The contract", 409: "Not editable now", 422: "Invalid fields"},
)
@token_required
def patch_contract(contract_id: int, actor: User):
    contract = _load(contract_id, actor)
    body = json_body()
    form = validate_json(ContractApiForm, body)
    services.update_contract(contract, form.changes(body), actor=actor)
    return contract_json(contract)


@bp.post("/contracts/<int:contract_id>/confirm")
@describe(
    "A party confirms an offline deal recorded by an agency.",
    tags=TAGS,
    params=ID_PARAM,
    responses={200: "The contract", 409: "Not awaiting confirmation, or already confirmed"},
)
@token_required
def confirm(contract_id: int, actor: User):
    contract = _load(contract_id, actor)
    services.confirm_contract(contract, actor=actor)
    return contract_json(contract)


@bp.post("/contracts/<int:contract_id>/sign")
@describe(
    "A party signs (once). `side` is only needed by an agency signing for a buyer without an account.",
    tags=TAGS,
    params=ID_PARAM,
    body=obj({"side": {"type": "string", "enum": ["seller", "buyer"]}}),
    responses={200: "The contract", 409: "Terms incomplete (fields list what is missing) or already signed"},
)
@token_required
def sign(contract_id: int, actor: User):
    contract = _load(contract_id, actor)
    body = request.get_json(silent=True) or {}
    side = body.get("side") if isinstance(body, dict) else None
    if side not in (None, "seller", "buyer"):
        raise ValidationError(fields={"side": ["seller or buyer"]})
    services.sign_contract(contract, actor=actor, side=side)
    return contract_json(contract)


@bp.post("/contracts/<int:contract_id>/document")
@describe(
    "Upload the signed contract document (multipart form field `document`: PDF, PNG or JPEG).",
    tags=TAGS,
    params=ID_PARAM,
    responses={
        200: "The contract",
        409: "Not changeable now",
        422: "Missing, empty, too large or wrong type",
    },
)
@token_required
def upload_document(contract_id: int, actor: User):
    contract = _load(contract_id, actor)
    services.attach_signed_document(contract, request.files.get("document"), actor=actor)
    return contract_json(contract)


@bp.post("/contracts/<int:contract_id>/submit")
@describe(
    "The seller side applies for registration to the authority of its region.",
    tags=TAGS,
    params=ID_PARAM,
    responses={
        200: "The contract, with review_due_on",
        409: "Checklist incomplete: fields list what is missing",
    },
)
@token_required
def submit(contract_id: int, actor: User):
    contract = _load(contract_id, actor)
    services.submit_contract(contract, actor=actor)
    return contract_json(contract)


@bp.post("/contracts/<int:contract_id>/register")
@describe(
    "A regulator in scope registers the contract, amendment or cancellation waiting for it.",
    tags=TAGS,
    params=ID_PARAM,
    body=obj({"note": STRING}),
    responses={
        200: "{registration_no, kind, seq, contract}",
        404: "Not visible or not in scope",
        409: "Already registered / not waiting",
    },
)
@token_required
def register(contract_id: int, actor: User):
    contract = _load(contract_id, actor)
    body = request.get_json(silent=True) or {}
    note = body.get("note") if isinstance(body, dict) and isinstance(body.get("note"), str) else None
    registration = services.register_contract(contract, actor=actor, note=note)
    return {
        "registration_no": registration.registration_no,
        "kind": registration.kind,
        "seq": registration.seq,
        "effective_on": _iso(registration.effective_on),
        "contract": contract_json(db.session.get(Contract, contract_id)),
    }


@bp.post("/contracts/<int:contract_id>/return")
@describe(
    "A regulator in scope returns (未予登记) what waits for it, with reasons.",
    tags=TAGS,
    params=ID_PARAM,
    body=body_schema(ReturnApiForm, required=["reasons"]),
    responses={
        200: "The contract",
        409: "Not waiting",
        422: "No or unknown reasons, or `other` without a note",
    },
)
@token_required
def return_(contract_id: int, actor: User):
    contract = _load(contract_id, actor)
    body = json_body()
    reasons = body.get("reasons")
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        raise ValidationError(fields={"reasons": ["a list of reason codes"]})
    form = validate_json(ReturnApiForm, {"note": body.get("note")})
    services.return_contract(contract, reasons=reasons, note=form.note.data, actor=actor)
    return contract_json(contract)


@bp.post("/contracts/<int:contract_id>/amend")
@describe(
    "The seller side applies to register a change (amounts, buyer, category) of a registered contract.",
    tags=TAGS,
    params=ID_PARAM,
    body=body_schema(AmendApiForm),
    responses={
        200: "The contract (amendment_pending)",
        409: "Not registered",
        422: "Invalid change, or no reason (note) given",
    },
)
@token_required
def amend(contract_id: int, actor: User):
    contract = _load(contract_id, actor)
    body = json_body()
    form = validate_json(AmendApiForm, body)
    services.request_amendment(contract, form.changes(body), note=form.note.data, actor=actor)
    return contract_json(contract)


@bp.post("/contracts/<int:contract_id>/cancel")
@describe(
    "The seller side applies to register the termination of a registered contract.",
    tags=TAGS,
    params=ID_PARAM,
    body=obj({"note": STRING}, ["note"]),
    responses={200: "The contract (cancellation_pending)", 409: "Not registered", 422: "No reason given"},
)
@token_required
def cancel(contract_id: int, actor: User):
    contract = _load(contract_id, actor)
    body = json_body()
    note = body.get("note") if isinstance(body.get("note"), str) else None
    services.request_cancellation(contract, note=note, actor=actor)
    return contract_json(contract)


@bp.get("/contracts/<int:contract_id>/milestones")
@describe(
    "The payment milestones, each with due_on, amount_fen, paid_fen and status.",
    tags=TAGS,
    params=ID_PARAM,
    responses={200: "{items: [...]}"},
)
@token_required
def milestones(contract_id: int, actor: User):
    contract = _load(contract_id, actor, [selectinload(Contract.milestones)])
    items = [milestone_json(r) for r in services.milestone_rows(contract)]
    return {"items": items, "total": len(items), "turnover_fen": contract.turnover_fen}


__all__ = ["contract_json", "read_id_list", "DATETIME"]
