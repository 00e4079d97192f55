"""Bidding deposits (保证金) paid online, through the payments domain's Stripe path
(`payments.intents`), where Stripe is configured.

- The buyer (or the agency that enrolled it) asks to pay: the deposit's
  idempotency key is saved and committed before the PaymentIntent is created
  with it (`commit_early`), so a retry or a crash finds the key and Stripe gives
  the same intent: a deposit paid twice is one. Asking again while the intent is
  open answers the same intent.
- Stripe confirms it (signed webhook, or "check with Stripe"): the deposit is
  confirmed and the bidder may bid. The seller side does not confirm an online
  deposit by hand.
- Released for refund (a loser at settlement, a failed or cancelled session) it
  is refunded at Stripe right after the commit, with a refund key saved in the
  same transaction; `flask biddings refunds` retries what could not be done.
  Money that arrives after the release is refunded the same way.
- The winner's deposit counts toward the price; forfeited, it is kept."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..core.errors import Conflict, PermissionDenied
from ..core.locking import lock
from ..core.models import record_audit
from ..core.timeutil import utcnow
from ..core.transaction import after_commit, commit_early
from ..extensions import db
from ..payments import intents
from ..payments.gateway import GatewayError, Intent
from . import permissions
from .models import BiddingDeposit, BiddingEnrolment
from .states import DEPOSIT_MACHINE, DepositStatus

log = logging.getLogger(__name__)

PURPOSE = "bidding_deposit"


def stripe_offered() -> bool:
    return intents.stripe_offered()


def pay_online(enrolment: BiddingEnrolment, *, actor, now: datetime | None = None
               ) -> tuple[BiddingDeposit, Intent | None]:  # fmt: skip
    """Start (or resume) paying the enrolment's deposit online; answers the intent to
    complete in the browser (None when the deposit is already confirmed)."""
    now = now or utcnow()
    session = enrolment.session
    if not permissions.can_pay_deposit(actor, enrolment):
        raise PermissionDenied(
            _l("Only the enrolled buyer, or the agency that enrolled it, pays its deposit.")
        )
    deposit = lock(enrolment.deposit)
    if deposit.status == DepositStatus.CONFIRMED.value:
        return deposit, None
    intents.require_stripe()  # without Stripe keys: 409, the deposit stays a bank transfer
    if deposit.status != DepositStatus.AWAITING.value or session.phase(now) not in ("announced", "open"):
        raise Conflict(_l("This deposit can no longer be paid."), code="deposit_closed")
    if deposit.stripe_payment_intent_id:
        intent = intents.retrieve_intent(deposit.stripe_payment_intent_id)
        if intent is not None:
            apply_intent(deposit, intent, now=now)
            if deposit.status == DepositStatus.CONFIRMED.value:
                return deposit, None
            if intent.status != "canceled":
                return deposit, intent
        # Cancelled (or unknown to Stripe): a new intent, under a new key.
        deposit.stripe_payment_intent_id = None
        deposit.idempotency_key = None
    if deposit.idempotency_key is None:
        deposit.idempotency_key = f"hljdep-{uuid.uuid4().hex}"
        deposit.method = "stripe"
        record_audit("bidding.deposit_online", session, actor=actor, data={"code": enrolment.code})
    commit_early("the online deposit's idempotency key is durable before Stripe is asked")
    try:
        intent = intents.create_intent(
            deposit.amount_fen,
            idempotency_key=deposit.idempotency_key,
            purpose=PURPOSE,
            metadata={
                "deposit_id": str(deposit.id),
                "session_id": str(session.id),
                "bidder_code": enrolment.code,
            },
        )
    except GatewayError as exc:
        if exc.definitive:
            deposit = lock(deposit)
            deposit.method, deposit.idempotency_key = (
                "bank_transfer",
                None,
            )  # a refused key is not tried again
            commit_early("Stripe refused the deposit for good; it may be paid by bank transfer")
        raise
    deposit = lock(deposit)
    deposit.stripe_payment_intent_id = intent.id
    apply_intent(deposit, intent, now=now)
    return deposit, intent


def apply_intent(deposit: BiddingDeposit, intent: Intent, *, now: datetime | None = None) -> str:
    """Bring the (locked) deposit in line with its PaymentIntent as Stripe has it now."""
    if intent.amount_fen != deposit.amount_fen or intent.currency != "cny":
        log.error("PaymentIntent %s does not match deposit %s; not applied", intent.id, deposit.id)
        return "amount_mismatch"
    if deposit.stripe_payment_intent_id is None:
        deposit.stripe_payment_intent_id = intent.id
    deposit.stripe_status = intent.status
    if intent.status != "succeeded":
        return "pending" if intent.status != "canceled" else "canceled"
    if deposit.status == DepositStatus.AWAITING.value:
        DEPOSIT_MACHINE.apply(deposit, DepositStatus.CONFIRMED)
        deposit.confirmed_at = now or utcnow()
        record_audit("bidding.deposit_confirmed", deposit.enrolment.session, actor=None,
                     data={"code": deposit.enrolment.code, "by": "stripe", "payment_intent": intent.id})  # fmt: skip
        return "confirmed"
    if deposit.status == DepositStatus.RELEASED.value and deposit.refund_status is None:
        refund_due(deposit)  # the money came after the deposit was released
        return "refund_due"
    return "unchanged"


def intent_changed(intent: Intent) -> str | None:
    """The payments webhook's question for intents of purpose `bidding_deposit`."""
    if intent.metadata.get("purpose") != PURPOSE:
        return None
    deposit = db.session.scalar(
        select(BiddingDeposit).where(BiddingDeposit.stripe_payment_intent_id == intent.id)
    )
    if deposit is None and intent.metadata.get("deposit_id", "").isdigit():
        candidate = db.session.get(BiddingDeposit, int(intent.metadata["deposit_id"]))
        if (
            candidate is not None
            and candidate.method == "stripe"
            and candidate.stripe_payment_intent_id is None
        ):
            deposit = candidate  # the webhook came before the intent's id was stored
    if deposit is None:
        return None
    return apply_intent(lock(deposit), intent)


def refresh(deposit: BiddingDeposit, *, actor, now: datetime | None = None) -> BiddingDeposit:
    """The "check with Stripe" button: read the intent again and apply it."""
    if not permissions.can_pay_deposit(actor, deposit.enrolment):
        raise PermissionDenied()
    if deposit.stripe_payment_intent_id:
        intent = intents.retrieve_intent(deposit.stripe_payment_intent_id)
        if intent is not None:
            apply_intent(lock(deposit), intent, now=now)
    return deposit


def refund_due(deposit: BiddingDeposit) -> None:
    """Under the deposit's lock, as it is released: the refund key saved now, the
    refund asked of Stripe after the commit (an open intent is cancelled instead)."""
    if deposit.method != "stripe" or not deposit.stripe_payment_intent_id:
        return
    if deposit.stripe_status != "succeeded":
        after_commit(
            lambda ident=deposit.stripe_payment_intent_id: _cancel(ident), key=("deposit-cancel", deposit.id)
        )
        return
    if deposit.refund_status is None:
        deposit.refund_status = "pending"
        deposit.refund_idempotency_key = f"hljdeprf-{uuid.uuid4().hex}"
    after_commit(lambda ident=deposit.id: refund_now(ident), key=("deposit-refund", deposit.id))


def _cancel(intent_id: str) -> None:
    try:
        intents.cancel_intent(intent_id)
    except GatewayError as exc:
        log.warning("PaymentIntent %s of a released deposit not cancelled: %s", intent_id, exc.detail)


def refund_now(deposit_id: int) -> str:
    """Ask Stripe for a due refund (its own transaction, committed). Safe to repeat:
    the saved key makes Stripe answer the same refund."""
    deposit = lock(db.session.get(BiddingDeposit, deposit_id))
    if deposit.refund_status != "pending" or deposit.stripe_refund_id:
        db.session.commit()  # nothing changed; the lock is let go
        return "unchanged"
    try:
        result = intents.refund_intent(
            deposit.stripe_payment_intent_id,
            deposit.amount_fen,
            idempotency_key=deposit.refund_idempotency_key,
            metadata={"deposit_id": str(deposit.id), "purpose": PURPOSE},
        )
    except GatewayError as exc:
        if exc.definitive:
            deposit.refund_status = "failed"
            db.session.commit()
            log.error("Stripe refused the refund of deposit %s: %s", deposit_id, exc.detail)
            return "failed"
        db.session.commit()  # nothing changed; the lock is let go
        log.warning(
            "refund of deposit %s not asked yet (flask biddings refunds retries): %s", deposit_id, exc.detail
        )
        return "retry"
    deposit.stripe_refund_id = result.id
    deposit.refund_status = {"succeeded": "succeeded", "failed": "failed", "canceled": "failed"}.get(
        result.status, "pending"
    )
    if deposit.refund_status == "succeeded":
        deposit.refunded_at = utcnow()
    record_audit("bidding.deposit_refunded", deposit.enrolment.session, actor=None,
                 data={"code": deposit.enrolment.code, "refund": result.id, "status": result.status})  # fmt: skip
    db.session.commit()
    return deposit.refund_status


def refunds_to_ask() -> list[int]:
    return list(
        db.session.scalars(
            select(BiddingDeposit.id)
            .where(BiddingDeposit.refund_status == "pending", BiddingDeposit.stripe_refund_id.is_(None))
            .order_by(BiddingDeposit.id)
        )
    )
