"""API endpoints of the IP registry (added to the shared /api/v1 blueprint)."""

from __future__ import annotations

from flask import Blueprint, request
from flask_babel import lazy_gettext as _l

from ..accounts.apiauth import token_required
from ..accounts.models import User
from ..core.apidocs import DATE, FEN, INTEGER, PAGE_PARAMS, STRING, describe, obj
from ..core.errors import NotFound, PermissionDenied, ValidationError
from ..core.idempotency import idempotent
from ..core.jsonbody import json_body, validate_json
from ..core.pagination import paginate, read_page_args
from ..extensions import db
from . import ownership, services
from .deals import DealTerms
from .forms import (
    AnswerForm,
    AssetForm,
    DealCheckForm,
    EncumbranceForm,
    ProposalForm,
    ReleaseForm,
    VerifyForm,
    asset_form_data,
)
from .models import Encumbrance, IpAsset, OwnershipProposal, TitleEvent
from .permissions import (
    can_create_asset,
    can_edit_asset,
    can_verify_asset,
    can_view_asset,
    can_view_asset_records,
    can_view_proposal,
)

bp = Blueprint("ip", __name__)

TAGS = ["ip"]
_LIST = {"type": "array", "items": STRING}
_OWNER = obj({"org_id": INTEGER, "share_bp": INTEGER}, ["org_id", "share_bp"])
ASSET_BODY = obj(
    {
        "kind": STRING,
        "identifier": STRING,
        "title_zh": STRING,
        "title_en": STRING,
        "abstract_zh": STRING,
        "abstract_en": STRING,
        "keywords": _LIST,
        "inventors": _LIST,
        "industry": STRING,
        "maturity": STRING,
        "legal_status": STRING,
        "filed_on": DATE,
        "granted_on": DATE,
        "expires_on": DATE,
        "owners": {"type": "array", "items": _OWNER, "description": "default: your organization, 10000"},
    },
    ["kind", "industry", "legal_status"],
)
ENCUMBRANCE_BODY = obj(
    {
        "kind": {"type": "string", "enum": ["license", "pledge"]},
        "counterparty": STRING,
        "license_type": {"type": "string", "enum": ["exclusive", "sole", "non_exclusive"]},
        "field_of_use": STRING,
        "territory": STRING,
        "term_start": DATE,
        "term_end": DATE,
        "amount_fen": FEN,
        "reference": STRING,
        "note": STRING,
    },
    ["kind", "counterparty"],
)
_ID = [{"name": "asset_id", "in": "path", "required": True, "schema": INTEGER}]


def _date(value):
    return value.isoformat() if value else None


def encumbrance_json(enc: Encumbrance) -> dict:
    return {
        "id": enc.id,
        "kind": enc.kind,
        "deal_kind": enc.deal_kind,
        "license_type": enc.license_type,
        "field_of_use": enc.field_of_use,
        "territory": enc.territory,
        "term_start": _date(enc.term_start),
        "term_end": _date(enc.term_end),
        "counterparty": enc.counterparty,
        "amount_fen": enc.amount_fen,
        "reference": enc.reference,
        "note": enc.note,
        "released": enc.is_released,
        "released_on": _date(enc.released_on),
        "release_note": enc.release_note,
        "created_at": enc.created_at.isoformat() if enc.created_at else None,
    }


def title_event_json(event: TitleEvent) -> dict:
    return {
        "seq": event.seq,
        "kind": event.kind,
        "effective_on": _date(event.effective_on),
        "contract_ref": event.contract_ref,
        "proposal_id": event.proposal_id,
        "owners": event.owners,
    }


def asset_json(asset: IpAsset) -> dict:
    return {
        "id": asset.id,
        **asset_form_data(asset),
        "owners": [
            {"org_id": o.org_id, "name": o.organization.name, "share_bp": o.share_bp} for o in asset.owners
        ],
        "verification": {
            "verified_at": asset.verified_at.isoformat(),
            "verified_by": asset.verified_by_id,
            "source": asset.verification_source,
            "note": asset.verification_note,
        }
        if asset.is_verified
        else None,
        "owners_editable": services.owners_editable(asset),
        "co_owned": services.is_co_owned(asset),
        "encumbrances": [encumbrance_json(e) for e in asset.encumbrances],
        "chain_of_title": [title_event_json(e) for e in asset.title_events],
        "created_at": asset.created_at.isoformat() if asset.created_at else None,
        "updated_at": asset.updated_at.isoformat() if asset.updated_at else None,
    }


def _load(asset_id: int, actor: User) -> IpAsset:
    asset = db.session.get(IpAsset, asset_id)
    if asset is None or not can_view_asset(actor, asset):
        raise NotFound()
    return asset


def _editable(asset_id: int, actor: User) -> IpAsset:
    asset = _load(asset_id, actor)
    if not can_edit_asset(actor, asset):
        raise PermissionDenied()
    return asset


@bp.get("/assets")
@describe(
    "IP assets you may see: your organization's; regulators: owners in their scope; agencies and admins: all.",
    tags=TAGS,
    params=[*PAGE_PARAMS, {"name": "q", "in": "query", "schema": STRING}],
    responses={200: "A page of assets", 401: "No or bad token", 422: "Bad page arguments"},
)
@token_required
def list_assets(actor: User):
    page, per_page = read_page_args(request.args)
    q = (request.args.get("q") or "")[:100].strip() or None
    return paginate(services.assets_visible_to(actor, q=q), page, per_page).to_dict(asset_json)


@bp.post("/assets")
@describe(
    "Register an IP asset for your organization (sellers).",
    tags=TAGS,
    body=ASSET_BODY,
    responses={
        201: "The asset",
        403: "Not a seller",
        409: "Identifier already registered",
        422: "Invalid fields",
    },
    idempotent=True,
)
@token_required
@idempotent
def create_asset(actor: User):
    if not can_create_asset(actor):
        raise PermissionDenied()
    form = validate_json(AssetForm)
    asset = services.register_asset(form.to_data(), actor=actor)
    return asset_json(asset), 201


@bp.get("/assets/<int:asset_id>")
@describe(
    "One asset with owners, encumbrances and chain of title.",
    tags=TAGS,
    params=_ID,
    responses={200: "The asset", 404: "No such asset, or not visible to you"},
)
@token_required
def get_asset(asset_id: int, actor: User):
    return asset_json(_load(asset_id, actor))


@bp.patch("/assets/<int:asset_id>")
@describe(
    "Change an asset (members of an owner organization). Send only the fields that change. Owners change "
    "here only on an asset with a single owner (adding co-owners) while no deal or transfer is recorded; "
    "the owners of a co-owned asset change only through an ownership proposal "
    "(POST /assets/{asset_id}/ownership-proposals): 409 ownership_proposal_required.",
    tags=TAGS,
    params=_ID,
    body=ASSET_BODY,
    responses={
        200: "The asset",
        403: "Not an owner",
        404: "Not found",
        409: "Owners locked, co-owned (propose instead) or duplicate identifier",
        422: "Invalid fields",
    },
)
@token_required
def patch_asset(asset_id: int, actor: User):
    asset = _editable(asset_id, actor)
    body = {**asset_form_data(asset), **json_body()}
    form = validate_json(AssetForm, body)
    services.update_asset(asset, form.to_data(), actor=actor)
    return asset_json(asset)


@bp.post("/assets/<int:asset_id>/encumbrances")
@describe(
    "Record a licence granted before (kind license) or a pledge (kind pledge).",
    tags=TAGS,
    params=_ID,
    body=ENCUMBRANCE_BODY,
    responses={
        201: "The encumbrance",
        403: "Not an owner",
        404: "Not found",
        409: "Excluded by the exclusivity rule",
        422: "Invalid fields",
    },
    idempotent=True,
)
@token_required
@idempotent
def add_encumbrance(asset_id: int, actor: User):
    asset = _editable(asset_id, actor)
    form = validate_json(EncumbranceForm)
    enc = services.add_encumbrance(asset, form.to_data(), actor=actor)
    return encumbrance_json(enc), 201


@bp.post("/assets/<int:asset_id>/encumbrances/<int:enc_id>/release")
@describe(
    'Release a pledge or terminate a licence: {"released_on": "YYYY-MM-DD", "note": "..."}.',
    tags=TAGS,
    params=[*_ID, {"name": "enc_id", "in": "path", "required": True, "schema": INTEGER}],
    body=obj({"released_on": DATE, "note": STRING}, ["released_on"]),
    responses={200: "The encumbrance", 404: "Not found", 409: "Already released", 422: "Invalid fields"},
)
@token_required
def release_encumbrance(asset_id: int, enc_id: int, actor: User):
    asset = _editable(asset_id, actor)
    enc = db.session.get(Encumbrance, enc_id)
    if enc is None or enc.asset_id != asset.id:
        raise NotFound()
    form = validate_json(ReleaseForm)
    services.release_encumbrance(enc, released_on=form.released_on.data, note=form.note.data, actor=actor)
    return encumbrance_json(enc)


@bp.post("/assets/<int:asset_id>/verify")
@describe(
    "Mark the asset's legal status as verified against an official source (agencies, admins).",
    tags=TAGS,
    params=_ID,
    body=obj({"source": STRING, "note": STRING}, ["source"]),
    responses={200: "The asset", 403: "Not an agency", 404: "Not found", 422: "Invalid fields"},
)
@token_required
def verify_asset(asset_id: int, actor: User):
    asset = _load(asset_id, actor)
    if not can_verify_asset(actor, asset):
        raise PermissionDenied()
    form = validate_json(VerifyForm)
    services.verify_asset(asset, source=form.source.data, note=form.note.data, actor=actor)
    return asset_json(asset)


@bp.get("/assets/<int:asset_id>/deal-check")
@describe(
    "Whether a deal is possible on the asset now, and if not, why (the exclusivity rule).",
    tags=TAGS,
    params=[
        *_ID,
        {
            "name": "deal_kind",
            "in": "query",
            "required": True,
            "schema": {"type": "string", "enum": ["license", "transfer", "equity"]},
        },
        {
            "name": "license_type",
            "in": "query",
            "schema": {"type": "string", "enum": ["exclusive", "sole", "non_exclusive"]},
        },
        {"name": "field_of_use", "in": "query", "schema": STRING},
        {"name": "territory", "in": "query", "schema": STRING},
        {"name": "term_start", "in": "query", "schema": DATE},
        {"name": "term_end", "in": "query", "schema": DATE},
        {"name": "on", "in": "query", "schema": DATE},
    ],
    responses={
        200: "{ok, reasons: [{code, message, encumbrance_id}], warnings: [...]}",
        404: "Not found",
        422: "Invalid terms",
    },
)
@token_required
def deal_check(asset_id: int, actor: User):
    asset = _load(asset_id, actor)
    form = validate_json(DealCheckForm, request.args.to_dict())
    terms = DealTerms(
        form.deal_kind.data,
        license_type=form.license_type.data or None,
        field_of_use=form.field_of_use.data or "",
        territory=form.territory.data or "",
        term_start=form.term_start.data,
        term_end=form.term_end.data,
    )
    result = services.check_deal(asset, terms, on=form.on.data)
    return {"asset_id": asset.id, "terms": terms.to_dict(), **result.to_dict()}


# --- ownership proposals -----------------------------------------------------------------------

_SNAPSHOT = {
    "type": "array",
    "items": obj({"org_id": INTEGER, "name": STRING, "share_bp": INTEGER}),
}
PROPOSAL_BODY = obj(
    {
        "owners": {"type": "array", "items": _OWNER, "description": "the new owners; shares add up to 10000"},
        "reason": {**STRING, "maxLength": 2000},
    },
    ["owners", "reason"],
)
NOTE_BODY = obj({"note": {**STRING, "maxLength": 2000}})
_PROPOSAL_ID = [{"name": "proposal_id", "in": "path", "required": True, "schema": INTEGER}]
_PROPOSAL_ANSWERS = {
    200: "The proposal (status accepted once applied)",
    403: "Not allowed to answer or decide it",
    404: "No such proposal, or not visible to you",
    409: "Closed, already answered, stale, or the owners cannot change (pledge, committed transfer)",
    422: "Invalid fields",
}


def proposal_json(proposal: OwnershipProposal) -> dict:
    evidence = ownership.evidence_of(proposal)
    return {
        "id": proposal.id,
        "asset_id": proposal.asset_id,
        "status": proposal.status,
        "reason": proposal.reason,
        "proposed_by": proposal.proposed_by_id,
        "proposer_org_id": proposal.proposer_org_id,
        "current_owners": proposal.current_owners,
        "new_owners": proposal.new_owners,
        "answers": [
            {
                "org_id": v.org_id,
                "name": v.organization.name,
                "decision": v.decision,
                "by": v.user_id,
                "note": v.note,
                "at": v.created_at.isoformat() if v.created_at else None,
            }
            for v in proposal.votes
        ],
        "awaiting_org_ids": proposal.awaiting_org_ids,
        "decided_at": proposal.decided_at.isoformat() if proposal.decided_at else None,
        "decided_by": proposal.decided_by_id,
        "decision_basis": proposal.decision_basis,
        "decision_note": proposal.decision_note,
        "evidence": {"id": evidence.id, "name": evidence.original_name, "sha256": evidence.sha256}
        if evidence
        else None,
        "created_at": proposal.created_at.isoformat() if proposal.created_at else None,
    }


def _load_proposal(proposal_id: int, actor: User) -> OwnershipProposal:
    proposal = db.session.get(OwnershipProposal, proposal_id)
    if proposal is None or not can_view_proposal(actor, proposal):
        raise NotFound()
    return proposal


def _note() -> str | None:
    body = request.get_json(silent=True, force=True) if request.get_data() else {}
    if not isinstance(body, dict):
        body = {}
    form = validate_json(AnswerForm, body)
    return form.note.data


@bp.get("/assets/<int:asset_id>/ownership-proposals")
@describe(
    "The asset's ownership proposals, newest first (who sees the asset's records).",
    tags=TAGS,
    params=[*_ID, *PAGE_PARAMS],
    responses={200: "A page of proposals", 404: "Not found", 422: "Bad page arguments"},
)
@token_required
def list_ownership_proposals(asset_id: int, actor: User):
    asset = _load(asset_id, actor)
    if not can_view_asset_records(actor, asset):
        raise NotFound()
    page, per_page = read_page_args(request.args)
    stmt = (
        db.select(OwnershipProposal)
        .where(OwnershipProposal.asset_id == asset.id)
        .order_by(OwnershipProposal.created_at.desc(), OwnershipProposal.id.desc())
    )
    return paginate(stmt, page, per_page).to_dict(proposal_json)


@bp.post("/assets/<int:asset_id>/ownership-proposals")
@describe(
    "Propose new owners and shares for a co-owned asset (sellers of a current owner). Your "
    "organization's acceptance is recorded with it; every other current owner then accepts or rejects "
    "(or an admin or agency decides with evidence). One open proposal per asset.",
    tags=TAGS,
    params=_ID,
    body=PROPOSAL_BODY,
    responses={
        201: "The proposal",
        403: "Not a seller of an owner",
        404: "Not found",
        409: "Not co-owned, a proposal is already open, or the owners cannot change (pledge, committed transfer)",
        422: "Invalid fields",
    },
    idempotent=True,
)
@token_required
@idempotent
def create_ownership_proposal(asset_id: int, actor: User):
    asset = _load(asset_id, actor)
    if not can_edit_asset(actor, asset):
        raise PermissionDenied()
    form = validate_json(ProposalForm)
    proposal = ownership.propose_ownership_change(
        asset, form.owner_shares(), reason=form.reason.data, actor=actor
    )
    return proposal_json(proposal), 201


@bp.get("/ownership-proposals/<int:proposal_id>")
@describe(
    "One ownership proposal with the owners' answers.",
    tags=TAGS,
    params=_PROPOSAL_ID,
    responses={200: "The proposal", 404: "No such proposal, or not visible to you"},
)
@token_required
def get_ownership_proposal(proposal_id: int, actor: User):
    return proposal_json(_load_proposal(proposal_id, actor))


@bp.post("/ownership-proposals/<int:proposal_id>/accept")
@describe(
    "Accept for your organization (a seller of a current owner that has not answered); the last "
    'acceptance applies the new owners. Optional body {"note": "..."}.',
    tags=TAGS,
    params=_PROPOSAL_ID,
    body=NOTE_BODY,
    responses=_PROPOSAL_ANSWERS,
)
@token_required
def accept_ownership_proposal(proposal_id: int, actor: User):
    proposal = _load_proposal(proposal_id, actor)
    ownership.accept_proposal(proposal, actor=actor, note=_note())
    return proposal_json(proposal)


@bp.post("/ownership-proposals/<int:proposal_id>/reject")
@describe(
    'Reject for your organization: the proposal ends and nothing changes. Optional body {"note": "..."}.',
    tags=TAGS,
    params=_PROPOSAL_ID,
    body=NOTE_BODY,
    responses=_PROPOSAL_ANSWERS,
)
@token_required
def reject_ownership_proposal(proposal_id: int, actor: User):
    proposal = _load_proposal(proposal_id, actor)
    ownership.reject_proposal(proposal, actor=actor, note=_note())
    return proposal_json(proposal)


@bp.post("/ownership-proposals/<int:proposal_id>/withdraw")
@describe(
    "Withdraw an open proposal (sellers of the proposing organization).",
    tags=TAGS,
    params=_PROPOSAL_ID,
    responses=_PROPOSAL_ANSWERS,
)
@token_required
def withdraw_ownership_proposal(proposal_id: int, actor: User):
    proposal = _load_proposal(proposal_id, actor)
    ownership.withdraw_proposal(proposal, actor=actor)
    return proposal_json(proposal)


@bp.post("/ownership-proposals/<int:proposal_id>/decide")
@describe(
    "An admin or an approved agency decides an open proposal with evidence attached: multipart/form-data "
    "with `decision` (accept or reject), `note` (the grounds) and `evidence` (a PDF, PNG or JPEG file: "
    "a court judgment, the owners' signed agreement...). Accepting applies the new owners.",
    tags=TAGS,
    params=_PROPOSAL_ID,
    responses=_PROPOSAL_ANSWERS,
)
@token_required
def decide_ownership_proposal(proposal_id: int, actor: User):
    proposal = _load_proposal(proposal_id, actor)
    if not (request.mimetype == "multipart/form-data"):
        raise ValidationError(
            fields={"evidence": [_l("Send multipart/form-data with decision, note and the evidence file.")]}
        )
    ownership.decide_proposal(
        proposal,
        decision=request.form.get("decision"),
        note=request.form.get("note"),
        evidence=request.files.get("evidence"),
        actor=actor,
    )
    return proposal_json(proposal)
