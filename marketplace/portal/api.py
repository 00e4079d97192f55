"""GET /api/v1/workbench (what needs the caller now, as /workbench shows it) and
GET /api/v1/verify/<registration_no> (the public check of a certificate)."""

from __future__ import annotations

from flask import Blueprint

from ..accounts.apiauth import token_required
from ..core.apidocs import describe
from ..core.errors import NotFound
from . import verify as verification
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


@bp.get("/verify/<registration_no>")
@describe(
    "The public check of a registration certificate: whether the number was issued, its "
    "date, category, authority and status, and the ledger entries recorded under it with "
    "their entry and leaf hashes. Nothing private (no parties, amounts or text).",
    tags=["registration"],
    auth="none",
    responses={200: "The registration", 404: "No registration was issued under this number"},
)
def verify_certificate(registration_no: str):
    result = verification.verify(registration_no[:40])
    if result is None:
        raise NotFound()
    return result.to_dict()
