"""API endpoints of the listings domain (added to the shared /api/v1 blueprint)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.apiauth import token_optional, token_required
from ..core.apidocs import DATE, FEN, INTEGER, PAGE_PARAMS, STRING, describe, obj
from ..core.catalog import INDUSTRIES
from ..core.errors import NotFound, PermissionDenied, ValidationError
from ..core.idempotency import idempotent
from ..core.jsonbody import json_body, validate_json
from ..core.pagination import paginate, read_page_args
from ..extensions import db
from ..search.backend import FACET_KEYS
from ..search.service import check_search_args, search_listings
from . import permissions, ports, services
from .forms import DemandForm, ListingForm
from .matching import matches_for_demand
from .models import Demand, Listing

bp = Blueprint("listings", __name__)

TERMS_SCHEMA = obj(
    {
        "deal_kind": {"type": "string", "enum": ["license", "transfer", "equity"]},
        "license_type": {"type": "string", "enum": ["exclusive", "sole", "non_exclusive"]},
        "field_of_use": STRING,
        "territory": STRING,
        "term_months": INTEGER,
        "upfront_fen": FEN,
        "royalty_bp": {"type": "integer", "description": "basis points, 100 = 1 %"},
        "price_fen": FEN,
        "valuation_fen": FEN,
        "equity_share_bp": {"type": "integer", "description": "basis points, 100 = 1 %"},
        "company": STRING,
    },
    required=["deal_kind"],
)
LISTING_BODY = obj(
    {
        "asset_ids": {"type": "array", "items": INTEGER},
        "title_zh": STRING,
        "title_en": STRING,
        "abstract_zh": STRING,
        "abstract_en": STRING,
        "keywords": {"type": "array", "items": STRING},
        "problem": STRING,
        "comparison": {"type": "string", "description": "quantified: must contain at least one figure"},
        "price_fen": {"type": ["integer", "null"], "description": "asking price in fen; null = negotiable"},
        "deal_terms": {"type": "array", "items": TERMS_SCHEMA},
        "agency_org_id": {"type": ["integer", "null"]},
    },
    required=["asset_ids", "deal_terms"],
)
DEMAND_BODY = obj(
    {
        "title": STRING,
        "description": STRING,
        "industry": STRING,
        "budget_fen": FEN,
        "deadline": DATE,
    },
    required=["title", "description", "industry"],
)
SEARCH_PARAMS = [
    {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200}},
    *[
        {
            "name": key,
            "in": "query",
            "description": "one or more values (repeat the parameter or separate with commas)",
            "schema": {"type": "string"},
        }
        for key in FACET_KEYS
    ],
    {"name": "min_price_fen", "in": "query", "schema": {"type": "integer", "minimum": 0}},
    {"name": "max_price_fen", "in": "query", "schema": {"type": "integer", "minimum": 0}},
    *[
        {
            "name": name,
            "in": "query",
            "description": f"in yuan (the web page's form), when {name}_fen is not given",
            "schema": {"type": "string"},
        }
        for name in ("min_price", "max_price")
    ],
    {
        "name": "sort",
        "in": "query",
        "schema": {"type": "string", "enum": ["relevance", "newest", "price_asc", "price_desc"]},
    },
    *PAGE_PARAMS,
]


def _time(value) -> str | None:
    return value.isoformat() if value is not None else None


def _trls(listings) -> dict[int, int | None]:
    """The technology readiness level of each listing (from its assets' evaluations), in one question."""
    return ports.trl_by_listing({listing.id: listing.asset_ids for listing in listings})


def listing_json(listing: Listing, user=None, trls: dict[int, int | None] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": listing.id,
        "status": listing.status,
        "org_id": listing.org_id,
        "org_name": listing.organization.name,
        "asset_ids": listing.asset_ids,
        "title_zh": listing.title_zh,
        "title_en": listing.title_en,
        "abstract_zh": listing.abstract_zh,
        "abstract_en": listing.abstract_en,
        "keywords": list(listing.keywords or []),
        "problem": listing.problem,
        "comparison": listing.comparison,
        "price_fen": listing.price_fen,
        "deal_terms": services.offered_terms(listing),
        "agency_org_id": listing.agency_org_id,
        "industry": listing.industry,
        "ip_kind": listing.ip_kind,
        "ip_kinds": listing.ip_kinds,
        "source_kind": listing.source_kind,
        "region": listing.region_code,
        "maturity": listing.maturity,
        "trl": (trls if trls is not None else _trls([listing])).get(listing.id),
        "published_at": _time(listing.published_at),
        "created_at": _time(listing.created_at),
        "updated_at": _time(listing.updated_at),
    }
    data["consents_required"] = bool(services.consent_org_ids(listing))
    data["consents"] = [
        {"org_id": c.org_id, "org_name": c.organization.name, "given_at": _time(c.given_at)}
        for c in listing.consents
    ]
    data["consents_missing"] = [
        {"org_id": o.id, "org_name": o.name} for o in services.missing_consent_orgs(listing)
    ]
    if user is not None and (
        permissions.is_member(user, listing.org_id) or permissions.is_reviewer(user, listing)
    ):
        data["return_reason"] = listing.return_reason
        data["submitted_at"] = _time(listing.submitted_at)
    return data


def demand_json(demand: Demand) -> dict[str, Any]:
    return {
        "id": demand.id,
        "status": demand.status,
        "org_id": demand.org_id,
        "org_name": demand.organization.name,
        "title": demand.title,
        "description": demand.description,
        "industry": demand.industry,
        "budget_fen": demand.budget_fen,
        "deadline": demand.deadline.isoformat() if demand.deadline else None,
        "created_at": _time(demand.created_at),
    }


def _listing_or_404(listing_id: int, actor) -> Listing:
    listing = db.session.get(Listing, listing_id)
    if listing is None or not permissions.can_view_listing(actor, listing):
        raise NotFound()
    return listing


def _demand_or_404(demand_id: int, actor) -> Demand:
    demand = db.session.get(Demand, demand_id)
    if demand is None or not permissions.can_view_demand(actor, demand):
        raise NotFound()
    return demand


def _editable_body(listing: Listing) -> dict[str, Any]:
    current = listing_json(listing)
    keys = ("asset_ids", "title_zh", "title_en", "abstract_zh", "abstract_en", "keywords", "problem",
            "comparison", "price_fen", "deal_terms", "agency_org_id")  # fmt: skip
    return {k: current[k] for k in keys}


@bp.get("/listings")
@describe(
    "Search published listings: free text in Chinese and English, filters, facet counts, sorting. "
    "Unknown filter values, negative prices and out-of-range paging answer 422; a page past the end is empty.",
    tags=["listings"],
    auth="optional",
    params=SEARCH_PARAMS,
    responses={
        200: "items (with highlights: HTML, matches in <mark>), total, page, per_page, facets",
        422: "Bad parameters",
    },
)
@token_optional
def search(actor):
    params = check_search_args(request.args)
    page = search_listings(params)
    items = []
    trls = _trls([item.listing for item in page.items])
    for item in page.items:
        data = listing_json(item.listing, trls=trls)
        data["highlights"] = dict(item.hit.highlights)
        data["score"] = round(item.hit.score, 4)
        items.append(data)
    return {
        "items": items,
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "facets": page.facets,
    }


@bp.get("/listings/mine")
@describe(
    "The listings of the caller's organization, in every state, newest first.",
    tags=["listings"],
    params=PAGE_PARAMS,
)
@token_required
def my_listings(actor):
    page, per_page = read_page_args(request.args)
    stmt = select(Listing).where(Listing.org_id == actor.organization_id).order_by(Listing.id.desc())
    if not actor.has_powers:
        stmt = stmt.where(Listing.id.is_(None))
    result = paginate(stmt, page, per_page)
    trls = _trls(result.items)
    return result.to_dict(lambda listing: listing_json(listing, actor, trls))


@bp.post("/listings")
@describe(
    "Create a draft listing for the caller's organization (sellers).",
    tags=["listings"],
    body=LISTING_BODY,
    responses={201: "The draft", 403: "Not a seller", 422: "Fields invalid"},
    idempotent=True,
)
@token_required
@idempotent
def create_listing(actor):
    if not permissions.can_create_listing(actor):
        raise PermissionDenied()
    form = validate_json(ListingForm)
    listing = services.create_listing(form.to_data(), actor=actor)
    return listing_json(listing, actor), 201


@bp.get("/listings/<int:listing_id>")
@describe("A listing: published ones for anyone, others for their seller, agency and reviewers.",
          tags=["listings"], auth="optional", responses={404: "No such listing, or not visible"})  # fmt: skip
@token_optional
def get_listing(listing_id: int, actor):
    return listing_json(_listing_or_404(listing_id, actor), actor)


@bp.patch("/listings/<int:listing_id>")
@describe(
    "Change a draft or returned listing (the seller); fields left out keep their value.",
    tags=["listings"],
    body=LISTING_BODY,
    responses={403: "Not allowed or not editable", 404: "Not found", 422: "Fields invalid"},
)
@token_required
def patch_listing(listing_id: int, actor):
    listing = _listing_or_404(listing_id, actor)
    if not permissions.can_edit_listing(actor, listing):
        raise PermissionDenied()
    body = _editable_body(listing)
    body.update(json_body())
    form = validate_json(ListingForm, body)
    services.update_listing(listing, form.to_data(), actor=actor)
    return listing_json(listing, actor)


def _lifecycle(listing_id: int, actor, action):
    listing = _listing_or_404(listing_id, actor)
    action(listing)
    return listing_json(listing, actor)


@bp.post("/listings/<int:listing_id>/submit")
@describe("Send a draft or returned listing for review (the seller).", tags=["listings"],
          responses={409: "Not possible in this state", 422: "Listing incomplete"})  # fmt: skip
@token_required
def submit_listing(listing_id: int, actor):
    return _lifecycle(listing_id, actor, lambda listing: services.submit_listing(listing, actor=actor))


@bp.post("/listings/<int:listing_id>/publish")
@describe("Publish a submitted listing (its agency, any agency when it names none, or an admin).",
          tags=["listings"], responses={403: "Not a reviewer", 409: "Not submitted"})  # fmt: skip
@token_required
def publish_listing(listing_id: int, actor):
    return _lifecycle(listing_id, actor, lambda listing: services.publish_listing(listing, actor=actor))


@bp.post("/listings/<int:listing_id>/return")
@describe(
    "Return a submitted listing to the seller with a reason (reviewers).",
    tags=["listings"],
    body=obj({"reason": STRING}, required=["reason"]),
    responses={403: "Not a reviewer", 409: "Not submitted", 422: "No reason"},
)
@token_required
def return_listing(listing_id: int, actor):
    body = json_body()
    reason = body.get("reason")
    reason = reason if isinstance(reason, str) else ""
    return _lifecycle(
        listing_id, actor, lambda listing: services.return_listing(listing, reason=reason, actor=actor)
    )


@bp.post("/listings/<int:listing_id>/withdraw")
@describe("Withdraw a listing for good (the seller or an admin).", tags=["listings"],
          responses={409: "Already closed or withdrawn"})  # fmt: skip
@token_required
def withdraw_listing(listing_id: int, actor):
    return _lifecycle(listing_id, actor, lambda listing: services.withdraw_listing(listing, actor=actor))


_WITHDRAW_CONSENT_RESPONSES = {
    403: "Not a seller of another owner organization",
    404: "Not found",
    409: "No consent given, or an offer was accepted",
}


@bp.post("/listings/<int:listing_id>/consents")
@describe(
    "Consent, for your organization, to a listing that transfers, contributes as equity or licenses "
    "exclusively (or solely) an asset it co-owns (a seller of another owner organization).",
    tags=["listings"],
    responses={
        403: "Not a seller of another owner organization",
        404: "Not found",
        409: "Listing closed, or no consent of this organization needed",
    },
)
@token_required
def give_consent(listing_id: int, actor):
    return _lifecycle(listing_id, actor, lambda listing: services.give_consent(listing, actor=actor))


@bp.delete("/listings/<int:listing_id>/consents")
@describe(
    "Withdraw your organization's consent to a listing, until an offer on it is accepted.",
    tags=["listings"],
    responses=_WITHDRAW_CONSENT_RESPONSES,
)
@token_required
def withdraw_consent(listing_id: int, actor):
    return _lifecycle(listing_id, actor, lambda listing: services.withdraw_consent(listing, actor=actor))


@bp.post("/listings/<int:listing_id>/consents/withdraw")
@describe(
    "Withdraw your organization's consent to a listing (as DELETE on the consents).",
    tags=["listings"],
    responses=_WITHDRAW_CONSENT_RESPONSES,
)
@token_required
def withdraw_consent_post(listing_id: int, actor):
    return _lifecycle(listing_id, actor, lambda listing: services.withdraw_consent(listing, actor=actor))


@bp.get("/demands")
@describe("Open demands, newest first; `industry` filters.", tags=["demands"], auth="optional",
          params=[{"name": "industry", "in": "query", "schema": STRING}, *PAGE_PARAMS])  # fmt: skip
@token_optional
def list_demands(actor):
    page, per_page = read_page_args(request.args)
    stmt = select(Demand).where(Demand.status == "open").order_by(Demand.created_at.desc(), Demand.id.desc())
    industry = request.args.get("industry")
    if industry:
        if industry not in INDUSTRIES:
            raise ValidationError(
                fields={"industry": [_l("Unknown value(s): %(values)s.", values=industry[:40])]}
            )
        stmt = stmt.where(Demand.industry == industry)
    return paginate(stmt, page, per_page).to_dict(demand_json)


@bp.post("/demands")
@describe(
    "Post a demand (buyers). Sellers of matching listings are notified.",
    tags=["demands"],
    body=DEMAND_BODY,
    responses={201: "The demand", 403: "Not a buyer", 422: "Fields invalid"},
    idempotent=True,
)
@token_required
@idempotent
def create_demand(actor):
    if not permissions.can_post_demand(actor):
        raise PermissionDenied()
    form = validate_json(DemandForm)
    demand = services.create_demand(form.to_data(), actor=actor)
    return demand_json(demand), 201


@bp.get("/demands/<int:demand_id>")
@describe("A demand: open ones for anyone, closed ones for their organization.", tags=["demands"],
          auth="optional", responses={404: "No such demand, or not visible"})  # fmt: skip
@token_optional
def get_demand(demand_id: int, actor):
    return demand_json(_demand_or_404(demand_id, actor))


@bp.get("/demands/<int:demand_id>/matches")
@describe(
    "Published listings matching the demand, best first, each with its score (0-100) "
    "(the demand's organization and admins).",
    tags=["demands"],
    responses={200: "items: [{score, listing}]", 404: "Not found or not yours"},
)
@token_required
def demand_matches(demand_id: int, actor):
    demand = _demand_or_404(demand_id, actor)
    if not permissions.can_see_demand_matches(actor, demand):
        raise NotFound()
    matches = matches_for_demand(demand)
    return {
        "items": [{"score": m.score, "listing": listing_json(m.listing)} for m in matches],
        "total": len(matches),
    }


@bp.post("/demands/<int:demand_id>/close")
@describe("Close an open demand (its buyer or an admin).", tags=["demands"],
          responses={403: "Not allowed", 409: "Already closed"})  # fmt: skip
@token_required
def close_demand(demand_id: int, actor):
    demand = _demand_or_404(demand_id, actor)
    if not permissions.can_see_demand_matches(actor, demand):
        raise NotFound()
    services.close_demand(demand, actor=actor)
    return demand_json(demand)
