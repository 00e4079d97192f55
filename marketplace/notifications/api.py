"""GET /api/v1/notifications."""

from __future__ import annotations

from flask import Blueprint, request

from ..accounts.apiauth import token_required
from ..core.apidocs import PAGE_PARAMS, describe
from ..core.pagination import paginate, read_page_args
from . import services

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@describe("The caller's notifications, newest first.", tags=["notifications"], params=PAGE_PARAMS)
@token_required
def list_notifications(actor):
    page, per_page = read_page_args(request.args)
    result = paginate(services.notifications_for(actor), page, per_page)
    return result.to_dict(
        lambda n: {
            "id": n.id,
            "kind": n.kind,
            "text": n.text,
            "link": n.link,
            "created_at": n.created_at.isoformat(),
            "read": n.read_at is not None,
        }
    )
