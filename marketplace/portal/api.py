"""GET /api/v1/workbench: what needs the caller now (the same list as /workbench)."""

from __future__ import annotations

from flask import Blueprint

from ..accounts.apiauth import token_required
from ..core.apidocs import describe
from .workbench import items_for, waiting_reason

bp = Blueprint("portal", __name__)


@bp.get("/workbench")
@describe(
    "What waits for the caller, by the role in force: for each kind of task a count, "
    "how many are past a deadline (null where none applies) and the page where it is done.",
    tags=["workbench"],
)
@token_required
def workbench(actor):
    waiting = waiting_reason(actor)
    return {
        "items": [item.to_dict() for item in items_for(actor)],
        "waiting": str(waiting) if waiting is not None else None,
    }
