"""Web pages of industrialization: the buyer's report form (from its registered
contract), the list of reports (mine / to confirm / all in view), one report
with confirm and return, and the evidence files."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..contracts.models import Contract
from ..contracts.permissions import can_view as can_view_contract
from ..core.catalog import SOURCE_KINDS
from ..core.errors import DomainError
from ..core.models import audit_trail
from ..core.pagination import paginate, read_page_args
from ..core.web import attempt, attempt_with_status, get_or_404
from ..extensions import db
from ..storage.uploads import Attachment, send_attachment
from . import permissions, services
from .forms import ConfirmForm, EvidenceForm, FilterForm, ReportForm, ReturnForm
from .models import IndustrializationReport
from .states import ReportStatus, stage_label, status_label

bp = Blueprint("industrialization", __name__)


AUDIT_LABELS = {
    "industrialization.reported": _l("Reported by the buyer"),
    "industrialization.evidence_added": _l("Evidence added"),
    "industrialization.confirmed": _l("Confirmed"),
    "industrialization.returned": _l("Returned"),
}
BOX_LABELS = {
    "all": _l("All I can see"),
    "mine": _l("Reported by us"),
    "to_confirm": _l("To confirm"),
}


@bp.app_template_filter("industrialization_action_label")
def _action_label(code: str) -> str:
    label = AUDIT_LABELS.get(code)
    return str(label) if label is not None else code


bp.add_app_template_filter(status_label, "industrialization_status_label")
bp.add_app_template_filter(stage_label, "industrialization_stage_label")


@bp.app_template_global("industrialization_for")
def industrialization_for(contract: Contract) -> dict:
    """What the contract page shows about industrialization (its small included block)."""
    if not can_view_contract(current_user, contract) or not permissions.is_eligible_category(
        contract.category
    ):
        return {"show": False}
    return {
        "show": True,
        "can_report": permissions.can_report(current_user, contract),
        "reports": services.reports_of_contract(contract),
    }


def _contract_or_404(contract_id: int) -> Contract:
    return get_or_404(Contract, contract_id, visible=lambda c: can_view_contract(current_user, c))


def _report_or_404(report_id: int) -> IndustrializationReport:
    return get_or_404(
        IndustrializationReport, report_id, visible=lambda r: permissions.can_view_report(current_user, r)
    )


def _asset_choices(contract: Contract) -> list[tuple[int, str]]:
    from ..ip.models import IpAsset

    choices = []
    for asset_id in contract.asset_ids:
        asset = db.session.get(IpAsset, asset_id)
        if asset is not None:
            ident = asset.display_identifier
            choices.append((asset.id, f"{asset.title}" + (f" ({ident})" if ident else "")))
    return choices


def _render_new(contract: Contract, form: ReportForm, status: int = 200):
    return render_template(
        "industrialization/new.html",
        contract=contract,
        form=form,
        counted={a: services.counted_report(a) for a in contract.asset_ids},
    ), status


@bp.route("/contracts/<int:contract_id>/industrialization/new", methods=["GET", "POST"])
@login_required
def new(contract_id: int):
    contract = _contract_or_404(contract_id)
    if not permissions.is_buyer(current_user, contract):
        abort(403)
    form = ReportForm()
    form.asset_id.choices = _asset_choices(contract)
    if request.method == "GET":
        try:
            services.ensure_can_report(contract, current_user)
        except DomainError as exc:
            flash(str(exc.message), "error")
            return redirect(url_for("contracts.detail", contract_id=contract.id))
        return _render_new(contract, form)
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "error")
        return _render_new(contract, form, 422)
    ok, report, status = attempt_with_status(
        lambda: services.report_industrialization(
            contract,
            asset_id=form.asset_id.data,
            stage=form.stage.data,
            achieved_on=form.achieved_on.data,
            output_value_fen=form.output_value_fen.data,
            sales_fen=form.sales_fen.data,
            units=form.units.data,
            jobs=form.jobs.data,
            description=form.description.data,
            evidence=[f for f in (form.evidence.data or []) if getattr(f, "filename", None)],
            actor=current_user,
        ),
        success=_("The report is filed. The seller or the agency will confirm it."),
        form=form,
    )
    if not ok:
        return _render_new(contract, form, status)
    return redirect(url_for("industrialization.detail", report_id=report.id))


@bp.get("/industrialization/")
@login_required
def index():
    box = request.args.get("box") or "all"
    if box not in services.BOXES:
        box = "all"
    form = FilterForm(request.args)
    form.status.choices = [("", _("Any status"))] + [(s.value, status_label(s)) for s in ReportStatus]
    status = request.args.get("status") or None
    if status not in {None, *(s.value for s in ReportStatus)}:
        status = None
    try:
        page_no, per_page = read_page_args(request.args)
    except DomainError:
        page_no, per_page = 1, 20
    page = paginate(services.reports_visible_to(current_user, box=box, status=status), page_no, per_page)
    counts = services.industrialized_counts()
    return render_template(
        "industrialization/index.html",
        page=page,
        form=form,
        box=box,
        boxes=BOX_LABELS,
        counts=counts,
        source_kinds=SOURCE_KINDS,
        other_count=services.other_source_count(),
        eligible=services.eligible_contracts_for(current_user),
    )


def _render_detail(report: IndustrializationReport, *, return_form=None, evidence_form=None, status=200):
    return render_template(
        "industrialization/detail.html",
        report=report,
        contract=report.contract,
        evidence=services.evidence_of(report),
        trail=audit_trail(report),
        counted=services.counted_report(report.asset_id),
        confirm_form=ConfirmForm(),
        return_form=return_form or ReturnForm(formdata=None),
        evidence_form=evidence_form or EvidenceForm(formdata=None),
        permissions=permissions,
    ), status


@bp.get("/industrialization/<int:report_id>")
@login_required
def detail(report_id: int):
    return _render_detail(_report_or_404(report_id))


@bp.post("/industrialization/<int:report_id>/confirm")
@login_required
def confirm(report_id: int):
    report = _report_or_404(report_id)
    if not permissions.can_decide(current_user, report):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    attempt(
        lambda: services.confirm_report(report, actor=current_user),
        success=_("The report is confirmed: the achievement counts as industrialized."),
    )
    return redirect(url_for("industrialization.detail", report_id=report_id))


@bp.post("/industrialization/<int:report_id>/return")
@login_required
def return_(report_id: int):
    report = _report_or_404(report_id)
    if not permissions.can_decide(current_user, report):
        abort(403)
    form = ReturnForm()
    if not form.validate_on_submit():
        return _render_detail(report, return_form=form, status=422)
    ok, _result, status = attempt_with_status(
        lambda: services.return_report(report, reason=form.reason.data, actor=current_user),
        success=_("The report is returned; the buyer is told why."),
        form=form,
    )
    if not ok:
        return _render_detail(_report_or_404(report_id), return_form=form, status=status)
    return redirect(url_for("industrialization.detail", report_id=report_id))


@bp.post("/industrialization/<int:report_id>/evidence")
@login_required
def add_evidence(report_id: int):
    report = _report_or_404(report_id)
    if not permissions.can_add_evidence(current_user, report):
        abort(403)
    form = EvidenceForm()
    if not form.validate_on_submit():
        return _render_detail(report, evidence_form=form, status=422)
    ok, _result, status = attempt_with_status(
        lambda: services.add_evidence(report, form.evidence.data, actor=current_user),
        success=_("The evidence is attached."),
        form=form,
    )
    if not ok:
        return _render_detail(_report_or_404(report_id), evidence_form=form, status=status)
    return redirect(url_for("industrialization.detail", report_id=report_id))


@bp.get("/industrialization/<int:report_id>/evidence/<int:attachment_id>")
@login_required
def evidence(report_id: int, attachment_id: int):
    report = _report_or_404(report_id)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment not in services.evidence_of(report):
        abort(404)
    return send_attachment(attachment)
