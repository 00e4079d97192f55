"""Account endpoints of the API."""

from __future__ import annotations

from flask import Blueprint

from ..core.apidocs import describe
from .apiauth import token_required
from .models import Organization, User

bp = Blueprint("accounts", __name__)


def organization_json(org: Organization) -> dict:
    return {
        "id": org.id,
        "name": org.name,
        "name_en": org.name_en,
        "kind": org.kind,
        "uscc": org.uscc,
        "region": org.region_code,
        "place": org.place,
        "status": org.status,
    }


def user_json(user: User) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "acting_role": user.acting_role,
        "membership": user.membership,
        "organization": organization_json(user.organization),
        "region": user.organization.region_code,
        "scope_region": user.scope_region,
    }


@bp.get("/me")
@describe(
    "The calling user, their role, organization and region.",
    tags=["accounts"],
    responses={200: "The user", 401: "No or bad token"},
)
@token_required
def me(actor: User):
    return user_json(actor)
