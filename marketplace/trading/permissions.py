"""Who may see and do what in public trading: pure predicates for views, the API
and templates. What a user may not see answers 404 (ids do not leak)."""

from __future__ import annotations

from datetime import datetime

from ..core.timeutil import shanghai_date, utcnow
from ..listings.permissions import is_listing_seller


def _authed(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.has_powers)


def is_seller_side(user, listing) -> bool:
    """A seller of the listing's organization, or a member of the listing's agency."""
    if not _authed(user):
        return False
    if is_listing_seller(user, listing):
        return True
    return (
        user.acts_as("agency")
        and listing.agency_org_id is not None
        and (user.organization_id == listing.agency_org_id)
    )


def can_start_trading(user, listing) -> bool:
    return is_seller_side(user, listing) and listing.is_published


def can_view_session(user, session, now: datetime | None = None) -> bool:
    """Public from its announcement date; before it only for the seller side (and admins)."""
    if shanghai_date(now or utcnow()) >= session.announce_on:
        return True
    return is_seller_side(user, session.listing) or (_authed(user) and user.is_admin)


def sees_reserve(user, session) -> bool:
    return is_seller_side(user, session.listing)


def can_enrol(user, session) -> bool:
    return (
        _authed(user)
        and user.acts_as("buyer")
        and user.organization_id != session.seller_org_id
        and (not session.invited_org_ids or user.organization_id in session.invited_org_ids)
    )


def can_act_for_client(user, session, client_org_id: int) -> bool:
    """An agency member, for a client other than the seller (the mandate is the service's check);
    not the listing's own agency, which sees the secret reserve and confirms the deposits."""
    return (
        _authed(user)
        and user.acts_as("agency")
        and client_org_id != session.seller_org_id
        and user.organization_id != session.listing.agency_org_id
        and (not session.invited_org_ids or client_org_id in session.invited_org_ids)
    )


def can_pay_deposit(user, enrolment) -> bool:
    """The enrolled buyer's members, or the agency that enrolled it for its client."""
    if not _authed(user):
        return False
    if user.organization_id == enrolment.org_id and user.acts_as("buyer"):
        return True
    return enrolment.agency_org_id is not None and user.organization_id == enrolment.agency_org_id and (
        user.acts_as("agency"))  # fmt: skip


def can_confirm_deposits(user, session) -> bool:
    return is_seller_side(user, session.listing)


def can_view_notice(user, notice) -> bool:
    return True  # a public notice is public


def can_object(user) -> bool:
    return _authed(user)


def can_answer(user, notice) -> bool:
    return is_seller_side(user, notice.listing)


def can_accept_notice(user, notice) -> bool:
    return (
        notice.kind == "listing"
        and _authed(user)
        and user.acts_as("buyer")
        and user.organization_id != notice.seller_org_id
    )
