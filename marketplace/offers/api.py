"""API endpoints of negotiation and brokerage (added to the shared /api/v1 blueprint)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask_babel import lazy_gettext as _l

from ..accounts.apiauth import token_required
from ..core.apidocs import BOOLEAN, DATE, INTEGER, PAGE_PARAMS, STRING, describe, obj
from ..core.dbsetup import write_transaction, writes_on_read
from ..core.errors import NotFound, ValidationError
from ..core.idempotency import idempotent
from ..core.jsonbody import json_body, validate_json
from ..core.pagination import paginate, read_page_args
from ..extensions import db
from ..listings.api import TERMS_SCHEMA
from ..listings.models import Listing
from ..listings.permissions import can_view_listing
from . import permissions, services
from .forms import CounterForm, MandateForm, OfferForm
from .models import Mandate, Offer, OfferMessage
from .states import OFFER_STATUS_LABELS

bp = Blueprint("offers", __name__)

OFFER_BODY = obj(
    {
        "terms": TERMS_SCHEMA,
        "expires_on": {**DATE, "description": "the last day the offer stands (default: in 30 days)"},
        "anonymous": {**BOOLEAN, "description": "hide the buyer's name from the seller until acceptance"},
        "message": STRING,
        "client_org_id": {**INTEGER, "description": "agencies: the client (buyer) under a mandate in force"},
    },
    required=["terms"],
)
COUNTER_BODY = obj({"terms": TERMS_SCHEMA, "expires_on": DATE}, required=["terms"])
MESSAGE_BODY = obj(
    {"body": STRING},
    required=["body"],
)
MANDATE_BODY = obj(
    {
        "agency_org_id": INTEGER,
        "commission_bp": {"type": "integer", "description": "basis points of the deal's value, 100 = 1 %"},
        "valid_from": DATE,
        "valid_to": DATE,
        "scope": STRING,
    },
    required=["agency_org_id", "commission_bp", "valid_to"],
)
OFFER_ERRORS = {
    403: "Not this side's action, or the agency's mandate is not in force",
    404: "No such offer, or not yours",
    409: "Wrong state: expired, already accepted, not your turn, or excluded by another deal",
    422: "Terms invalid",
}


def _time(value) -> str | None:
    return value.isoformat() if value is not None else None


def _org(org, **extra) -> dict[str, Any] | None:
    if org is None:
        return None
    return {"org_id": org.id, "name": org.name, "kind": org.kind, "region": org.region_code, **extra}


def offer_json(offer: Offer, viewer) -> dict[str, Any]:
    """The offer as `viewer` may see it: an anonymous buyer's name and id stay hidden from the seller side."""
    sees_buyer = permissions.sees_buyer_name(viewer, offer)
    buyer = (
        _org(offer.buyer_org)
        if sees_buyer
        else {
            "org_id": None,
            "name": None,
            "kind": offer.buyer_org.kind,
            "region": offer.buyer_org.region_code,
        }
    )
    versions, previous = [], None
    for version in offer.versions:
        versions.append(
            {
                "number": version.number,
                "author_side": version.author_side,
                "author": services.author_display(offer, version.author_org_id, version.author_side, viewer),
                "terms": version.terms(),
                "expires_on": version.expires_on.isoformat(),
                "created_at": _time(version.created_at),
                "changed": sorted(services.changed_fields(previous, version)),
            }
        )
        previous = version
    agencies = {}
    for side, mandate in (("buyer", offer.buyer_mandate), ("seller", offer.seller_mandate)):
        if mandate is not None:
            agencies[side] = _org(mandate.agency, commission_bp=mandate.commission_bp, mandate_id=mandate.id)
    return {
        "id": offer.id,
        "listing_id": offer.listing_id,
        "listing_title": offer.listing.title,
        "status": offer.status,
        "status_label": offer.status_label,
        "turn": offer.turn if offer.is_live else None,
        "your_side": permissions.viewer_side(viewer, offer),
        "actions": [
            a for a in ("counter", "accept", "reject", "withdraw") if permissions.can_act(viewer, offer, a)
        ]
        + (["reveal"] if permissions.can_reveal(viewer, offer) else []),
        "anonymous": offer.anonymous,
        "revealed": offer.anonymous and offer.revealed_at is not None,
        "buyer": buyer,
        "seller": _org(offer.seller_org),
        "agencies": agencies,
        "terms": offer.latest.terms(),
        "expires_on": offer.expires_on.isoformat(),
        "versions": versions,
        "contract_id": offer.contract_id,
        "created_at": _time(offer.created_at),
        "updated_at": _time(offer.updated_at),
    }


def message_json(offer: Offer, message: OfferMessage, viewer, attachments=None) -> dict[str, Any]:
    """A message with its attachments (`attachments`: already loaded, else read here)."""
    return {
        "id": message.id,
        "author_side": message.author_side,
        "author": services.author_display(offer, message.author_org_id, message.author_side, viewer),
        "body": message.body,
        "created_at": _time(message.created_at),
        "attachments": [
            {
                "id": a.id,
                "name": services.attachment_display_name(offer, message, a, viewer),
                "content_type": a.content_type,
                "size": a.size,
                "url": f"/api/v1/offers/{offer.id}/attachments/{a.id}",
            }
            for a in (services.message_attachments(message) if attachments is None else attachments)
        ],
    }


def mandate_json(mandate: Mandate) -> dict[str, Any]:
    return {
        "id": mandate.id,
        "agency": _org(mandate.agency),
        "client": _org(mandate.client),
        "side": mandate.side,
        "commission_bp": mandate.commission_bp,
        "valid_from": mandate.valid_from.isoformat(),
        "valid_to": mandate.valid_to.isoformat(),
        "scope": mandate.scope,
        "status": mandate.status,
        "in_force": mandate.is_in_force(),
        "created_at": _time(mandate.created_at),
    }


def _offer_or_404(offer_id: int, actor) -> Offer:
    offer = db.session.get(Offer, offer_id)
    if offer is None or not permissions.can_view_offer(actor, offer):
        raise NotFound()
    if services.expiry_due(offer):
        # The expiry is a fact of its own, committed in a transaction of its own: it
        # stands whatever the request does next (a refused step rolls back only the step).
        with write_transaction():
            services.expire_if_due(offer)
    return offer


def _mandate_or_404(mandate_id: int, actor) -> Mandate:
    mandate = db.session.get(Mandate, mandate_id)
    if mandate is None or not permissions.can_view_mandate(actor, mandate):
        raise NotFound()
    return mandate


# --- offers -------------------------------------------------------------------------------------


@bp.post("/listings/<int:listing_id>/offers")
@describe(
    "Make an offer on a published listing (a buyer; or an agency for a client under a buyer mandate in "
    "force, with `client_org_id`). The terms must be for a deal kind the listing offers.",
    tags=["offers"],
    body=OFFER_BODY,
    responses={
        201: "The offer",
        403: "Not a buyer or agency",
        404: "No such listing",
        409: "Listing not open, own listing, an open negotiation exists, or the deal is excluded",
        422: "Terms, expiry or client invalid",
    },  # fmt: skip
    idempotent=True,
)
@token_required
@idempotent
def make_offer(listing_id: int, actor):
    listing = db.session.get(Listing, listing_id)
    if listing is None or not can_view_listing(actor, listing):
        raise NotFound()
    form = validate_json(OfferForm)
    offer = services.make_offer(
        listing,
        form.terms.form.to_input(),
        expires_on=form.expires_on.data or services.default_expiry(),
        anonymous=bool(form.anonymous.data),
        message=form.message.data,
        client_org_id=form.client_org_id.data,
        actor=actor,
    )
    return offer_json(offer, actor), 201


@bp.get("/offers")
@writes_on_read  # expires due negotiations before listing them
@describe(
    "The negotiations the caller takes part in (its organization's as buyer or seller, or brokered by its "
    "agency), most recently active first; `status` filters.",
    tags=["offers"],
    params=[
        {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(OFFER_STATUS_LABELS)}},
        *PAGE_PARAMS,
    ],  # fmt: skip
)
@token_required
def list_offers(actor):
    page, per_page = read_page_args(request.args)
    status = request.args.get("status") or None
    if status and status not in OFFER_STATUS_LABELS:
        raise ValidationError(fields={"status": [_l("Unknown value(s): %(values)s.", values=status[:40])]})
    services.expire_due_for(actor)  # committed with the request
    return paginate(
        services.with_list_relations(services.offers_visible_to(actor, status=status)), page, per_page
    ).to_dict(lambda offer: offer_json(offer, actor))


@bp.get("/offers/<int:offer_id>")
@describe(
    "An offer with every version of its terms (the parties and their agencies). The seller side of an "
    "anonymous offer sees the buyer's kind and region, not its name, until acceptance or reveal.",
    tags=["offers"],
    responses={200: "The offer", 404: "No such offer, or not yours"},
)
@token_required
def get_offer(offer_id: int, actor):
    return offer_json(_offer_or_404(offer_id, actor), actor)


@bp.post("/offers/<int:offer_id>/counter")
@describe(
    "Counter with new terms (the side whose turn it is): a new version; then it is the other side's turn.",
    tags=["offers"],
    body=COUNTER_BODY,
    responses={200: "The offer", **OFFER_ERRORS},
    idempotent=True,
)
@token_required
@idempotent
def counter_offer(offer_id: int, actor):
    offer = _offer_or_404(offer_id, actor)
    form = validate_json(CounterForm)
    services.counter_offer(offer, form.terms.form.to_input(), expires_on=form.expires_on.data, actor=actor)
    return offer_json(offer, actor)


@bp.post("/offers/<int:offer_id>/accept")
@describe(
    "Accept the latest terms (the side whose turn it is). Creates the contract draft with the terms locked "
    "in and commits the deal on each asset; 409 when another deal on the asset was accepted first.",
    tags=["offers"],
    responses={200: "`contract_id` and the offer", **OFFER_ERRORS},
    idempotent=True,
)
@token_required
@idempotent
def accept_offer(offer_id: int, actor):
    offer = _offer_or_404(offer_id, actor)
    contract = services.accept_offer(offer, actor=actor)
    return {"contract_id": contract.id, "offer": offer_json(offer, actor)}


def _act(offer_id: int, actor, action):
    offer = _offer_or_404(offer_id, actor)
    action(offer)
    return offer_json(offer, actor)


@bp.post("/offers/<int:offer_id>/reject")
@describe("Reject the offer (the seller side, on its turn).", tags=["offers"], responses=OFFER_ERRORS)
@token_required
def reject_offer(offer_id: int, actor):
    return _act(offer_id, actor, lambda offer: services.reject_offer(offer, actor=actor))


@bp.post("/offers/<int:offer_id>/withdraw")
@describe(
    "Withdraw the offer (the buyer side, until it is accepted).", tags=["offers"], responses=OFFER_ERRORS
)
@token_required
def withdraw_offer(offer_id: int, actor):
    return _act(offer_id, actor, lambda offer: services.withdraw_offer(offer, actor=actor))


@bp.post("/offers/<int:offer_id>/reveal")
@describe(
    "Reveal an anonymous buyer's name to the seller side (the buyer side).",
    tags=["offers"],
    responses={200: "The offer", 403: "Not the buyer side", 404: "Not found", 409: "Already visible"},
)
@token_required
def reveal_offer(offer_id: int, actor):
    return _act(offer_id, actor, lambda offer: services.reveal_buyer(offer, actor=actor))


@bp.get("/offers/<int:offer_id>/messages")
@describe("The offer's message thread, oldest first, with attachments.", tags=["offers"],
          responses={404: "No such offer, or not yours"})  # fmt: skip
@token_required
def list_messages(offer_id: int, actor):
    offer = _offer_or_404(offer_id, actor)
    items = [message_json(offer, m, actor, files) for m, files in services.thread_with_attachments(offer)]
    return {"items": items, "total": len(items)}


@bp.post("/offers/<int:offer_id>/messages")
@describe(
    'Post a message (the parties and their agencies). JSON `{"body": ...}`, or multipart/form-data with '
    "`body` and up to 5 `files` (PDF, PNG, JPEG).",
    tags=["offers"],
    body=MESSAGE_BODY,
    responses={
        201: "The message",
        403: "Mandate not in force",
        404: "Not found",
        422: "Empty, too long or bad file",
    },
    idempotent=True,
)
@token_required
@idempotent
def post_message(offer_id: int, actor):
    offer = _offer_or_404(offer_id, actor)
    if request.mimetype == "multipart/form-data":
        body, files = request.form.get("body", ""), request.files.getlist("files")
    else:
        data = json_body()
        body, files = data.get("body"), []
        if body is not None and not isinstance(body, str):
            raise ValidationError(fields={"body": ["string"]})
    message = services.post_message(offer, body, files=files, actor=actor)
    return message_json(offer, message, actor), 201


@bp.get("/offers/<int:offer_id>/attachments/<int:attachment_id>")
@describe("Download an attachment of the offer's thread.", tags=["offers"],
          responses={200: "The file", 404: "Not found"})  # fmt: skip
@token_required
def offer_attachment(offer_id: int, attachment_id: int, actor):
    offer = _offer_or_404(offer_id, actor)
    attachment, message = services.attachment_of_offer(offer, attachment_id)
    return services.send_offer_attachment(
        attachment, services.attachment_display_name(offer, message, attachment, actor)
    )


# --- mandates -----------------------------------------------------------------------------------


@bp.get("/mandates")
@describe("Mandates the caller's organization gave (as client) or holds (as agency).", tags=["mandates"],
          params=PAGE_PARAMS)  # fmt: skip
@token_required
def list_mandates(actor):
    page, per_page = read_page_args(request.args)
    return paginate(services.mandates_visible_to(actor), page, per_page).to_dict(mandate_json)


@bp.post("/mandates")
@describe(
    "Give an agency a mandate to broker for the caller's organization (a seller or buyer): the side follows "
    "the caller's role; the agency accepts it.",
    tags=["mandates"],
    body=MANDATE_BODY,
    responses={
        201: "The proposed mandate",
        403: "Not a seller or buyer",
        409: "Already given",
        422: "Invalid",
    },
    idempotent=True,
)
@token_required
@idempotent
def create_mandate(actor):
    form = validate_json(MandateForm)
    mandate = services.propose_mandate(
        agency_org_id=form.agency_org_id.data,
        commission_bp=form.commission_bp.data,
        valid_from=form.valid_from.data,
        valid_to=form.valid_to.data,
        scope=form.scope.data,
        actor=actor,
    )
    return mandate_json(mandate), 201


@bp.get("/mandates/<int:mandate_id>")
@describe("A mandate (its client and its agency).", tags=["mandates"], responses={404: "Not found"})
@token_required
def get_mandate(mandate_id: int, actor):
    return mandate_json(_mandate_or_404(mandate_id, actor))


def _decide(mandate_id: int, actor, action):
    mandate = _mandate_or_404(mandate_id, actor)
    action(mandate)
    return mandate_json(mandate)


@bp.post("/mandates/<int:mandate_id>/accept")
@describe("Accept a proposed mandate (the agency).", tags=["mandates"],
          responses={403: "Not the agency", 404: "Not found", 409: "Not proposed"})  # fmt: skip
@token_required
def accept_mandate(mandate_id: int, actor):
    return _decide(mandate_id, actor, lambda m: services.accept_mandate(m, actor=actor))


@bp.post("/mandates/<int:mandate_id>/decline")
@describe("Decline a proposed mandate (the agency).", tags=["mandates"],
          responses={403: "Not the agency", 404: "Not found", 409: "Not proposed"})  # fmt: skip
@token_required
def decline_mandate(mandate_id: int, actor):
    return _decide(mandate_id, actor, lambda m: services.decline_mandate(m, actor=actor))


@bp.post("/mandates/<int:mandate_id>/revoke")
@describe("End a mandate (the client; or the agency once active). Brokered offers keep naming the agency.",
          tags=["mandates"], responses={403: "Not allowed", 404: "Not found", 409: "Already ended"})  # fmt: skip
@token_required
def revoke_mandate(mandate_id: int, actor):
    return _decide(mandate_id, actor, lambda m: services.revoke_mandate(m, actor=actor))
