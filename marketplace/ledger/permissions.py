"""Who may see and do what in the ledger (pure predicates)."""

from __future__ import annotations

from ..core.catalog import PROVINCE_CODE, region_in_scope


def can_view_ledger(user) -> bool:
    """Regulators (in their scope) and admins see the dashboard and entries."""
    return bool(user is not None and user.is_authenticated and user.acts_as("regulator", "admin"))


def ledger_scope(user) -> str | None:
    """The region whose figures a user sees: a regulator's scope, the whole
    province for an admin, None for anyone else."""
    if not can_view_ledger(user):
        return None
    if user.acts_as("admin"):
        return PROVINCE_CODE
    return user.scope_region


def can_append(user, seller_region: str) -> bool:
    """A registration authority appends for sellers in its scope; an admin
    (bulk imports of offline registrations) anywhere."""
    if user is None or not user.is_authenticated:
        return False
    if user.acts_as("admin"):
        return True
    return user.acts_as("regulator") and region_in_scope(user.scope_region, seller_region)


def can_record_targets(user) -> bool:
    """Only the provincial authority enters the values of the plan's targets."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.acts_as("regulator")
        and user.scope_region == PROVINCE_CODE
    )


def entry_visible(user, entry) -> bool:
    scope = ledger_scope(user)
    return scope is not None and region_in_scope(scope, entry.seller_region)
