"""Bank transfers: the buyer records one, the seller confirms or disputes it,
the payer cancels a payment not confirmed (an online one at Stripe first)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from ..accounts.models import User
from ..contracts.models import Contract
from ..core.errors import Conflict, PermissionDenied, ValidationError
from ..core.locking import lock
from ..core.models import record_audit
from ..core.states import transition
from ..core.timeutil import today_shanghai, utcnow
from ..extensions import db
from ..notifications.services import N_
from ..storage.uploads import save_upload
from . import permissions
from .figures import milestone_of
from .gateway import (
    gateway_for,
)
from .models import Payment
from .rules import check_amount, ensure_can_pay, milestone_open_fen, notify_org
from .states import (
    PaymentMethod,
    PaymentStatus,
)
from .stripe_payments import apply_intent


def record_bank_transfer(
    contract: Contract,
    seq: Any,
    *,
    amount_fen: int,
    paid_on: date,
    reference: str,
    payer_account_name: str,
    actor: User,
    receipt: FileStorage | None = None,
) -> Payment:
    """The buyer records a transfer it made; it waits for the seller's confirmation."""
    ensure_can_pay(contract, actor)
    milestone = milestone_of(contract, seq)
    errors: dict[str, list] = {}
    reference = (reference or "").strip()
    payer_account_name = (payer_account_name or "").strip()
    if not reference:
        errors["reference"] = [_l("Enter the bank's reference of the transfer.")]
    if not payer_account_name:
        errors["payer_account_name"] = [_l("Enter the name of the account the money came from.")]
    if paid_on is None:
        errors["paid_on"] = [_l("Enter the date of the transfer.")]
    elif paid_on > today_shanghai():
        errors["paid_on"] = [_l("The transfer date cannot be in the future.")]
    if errors:
        raise ValidationError(fields=errors)
    milestone = lock(milestone)
    amount_fen = check_amount(amount_fen, milestone_open_fen(milestone))
    payment = Payment(
        contract_id=contract.id,
        milestone_id=milestone.id,
        method=PaymentMethod.BANK_TRANSFER.value,
        status=PaymentStatus.PENDING.value,
        amount_fen=amount_fen,
        payer_org_id=actor.organization_id,
        payee_org_id=contract.seller_org_id,
        created_by_id=actor.id,
        payer_account_name=payer_account_name[:200],
        paid_on=paid_on,
        reference=reference[:100],
    )
    db.session.add(payment)
    db.session.flush()
    if receipt is not None and receipt.filename:
        save_upload(receipt, subject=payment, actor=actor, purpose="receipt", field="receipt")
    record_audit(
        "payment.recorded",
        payment,
        actor=actor,
        to_state=payment.status,
        data={"method": payment.method, "amount_fen": amount_fen, "milestone": milestone.seq},
    )
    notify_org(
        contract.seller_org_id,
        ("seller",),
        N_(
            "A bank transfer of %(amount)s on milestone %(seq)s of “%(contract)s” waits for your confirmation."
        ),
        payment,
    )
    return payment


def attach_receipt(payment: Payment, receipt: FileStorage, *, actor: User):
    if not permissions.can_upload_receipt(actor, payment):
        raise PermissionDenied(_l("Only the payer can add a receipt to a bank transfer not yet confirmed."))
    attachment = save_upload(receipt, subject=payment, actor=actor, purpose="receipt", field="receipt")
    record_audit("payment.receipt_added", payment, actor=actor, data={"attachment_id": attachment.id})
    return attachment


def confirm_payment(payment: Payment, *, actor: User) -> Payment:
    """The seller confirms that a bank transfer arrived."""
    if not permissions.is_seller(actor, payment.contract):
        raise PermissionDenied(_l("Only the seller (the payee) can confirm that a transfer arrived."))
    if payment.method != PaymentMethod.BANK_TRANSFER:
        raise Conflict(_l("Online payments are confirmed by the payment provider, not by hand."))
    lock(payment.milestone)
    payment = lock(payment)
    if payment.status == PaymentStatus.DISPUTED and payment.amount_fen > milestone_open_fen(
        payment.milestone
    ):
        raise Conflict(
            _l("Confirming this transfer would pay more than the milestone amount; other payments cover it.")
        )
    src, dst = transition(payment, PaymentStatus.CONFIRMED)
    payment.confirmed_at = utcnow()
    payment.confirmed_by_id = actor.id
    record_audit("payment.confirmed", payment, actor=actor, from_state=src.value, to_state=dst.value)
    notify_org(
        payment.payer_org_id,
        ("buyer", "seller"),
        N_("Your bank transfer of %(amount)s on milestone %(seq)s of “%(contract)s” was confirmed."),
        payment,
    )
    return payment


def dispute_payment(payment: Payment, *, reason: str, actor: User) -> Payment:
    """The seller says the transfer did not arrive (or not as recorded), with a reason."""
    if not permissions.is_seller(actor, payment.contract):
        raise PermissionDenied(_l("Only the seller (the payee) can dispute a transfer."))
    if payment.method != PaymentMethod.BANK_TRANSFER:
        raise Conflict(_l("Online payments cannot be disputed here; refund them instead."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(fields={"reason": [_l("Say why the transfer is disputed.")]})
    payment = lock(payment)
    src, dst = transition(payment, PaymentStatus.DISPUTED)
    payment.disputed_at = utcnow()
    payment.disputed_by_id = actor.id
    payment.dispute_reason = reason[:2000]
    record_audit(
        "payment.disputed",
        payment,
        actor=actor,
        from_state=src.value,
        to_state=dst.value,
        data={"reason": reason},
    )
    notify_org(
        payment.payer_org_id,
        ("buyer", "seller"),
        N_("The seller disputes your transfer of %(amount)s on milestone %(seq)s of “%(contract)s”."),
        payment,
    )
    return payment


def cancel_payment(payment: Payment, *, actor: User) -> Payment:
    """The payer withdraws a payment that was not confirmed (Stripe: the PaymentIntent is cancelled first)."""
    if not permissions.is_buyer(actor, payment.contract):
        raise PermissionDenied(_l("Only the payer can cancel a payment."))
    payment = lock(payment)
    if payment.method == PaymentMethod.STRIPE and payment.status == PaymentStatus.PENDING:
        intent = gateway_for(PaymentMethod.STRIPE.value).cancel(payment)
        if intent is not None:
            apply_intent(payment, intent)
            if payment.status == PaymentStatus.CONFIRMED:
                raise Conflict(_l("This payment has already gone through; ask the seller for a refund."))
            if payment.status == PaymentStatus.CANCELED:
                return payment
    src, dst = transition(payment, PaymentStatus.CANCELED)
    payment.closed_at = utcnow()
    record_audit("payment.canceled", payment, actor=actor, from_state=src.value, to_state=dst.value)
    return payment
