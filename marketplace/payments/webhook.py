"""Stripe's signed webhook events: verified, de-duplicated, and applied from the
state Stripe has now (never from the payload)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..core.locking import lock
from ..extensions import db
from .gateway import (
    Intent,
    WebhookSignatureError,
    stripe_gateway,
)
from .models import Payment, StripeEvent
from .refunds import sync_stripe_refunds
from .states import (
    PaymentMethod,
)
from .stripe_payments import apply_intent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookAnswer:
    status: int
    outcome: str


REFUND_EVENTS = frozenset(
    {"charge.refunded", "charge.refund.updated", "refund.created", "refund.updated", "refund.failed"}
)


def _payment_for_intent(intent_id: str | None, intent: Intent | None) -> Payment | None:
    if intent_id:
        payment = db.session.scalar(select(Payment).where(Payment.stripe_payment_intent_id == intent_id))
        if payment is not None:
            return payment
    if intent is not None and intent.metadata.get("payment_id", "").isdigit():
        # Created by us, but the webhook came before we stored the PaymentIntent's id.
        payment = db.session.get(Payment, int(intent.metadata["payment_id"]))
        if (
            payment is not None
            and payment.method == PaymentMethod.STRIPE
            and payment.stripe_payment_intent_id is None
            and payment.amount_fen == intent.amount_fen
        ):
            return payment
    return None


def handle_stripe_webhook(payload: bytes, signature: str | None) -> WebhookAnswer:
    """Verify, de-duplicate and apply one webhook delivery. The caller commits.

    - bad signature: 400, nothing stored;
    - an event id already stored: 200, nothing changes;
    - an unknown PaymentIntent (or an event type we do not use): 200, logged, nothing stored;
    - otherwise the PaymentIntent (or its refunds) is read again from Stripe and its
      current state applied, and the event id is stored in the same transaction.
    """
    gateway = stripe_gateway()
    if gateway is None:
        log.warning("Stripe webhook received but Stripe is not configured")
        return WebhookAnswer(400, "not_configured")
    try:
        event = gateway.construct_event(payload, signature)
    except WebhookSignatureError as exc:
        log.warning("Stripe webhook refused: %s", exc)
        return WebhookAnswer(400, "bad_signature")
    if db.session.scalar(select(StripeEvent.id).where(StripeEvent.event_id == event.id)) is not None:
        log.info("Stripe event %s delivered again; ignored", event.id)
        return WebhookAnswer(200, "duplicate")
    is_intent_event = event.type.startswith("payment_intent.")
    if not is_intent_event and event.type not in REFUND_EVENTS:
        log.info("Stripe event %s of type %s not used; ignored", event.id, event.type)
        return WebhookAnswer(200, "ignored_type")
    intent_id = event.payment_intent_id
    intent = gateway.retrieve_intent(intent_id) if intent_id else None  # GatewayError: 502, Stripe retries
    payment = _payment_for_intent(intent_id, intent)
    if payment is None and intent is not None and intent.metadata.get("purpose") and is_intent_event:
        return _other_intent(event, intent)
    if payment is None or intent is None:
        log.info(
            "Stripe event %s (%s) for unknown PaymentIntent %s; ignored", event.id, event.type, intent_id
        )
        return WebhookAnswer(200, "ignored_unknown")
    # Store the event id first: a concurrent delivery of the same event waits on
    # the unique index and then fails, so only one applies it.
    stored = StripeEvent(
        event_id=event.id,
        type=event.type,
        object_id=event.object_id,
        payment_id=payment.id,
        outcome="received",
    )
    db.session.add(stored)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        log.info("Stripe event %s applied concurrently; ignored", event.id)
        return WebhookAnswer(200, "duplicate")
    payment = lock(payment)
    if is_intent_event:
        outcome = apply_intent(payment, intent)
    else:
        outcome = sync_stripe_refunds(payment, gateway.list_refunds(intent.id))
    stored.outcome = outcome[:200]
    log.info("Stripe event %s (%s) on payment %s: %s", event.id, event.type, payment.id, outcome)
    return WebhookAnswer(200, outcome)


def _other_intent(event, intent: Intent) -> WebhookAnswer:
    """An intent made for another domain (`intents.create_intent`): the event stored
    once, the domain's answer applied in the same transaction."""
    from .intents import intent_changed

    stored = StripeEvent(event_id=event.id, type=event.type, object_id=event.object_id, outcome="received")
    db.session.add(stored)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return WebhookAnswer(200, "duplicate")
    outcome = intent_changed(intent)
    if outcome is None:
        log.info("Stripe event %s (%s) for %s intent %s not known; ignored", event.id, event.type,
                 intent.metadata.get("purpose"), intent.id)  # fmt: skip
        db.session.delete(stored)  # not stored: a later delivery may find it known
        return WebhookAnswer(200, "ignored_unknown")
    stored.outcome = outcome[:200]
    return WebhookAnswer(200, outcome)
