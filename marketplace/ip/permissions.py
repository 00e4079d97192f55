"""Who may see and change IP assets: pure predicates for views, the API and templates.

Anything a user may not see answers 404 (ids do not leak).
"""

from __future__ import annotations

from collections.abc import Callable

from ..core.catalog import region_in_scope
from ..core.wiring import Port
from .models import IpAsset

#: Whether a published listing shows the asset. The rule lives in the listings
#: domain (above the registry), which `create_app` plugs in; not listed without it.
publicly_listed: Port[Callable[[IpAsset], bool]] = Port("ip.publicly_listed", default=lambda asset: False)


def is_publicly_listed(asset: IpAsset) -> bool:
    """Whether the asset appears in a published listing (so anyone may see it)."""
    return bool(publicly_listed(asset))


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_owner_member(user, asset: IpAsset) -> bool:
    """An approved member (role in force) of one of the asset's owner organizations."""
    return _authenticated(user) and user.has_powers and user.organization_id in asset.owner_org_ids


def in_regulator_scope(user, asset: IpAsset) -> bool:
    """A regulator whose region scope covers one of the owner organizations."""
    if not _authenticated(user):
        return False
    scope = user.scope_region
    return scope is not None and any(region_in_scope(scope, o.organization.region_code) for o in asset.owners)


def can_oversee_assets(user) -> bool:
    """Agencies (acting) and admins see and verify every asset."""
    return _authenticated(user) and user.acts_as("agency", "admin")


def can_view_asset_records(user, asset: IpAsset) -> bool:
    """The full record: attachments and audit trail (owners, agencies, regulators in scope, admins)."""
    return is_owner_member(user, asset) or can_oversee_assets(user) or in_regulator_scope(user, asset)


def can_view_asset(user, asset: IpAsset) -> bool:
    """Whether the asset exists for this user; others get 404."""
    return can_view_asset_records(user, asset) or is_publicly_listed(asset)


def can_create_asset(user) -> bool:
    return _authenticated(user) and user.acts_as("seller")


def can_edit_asset(user, asset: IpAsset) -> bool:
    """Only sellers who are approved members of an owner organization edit an asset,
    its encumbrances and attachments."""
    return _authenticated(user) and user.acts_as("seller") and user.organization_id in asset.owner_org_ids


def can_verify_asset(user, asset: IpAsset) -> bool:
    return can_oversee_assets(user)


# --- ownership proposals (README, "Shared ownership") ----------------------------------------


def can_propose_ownership_change(user, asset: IpAsset) -> bool:
    """A seller of one of the owners of a co-owned asset proposes a change of its owners."""
    return can_edit_asset(user, asset) and len(asset.owners) > 1


def can_view_proposal(user, proposal) -> bool:
    """Who sees the asset's records, and the members of organizations the proposal would add."""
    if can_view_asset_records(user, proposal.asset):
        return True
    return _authenticated(user) and user.has_powers and user.organization_id in proposal.new_org_ids


def answering_org_id(user, proposal) -> int | None:
    """The owner organization for which `user` may accept or reject an open proposal: a
    seller of a current owner (as the proposal names them) that has not answered yet."""
    if not (proposal.is_open and _authenticated(user) and user.acts_as("seller")):
        return None
    org_id = user.organization_id
    return org_id if org_id in proposal.awaiting_org_ids else None


def can_answer_proposal(user, proposal) -> bool:
    return answering_org_id(user, proposal) is not None


def can_withdraw_proposal(user, proposal) -> bool:
    """The proposing organization's sellers take an open proposal back."""
    return (
        proposal.is_open
        and _authenticated(user)
        and user.acts_as("seller")
        and user.organization_id == proposal.proposer_org_id
    )


def can_decide_proposal(user, proposal) -> bool:
    """An admin or an approved agency decides an open proposal (with evidence attached)."""
    return proposal.is_open and can_oversee_assets(user)
