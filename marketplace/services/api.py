"""API endpoints of policies, service providers, service requests, evaluations
and start-ups (nested under /api/v1). Amounts are integer fen."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, request
from flask_babel import lazy_gettext as _l

from ..accounts.apiauth import token_optional, token_required
from ..contracts.models import Contract
from ..contracts.permissions import can_view as can_view_contract
from ..core.apidocs import BOOLEAN, DATE, DATETIME, FEN, INTEGER, PAGE_PARAMS, STRING, describe, obj
from ..core.errors import NotFound, ValidationError
from ..core.idempotency import idempotent
from ..core.jsonbody import json_body
from ..core.pagination import paginate, read_page_args
from ..extensions import db
from ..listings.models import Listing
from ..listings.permissions import can_view_listing
from . import policies, providers
from . import requests as reqs
from .models import Policy, ProviderProfile, ServiceRequest
from .states import POLICY_LEVELS, POLICY_TOPICS, PROVIDER_KINDS, RequestStatus

bp = Blueprint("services", __name__)
TAGS = ["services"]


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def policy_json(p: Policy) -> dict[str, Any]:
    return {
        "id": p.id,
        "level": p.level,
        "region": p.region_code,
        "title": p.title_zh,
        "title_zh": p.title_zh,
        "title_en": p.title_en,
        "issuer": p.issuer,
        "issuer_en": p.issuer_en,
        "doc_no": p.doc_no,
        "issued_on": _iso(p.issued_on),
        "effective_on": _iso(p.effective_on),
        "expires_on": _iso(p.expires_on),
        "in_force": p.in_force_on(policies.today_shanghai()),
        "summary_zh": p.summary_zh,
        "summary_en": p.summary_en,
        "caveat_zh": p.caveat_zh,
        "caveat_en": p.caveat_en,
        "source_url": p.source_url,
        "topics": list(p.topics or []),
        "applies_to": {
            "deal_kinds": list(p.deal_kinds or []),
            "contract_categories": list(p.contract_categories or []),
            "seller_kinds": list(p.seller_kinds or []),
            "regions": list(p.regions or []),
            "registered_contracts_only": p.needs_registration,
        },
        "revision": p.revision,
    }


POLICY_SCHEMA = obj(
    {
        "id": INTEGER,
        "level": {"type": "string", "enum": list(POLICY_LEVELS)},
        "title": STRING,
        "issuer": STRING,
        "doc_no": {"type": "string", "nullable": True, "description": "null: the number is still to confirm"},
        "issued_on": DATE,
        "effective_on": DATE,
        "expires_on": DATE,
        "in_force": BOOLEAN,
        "summary_zh": STRING,
        "summary_en": STRING,
        "source_url": STRING,
        "topics": {"type": "array", "items": STRING},
    }
)
POLICY_BODY = obj(
    {
        "level": {"type": "string", "enum": list(POLICY_LEVELS)},
        "region_code": STRING,
        "issuer": STRING,
        "issuer_en": STRING,
        "doc_no": STRING,
        "issued_on": DATE,
        "effective_on": DATE,
        "expires_on": DATE,
        "in_force": BOOLEAN,
        "topics": {"type": "array", "items": STRING},
        "title_zh": STRING,
        "title_en": STRING,
        "summary_zh": STRING,
        "summary_en": STRING,
        "caveat_zh": STRING,
        "caveat_en": STRING,
        "full_text": STRING,
        "source_url": STRING,
        "deal_kinds": {"type": "array", "items": STRING},
        "contract_categories": {"type": "array", "items": STRING},
        "seller_kinds": {"type": "array", "items": STRING},
        "regions": {"type": "array", "items": STRING},
        "needs_registration": BOOLEAN,
    },
    required=["level", "issuer", "issued_on", "title_zh", "summary_zh"],
)


def _policy_body(partial: bool) -> dict[str, Any]:
    body = json_body()
    errors: dict[str, list] = {}
    data: dict[str, Any] = {}
    for name in policies.EDITABLE:
        if name not in body:
            continue
        value = body[name]
        if name in ("issued_on", "effective_on", "expires_on"):
            if value in (None, ""):
                data[name] = None
                continue
            try:
                data[name] = date.fromisoformat(str(value))
            except ValueError:
                errors[name] = [_l("A date as YYYY-MM-DD.")]
            continue
        if name in ("topics", "deal_kinds", "contract_categories", "seller_kinds", "regions"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors[name] = [_l("A list of codes.")]
                continue
        elif name in ("in_force", "needs_registration"):
            if not isinstance(value, bool):
                errors[name] = [_l("true or false.")]
                continue
        elif value is not None and not isinstance(value, str):
            errors[name] = [_l("A text.")]
            continue
        data[name] = value
    if errors:
        raise ValidationError(fields=errors)
    return data


@bp.get("/policies")
@describe(
    "The policy library: `q` searches titles and summaries in Chinese and English; filters `level`, "
    "`topic`, `region` (a city's policies with those of the province and the nation), `in_force`.",
    tags=TAGS,
    auth="none",
    params=PAGE_PARAMS
    + [
        {"name": "q", "in": "query", "schema": STRING},
        {"name": "level", "in": "query", "schema": {"type": "string", "enum": list(POLICY_LEVELS)}},
        {"name": "topic", "in": "query", "schema": {"type": "string", "enum": list(POLICY_TOPICS)}},
        {"name": "region", "in": "query", "schema": STRING},
        {"name": "in_force", "in": "query", "schema": BOOLEAN},
    ],
    responses={200: "A page of policies", 422: "Bad filter or page"},
)
def list_policies():
    page_no, per_page = read_page_args(request.args)
    query = policies.read_query(request.args)
    if query.errors:
        raise ValidationError(fields=query.errors)
    return policies.search(query, page_no, per_page).to_dict(policy_json)


@bp.get("/policies/<int:policy_id>")
@describe(
    "One policy, with its applicability and full text.",
    tags=TAGS,
    auth="none",
    responses={200: "The policy", 404: "No such policy"},
)
def get_policy(policy_id: int):
    policy = db.session.get(Policy, policy_id)
    if policy is None:
        raise NotFound()
    return {
        **policy_json(policy),
        "full_text": policy.full_text,
        "history": [
            {"seq": r.seq, "edited_at": _iso(r.edited_at), "changed": r.changed} for r in policy.revisions
        ],
    }


@bp.post("/policies")
@describe(
    "Add a policy (admins and the provincial regulator).",
    tags=TAGS,
    body=POLICY_BODY,
    responses={201: "The policy", 403: "Not allowed", 422: "Fields invalid"},
    idempotent=True,
)
@token_required
@idempotent
def create_policy(actor):
    return policy_json(policies.create_policy(_policy_body(False), actor=actor)), 201


@bp.patch("/policies/<int:policy_id>")
@describe(
    "Update a policy; what it said before is kept in its history.",
    tags=TAGS,
    body=POLICY_BODY,
    responses={200: "The policy", 403: "Not allowed", 404: "No such policy", 422: "Fields invalid"},
)
@token_required
def update_policy(policy_id: int, actor):
    policy = db.session.get(Policy, policy_id)
    if policy is None:
        raise NotFound()
    return policy_json(policies.update_policy(policy, _policy_body(True), actor=actor))


@bp.get("/listings/<int:listing_id>/policies")
@describe(
    "The policies that may apply to a listing (deal kinds, seller kind, region, today): information, "
    "not a legal opinion.",
    tags=TAGS,
    auth="optional",
    responses={200: "The policies", 404: "No such listing, or not visible to you"},
)
@token_optional
def listing_policies(listing_id: int, actor):
    listing = db.session.get(Listing, listing_id)
    if listing is None or not can_view_listing(actor, listing):
        raise NotFound()
    return {"items": [policy_json(p) for p in policies.applicable(policies.facts_of_listing(listing))]}


@bp.get("/contracts/<int:contract_id>/policies")
@describe(
    "The policies that may apply to a contract (category, deal kind, seller kind and region, the day "
    "it was signed, whether it is registered).",
    tags=TAGS,
    responses={200: "The policies", 404: "No such contract, or not visible to you"},
)
@token_required
def contract_policies(contract_id: int, actor):
    contract = db.session.get(Contract, contract_id)
    if contract is None or not can_view_contract(actor, contract):
        raise NotFound()
    return {"items": [policy_json(p) for p in policies.applicable(policies.facts_of_contract(contract))]}


# -- Providers ------------------------------------------------------------------------
def provider_json(p: ProviderProfile, rating=None) -> dict[str, Any]:
    rating = rating or providers.ratings_for([p.id])[p.id]
    return {
        "id": p.id,
        "org_id": p.org_id,
        "name": p.name,
        "kind": p.kind,
        "region": p.organization.region_code,
        "description_zh": p.description_zh,
        "description_en": p.description_en,
        "qualifications": p.qualifications,
        "services": [
            {
                "id": s.id,
                "name_zh": s.name_zh,
                "name_en": s.name_en,
                "price_low_fen": s.price_low_fen,
                "price_high_fen": s.price_high_fen,
                "turnaround_days": s.turnaround_days,
            }
            for s in providers.active_services(p)
        ],
        "rating": {"average": rating.average, "ratings": rating.ratings, "completed": rating.completed},
    }


@bp.get("/providers")
@describe(
    "Service providers approved by the platform: filters `kind`, `region`, `q`; services with price "
    "ranges (fen) and turnaround, the average rating and completed requests.",
    tags=TAGS,
    auth="none",
    params=PAGE_PARAMS
    + [
        {"name": "kind", "in": "query", "schema": {"type": "string", "enum": list(PROVIDER_KINDS)}},
        {"name": "region", "in": "query", "schema": STRING},
        {"name": "q", "in": "query", "schema": STRING},
    ],
    responses={200: "A page of providers", 422: "Bad filter"},
)
def list_providers():
    page_no, per_page = read_page_args(request.args)
    args, errors = providers.read_catalogue_args(request.args)
    if errors:
        raise ValidationError(fields=errors)
    page = paginate(providers.catalogue_stmt(**args), page_no, per_page)
    ratings = providers.ratings_for(p.id for p in page.items)
    return page.to_dict(lambda p: provider_json(p, ratings[p.id]))


@bp.get("/providers/<int:provider_id>")
@describe("One provider.", tags=TAGS, auth="optional", responses={200: "The provider", 404: "Not found"})
@token_optional
def get_provider(provider_id: int, actor):
    return provider_json(providers.get_listed(provider_id, actor))


# -- Service requests -----------------------------------------------------------------
def request_json(r: ServiceRequest) -> dict[str, Any]:
    return {
        "id": r.id,
        "provider_id": r.provider_id,
        "provider_name": r.provider.name,
        "service_id": r.service_id,
        "requester_org_id": r.requester_org_id,
        "status": r.status,
        "title": r.title,
        "description": r.description,
        "quote_fen": r.quote_fen,
        "quote_days": r.quote_days,
        "quote_note": r.quote_note,
        "quoted_at": _iso(r.quoted_at),
        "accepted_at": _iso(r.accepted_at),
        "completed_at": _iso(r.completed_at),
        "close_reason": r.close_reason,
        "rating": r.rating,
        "rating_comment": r.rating_comment,
        "created_at": _iso(r.created_at),
        "messages": [
            {"id": m.id, "side": m.side, "body": m.body, "at": _iso(m.created_at)} for m in r.messages
        ],
    }


REQUEST_SCHEMA = obj(
    {
        "id": INTEGER,
        "status": {"type": "string", "enum": [s.value for s in RequestStatus]},
        "quote_fen": FEN,
        "rating": INTEGER,
        "created_at": DATETIME,
    }
)


def _str(body, name):
    value = body.get(name)
    return value if isinstance(value, str) else None


def _int_or_raw(body, name):
    value = body.get(name)
    return value if value is None or isinstance(value, int) else "bad"


@bp.post("/providers/<int:provider_id>/requests")
@describe(
    "Request a service from a provider: `title`, `description`, optional `service_id`.",
    tags=TAGS,
    body=obj(
        {"service_id": INTEGER, "title": STRING, "description": STRING}, required=["title", "description"]
    ),
    responses={
        201: "The request (requested)",
        403: "Not allowed (e.g. your own organization)",
        404: "No such provider",
        422: "Fields invalid",
    },
    idempotent=True,
)
@token_required
@idempotent
def create_request(provider_id: int, actor):
    provider = providers.get_listed(provider_id, actor)
    body = json_body()
    service_id = body.get("service_id")
    if service_id is not None and (isinstance(service_id, bool) or not isinstance(service_id, int)):
        raise ValidationError(fields={"service_id": [_l("Choose one of this provider's services.")]})
    created = reqs.create_request(
        provider,
        actor=actor,
        title=_str(body, "title"),
        description=_str(body, "description"),
        service_id=service_id,
    )
    return request_json(created), 201


@bp.get("/service-requests")
@describe(
    "Service requests the caller may see: `box=sent` (by the caller's organization), `received` (to "
    "the caller's provider), `all`; filter `status`.",
    tags=TAGS,
    params=PAGE_PARAMS
    + [
        {"name": "box", "in": "query", "schema": {"type": "string", "enum": list(reqs.BOXES)}},
        {"name": "status", "in": "query", "schema": STRING},
    ],
    responses={200: "A page of requests", 422: "Bad filter"},
)
@token_required
def list_requests(actor):
    page_no, per_page = read_page_args(request.args)
    box, status = request.args.get("box") or "all", request.args.get("status") or None
    errors = {}
    if box not in reqs.BOXES:
        errors["box"] = [_l("Choose all, sent or received.")]
    if status and status not in {s.value for s in RequestStatus}:
        errors["status"] = [_l("Unknown status.")]
    if errors:
        raise ValidationError(fields=errors)
    return paginate(reqs.visible_to(actor, box=box, status=status), page_no, per_page).to_dict(request_json)


@bp.get("/service-requests/<int:request_id>")
@describe(
    "One service request with its thread (the two sides and admins).",
    tags=TAGS,
    responses={200: "The request", 404: "No such request, or not yours"},
)
@token_required
def get_request(request_id: int, actor):
    return request_json(reqs.get_visible(request_id, actor))


_ACTION_RESPONSES = {
    200: "The request",
    403: "Not your side",
    404: "Not found",
    409: "Wrong state",
    422: "Fields invalid",
}


@bp.post("/service-requests/<int:request_id>/quote")
@describe(
    "The provider quotes (again while not accepted): `quote_fen`, `quote_days`, `note`.",
    tags=TAGS,
    body=obj({"quote_fen": FEN, "quote_days": INTEGER, "note": STRING}, required=["quote_fen"]),
    responses=_ACTION_RESPONSES,
)
@token_required
def quote_request(request_id: int, actor):
    body = json_body()
    r = reqs.quote(
        reqs.get_visible(request_id, actor),
        actor=actor,
        quote_fen=_int_or_raw(body, "quote_fen"),
        quote_days=_int_or_raw(body, "quote_days"),
        note=_str(body, "note"),
    )
    return request_json(r)


@bp.post("/service-requests/<int:request_id>/accept")
@describe("The requester accepts the quote.", tags=TAGS, responses=_ACTION_RESPONSES)
@token_required
def accept_request(request_id: int, actor):
    return request_json(reqs.accept(reqs.get_visible(request_id, actor), actor=actor))


@bp.post("/service-requests/<int:request_id>/complete")
@describe("The provider marks the accepted service completed.", tags=TAGS, responses=_ACTION_RESPONSES)
@token_required
def complete_request(request_id: int, actor):
    return request_json(reqs.complete(reqs.get_visible(request_id, actor), actor=actor))


@bp.post("/service-requests/<int:request_id>/decline")
@describe(
    "The provider declines, with a `reason`.",
    tags=TAGS,
    body=obj({"reason": STRING}, ["reason"]),
    responses=_ACTION_RESPONSES,
)
@token_required
def decline_request(request_id: int, actor):
    r = reqs.decline(reqs.get_visible(request_id, actor), actor=actor, reason=_str(json_body(), "reason"))
    return request_json(r)


@bp.post("/service-requests/<int:request_id>/cancel")
@describe(
    "The requester cancels before accepting; optional `reason`.",
    tags=TAGS,
    body=obj({"reason": STRING}),
    responses=_ACTION_RESPONSES,
)
@token_required
def cancel_request(request_id: int, actor):
    body = request.get_json(silent=True) or {}
    reason = body.get("reason") if isinstance(body, dict) and isinstance(body.get("reason"), str) else None
    return request_json(reqs.cancel(reqs.get_visible(request_id, actor), actor=actor, reason=reason))


@bp.post("/service-requests/<int:request_id>/rate")
@describe(
    "The requester rates a completed request, once: `rating` 1-5 and a `comment`.",
    tags=TAGS,
    body=obj({"rating": INTEGER, "comment": STRING}, ["rating", "comment"]),
    responses={**_ACTION_RESPONSES, 409: "Not completed, or already rated"},
)
@token_required
def rate_request(request_id: int, actor):
    body = json_body()
    r = reqs.rate(
        reqs.get_visible(request_id, actor),
        actor=actor,
        rating=_int_or_raw(body, "rating"),
        comment=_str(body, "comment"),
    )
    return request_json(r)


@bp.post("/service-requests/<int:request_id>/messages")
@describe(
    "Add a message to the request's thread (either side): `body`.",
    tags=TAGS,
    body=obj({"body": STRING}, ["body"]),
    responses={201: "The message", 404: "Not found", 422: "Empty message"},
)
@token_required
def post_message(request_id: int, actor):
    m = reqs.post_message(reqs.get_visible(request_id, actor), actor=actor, body=_str(json_body(), "body"))
    return {"id": m.id, "side": m.side, "body": m.body, "at": _iso(m.created_at)}, 201


from . import api_evaluations  # noqa: E402, F401 - its endpoints are on this blueprint
