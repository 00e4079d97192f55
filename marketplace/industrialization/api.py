"""API endpoints of industrialization (added to the shared /api/v1 blueprint)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask_babel import lazy_gettext as _l

from ..accounts.apiauth import token_required
from ..contracts.models import Contract
from ..contracts.permissions import can_view as can_view_contract
from ..core.apidocs import DATE, DATETIME, FEN, INTEGER, PAGE_PARAMS, STRING, describe, obj
from ..core.errors import NotFound, ValidationError
from ..core.idempotency import idempotent
from ..core.jsonbody import json_body, validate_json
from ..core.pagination import paginate, read_page_args
from ..extensions import db
from . import permissions, services
from .forms import ReportApiForm
from .models import IndustrializationReport
from .states import ReportStatus, Stage

bp = Blueprint("industrialization", __name__)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def report_json(report: IndustrializationReport) -> dict[str, Any]:
    return {
        "id": report.id,
        "contract_id": report.contract_id,
        "contract_title": report.contract.title,
        "registration_no": report.contract.registration_no,
        "asset_id": report.asset_id,
        "asset_title": report.asset.title,
        "buyer_org_id": report.buyer_org_id,
        "seller_org_id": report.contract.seller_org_id,
        "status": report.status,
        "stage": report.stage,
        "achieved_on": _iso(report.achieved_on),
        "output_value_fen": report.output_value_fen,
        "sales_fen": report.sales_fen,
        "units": report.units,
        "jobs": report.jobs,
        "description": report.description,
        "evidence": [
            {"id": a.id, "name": a.original_name, "content_type": a.content_type, "size": a.size}
            for a in services.evidence_of(report)
        ],
        "reported_at": _iso(report.created_at),
        "decided_at": _iso(report.decided_at),
        "decided_as": report.decided_as,
        "return_reason": report.return_reason,
        "confirmed_at": _iso(report.confirmed_at),
        "source_org_id": report.source_org_id,
        "source_kind": report.source_kind,
        "source_share_bp": report.source_share_bp,
    }


REPORT_BODY = obj(
    {
        "asset_id": INTEGER,
        "stage": {"type": "string", "enum": [s.value for s in Stage]},
        "achieved_on": DATE,
        "output_value_fen": FEN,
        "sales_fen": FEN,
        "units": INTEGER,
        "jobs": INTEGER,
        "description": STRING,
    },
    required=["asset_id", "stage", "achieved_on", "description"],
)
REPORT_SCHEMA = obj(
    {
        "id": INTEGER,
        "contract_id": INTEGER,
        "asset_id": INTEGER,
        "status": {"type": "string", "enum": [s.value for s in ReportStatus]},
        "stage": {"type": "string", "enum": [s.value for s in Stage]},
        "achieved_on": DATE,
        "output_value_fen": FEN,
        "sales_fen": FEN,
        "confirmed_at": DATETIME,
        "source_kind": STRING,
    }
)


def _report(report_id: int, actor) -> IndustrializationReport:
    report = db.session.get(IndustrializationReport, report_id)
    if report is None or not permissions.can_view_report(actor, report):
        raise NotFound()
    return report


@bp.post("/contracts/<int:contract_id>/industrialization")
@describe(
    "The buyer reports that an achievement (an IP asset) covered by its registered transfer, licence or "
    "equity contract went into production or was first sold, with the date and figures. It waits for the "
    "seller or the contract's agency to confirm.",
    tags=["industrialization"],
    body=REPORT_BODY,
    responses={
        201: "The report (status pending)",
        403: "Not the buyer of this contract",
        404: "No such contract, or not visible to you",
        409: "Not a registered transfer or licence contract; no assets; already counted; a report waits",
        422: "Fields invalid: asset not covered, date in the future or before signing, negative figures",
    },
    idempotent=True,
)
@token_required
@idempotent
def report_industrialization(contract_id: int, actor):
    contract = db.session.get(Contract, contract_id)
    if contract is None or not can_view_contract(actor, contract):
        raise NotFound()
    services.ensure_can_report(contract, actor)
    form = validate_json(ReportApiForm)
    report = services.report_industrialization(
        contract,
        asset_id=form.asset_id.data,
        stage=form.stage.data,
        achieved_on=form.achieved_on.data,
        output_value_fen=form.output_value_fen.data,
        sales_fen=form.sales_fen.data,
        units=form.units.data,
        jobs=form.jobs.data,
        description=form.description.data,
        actor=actor,
    )
    return report_json(report), 201


@bp.get("/industrialization")
@describe(
    "Industrialization reports the caller may see: `box=mine` (filed by the caller's organization as "
    "buyer), `box=to_confirm` (waiting for the caller as seller or agency), or `all` (parties, agency, "
    "regulators in scope, admins). `counts` gives the confirmed achievements by source kind.",
    tags=["industrialization"],
    params=PAGE_PARAMS
    + [
        {"name": "box", "in": "query", "schema": {"type": "string", "enum": list(services.BOXES)}},
        {
            "name": "status",
            "in": "query",
            "schema": {"type": "string", "enum": [s.value for s in ReportStatus]},
        },
    ],
    responses={200: "A page of reports, with `counts`", 422: "Bad filter or page"},
)
@token_required
def list_reports(actor):
    page_no, per_page = read_page_args(request.args)
    box = request.args.get("box") or "all"
    status = request.args.get("status") or None
    errors = {}
    if box not in services.BOXES:
        errors["box"] = [_l("Choose all, mine or to_confirm.")]
    if status is not None and status not in {s.value for s in ReportStatus}:
        errors["status"] = [_l("Unknown status.")]
    if errors:
        raise ValidationError(fields=errors)
    page = paginate(services.reports_visible_to(actor, box=box, status=status), page_no, per_page)
    return {**page.to_dict(report_json), "counts": services.industrialized_counts()}


@bp.get("/industrialization/<int:report_id>")
@describe(
    "One industrialization report with its figures, evidence and decision.",
    tags=["industrialization"],
    responses={200: "The report", 404: "No such report, or not visible to you"},
)
@token_required
def get_report(report_id: int, actor):
    return report_json(_report(report_id, actor))


@bp.post("/industrialization/<int:report_id>/confirm")
@describe(
    "The seller or the contract's agency confirms a report: the achievement counts, once, for the source "
    "kind of its owner.",
    tags=["industrialization"],
    responses={
        200: "The confirmed report",
        403: "Neither the seller nor the contract's agency",
        404: "No such report, or not visible",
        409: "Already decided; the achievement is already counted; contract no longer registered",
    },
)
@token_required
def confirm_report(report_id: int, actor):
    report = services.confirm_report(_report(report_id, actor), actor=actor)
    return report_json(report)


@bp.post("/industrialization/<int:report_id>/return")
@describe(
    "The seller or the contract's agency returns a report, with a reason.",
    tags=["industrialization"],
    body=obj({"reason": STRING}, required=["reason"]),
    responses={
        200: "The returned report",
        403: "Neither the seller nor the contract's agency",
        404: "Not found",
        409: "Already decided",
        422: "No reason",
    },
)
@token_required
def return_report(report_id: int, actor):
    report = _report(report_id, actor)
    reason = json_body().get("reason")
    report = services.return_report(report, reason=reason if isinstance(reason, str) else "", actor=actor)
    return report_json(report)
