"""Web pages of the payments domain: a contract's milestones and payments, the
payment history, one payment, the card-payment page, and the Stripe webhook."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..accounts.services import bank_accounts_of
from ..contracts.models import Contract
from ..core.dbsetup import writes_on_read
from ..core.errors import DomainError
from ..core.models import audit_trail
from ..core.pagination import paginate, read_page_args
from ..core.web import attempt, attempt_with_status, get_or_404
from ..extensions import csrf, db
from ..storage.uploads import Attachment, attachments_of, send_attachment
from . import permissions, services
from .forms import (
    BankTransferForm,
    ConfirmForm,
    DisputeForm,
    FilterForm,
    ReceiptForm,
    RefundForm,
    StripePaymentForm,
)
from .gateway import GatewayError, available_methods, stripe_enabled
from .models import Payment
from .states import (
    PaymentMethod,
    PaymentStatus,
    method_label,
    milestone_status_label,
    party_roles,
    payment_status_label,
)

log = logging.getLogger(__name__)

bp = Blueprint("payments", __name__)


AUDIT_LABELS = {
    "payment.recorded": _l("Transfer recorded by the payer"),
    "payment.started": _l("Online payment started"),
    "payment.confirmed": _l("Confirmed"),
    "payment.disputed": _l("Disputed by the payee"),
    "payment.canceled": _l("Cancelled"),
    "payment.failed": _l("Refused by Stripe"),
    "payment.receipt_added": _l("Receipt attached"),
    "payment.refund_recorded": _l("Refund recorded"),
}


@bp.app_template_filter("payment_action_label")
def _action_label(code: str) -> str:
    label = AUDIT_LABELS.get(code)
    return str(label) if label is not None else code


bp.add_app_template_filter(payment_status_label, "payment_status_label")
bp.add_app_template_filter(milestone_status_label, "milestone_status_label")


def _contract_or_404(contract_id: int) -> Contract:
    return get_or_404(Contract, contract_id, visible=lambda c: permissions.can_view_payments(current_user, c))


def _payment_or_404(payment_id: int) -> Payment:
    return get_or_404(Payment, payment_id, visible=lambda p: permissions.can_view_payment(current_user, p))


def _milestone_choices(figures) -> list[tuple[int, str]]:
    return [
        (f.seq, _("Milestone %(n)s (due %(due)s)", n=f.seq, due=f.due_on.isoformat()))
        for f in figures
        if f.open_fen > 0
    ]


def _render_contract(
    contract: Contract,
    *,
    transfer_form: BankTransferForm | None = None,
    stripe_form: StripePaymentForm | None = None,
    status: int = 200,
):
    figures = services.milestone_figures(contract)
    choices = _milestone_choices(figures)
    transfer_form = transfer_form or BankTransferForm(formdata=None)
    stripe_form = stripe_form or StripePaymentForm(formdata=None)
    transfer_form.seq.choices = choices
    stripe_form.seq.choices = choices
    totals = {
        "amount_fen": sum(f.amount_fen for f in figures),
        "paid_fen": sum(f.paid_fen for f in figures),
        "pending_fen": sum(f.pending_fen for f in figures),
        "commission_due_fen": sum(f.commission_due_fen or 0 for f in figures),
        "commission_earned_fen": sum(f.commission_earned_fen or 0 for f in figures),
    }
    contract_link = (
        url_for("contracts.detail", contract_id=contract.id)
        if "contracts.detail" in current_app.view_functions
        else None
    )
    return render_template(
        "payments/contract.html",
        contract=contract,
        contract_link=contract_link,
        figures=figures,
        totals=totals,
        payments=services.payments_of_contract(contract),
        commission_bp=services.agency_commission_bp(contract),
        can_pay=permissions.can_pay(current_user, contract),
        is_buyer=permissions.is_buyer(current_user, contract),
        payable=permissions.is_payable(contract),
        role=permissions.role_on(current_user, contract),
        stripe_enabled=stripe_enabled(),
        transfer_form=transfer_form,
        stripe_form=stripe_form,
        confirm_form=ConfirmForm(),
        permissions=permissions,
        party_roles=party_roles(contract.category),
        # Where the payer transfers to: the payee's recorded accounts (the payee is the
        # seller's side of the contract, see bank.record_bank_transfer).
        payee_accounts=bank_accounts_of(contract.seller_org_id),
    ), status


@bp.get("/contracts/<int:contract_id>/payments")
@login_required
def contract_payments(contract_id: int):
    contract = _contract_or_404(contract_id)
    return _render_contract(contract)


@bp.post("/contracts/<int:contract_id>/payments/bank-transfer")
@login_required
def record_transfer(contract_id: int):
    contract = _contract_or_404(contract_id)
    form = BankTransferForm()
    form.seq.choices = _milestone_choices(services.milestone_figures(contract))
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "error")
        return _render_contract(contract, transfer_form=form, status=422)
    ok, payment, status = attempt_with_status(
        lambda: services.record_bank_transfer(
            contract,
            form.seq.data,
            amount_fen=form.amount_fen.data,
            paid_on=form.paid_on.data,
            reference=form.reference.data,
            payer_account_name=form.payer_account_name.data,
            receipt=form.receipt.data,
            actor=current_user,
        ),
        success=_("The transfer is recorded. The seller will confirm when the money arrives."),
        form=form,
    )
    if not ok:
        return _render_contract(contract, transfer_form=form, status=status)
    return redirect(url_for("payments.detail", payment_id=payment.id))


@bp.post("/contracts/<int:contract_id>/payments/stripe")
@login_required
def start_stripe(contract_id: int):
    contract = _contract_or_404(contract_id)
    form = StripePaymentForm()
    form.seq.choices = _milestone_choices(services.milestone_figures(contract))
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "error")
        return _render_contract(contract, stripe_form=form, status=422)
    ok, started, status = attempt_with_status(
        lambda: services.start_stripe_payment(
            contract, form.seq.data, amount_fen=form.amount_fen.data, actor=current_user
        ),
        form=form,
    )
    if not ok:
        return _render_contract(contract, stripe_form=form, status=status)
    payment, _intent = started
    return redirect(url_for("payments.card", payment_id=payment.id))


@bp.get("/payments")
@login_required
def index():
    form = FilterForm(request.args)
    form.status.choices = [("", _("Any status"))] + [
        (s.value, payment_status_label(s)) for s in PaymentStatus
    ]
    form.method.choices = [("", _("Any method"))] + [(m.value, method_label(m)) for m in PaymentMethod]
    status = request.args.get("status") or None
    method = request.args.get("method") or None
    if status not in {None, *(s.value for s in PaymentStatus)}:
        status = None
    if method not in {None, *(m.value for m in PaymentMethod)}:
        method = None
    try:
        page_no, per_page = read_page_args(request.args)
    except DomainError:
        page_no, per_page = 1, 20
    page = paginate(
        services.payments_visible_to(current_user, status=status, method=method), page_no, per_page
    )
    totals = services.totals_for(current_user) if current_user.acts_as("seller", "buyer") else None
    return render_template(
        "payments/index.html",
        page=page,
        form=form,
        totals=totals,
        to_pay=services.contracts_to_pay(current_user),
        stripe_enabled=stripe_enabled(),
        methods=available_methods(),
    )


def _render_detail(payment: Payment, *, dispute_form=None, refund_form=None, receipt_form=None, status=200):
    return render_template(
        "payments/detail.html",
        payment=payment,
        contract=payment.contract,
        receipts=attachments_of(payment, "receipt"),
        trail=audit_trail(payment),
        confirm_form=ConfirmForm(),
        dispute_form=dispute_form or DisputeForm(formdata=None),
        refund_form=refund_form or RefundForm(formdata=None),
        receipt_form=receipt_form or ReceiptForm(formdata=None),
        permissions=permissions,
        stripe_enabled=stripe_enabled(),
    ), status


@bp.get("/payments/<int:payment_id>")
@login_required
def detail(payment_id: int):
    return _render_detail(_payment_or_404(payment_id))


@bp.get("/payments/<int:payment_id>/card")
@writes_on_read  # stores the PaymentIntent it starts
@login_required
def card(payment_id: int):
    """The card-payment page: the server side of the PaymentIntent flow and its status.

    Stripe.js cannot be loaded here (CSP 'self', no network at run time), so the
    page shows where the flow stands instead of Stripe's card form."""
    payment = _payment_or_404(payment_id)
    if payment.method != PaymentMethod.STRIPE:
        return redirect(url_for("payments.detail", payment_id=payment.id))
    client_secret = None
    gateway_error = None
    if payment.status == PaymentStatus.PENDING and permissions.is_buyer(current_user, payment.contract):
        try:
            client_secret = services.client_secret_for(payment)
        except GatewayError as exc:
            db.session.rollback()
            gateway_error = str(exc)
    return render_template(
        "payments/card.html",
        payment=payment,
        contract=payment.contract,
        client_secret=client_secret,
        gateway_error=gateway_error,
        confirm_form=ConfirmForm(),
        permissions=permissions,
        stripe_enabled=stripe_enabled(),
    )


def _action(payment_id: int, allowed, run, success: str):
    payment = _payment_or_404(payment_id)
    if not allowed(current_user, payment):
        abort(403)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    attempt(lambda: run(payment), success=success)
    return redirect(url_for("payments.detail", payment_id=payment_id))


@bp.post("/payments/<int:payment_id>/confirm")
@login_required
def confirm(payment_id: int):
    return _action(
        payment_id,
        permissions.can_confirm,
        lambda p: services.confirm_payment(p, actor=current_user),
        _("The payment is confirmed as received."),
    )


@bp.post("/payments/<int:payment_id>/cancel")
@login_required
def cancel(payment_id: int):
    return _action(
        payment_id,
        permissions.can_cancel,
        lambda p: services.cancel_payment(p, actor=current_user),
        _("The payment is cancelled."),
    )


@bp.post("/payments/<int:payment_id>/refresh")
@login_required
def refresh(payment_id: int):
    payment = _payment_or_404(payment_id)
    form = ConfirmForm()
    if not form.validate_on_submit() or payment.method != PaymentMethod.STRIPE:
        abort(400)
    ok, _result = attempt(lambda: services.refresh_stripe_payment(payment))
    if ok:
        flash(_("The status was read again from Stripe."), "info")
    return redirect(url_for("payments.card", payment_id=payment_id))


@bp.post("/payments/<int:payment_id>/dispute")
@login_required
def dispute(payment_id: int):
    payment = _payment_or_404(payment_id)
    if not permissions.can_dispute(current_user, payment):
        abort(403)
    form = DisputeForm()
    if not form.validate_on_submit():
        return _render_detail(payment, dispute_form=form, status=422)
    ok, _result, status = attempt_with_status(
        lambda: services.dispute_payment(payment, reason=form.reason.data, actor=current_user),
        success=_("The transfer is marked as disputed; the buyer is told why."),
        form=form,
    )
    if not ok:
        return _render_detail(payment, dispute_form=form, status=status)
    return redirect(url_for("payments.detail", payment_id=payment_id))


@bp.post("/payments/<int:payment_id>/refunds")
@login_required
def refund(payment_id: int):
    payment = _payment_or_404(payment_id)
    if not permissions.can_refund(current_user, payment):
        abort(403)
    form = RefundForm()
    if not form.validate_on_submit():
        return _render_detail(payment, refund_form=form, status=422)
    ok, _result, status = attempt_with_status(
        lambda: services.record_refund(
            payment,
            amount_fen=form.amount_fen.data,
            reason=form.reason.data,
            refunded_on=form.refunded_on.data,
            reference=form.reference.data,
            actor=current_user,
        ),
        success=_("The refund is recorded."),
        form=form,
    )
    if not ok:
        return _render_detail(_payment_or_404(payment_id), refund_form=form, status=status)
    return redirect(url_for("payments.detail", payment_id=payment_id))


@bp.post("/payments/<int:payment_id>/receipts")
@login_required
def add_receipt(payment_id: int):
    payment = _payment_or_404(payment_id)
    if not permissions.can_upload_receipt(current_user, payment):
        abort(403)
    form = ReceiptForm()
    if not form.validate_on_submit():
        return _render_detail(payment, receipt_form=form, status=422)
    ok, _result, status = attempt_with_status(
        lambda: services.attach_receipt(payment, form.receipt.data, actor=current_user),
        success=_("The receipt is attached."),
        form=form,
    )
    if not ok:
        return _render_detail(payment, receipt_form=form, status=status)
    return redirect(url_for("payments.detail", payment_id=payment_id))


@bp.get("/payments/<int:payment_id>/receipts/<int:attachment_id>")
@login_required
def receipt(payment_id: int, attachment_id: int):
    payment = _payment_or_404(payment_id)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment not in attachments_of(payment, "receipt"):
        abort(404)
    return send_attachment(attachment)


@bp.post("/payments/stripe/webhook")
@csrf.exempt
def stripe_webhook():
    """Stripe's signed events. No login, no CSRF: the signature on the raw body is the check."""
    payload = request.get_data(cache=False, as_text=False)
    try:
        answer = services.handle_stripe_webhook(payload, request.headers.get("Stripe-Signature"))
    except GatewayError as exc:
        # Stripe could not be asked for the current state: answer an error so Stripe delivers
        # again (the 503 rolls the request back).
        log.warning("Stripe webhook not applied, Stripe unreachable: %s", exc.detail)
        return jsonify({"received": False, "outcome": "retry_later"}), 503
    # The boundary commits a 200 (the event id with its effect) and rolls back a 400.
    return jsonify({"received": answer.status == 200, "outcome": answer.outcome}), answer.status
