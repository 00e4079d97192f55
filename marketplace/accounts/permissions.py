"""Permission predicates for accounts, used by views, the API and templates."""

from __future__ import annotations

from .models import Organization, User


def can_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_admin)


def can_see_organization(user, organization: Organization) -> bool:
    return can_admin(user) or (user.is_authenticated and user.organization_id == organization.id)


def can_manage_user(user, target: User) -> bool:
    return can_admin(user) and user.id != target.id
