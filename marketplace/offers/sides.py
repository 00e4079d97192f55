"""The sides of a negotiation: who speaks for the buyer and the seller (the party's
members and its agency's), how the buyer is shown to a viewer (an anonymous buyer
by kind and region only), and how each side is told of a step."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import current_app
from sqlalchemy import select

from ..accounts.models import User
from ..core.catalog import org_kind_label, region_label
from ..extensions import db
from ..notifications.services import notify
from . import permissions
from .models import Offer


def site_link(endpoint: str, **values: Any) -> str:
    """A site-relative link, also outside a request (the expiry command)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def is_whole_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def buyer_display(offer: Offer, viewer) -> str:
    """The buyer as `viewer` may see it: its name, or only its kind and region."""
    if permissions.sees_buyer_name(viewer, offer):
        return offer.buyer_org.name
    return anonymous_label(offer)


def anonymous_label(offer: Offer) -> str:
    from flask_babel import gettext

    return gettext(
        "Anonymous buyer (%(kind)s, %(region)s)",
        kind=org_kind_label(offer.buyer_org.kind),
        region=region_label(offer.buyer_org.region_code),
    )


def active_members(org_id: int | None, role: str) -> list[User]:
    if org_id is None:
        return []
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.organization_id == org_id,
                User.role == role,
                User.status == "active",
                User.membership == "approved",
            )
            .order_by(User.id)
        )
    )


def side_users(offer: Offer, side: str) -> list[User]:
    """The people of one side: the party's members and those of its agency."""
    if side == "buyer":
        return active_members(offer.buyer_org_id, "buyer") + active_members(
            offer.buyer_agency_org_id, "agency"
        )
    return active_members(offer.seller_org_id, "seller") + active_members(
        offer.seller_agency_org_id, "agency"
    )


def notify_sides(offer: Offer, kind: str, message_id: str, *, actor, sides: Iterable[str] = ("buyer", "seller"),
                  params: dict[str, Any] | None = None) -> None:  # fmt: skip
    """Tell each side's people (not the actor). Messages never name the buyer, so an
    anonymous buyer cannot leak through a notification or its e-mail."""
    link = site_link("offers.detail", offer_id=offer.id)
    base = {"title": offer.listing.title, "offer": offer.id}
    for side in sides:
        for user in side_users(offer, side):
            if actor is not None and user.id == actor.id:
                continue
            notify(user, kind, message_id, params={**base, **(params or {})}, link=link)


def writing_org_id(offer: Offer, side: str, actor) -> int:
    """The organization writing for a side: the party itself, or its agency."""
    party = offer.buyer_org_id if side == "buyer" else offer.seller_org_id
    return party if actor.organization_id == party else actor.organization_id
