"""Who may see and do what in a negotiation: pure predicates for views, the API
and templates. Whatever a user may not see answers 404 (ids do not leak)."""

from __future__ import annotations

from .models import Mandate, Offer
from .states import ACTIONS, LIVE_STATES


def _authed(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.has_powers)


def _member(user, org_id: int | None) -> bool:
    return _authed(user) and org_id is not None and user.organization_id == org_id


def is_party(user, offer: Offer, side: str) -> bool:
    """A member of that side's organization, acting in that side's role."""
    if side == "buyer":
        return _member(user, offer.buyer_org_id) and user.acts_as("buyer")
    return _member(user, offer.seller_org_id) and user.acts_as("seller")


def is_agency_for(user, offer: Offer, side: str) -> bool:
    """A member of the agency named on the offer for that side."""
    org_id = offer.buyer_agency_org_id if side == "buyer" else offer.seller_agency_org_id
    return _member(user, org_id) and user.acts_as("agency")


def viewer_side(user, offer: Offer) -> str | None:
    """The side the user sees the negotiation from, or None (then: 404)."""
    for side in ("buyer", "seller"):
        if is_party(user, offer, side) or is_agency_for(user, offer, side):
            return side
    return None


def can_view_offer(user, offer: Offer) -> bool:
    return viewer_side(user, offer) is not None


def acting_side(user, offer: Offer) -> str | None:
    """The side the user may act for now: a party, or its agency while the mandate is in force."""
    for side in ("buyer", "seller"):
        if is_party(user, offer, side):
            return side
        if is_agency_for(user, offer, side):
            mandate = offer.buyer_mandate if side == "buyer" else offer.seller_mandate
            if mandate is not None and mandate.is_in_force():
                return side
    return None


def sees_buyer_name(user, offer: Offer) -> bool:
    """Everyone who may see the offer, except the seller side of an anonymous one."""
    side = viewer_side(user, offer)
    return side == "buyer" or (side == "seller" and not offer.buyer_hidden)


def can_act(user, offer: Offer, action: str) -> bool:
    """Whether the user may take `action` (counter, accept, reject, withdraw) now."""
    if offer.status not in LIVE_STATES or offer.is_past_expiry:
        return False
    side = acting_side(user, offer)
    if side is None or action not in ACTIONS[side]:
        return False
    if action == "withdraw":
        return True  # an offer may be revoked until it is accepted
    return offer.turn == side


def can_reveal(user, offer: Offer) -> bool:
    return offer.buyer_hidden and acting_side(user, offer) == "buyer"


def can_post_message(user, offer: Offer) -> bool:
    return acting_side(user, offer) is not None


def can_make_offer(user) -> bool:
    """Buyers for their organization; agencies for a client (checked by the service)."""
    return _authed(user) and user.acts_as("buyer", "agency")


# -- mandates --------------------------------------------------------------------


def can_propose_mandate(user) -> bool:
    return _authed(user) and user.acts_as("seller", "buyer")


def can_view_mandate(user, mandate: Mandate) -> bool:
    return _member(user, mandate.agency_org_id) or _member(user, mandate.client_org_id)


def can_decide_mandate(user, mandate: Mandate) -> bool:
    return mandate.status == "proposed" and _member(user, mandate.agency_org_id) and user.acts_as("agency")


def can_revoke_mandate(user, mandate: Mandate) -> bool:
    if mandate.status not in ("proposed", "active"):
        return False
    return (_member(user, mandate.client_org_id) and user.acts_as("seller", "buyer")) or (
        mandate.status == "active" and _member(user, mandate.agency_org_id) and user.acts_as("agency")
    )
