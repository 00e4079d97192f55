"""Permission predicates for listings and demands, used by views, the API and
templates alike. Whatever a user may not see answers 404 (ids do not leak)."""

from __future__ import annotations

from .models import Demand, Listing
from .states import ListingStatus


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_member(user, org_id: int | None) -> bool:
    """An approved member of the organization, with their role in force."""
    return _authenticated(user) and user.has_powers and org_id is not None and user.organization_id == org_id


def _is_admin(user) -> bool:
    return _authenticated(user) and user.is_admin


def can_create_listing(user) -> bool:
    return _authenticated(user) and user.acts_as("seller")


def is_listing_seller(user, listing: Listing) -> bool:
    """A seller of the organization that offers the listing."""
    return _authenticated(user) and user.acts_as("seller") and is_member(user, listing.org_id)


def co_owner_org_ids(listing: Listing) -> set[int]:
    """The owner organizations of the listing's assets other than the seller's."""
    ids: set[int] = set()
    for asset in listing.assets:
        ids |= asset.owner_org_ids
    ids.discard(listing.org_id)
    return ids


def is_co_owner_member(user, listing: Listing) -> bool:
    """An approved member of another owner organization of one of the listing's assets."""
    return _authenticated(user) and user.has_powers and user.organization_id in co_owner_org_ids(listing)


def can_consent(user, listing: Listing) -> bool:
    """A seller of another owner organization gives or withdraws its consent."""
    return _authenticated(user) and user.acts_as("seller") and is_co_owner_member(user, listing)


def can_edit_listing(user, listing: Listing) -> bool:
    return is_listing_seller(user, listing) and listing.is_editable


def can_submit_listing(user, listing: Listing) -> bool:
    return is_listing_seller(user, listing) and listing.status in ("draft", "returned")


def can_withdraw_listing(user, listing: Listing) -> bool:
    if listing.status in ("closed", "withdrawn"):
        return False
    return is_listing_seller(user, listing) or _is_admin(user)


def is_reviewer(user, listing: Listing) -> bool:
    """Admins review every listing; an agency reviews the listings that name it,
    and any approved agency those that name no agency."""
    if _is_admin(user):
        return True
    if not (_authenticated(user) and user.acts_as("agency")):
        return False
    return listing.agency_org_id is None or listing.agency_org_id == user.organization_id


def can_review_listing(user, listing: Listing) -> bool:
    return listing.status == ListingStatus.SUBMITTED.value and is_reviewer(user, listing)


def can_view_listing(user, listing: Listing) -> bool:
    """Published listings are public; the rest only for the seller's organization,
    the brokering agency, the reviewers of a submitted listing and admins."""
    if listing.is_published:
        return True
    if not _authenticated(user):
        return False
    if _is_admin(user) or is_member(user, listing.org_id) or is_co_owner_member(user, listing):
        return True
    if user.acts_as("agency") and listing.agency_org_id == user.organization_id:
        return True
    return can_review_listing(user, listing)


def can_see_listing_matches(user, listing: Listing) -> bool:
    return is_listing_seller(user, listing) or _is_admin(user)


def can_post_demand(user) -> bool:
    return _authenticated(user) and user.acts_as("buyer")


def can_view_demand(user, demand: Demand) -> bool:
    """Open demands are public; closed ones only for their organization and admins."""
    return demand.is_open or is_member(user, demand.org_id) or _is_admin(user)


def can_see_demand_matches(user, demand: Demand) -> bool:
    return is_member(user, demand.org_id) or _is_admin(user)


def can_close_demand(user, demand: Demand) -> bool:
    return demand.is_open and (
        (_authenticated(user) and user.acts_as("buyer") and is_member(user, demand.org_id)) or _is_admin(user)
    )
