"""Web pages of pledge loans: the list (mine / to decide / all in view), the
application form, one loan with the steps each side may take, and its files.
The investors' and regulators' pages are in investor_views and figure_views,
on the same blueprint."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..core.dbsetup import write_transaction
from ..core.errors import DomainError
from ..core.models import audit_trail
from ..core.pagination import paginate, read_page_args
from ..core.timeutil import today_shanghai
from ..core.web import attempt, attempt_with_status, get_or_404
from ..extensions import db
from ..storage.uploads import Attachment, send_attachment
from . import disposals, loans, permissions, risk
from .forms import (
    ActionForm,
    ApplyForm,
    ApproveForm,
    BankSignForm,
    ConsentForm,
    DeclineForm,
    DefaultForm,
    DisposalForm,
    DocumentsForm,
    DocumentsRequestForm,
    ProceedsForm,
    RefuseSaleForm,
    RepayForm,
    RiskShareForm,
    StartSaleForm,
)
from .models import Disposal, PledgeLoan
from .states import LoanStatus, investment_status_label, loan_status_label, sharer_label

bp = Blueprint("finance", __name__)

AUDIT_LABELS = {
    "finance.loan_applied": _l("Applied"),
    "finance.valuation_added": _l("Valuation report added"),
    "finance.consent_given": _l("Co-owner consented"),
    "finance.consent_refused": _l("Co-owner refused consent"),
    "finance.documents_requested": _l("Documents requested"),
    "finance.documents_provided": _l("Documents provided"),
    "finance.loan_approved": _l("Approved"),
    "finance.loan_declined": _l("Declined"),
    "finance.loan_withdrawn": _l("Withdrawn"),
    "finance.loan_signed_by_bank": _l("Signed by the bank"),
    "finance.loan_signed_by_owner": _l("Signed by the applicant"),
    "finance.loan_pledged": _l("Pledges entered in the IP register"),
    "finance.loan_repaid": _l("Repaid; pledges released"),
    "finance.loan_defaulted": _l("Default recorded"),
    "finance.proceeds_recorded": _l("Proceeds recorded"),
    "finance.risk_shared": _l("Risk share recorded"),
    "finance.disposal_requested": _l("Pledged assets put up for sale by the bank"),
    "finance.disposal_cancelled": _l("Sale given up by the bank"),
    "finance.disposal_refused": _l("Sale refused by the owner side"),
    "finance.disposal_started": _l("Sale started in public trading"),
    "finance.disposal_sold": _l("Pledged assets sold; the price is recorded"),
    "finance.disposal_unsold": _l("Sale ended without a buyer"),
    "finance.loan_disposed": _l("Loan closed by the sale of the pledged assets"),
}
BOX_LABELS = {"all": _l("All I can see"), "mine": _l("Ours"), "to_decide": _l("Waiting for us")}


@bp.app_template_filter("finance_action_label")
def _action_label(code: str) -> str:
    label = AUDIT_LABELS.get(code)
    return str(label) if label is not None else code


bp.add_app_template_filter(loan_status_label, "loan_status_label")
bp.add_app_template_filter(investment_status_label, "investment_status_label")
bp.add_app_template_filter(sharer_label, "sharer_label")


def _loan_or_404(loan_id: int) -> PledgeLoan:
    return get_or_404(PledgeLoan, loan_id, visible=lambda loan: permissions.can_view_loan(current_user, loan))


@bp.get("/finance/")
@login_required
def index():
    box = request.args.get("box") or "all"
    if box not in loans.BOXES:
        box = "all"
    status = request.args.get("status") or None
    if status not in {None, *(s.value for s in LoanStatus)}:
        status = None
    try:
        page_no, per_page = read_page_args(request.args)
    except DomainError:
        page_no, per_page = 1, 20
    page = paginate(loans.loans_visible_to(current_user, box=box, status=status), page_no, per_page)
    return render_template(
        "finance/index.html",
        page=page,
        box=box,
        boxes=BOX_LABELS,
        status=status,
        statuses=list(LoanStatus),
        can_apply=permissions.can_apply(current_user),
        is_investor=permissions.is_investor(current_user),
        can_see_figures=permissions.can_see_figures(current_user),
    )


def _render_apply(form: ApplyForm, status: int = 200):
    return render_template("finance/apply.html", form=form), status


def _apply_form() -> ApplyForm:
    form = ApplyForm()
    form.bank_org_id.choices = [(b.id, b.name) for b in loans.banks()]
    form.asset_ids.choices = [
        (a.id, f"{a.title} ({a.display_identifier})" + (" · " + _("co-owned") if len(a.owners) > 1 else ""))
        for a in loans.pledgeable_assets(current_user)
    ]
    form.evaluation_id.choices = [("", "—")] + [
        (
            e.id,
            _(
                "%(asset)s · TRL %(trl)s · %(provider)s · %(day)s",
                asset=e.asset.title,
                trl=e.trl,
                provider=e.provider.organization.name,
                day=e.evaluated_on.isoformat(),
            ),
        )
        for e in loans.evaluations_for(current_user)
    ]
    return form


@bp.route("/finance/pledges/new", methods=["GET", "POST"])
@login_required
def apply():
    if not permissions.can_apply(current_user):
        abort(403)
    form = _apply_form()
    if request.method == "GET":
        return _render_apply(form)
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "error")
        return _render_apply(form, 422)
    ok, loan, status = attempt_with_status(
        lambda: loans.apply_for_loan(
            bank_org_id=form.bank_org_id.data,
            asset_ids=list(form.asset_ids.data or []),
            amount_fen=form.amount_fen.data,
            term_months=form.term_months.data,
            purpose=form.purpose.data,
            evaluation_ref=form.evaluation_ref.data,
            evaluation_id=form.evaluation_id.data,
            valuation_report=form.valuation_report.data
            if getattr(form.valuation_report.data, "filename", None)
            else None,
            actor=current_user,
        ),
        success=_("The application is sent to the bank."),
        form=form,
    )
    if not ok:
        return _render_apply(form, status)
    return redirect(url_for("finance.loan_detail", loan_id=loan.id))


FORMS: dict[str, type] = {
    "consent": ConsentForm,
    "documents_request": DocumentsRequestForm,
    "documents": DocumentsForm,
    "approve": ApproveForm,
    "decline": DeclineForm,
    "sign": BankSignForm,
    "repay": RepayForm,
    "default": DefaultForm,
    "proceeds": ProceedsForm,
    "risk_share": RiskShareForm,
    "disposal": DisposalForm,
    "refuse_sale": RefuseSaleForm,
}


def _risk_form(form: RiskShareForm | None = None) -> RiskShareForm:
    form = form or RiskShareForm(formdata=None)
    form.sharer_org_id.choices = [("", "—")] + [(o.id, f"{o.name} · {o.kind_label}") for o in risk.sharers()]
    return form


def _render_detail(loan: PledgeLoan, *, forms: dict | None = None, status: int = 200):
    all_forms = {name: cls(formdata=None) for name, cls in FORMS.items()}
    today = today_shanghai()  # the dates the steps usually happen on, to change if not
    all_forms["sign"].signed_on.data = today
    all_forms["repay"].repaid_on.data = today
    all_forms["default"].defaulted_on.data = today
    all_forms["proceeds"].received_on.data = today
    all_forms["risk_share"] = _risk_form()
    live = loan.live_disposal
    all_forms["start_sale"] = _start_form(live) if live is not None else None
    all_forms.update(forms or {})
    return render_template(
        "finance/detail.html",
        loan=loan,
        forms=all_forms,
        action_form=ActionForm(),
        valuation=loans.valuation_reports(loan),
        documents=loans.documents(loan),
        trail=audit_trail(loan),
        permissions=permissions,
    ), status


def _start_form(disposal: Disposal, form: StartSaleForm | None = None) -> StartSaleForm:
    form = form or StartSaleForm(formdata=None)
    form.listing_id.choices = [("", "—")] + [
        (row.id, f"{row.title} (#{row.id})") for row in disposals.sale_listings(disposal)
    ]
    return form


@bp.get("/finance/pledges/<int:loan_id>")
@login_required
def loan_detail(loan_id: int):
    loan = _loan_or_404(loan_id)
    if disposals.needs_sync(loan):  # a sale under way: its outcome, read from public trading
        with write_transaction():
            disposals.sync_loan(loan)
    return _render_detail(loan)


def _step(loan_id: int, name: str, allowed: Callable, action: Callable, success: str):
    """Check the permission, validate the step's form, call the service, show the loan."""
    loan = _loan_or_404(loan_id)
    if not allowed(current_user, loan):
        abort(403)
    form = _risk_form(RiskShareForm()) if name == "risk_share" else FORMS[name]()
    if not form.validate_on_submit():
        return _render_detail(loan, forms={name: form}, status=422)
    ok, _result, status = attempt_with_status(lambda: action(loan, form), success=success, form=form)
    if not ok:
        return _render_detail(_loan_or_404(loan_id), forms={name: form}, status=status)
    return redirect(url_for("finance.loan_detail", loan_id=loan_id))


def _button(loan_id: int, allowed: Callable, action: Callable, success: str):
    loan = _loan_or_404(loan_id)
    if not allowed(current_user, loan):
        abort(403)
    if not ActionForm().validate_on_submit():
        abort(400)
    attempt(lambda: action(loan), success=success)
    return redirect(url_for("finance.loan_detail", loan_id=loan_id))


@bp.post("/finance/pledges/<int:loan_id>/consent")
@login_required
def consent(loan_id: int):
    give = request.form.get("give") == "1"
    return _step(
        loan_id,
        "consent",
        permissions.can_answer_consent,
        lambda loan, form: loans.answer_consent(loan, give=give, note=form.note.data, actor=current_user),
        _("Your consent is recorded.") if give else _("Your refusal is recorded."),
    )


@bp.post("/finance/pledges/<int:loan_id>/documents-request")
@login_required
def documents_request(loan_id: int):
    return _step(
        loan_id,
        "documents_request",
        permissions.can_request_documents,
        lambda loan, form: loans.request_documents(loan, request=form.request.data, actor=current_user),
        _("The applicant is asked for the documents."),
    )


@bp.post("/finance/pledges/<int:loan_id>/documents")
@login_required
def documents(loan_id: int):
    return _step(
        loan_id,
        "documents",
        permissions.can_provide_documents,
        lambda loan, form: loans.provide_documents(
            loan,
            files=[f for f in (form.documents.data or []) if getattr(f, "filename", None)],
            note=form.note.data,
            actor=current_user,
        ),
        _("The documents are sent; the bank reviews the application again."),
    )


@bp.post("/finance/pledges/<int:loan_id>/approve")
@login_required
def approve(loan_id: int):
    return _step(
        loan_id,
        "approve",
        permissions.can_approve,
        lambda loan, form: loans.approve_loan(loan, conditions=form.conditions.data, actor=current_user),
        _("The loan is approved; both sides sign next."),
    )


@bp.post("/finance/pledges/<int:loan_id>/decline")
@login_required
def decline(loan_id: int):
    return _step(
        loan_id,
        "decline",
        permissions.can_decide,
        lambda loan, form: loans.decline_loan(loan, reason=form.reason.data, actor=current_user),
        _("The loan is declined; the applicant is told why."),
    )


@bp.post("/finance/pledges/<int:loan_id>/sign")
@login_required
def sign(loan_id: int):
    loan = _loan_or_404(loan_id)
    if permissions.is_bank(current_user, loan):
        return _step(
            loan_id,
            "sign",
            permissions.can_sign,
            lambda loan, form: loans.sign_loan(
                loan,
                actor=current_user,
                pledge_registration_no=form.pledge_registration_no.data,
                signed_on=form.signed_on.data,
            ),
            _("Signed for the bank."),
        )
    return _button(
        loan_id,
        permissions.can_sign,
        lambda loan: loans.sign_loan(loan, actor=current_user),
        _("Signed for your organization."),
    )


@bp.post("/finance/pledges/<int:loan_id>/withdraw")
@login_required
def withdraw(loan_id: int):
    return _button(
        loan_id,
        permissions.can_withdraw,
        lambda loan: loans.withdraw_loan(loan, actor=current_user),
        _("The application is withdrawn."),
    )


@bp.post("/finance/pledges/<int:loan_id>/repay")
@login_required
def repay(loan_id: int):
    return _step(
        loan_id,
        "repay",
        permissions.can_close,
        lambda loan, form: loans.repay_loan(loan, actor=current_user, repaid_on=form.repaid_on.data),
        _("The repayment is recorded and the pledges are released."),
    )


@bp.post("/finance/pledges/<int:loan_id>/default")
@login_required
def default(loan_id: int):
    return _step(
        loan_id,
        "default",
        permissions.can_close,
        lambda loan, form: loans.default_loan(
            loan,
            actor=current_user,
            defaulted_on=form.defaulted_on.data,
            note=form.note.data,
            proceeds_fen=form.proceeds_fen.data,
        ),
        _("The default is recorded."),
    )


@bp.post("/finance/pledges/<int:loan_id>/proceeds")
@login_required
def proceeds(loan_id: int):
    return _step(
        loan_id,
        "proceeds",
        permissions.can_record_proceeds,
        lambda loan, form: loans.record_proceeds(
            loan,
            amount_fen=form.amount_fen.data,
            received_on=form.received_on.data,
            note=form.note.data,
            release=bool(form.release.data),
            actor=current_user,
        ),
        _("The proceeds are recorded."),
    )


@bp.post("/finance/pledges/<int:loan_id>/risk-shares")
@login_required
def risk_share(loan_id: int):
    return _step(
        loan_id,
        "risk_share",
        permissions.can_add_risk_share,
        lambda loan, form: risk.add_risk_share(
            loan,
            sharer_kind=form.sharer_kind.data,
            sharer_org_id=form.sharer_org_id.data,
            share_bp=form.share_bp.data,
            actor=current_user,
        ),
        _("The risk share is recorded."),
    )


@bp.post("/finance/pledges/<int:loan_id>/disposals")
@login_required
def request_disposal(loan_id: int):
    return _step(
        loan_id,
        "disposal",
        permissions.can_request_disposal,
        lambda loan, form: disposals.request_disposal(
            loan,
            mode=form.mode.data,
            price_fen=form.price_fen.data,
            increment_fen=form.increment_fen.data,
            deposit_fen=form.deposit_fen.data,
            duration_hours=form.duration_hours.data,
            notice_days=form.notice_days.data,
            note=form.note.data,
            actor=current_user,
        ),
        _("The pledged assets are put up for sale; the owner side starts the sale on its listing."),
    )


def _disposal_or_404(loan_id: int, disposal_id: int) -> Disposal:
    loan = _loan_or_404(loan_id)
    disposal = db.session.get(Disposal, disposal_id)
    if disposal is None or disposal.loan_id != loan.id:
        abort(404)
    return disposal


@bp.post("/finance/pledges/<int:loan_id>/disposals/<int:disposal_id>/start")
@login_required
def start_sale(loan_id: int, disposal_id: int):
    disposal = _disposal_or_404(loan_id, disposal_id)
    if not permissions.can_answer_disposal(current_user, disposal):
        abort(403)
    form = _start_form(disposal, StartSaleForm())
    if not form.validate_on_submit():
        return _render_detail(disposal.loan, forms={"start_sale": form}, status=422)
    ok, _result, status = attempt_with_status(
        lambda: disposals.start_sale(disposal, listing_id=form.listing_id.data, actor=current_user),
        success=_("The sale is started in public trading."),
        form=form,
    )
    if not ok:
        return _render_detail(_loan_or_404(loan_id), forms={"start_sale": form}, status=status)
    return redirect(url_for("finance.loan_detail", loan_id=loan_id))


@bp.post("/finance/pledges/<int:loan_id>/disposals/<int:disposal_id>/refuse")
@login_required
def refuse_sale(loan_id: int, disposal_id: int):
    disposal = _disposal_or_404(loan_id, disposal_id)
    return _step(
        loan_id,
        "refuse_sale",
        lambda user, loan: permissions.can_answer_disposal(user, disposal),
        lambda loan, form: disposals.refuse_disposal(disposal, reason=form.reason.data, actor=current_user),
        _("Your refusal is sent to the bank."),
    )


@bp.post("/finance/pledges/<int:loan_id>/disposals/<int:disposal_id>/cancel")
@login_required
def cancel_sale(loan_id: int, disposal_id: int):
    disposal = _disposal_or_404(loan_id, disposal_id)
    return _button(
        loan_id,
        lambda user, loan: permissions.can_cancel_disposal(user, disposal),
        lambda loan: disposals.cancel_disposal(disposal, actor=current_user),
        _("The sale is given up; the pledges block transfers again."),
    )


@bp.get("/finance/pledges/<int:loan_id>/files/<int:attachment_id>")
@login_required
def loan_file(loan_id: int, attachment_id: int):
    loan = _loan_or_404(loan_id)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment not in [*loans.valuation_reports(loan), *loans.documents(loan)]:
        abort(404)
    return send_attachment(attachment)
