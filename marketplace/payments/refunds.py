"""Refunds: a bank transfer back recorded by the seller, or a Stripe refund whose
row and idempotency key are made durable (`commit_early`) before Stripe is asked."""

from __future__ import annotations

import uuid
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..accounts.models import User
from ..core.errors import Conflict, PermissionDenied, ValidationError
from ..core.locking import lock
from ..core.models import record_audit
from ..core.money import format_yuan
from ..core.states import transition
from ..core.timeutil import today_shanghai, utcnow
from ..core.transaction import commit_early
from ..extensions import db
from ..notifications.services import N_
from . import permissions
from .gateway import (
    GatewayError,
    RefundResult,
    gateway_for,
)
from .models import Payment, Refund
from .rules import notify_org
from .states import (
    PaymentMethod,
    PaymentStatus,
    RefundStatus,
)


def _refundable_fen(payment: Payment) -> int:
    """Confirmed amount minus refunds done or under way, read from the database."""
    if payment.status != PaymentStatus.CONFIRMED:
        return 0
    taken = db.session.scalar(
        select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(
            Refund.payment_id == payment.id,
            Refund.status.in_([RefundStatus.PENDING.value, RefundStatus.SUCCEEDED.value]),
        )
    )
    return payment.amount_fen - int(taken or 0)


def record_refund(
    payment: Payment,
    *,
    amount_fen: int,
    reason: str,
    actor: User,
    refunded_on: date | None = None,
    reference: str | None = None,
) -> Refund:
    """Give part or all of a confirmed payment back: a refund row of its own.

    Bank transfer: the seller records the transfer back (date, reference).
    Stripe: the refund row and its idempotency key are committed, then Stripe
    is asked to refund with that key.
    """
    if not permissions.is_seller(actor, payment.contract):
        raise PermissionDenied(_l("Only the seller (the payee) can refund a payment."))
    payment = lock(payment)
    if payment.status != PaymentStatus.CONFIRMED:
        raise Conflict(_l("Only a confirmed payment can be refunded."))
    reason = (reason or "").strip()
    errors: dict[str, list] = {}
    if not reason:
        errors["reason"] = [_l("Say why the money is refunded.")]
    is_bank = payment.method == PaymentMethod.BANK_TRANSFER
    if is_bank:
        if not (reference or "").strip():
            errors["reference"] = [_l("Enter the bank's reference of the refund transfer.")]
        if refunded_on is None:
            errors["refunded_on"] = [_l("Enter the date of the refund transfer.")]
        elif refunded_on > today_shanghai():
            errors["refunded_on"] = [_l("The refund date cannot be in the future.")]
    refundable = _refundable_fen(payment)
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        errors["amount_fen"] = [_l("The amount must be more than zero.")]
    elif amount_fen > refundable:
        errors["amount_fen"] = [
            _l("At most %(amount)s of this payment can still be refunded.", amount=format_yuan(refundable))
        ]
    if errors:
        raise ValidationError(fields=errors)
    refund = Refund(
        amount_fen=amount_fen,
        status=RefundStatus.PENDING.value,
        reason=reason[:2000],
        refunded_on=refunded_on if is_bank else None,
        reference=(reference or "").strip()[:100] or None,
        idempotency_key=None if is_bank else f"hljrefund-{uuid.uuid4().hex}",
        created_by_id=actor.id,
    )
    payment.refunds.append(refund)
    db.session.flush()
    record_audit(
        "payment.refund_recorded",
        payment,
        actor=actor,
        data={"refund_id": refund.id, "amount_fen": amount_fen},
    )
    gateway = gateway_for(payment.method)
    if not is_bank:
        commit_early("the refund's idempotency key is durable before Stripe is asked")
    try:
        result = gateway.refund(payment, refund)
    except GatewayError as exc:
        if exc.definitive:
            transition(refund, RefundStatus.FAILED)
            refund.failure_reason = (exc.detail or str(exc))[:500]
            # The answer is an error (the request rolls back), but Stripe's refusal is final:
            # a refund left pending would hold its amount as not refundable for ever.
            commit_early("Stripe refused the refund for good; the failure is kept")
        raise
    apply_refund_result(refund, result)
    notify_org(
        payment.payer_org_id,
        ("buyer", "seller"),
        N_("The seller refunded part of your payment of %(amount)s on milestone %(seq)s of “%(contract)s”."),
        payment,
    )
    return refund


def apply_refund_result(refund: Refund, result: RefundResult) -> str:
    if result.id and refund.stripe_refund_id is None:
        refund.stripe_refund_id = result.id
    if refund.status != RefundStatus.PENDING:
        return "unchanged"
    if result.status == "succeeded":
        transition(refund, RefundStatus.SUCCEEDED)
        refund.succeeded_at = utcnow()
        return "refunded"
    if result.status in ("failed", "canceled"):
        transition(refund, RefundStatus.FAILED)
        refund.failure_reason = (result.failure_reason or result.status)[:500]
        return "refund_failed"
    return "pending"


def sync_stripe_refunds(payment: Payment, results: list[RefundResult]) -> str:
    """Apply the refunds Stripe has for a payment's PaymentIntent, including ones
    made outside the platform (in Stripe's dashboard)."""
    outcomes = []
    for result in results:
        refund = None
        if result.id:
            refund = db.session.scalar(select(Refund).where(Refund.stripe_refund_id == result.id))
        if refund is None and result.metadata.get("refund_id", "").isdigit():
            candidate = db.session.get(Refund, int(result.metadata["refund_id"]))
            if (
                candidate is not None
                and candidate.payment_id == payment.id
                and candidate.stripe_refund_id is None
            ):
                refund = candidate
        if refund is None:
            if result.status not in ("succeeded", "pending"):
                continue
            refund = Refund(
                amount_fen=result.amount_fen,
                status=RefundStatus.PENDING.value,
                reason="Refunded at Stripe, outside the platform",
                stripe_refund_id=result.id,
            )
            payment.refunds.append(refund)
            db.session.flush()
            record_audit("payment.refund_recorded", payment, data={"refund_id": refund.id, "by": "stripe"})
        outcomes.append(apply_refund_result(refund, result))
    return ",".join(outcomes) or "unchanged"
