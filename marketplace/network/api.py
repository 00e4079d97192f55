"""API endpoints of the docking network, events, technology managers and plan
periods (../shared/API.md); nested under /api/v1."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, request
from flask_babel import lazy_gettext as _l

from ..accounts.apiauth import token_optional, token_required
from ..accounts.models import Organization
from ..core.apidocs import BOOLEAN, DATE, DATETIME, INTEGER, PAGE_PARAMS, STRING, describe, obj
from ..core.errors import NotFound, ValidationError
from ..core.idempotency import idempotent
from ..core.jsonbody import json_body
from ..core.pagination import paginate, read_page_args
from ..extensions import db
from ..listings.models import Demand, Listing
from ..listings.permissions import can_view_listing
from . import events as event_services
from . import nodes as node_services
from . import permissions, queue, stats
from .models import DockingEvent, Node, NodeOperator
from .states import EventKind, FollowUpKind, NodeLevel, OutcomeKind

bp = Blueprint("network", __name__)

_STRINGS = {"type": "array", "items": STRING}


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def node_json(node: Node, counts: dict | None = None) -> dict[str, Any]:
    return {
        "slug": node.slug,
        "name": node.name,
        "name_en": node.name_en,
        "level": node.level,
        "region": node.region_code,
        "parent_slug": node.parent.slug if node.parent else None,
        "org_id": node.org_id,
        "institution_org_ids": list(node.institution_org_ids or []),
        "industries": list(node.industries or []),
        "contacts": node.contacts,
        "counts": counts or {},
    }


def _node(slug: str) -> Node:
    return node_services.node_by_slug(slug)


@bp.get("/nodes")
@describe(
    "The nodes of the docking network: the provincial core node, the regional nodes and the professional nodes.",
    tags=["network"],
    auth="optional",
    params=[
        {"name": "level", "in": "query", "schema": {"type": "string", "enum": [lv.value for lv in NodeLevel]}}
    ],
    responses={200: "{items: [node]}", 422: "Unknown level"},
)
@token_optional
def list_nodes(actor):
    level = request.args.get("level") or None
    if level is not None and level not in {lv.value for lv in NodeLevel}:
        raise ValidationError(fields={"level": [_l("Unknown level.")]})
    nodes = [n for n in node_services.all_nodes() if level is None or n.level == level]
    counts = stats.node_counts([n.id for n in nodes])
    items = [node_json(n, counts.get(n.id)) for n in nodes]
    return {"items": items, "total": len(items), "page": 1, "per_page": len(items)}


@bp.get("/nodes/<slug>")
@describe(
    "A node with its statistics by month (Beijing time) for the last 12 months: listings, demands, matches "
    "followed up, follow-ups, events, offers, contracts and registered turnover (fen).",
    tags=["network"],
    auth="optional",
    responses={200: "The node with `statistics`", 404: "No such node"},
)
@token_optional
def get_node(slug: str, actor):
    node = _node(slug)
    return {**node_json(node), "description": node.description, "statistics": stats.node_monthly(node)}


@bp.post("/nodes")
@describe(
    "The core node creates a professional node: `slug`, `name`, `org_id` (the organization running it), "
    "`institution_org_ids` and `industries` (what belongs to it).",
    tags=["network"],
    body=obj(
        {
            "slug": STRING,
            "name": STRING,
            "name_en": STRING,
            "org_id": INTEGER,
            "institution_org_ids": {"type": "array", "items": INTEGER},
            "industries": _STRINGS,
            "description": STRING,
            "contacts": STRING,
        },
        required=["slug", "name", "org_id"],
    ),
    responses={201: "The node", 403: "Not the core node", 409: "Address taken", 422: "Fields invalid"},
    idempotent=True,
)
@token_required
@idempotent
def create_node_api(actor):
    body = json_body()
    errors: dict[str, list] = {}
    org_id = _int(body, "org_id", errors)
    ids = body.get("institution_org_ids") or []
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        errors["institution_org_ids"] = [_l("Enter a list of organization ids.")]
        ids = []
    data = {
        "slug": _str(body, "slug", errors),
        "name": _str(body, "name", errors),
        "name_en": _str(body, "name_en", errors),
        "industries": _strings(body, "industries", errors),
        "description": _str(body, "description", errors),
        "contacts": _str(body, "contacts", errors),
    }
    if errors:
        raise ValidationError(fields=errors)
    org = db.session.get(Organization, org_id) if org_id is not None else None
    node = node_services.create_professional_node(org=org, institution_org_ids=ids, actor=actor, **data)
    return node_json(node), 201


def _operator_json(row: NodeOperator) -> dict[str, Any]:
    return {"id": row.id, "node_slug": row.node.slug, "user_id": row.user_id, "status": row.status}


@bp.post("/nodes/<slug>/operators")
@describe(
    "A person of the node's organization asks to operate it; the node above decides.",
    tags=["network"],
    responses={
        201: "The request (pending)",
        403: "Not of the node's organization",
        404: "No such node",
        409: "Already asked",
    },
)
@token_required
def apply_operator_api(slug: str, actor):
    row = node_services.apply_as_operator(_node(slug), actor=actor)
    return _operator_json(row), 201


@bp.post("/operators/<int:operator_id>/decision")
@describe(
    'The node above approves (`{"approve": true}`) or revokes an operator.',
    tags=["network"],
    body=obj({"approve": BOOLEAN}, required=["approve"]),
    responses={
        200: "The operator",
        404: "No such request, or not yours to decide",
        409: "Already decided",
        422: "Fields invalid",
    },
)
@token_required
def decide_operator_api(operator_id: int, actor):
    row = db.session.get(NodeOperator, operator_id)
    if row is None or not permissions.can_approve_operator(actor, row.node):
        raise NotFound()
    approve = json_body().get("approve")
    if not isinstance(approve, bool):
        raise ValidationError(fields={"approve": [_l("Enter true or false.")]})
    node_services.decide_operator(row, approve=approve, actor=actor)
    return _operator_json(row)


def _pair_json(view: queue.PairView) -> dict[str, Any]:
    return {
        "demand_id": view.demand.id,
        "demand_title": view.demand.title,
        "listing_id": view.listing.id,
        "listing_title": view.listing.title,
        "score": view.score,
        "state": view.state,
        "last_follow_up": _follow_up_json(view.last) if view.last else None,
        "offer_ids": [o.id for o in view.offers],
        "contract_ids": [o.contract_id for o in view.offers if o.contract_id],
    }


def _follow_up_json(row) -> dict[str, Any]:
    return {
        "id": row.id,
        "node_slug": row.node.slug,
        "demand_id": row.demand_id,
        "listing_id": row.listing_id,
        "kind": row.kind,
        "note": row.note,
        "next_step_on": _iso(row.next_step_on),
        "score": row.score,
        "by": row.actor.name,
        "at": _iso(row.created_at),
    }


@bp.get("/nodes/<slug>/queue")
@describe(
    "A node operator's queue: open demands without a good match (score below 45), matches scoring 45 or more "
    "not followed up or raised again, live offers on the node's listings stalled for more than 14 days.",
    tags=["network"],
    responses={
        200: "{unmatched_demands, matches, followed, stalled_offers}",
        404: "No such node, or not an operator",
    },
)
@token_required
def node_queue_api(slug: str, actor):
    node = _node(slug)
    if not permissions.can_operate(actor, node):
        raise NotFound()
    q = queue.node_queue(node)
    return {
        "node_slug": node.slug,
        "unmatched_demands": [
            {"id": d.id, "title": d.title, "industry": d.industry} for d in q.unmatched_demands
        ],
        "matches": [_pair_json(v) for v in q.matches],
        "followed": [_pair_json(v) for v in q.followed],
        "stalled_offers": [
            {
                "id": o.id,
                "listing_id": o.listing_id,
                "status": o.status,
                "last_activity_at": _iso(o.updated_at),
            }
            for o in q.stalled_offers
        ],
    }


def _date(value, name: str, errors: dict) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[name] = [_l("Enter a date as YYYY-MM-DD.")]
        return None


def _datetime(value, name: str, errors: dict) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        errors[name] = [_l("Enter a time in ISO 8601 with its offset, such as 2027-03-01T09:00:00+08:00.")]
        return None
    return parsed


def _str(body: dict, name: str, errors: dict) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[name] = [_l("Enter text.")]
        return ""
    return value


def _int(body: dict, name: str, errors: dict) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        errors[name] = [_l("Enter a whole number.")]
        return None
    return value


def _strings(body: dict, name: str, errors: dict) -> list[str]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors[name] = [_l("Enter a list of codes.")]
        return []
    return value


@bp.post("/matches/<int:demand_id>/<int:listing_id>/follow-ups")
@describe(
    "A node operator records a follow-up of a match: `call`, `meeting`, `intent`, `no_interest`, or `pushed` "
    "(the buyer and the seller are notified with the note). `node_slug` picks the node when the operator runs "
    "several; `next_step_on` keeps the match from being raised again until that day.",
    tags=["network"],
    body=obj(
        {
            "kind": {"type": "string", "enum": [k.value for k in FollowUpKind]},
            "note": STRING,
            "next_step_on": DATE,
            "node_slug": STRING,
        },
        required=["kind"],
    ),
    responses={
        201: "The follow-up",
        404: "No such pair, or not in a node you operate",
        422: "Fields invalid",
    },
    idempotent=True,
)
@token_required
@idempotent
def create_follow_up(demand_id: int, listing_id: int, actor):
    demand = db.session.get(Demand, demand_id)
    listing = db.session.get(Listing, listing_id)
    if demand is None or listing is None or not can_view_listing(actor, listing):
        raise NotFound()
    body = json_body()
    errors: dict[str, list] = {}
    kind = _str(body, "kind", errors)
    note = _str(body, "note", errors)
    slug = _str(body, "node_slug", errors) or None
    next_step = _date(body.get("next_step_on"), "next_step_on", errors)
    node = queue.node_for_pair(actor, demand, listing, slug)
    if errors:
        raise ValidationError(fields=errors)
    row = queue.record_follow_up(
        node, demand, listing, kind=kind, note=note, next_step_on=next_step, actor=actor
    )
    return _follow_up_json(row), 201


def event_json(ev: DockingEvent, *, detail: bool = False) -> dict[str, Any]:
    out = {
        "id": ev.id,
        "node_slug": ev.node.slug,
        "kind": ev.kind,
        "title": ev.title,
        "description": ev.description,
        "starts_at": _iso(ev.starts_at),
        "ends_at": _iso(ev.ends_at),
        "place": ev.place,
        "online_url": ev.online_url,
        "capacity": ev.capacity,
        "registered": ev.registered,
        "seats_left": ev.seats_left,
        "industries": list(ev.industries or []),
        "status": ev.status,
    }
    if detail:
        out["pitches"] = [
            {"listing_id": li.id, "title": li.title, "enrolled_at": _iso(p.created_at)}
            for p, li in event_services.pitches_of(ev)
        ]
        out["outcomes"] = [
            {
                "kind": o.kind,
                "note": o.note,
                "listing_id": o.listing_id,
                "offer_id": o.offer_id,
                "contract_id": o.contract_id,
                "at": _iso(o.created_at),
            }
            for o in event_services.outcomes_of(ev)
        ]
    return out


@bp.get("/events")
@describe(
    "Docking events and roadshows, upcoming first (`when=upcoming`, the default) or past (`when=past`); "
    "`node_slug` for one node's.",
    tags=["network"],
    auth="optional",
    params=PAGE_PARAMS
    + [
        {"name": "when", "in": "query", "schema": {"type": "string", "enum": ["upcoming", "past"]}},
        {"name": "node_slug", "in": "query", "schema": STRING},
    ],
    responses={200: "A page of events", 404: "No such node", 422: "Bad filter"},
)
@token_optional
def list_events(actor):
    page_no, per_page = read_page_args(request.args)
    when = request.args.get("when") or "upcoming"
    if when not in ("upcoming", "past"):
        raise ValidationError(fields={"when": [_l("Choose upcoming or past.")]})
    slug = request.args.get("node_slug")
    node = _node(slug) if slug else None
    page = paginate(event_services.events_of(node, upcoming=when == "upcoming"), page_no, per_page)
    return page.to_dict(event_json)


EVENT_BODY = obj(
    {
        "node_slug": STRING,
        "kind": {"type": "string", "enum": [k.value for k in EventKind]},
        "title": STRING,
        "description": STRING,
        "starts_at": DATETIME,
        "ends_at": DATETIME,
        "place": STRING,
        "online_url": STRING,
        "capacity": INTEGER,
        "industries": _STRINGS,
    },
    required=["node_slug", "title", "starts_at", "ends_at", "capacity"],
)


@bp.post("/events")
@describe(
    "A node operator creates a docking event or roadshow (`kind` defaults to docking): a place, an online "
    "link or both, a capacity in seats, the industries it is about.",
    tags=["network"],
    body=EVENT_BODY,
    responses={201: "The event", 404: "No such node, or not an operator", 422: "Fields invalid"},
    idempotent=True,
)
@token_required
@idempotent
def create_event_api(actor):
    body = json_body()
    errors: dict[str, list] = {}
    slug = _str(body, "node_slug", errors)
    if not slug:
        raise ValidationError(fields={"node_slug": [_l("Name the node.")]})
    node = _node(slug)
    if not permissions.can_operate(actor, node):
        raise NotFound()
    data = {
        "kind": _str(body, "kind", errors) or EventKind.DOCKING.value,
        "title": _str(body, "title", errors),
        "description": _str(body, "description", errors),
        "starts_at": _datetime(body.get("starts_at"), "starts_at", errors),
        "ends_at": _datetime(body.get("ends_at"), "ends_at", errors),
        "place": _str(body, "place", errors),
        "online_url": _str(body, "online_url", errors),
        "capacity": _int(body, "capacity", errors),
        "industries": _strings(body, "industries", errors),
    }
    if errors:
        raise ValidationError(fields=errors)
    ev = event_services.create_event(node, actor=actor, **data)
    return event_json(ev, detail=True), 201


def _event(event_id: int) -> DockingEvent:
    ev = db.session.get(DockingEvent, event_id)
    if ev is None:
        raise NotFound()
    return ev


@bp.post("/events/<int:event_id>/status")
@describe(
    "A node operator marks the event `held` or `cancelled`.",
    tags=["network"],
    body=obj({"status": {"type": "string", "enum": ["held", "cancelled"]}}, required=["status"]),
    responses={
        200: "The event",
        404: "No such event, or not an operator",
        409: "Already held or cancelled",
        422: "Unknown status",
    },
)
@token_required
def set_event_status(event_id: int, actor):
    ev = _event(event_id)
    if not permissions.can_operate(actor, ev.node):
        raise NotFound()
    errors: dict[str, list] = {}
    status = _str(json_body(), "status", errors)
    if errors:
        raise ValidationError(fields=errors)
    event_services.set_status(ev, status, actor=actor)
    return event_json(ev, detail=True)


@bp.get("/events/<int:event_id>")
@describe(
    "An event with its pitches and outcomes.",
    tags=["network"],
    auth="optional",
    responses={200: "The event", 404: "No such event"},
)
@token_optional
def get_event_api(event_id: int, actor):
    return event_json(_event(event_id), detail=True)


@bp.post("/events/<int:event_id>/registrations")
@describe(
    "Register the caller to attend: one seat while seats are left.",
    tags=["network"],
    responses={201: "The registration", 404: "No such event", 409: "Full, closed, or already registered"},
)
@token_required
def register_for_event(event_id: int, actor):
    row = event_services.register(_event(event_id), actor=actor)
    ev = _event(event_id)
    return {
        "event_id": ev.id,
        "user_id": row.user_id,
        "registered": ev.registered,
        "seats_left": ev.seats_left,
    }, 201


@bp.post("/events/<int:event_id>/pitches")
@describe(
    "The listing's seller side (or its agency) enrols a published listing to pitch at the event.",
    tags=["network"],
    body=obj({"listing_id": INTEGER}, required=["listing_id"]),
    responses={
        201: "The pitch",
        403: "Not the listing's seller side",
        404: "No such event or listing",
        409: "Already enrolled or event over",
        422: "Not published",
    },
)
@token_required
def pitch_at_event(event_id: int, actor):
    ev = _event(event_id)
    errors: dict[str, list] = {}
    listing_id = _int(json_body(), "listing_id", errors)
    if errors or listing_id is None:
        raise ValidationError(fields=errors or {"listing_id": [_l("Name the listing.")]})
    listing = db.session.get(Listing, listing_id)
    if listing is None or not can_view_listing(actor, listing):
        raise NotFound()
    row = event_services.enrol_pitch(ev, listing, actor=actor)
    return {"event_id": ev.id, "listing_id": row.listing_id, "enrolled_at": _iso(row.created_at)}, 201


@bp.post("/events/<int:event_id>/outcomes")
@describe(
    "A node operator records an outcome of the event: an intent agreement (with a note), or an offer or a "
    "contract that came of it.",
    tags=["network"],
    body=obj(
        {
            "kind": {"type": "string", "enum": [k.value for k in OutcomeKind]},
            "note": STRING,
            "listing_id": INTEGER,
            "offer_id": INTEGER,
            "contract_id": INTEGER,
        },
        required=["kind"],
    ),
    responses={
        201: "The outcome",
        404: "No such event, or not an operator",
        409: "Cancelled",
        422: "Fields invalid",
    },
)
@token_required
def record_event_outcome(event_id: int, actor):
    ev = _event(event_id)
    if not permissions.can_operate(actor, ev.node):
        raise NotFound()
    body = json_body()
    errors: dict[str, list] = {}
    data = {
        "kind": _str(body, "kind", errors),
        "note": _str(body, "note", errors),
        "listing_id": _int(body, "listing_id", errors),
        "offer_id": _int(body, "offer_id", errors),
        "contract_id": _int(body, "contract_id", errors),
    }
    if errors:
        raise ValidationError(fields=errors)
    row = event_services.record_outcome(ev, actor=actor, **data)
    return {
        "id": row.id,
        "kind": row.kind,
        "note": row.note,
        "offer_id": row.offer_id,
        "contract_id": row.contract_id,
    }, 201


from . import api_people  # noqa: E402, F401 - managers and plans, on the same blueprint
from .api_people import plan_targets  # noqa: E402, F401 - plugged into ledger.ports.plan_targets
