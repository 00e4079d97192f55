"""Card (and Alipay / WeChat Pay) payments through Stripe's PaymentIntents.

The payment row and its idempotency key are made durable (`commit_early`)
before Stripe is asked, so that a crash or a retry after the call finds the key
again and Stripe answers with the same object instead of charging twice."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.models import User
from ..contracts.models import Contract
from ..core.errors import Conflict
from ..core.locking import lock
from ..core.models import record_audit
from ..core.money import format_yuan
from ..core.states import transition
from ..core.timeutil import utcnow
from ..core.transaction import commit_early
from ..extensions import db
from ..notifications.services import N_
from .figures import milestone_of
from .gateway import (
    GatewayError,
    Intent,
    gateway_for,
)
from .models import Payment
from .rules import check_amount, ensure_can_pay, milestone_open_fen, notify_org
from .states import (
    PaymentMethod,
    PaymentStatus,
)

log = logging.getLogger(__name__)


def start_stripe_payment(
    contract: Contract, seq: Any, *, actor: User, amount_fen: int | None = None
) -> tuple[Payment, Intent]:
    """Begin a card (or Alipay / WeChat Pay) payment; answer the PaymentIntent to complete.

    The payment row and its idempotency key are committed before Stripe is
    called. A buyer who asks again while a card payment is under way on the
    milestone gets the same payment and PaymentIntent back (never a second one).
    """
    ensure_can_pay(contract, actor)
    gateway = gateway_for(PaymentMethod.STRIPE.value)  # 409 when Stripe is not configured
    milestone = milestone_of(contract, seq)
    milestone = lock(milestone)
    under_way = db.session.scalars(
        select(Payment).where(
            Payment.milestone_id == milestone.id,
            Payment.method == PaymentMethod.STRIPE.value,
            Payment.status == PaymentStatus.PENDING.value,
            Payment.payer_org_id == actor.organization_id,
        )
    ).first()
    if under_way is not None and amount_fen not in (None, under_way.amount_fen):
        raise Conflict(
            _l(
                "An online payment of %(amount)s is already under way on this milestone; "
                "complete or cancel it first.",
                amount=format_yuan(under_way.amount_fen),
            ),
            code="payment_under_way",
        )
    if under_way is not None and under_way.stripe_payment_intent_id:
        intent = refresh_stripe_payment(under_way)
        if under_way.status == PaymentStatus.PENDING and intent is not None:
            return under_way, intent
        under_way = None if under_way.status != PaymentStatus.PENDING else under_way
    if under_way is None:
        open_fen = milestone_open_fen(milestone)
        amount = check_amount(open_fen if amount_fen is None else amount_fen, open_fen)
        under_way = Payment(
            contract_id=contract.id,
            milestone_id=milestone.id,
            method=PaymentMethod.STRIPE.value,
            status=PaymentStatus.PENDING.value,
            amount_fen=amount,
            payer_org_id=actor.organization_id,
            payee_org_id=contract.seller_org_id,
            created_by_id=actor.id,
            idempotency_key=f"hljpay-{uuid.uuid4().hex}",
        )
        db.session.add(under_way)
        db.session.flush()
        record_audit(
            "payment.started",
            under_way,
            actor=actor,
            to_state=under_way.status,
            data={"method": under_way.method, "amount_fen": amount, "milestone": milestone.seq},
        )
    payment = under_way
    commit_early("the card payment's idempotency key is durable before Stripe is asked")
    try:
        intent = gateway.start(payment)
    except GatewayError as exc:
        if exc.definitive:
            payment = lock(payment)
            transition(payment, PaymentStatus.FAILED)
            payment.last_error = (exc.detail or str(exc))[:500]
            payment.closed_at = utcnow()
            record_audit(
                "payment.failed", payment, actor=actor, to_state=payment.status, data={"error": exc.detail}
            )
            # The answer is an error (the request rolls back), but Stripe's refusal is final:
            # the payment must not stay pending with a key Stripe will refuse again.
            commit_early("Stripe refused the card payment for good; the failure is kept")
        raise
    payment = lock(payment)
    payment.stripe_payment_intent_id = intent.id
    apply_intent(payment, intent)
    return payment, intent


def apply_intent(payment: Payment, intent: Intent) -> str:
    """Bring a payment in line with its PaymentIntent as Stripe has it now.

    Arrival order of webhooks does not matter: callers pass the intent just
    read from Stripe, and this applies its current status.
    """
    if intent.amount_fen != payment.amount_fen or intent.currency != "cny":
        log.error(
            "PaymentIntent %s does not match payment %s (%s %s vs %s cny); not applied",
            intent.id,
            payment.id,
            intent.amount_fen,
            intent.currency,
            payment.amount_fen,
        )
        return "amount_mismatch"
    if payment.stripe_payment_intent_id is None:
        payment.stripe_payment_intent_id = intent.id
    payment.stripe_status = intent.status
    if intent.last_error and intent.status != "succeeded":
        payment.last_error = intent.last_error[:500]
    status = PaymentStatus(payment.status)
    if intent.status == "succeeded":
        if status == PaymentStatus.CONFIRMED:
            return "unchanged"
        if status != PaymentStatus.PENDING:
            log.error(
                "PaymentIntent %s succeeded but payment %s is %s: refund it by hand",
                intent.id,
                payment.id,
                status,
            )
            return "succeeded_after_close"
        src, dst = transition(payment, PaymentStatus.CONFIRMED)
        payment.confirmed_at = utcnow()
        payment.last_error = None
        record_audit(
            "payment.confirmed",
            payment,
            from_state=src.value,
            to_state=dst.value,
            data={"payment_intent": intent.id, "by": "stripe"},
        )
        notify_org(
            payment.payee_org_id,
            ("seller",),
            N_("An online payment of %(amount)s on milestone %(seq)s of “%(contract)s” was received."),
            payment,
        )
        return "confirmed"
    if intent.status == "canceled":
        if status == PaymentStatus.PENDING:
            src, dst = transition(payment, PaymentStatus.CANCELED)
            payment.closed_at = utcnow()
            record_audit(
                "payment.canceled", payment, from_state=src.value, to_state=dst.value, data={"by": "stripe"}
            )
            return "canceled"
        return "unchanged"
    # requires_payment_method (perhaps after a decline), requires_action, processing...:
    # still pending; the payer may try again with the same client secret, or cancel.
    return "pending"


def refresh_stripe_payment(payment: Payment) -> Intent | None:
    """Read the PaymentIntent from Stripe and apply its status (the card page's "check" button)."""
    if payment.method != PaymentMethod.STRIPE or not payment.stripe_payment_intent_id:
        return None
    intent = gateway_for(PaymentMethod.STRIPE.value).retrieve_intent(payment.stripe_payment_intent_id)  # type: ignore[attr-defined]
    if intent is None:
        return None
    apply_intent(lock(payment), intent)
    return intent


def client_secret_for(payment: Payment) -> str | None:
    """The PaymentIntent's client secret, read again from Stripe (it is not stored)."""
    intent = refresh_stripe_payment(payment)
    return intent.client_secret if intent is not None else None
