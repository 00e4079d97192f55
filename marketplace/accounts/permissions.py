"""Permission predicates for accounts, used by views, the API and templates."""

from __future__ import annotations


def can_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_admin)
