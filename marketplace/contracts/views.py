"""Web pages of the contracts domain."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..accounts.models import Organization
from ..core.errors import DomainError, ValidationError
from ..core.models import audit_trail
from ..core.pagination import paginate, read_page_args
from ..core.timeutil import shanghai_date, utcnow
from ..core.web import attempt, get_or_404, validated
from ..extensions import db
from ..ip.states import DEAL_KIND_LABELS, LICENSE_TYPE_LABELS
from ..storage.uploads import Attachment, send_attachment
from . import permissions as perms
from . import pickers, services
from .certificate import certificate_lines, certificate_pdf, qr_svg_data_uri, verify_url
from .codes import (
    AUDIT_ACTIONS,
    FIELD_LABELS,
    MILESTONE_STATUSES,
    SOURCES,
    category_label,
    cost_kind_label,
    label_of,
    reason_label,
)
from .forms import (
    AmendForm,
    CancelForm,
    ConfirmForm,
    ContractForm,
    OfflineDealForm,
    RegisterForm,
    ReturnForm,
    UploadForm,
)
from .models import Contract
from .states import REGISTRATION_KIND_LABELS, STATUS_LABELS, ContractStatus, status_label

bp = Blueprint("contracts", __name__)
EXTRA_ROWS = 2


@bp.context_processor
def _labels() -> dict:
    return {
        "reason_label": reason_label,
        "category_label": category_label,
        "cost_kind_label": cost_kind_label,
        "status_label": status_label,
        "source_label": lambda code: label_of(SOURCES, code),
        "audit_label": lambda code: label_of(AUDIT_ACTIONS, code),
        "milestone_status_label": lambda code: label_of(MILESTONE_STATUSES, code),
        "registration_kind_label": lambda code: label_of(REGISTRATION_KIND_LABELS, code),
        "field_label": lambda code: label_of(FIELD_LABELS, code),
        "deal_kind_label": lambda code: label_of(DEAL_KIND_LABELS, code),
        "license_type_label": lambda code: label_of(LICENSE_TYPE_LABELS, code),
    }


def _load(contract_id: int) -> Contract:
    return get_or_404(Contract, contract_id, visible=lambda c: perms.can_view(current_user, c))


def _load_page(contract_id: int) -> Contract:
    """The contract with what its page shows, each relation loaded by the query."""
    contract = db.session.get(Contract, contract_id, options=services.CONTRACT_PAGE_LOADING)
    if contract is None or not perms.can_view(current_user, contract):
        abort(404)
    return contract


def _back(contract: Contract):
    return redirect(url_for("contracts.detail", contract_id=contract.id))


def _run(contract: Contract, action, success: str):
    """Call one service for a button, flash the outcome, back to the contract page."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("The form has expired; please try again."), "error")
        return _back(contract)
    attempt(action, success=success, fields_after=True)
    return _back(contract)


# --- Lists ---------------------------------------------------------------------------------------


@bp.get("/contracts")
@login_required
def index():
    status = request.args.get("status") or None
    if status and status not in {s.value for s in ContractStatus}:
        status = None
    try:
        page_no, per_page = read_page_args(request.args)
    except DomainError:
        page_no, per_page = 1, 20
    page = paginate(services.visible_contracts_stmt(current_user, status=status), page_no, per_page)
    return render_template(
        "contracts/index.html",
        page=page,
        status=status,
        statuses=STATUS_LABELS,
        can_create=perms.can_create_offline(current_user),
    )


@bp.get("/contracts/queue")
@login_required
def queue():
    if not perms.can_see_queue(current_user):
        abort(404)
    overdue_only = request.args.get("overdue") == "1"
    today = shanghai_date(utcnow())
    try:
        page_no, per_page = read_page_args(request.args, default_per_page=50)
    except DomainError:
        page_no, per_page = 1, 50
    page = paginate(
        services.queue_stmt(current_user, overdue_only=overdue_only, today=today), page_no, per_page
    )
    return render_template(
        "contracts/queue.html",
        page=page,
        today=today,
        overdue_only=overdue_only,
        is_overdue=services.is_overdue,
    )


# --- One contract --------------------------------------------------------------------------------


@bp.get("/contracts/<int:contract_id>")
@login_required
def detail(contract_id: int):
    contract = _load_page(contract_id)
    editable_states = (
        ContractStatus.DRAFT,
        ContractStatus.AWAITING_CONFIRMATION,
        ContractStatus.SIGNING,
        ContractStatus.SIGNED,
        ContractStatus.RETURNED,
    )
    show_checklist = ContractStatus(contract.status) in editable_states
    return render_template(
        "contracts/detail.html",
        contract=contract,
        checklist=services.checklist(contract) if show_checklist else [],
        milestones=services.milestone_rows(contract),
        documents=services.signed_documents(contract),
        trail=audit_trail(contract),
        perms=perms,
        sides=services.signable_sides(current_user, contract),
        confirm_form=ConfirmForm(),
        upload_form=UploadForm(),
        register_form=RegisterForm(),
        return_form=ReturnForm(),
        overdue=services.is_overdue(contract),
        assets=services.contract_assets(contract),
    )


def _fill_rows(form, contract: Contract | None) -> None:
    """Existing rows plus a few blank ones to add more."""
    for name in ("milestones", "cost_lines"):
        field = form[name]
        if request.method == "GET" and contract is not None:
            while len(field.entries):
                field.pop_entry()
            for item in getattr(contract, name):
                field.append_entry(
                    {"due_on": item.due_on, "amount_fen": item.amount_fen, "description": item.description}
                    if name == "milestones"
                    else {"kind": item.kind, "description": item.description, "amount_fen": item.amount_fen}
                )
        for _i in range(EXTRA_ROWS):
            field.append_entry()


def _fill_pickers(form, *, seller_org_id: int | None, named: list[int] | tuple[int, ...] = ()) -> None:
    """The choices of the page's pickers: the seller's assets (every seller's when it is
    not known yet) with those the contract names, and the approved agencies."""
    form.asset_ids.set_choices(pickers.asset_choices(seller_org_id, also=named))
    form.agency_org_id.set_choices(pickers.agency_choices())


@bp.route("/contracts/<int:contract_id>/edit", methods=["GET", "POST"])
@login_required
def edit(contract_id: int):
    contract = _load(contract_id)
    if not perms.can_edit(current_user, contract):
        flash(_("The terms of this contract cannot be changed now."), "error")
        return _back(contract)
    form = ContractForm(obj=contract if request.method == "GET" else None)
    _fill_pickers(form, seller_org_id=contract.seller_org_id, named=contract.asset_ids)
    finding = request.method == "POST" and pickers.find_requested(form, request.form)

    def save():
        return services.update_contract(contract, form.changes(), actor=current_user)

    if not finding and validated(form, save):
        ok, changed = attempt(save, form=form)
        if ok:
            flash(_("The contract is saved.") if changed else _("Nothing changed."), "success")
            return _back(contract)
    elif request.method == "POST" and not finding:
        flash(_("Please correct the marked fields."), "error")
    row_errors = form.row_errors() if request.method == "POST" and not finding else {}
    pickers.narrow_from_request(form, request.form)
    if request.method == "GET" or not form.milestones.entries:
        _fill_rows(form, contract)
    else:
        for name in ("milestones", "cost_lines"):
            form[name].append_entry()
    return render_template("contracts/edit.html", contract=contract, form=form, row_errors=row_errors)


@bp.post("/contracts/<int:contract_id>/document")
@login_required
def upload(contract_id: int):
    contract = _load(contract_id)
    form = UploadForm()
    if not form.validate_on_submit():
        flash(_("The form has expired; please try again."), "error")
        return _back(contract)
    attempt(
        lambda: services.attach_signed_document(contract, request.files.get("document"), actor=current_user),
        success=_("The signed document is uploaded."),
        fields_after=True,
    )
    return _back(contract)


@bp.get("/contracts/<int:contract_id>/documents/<int:attachment_id>")
@login_required
def document(contract_id: int, attachment_id: int):
    contract = _load(contract_id)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.subject_type != "contract" or attachment.subject_id != contract.id:
        abort(404)
    return send_attachment(attachment)


@bp.post("/contracts/<int:contract_id>/confirm")
@login_required
def confirm(contract_id: int):
    contract = _load(contract_id)
    return _run(
        contract,
        lambda: services.confirm_contract(contract, actor=current_user),
        _("You confirmed the deal."),
    )


@bp.post("/contracts/<int:contract_id>/sign")
@login_required
def sign(contract_id: int):
    contract = _load(contract_id)
    side = request.form.get("side") or None
    if side not in (None, "seller", "buyer"):
        side = None
    return _run(
        contract,
        lambda: services.sign_contract(contract, actor=current_user, side=side),
        _("The contract is signed."),
    )


@bp.post("/contracts/<int:contract_id>/submit")
@login_required
def submit(contract_id: int):
    contract = _load(contract_id)
    return _run(
        contract,
        lambda: services.submit_contract(contract, actor=current_user),
        _("The contract is submitted to the registration authority."),
    )


@bp.post("/contracts/<int:contract_id>/register")
@login_required
def register(contract_id: int):
    contract = _load(contract_id)
    if not perms.regulator_in_scope(current_user, contract):
        abort(404)
    form = RegisterForm()
    if not form.validate_on_submit():
        flash(_("The form has expired; please try again."), "error")
        return _back(contract)
    ok, registration = attempt(
        lambda: services.register_contract(contract, actor=current_user, note=form.note.data)
    )
    if ok:
        flash(_("Registered under number %(no)s.", no=registration.label_no), "success")
    return _back(contract)


@bp.post("/contracts/<int:contract_id>/return")
@login_required
def return_(contract_id: int):
    contract = _load(contract_id)
    if not perms.regulator_in_scope(current_user, contract):
        abort(404)
    form = ReturnForm()
    if form.validate_on_submit():
        attempt(
            lambda: services.return_contract(
                contract, reasons=form.reasons.data or [], note=form.note.data, actor=current_user
            ),
            success=_("The contract is returned to the parties with your reasons."),
            fields_after=True,
        )
    else:
        for messages in form.errors.values():
            for message in messages:
                flash(str(message), "error")
    return _back(contract)


@bp.route("/contracts/<int:contract_id>/amend", methods=["GET", "POST"])
@login_required
def amend(contract_id: int):
    contract = _load(contract_id)
    if not perms.can_amend(current_user, contract):
        flash(_("Only the seller side can amend a registered contract."), "error")
        return _back(contract)
    form = AmendForm()
    if form.validate_on_submit():
        ok, _result = attempt(
            lambda: services.request_amendment(
                contract, form.changes(contract), note=form.note.data, actor=current_user
            ),
            success=_("The amendment is submitted to the registration authority."),
            form=form,
        )
        if ok:
            return _back(contract)
    if request.method == "GET":
        form.turnover_fen.data = contract.turnover_fen
        form.tech_income_fen.data = contract.tech_income_fen
        form.category.data = contract.category
        form.industry.data = contract.industry
        _fill_rows(form, contract)
    else:
        for name in ("milestones", "cost_lines"):
            form[name].append_entry()
    return render_template("contracts/amend.html", contract=contract, form=form)


@bp.route("/contracts/<int:contract_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(contract_id: int):
    contract = _load(contract_id)
    if not perms.can_cancel(current_user, contract):
        flash(_("Only the seller side can cancel a registered contract."), "error")
        return _back(contract)
    form = CancelForm()
    if form.validate_on_submit():
        ok, _result = attempt(
            lambda: services.request_cancellation(contract, note=form.note.data, actor=current_user),
            success=_("The cancellation is submitted to the registration authority."),
            form=form,
        )
        if ok:
            return _back(contract)
    return render_template("contracts/cancel.html", contract=contract, form=form)


@bp.get("/contracts/<int:contract_id>/certificate")
@login_required
def certificate(contract_id: int):
    contract = _load(contract_id)
    if not perms.can_see_certificate(current_user, contract):
        abort(404)
    return render_template(
        "contracts/certificate.html",
        contract=contract,
        lines=certificate_lines(contract),
        verify_url=verify_url(contract.registration_no) if contract.registration_no else None,
        qr=qr_svg_data_uri(contract.registration_no) if contract.registration_no else None,
    )


@bp.get("/contracts/<int:contract_id>/certificate.pdf")
@login_required
def certificate_download(contract_id: int):
    contract = _load(contract_id)
    if not perms.can_see_certificate(current_user, contract):
        abort(404)
    pdf = certificate_pdf(contract)
    if pdf is None:
        flash(
            _("The PDF needs a Chinese font that is not installed on the server; print this page instead."),
            "error",
        )
        return redirect(url_for("contracts.certificate", contract_id=contract.id))
    return (
        pdf,
        200,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'attachment; filename="certificate-{contract.registration_no}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


# --- Offline deals (agencies) --------------------------------------------------------------------


@bp.route("/contracts/new", methods=["GET", "POST"])
@login_required
def new_offline():
    if not perms.can_create_offline(current_user):
        abort(404)
    form = OfflineDealForm()
    _fill_pickers(form, seller_org_id=None)
    parties = pickers.party_choices(blank=_l("— choose —"))
    form.seller_org_id.set_choices(parties)
    form.buyer_org_id.set_choices([("", _l("— none —")), *parties[1:]])
    finding = request.method == "POST" and pickers.find_requested(form, request.form)

    def record():
        seller = db.session.get(Organization, form.seller_org_id.data) if form.seller_org_id.data else None
        buyer = db.session.get(Organization, form.buyer_org_id.data) if form.buyer_org_id.data else None
        missing = {}
        if seller is None:
            missing["seller_org_id"] = [_l("There is no such organization.")]
        if form.buyer_org_id.data and buyer is None:
            missing["buyer_org_id"] = [_l("There is no such organization.")]
        if missing:
            raise ValidationError(fields=missing)
        details = form.changes()
        for key in ("title", "buyer_name", "buyer_place"):
            details.pop(key, None)
        return services.record_offline_deal(
            agency_org=current_user.organization,
            seller_org=seller,
            buyer_org=buyer,
            buyer_name=form.buyer_name.data,
            buyer_place=form.buyer_place.data,
            title=form.title.data or "",
            deal_terms={"deal_kind": form.deal_kind.data},
            details=details,
            actor=current_user,
        )

    if not finding and validated(form, record):
        ok, contract = attempt(
            record, success=_("The deal is recorded; both parties are asked to confirm it."), form=form
        )
        if ok:
            return _back(contract)
    elif request.method == "POST" and not finding:
        flash(_("Please correct the marked fields."), "error")
    pickers.narrow_from_request(form, request.form)
    if request.method == "GET":
        form.agency_org_id.data = current_user.organization_id
        _fill_rows(form, None)
    else:
        for name in ("milestones", "cost_lines"):
            form[name].append_entry()
    return render_template("contracts/new.html", form=form)
