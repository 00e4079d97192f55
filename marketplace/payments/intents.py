"""PaymentIntents the payments domain makes for a domain above it (a bidding's
deposit, 保证金), which keeps its own row: money that is not a milestone payment.

The caller saves its idempotency key (and commits it, `core.transaction.commit_early`)
before asking, as a milestone payment does; each call raises `StripeNotConfigured`
(409) without Stripe keys and `GatewayError` (502, or `definitive` for a refusal).
Webhook events for these intents (metadata ``purpose``) are stored once like the
others and handed to `intent_changed`, which the app factory plugs with the
domain's answer (an outcome string, or None for an intent it does not know)."""

from __future__ import annotations

from collections.abc import Callable

from ..core.wiring import Port
from .gateway import Intent, RefundResult, StripeGateway, gateway_for, stripe_enabled
from .states import PaymentMethod

#: An intent made for another domain changed at Stripe (webhook): `intent_changed(intent)`.
intent_changed: Port[Callable[[Intent], str | None]] = Port("payments.intent_changed", lambda intent: None)


def stripe_offered() -> bool:
    """Whether this deployment takes payments through Stripe (its keys are set)."""
    return stripe_enabled()


def require_stripe() -> None:
    """Raise `StripeNotConfigured` (409) before anything is written for an online payment."""
    _stripe()


def _stripe() -> StripeGateway:
    gateway = gateway_for(PaymentMethod.STRIPE.value)  # StripeNotConfigured (409) without keys
    assert isinstance(gateway, StripeGateway)
    return gateway


def create_intent(amount_fen: int, *, idempotency_key: str, purpose: str, metadata: dict[str, str]) -> Intent:
    """A PaymentIntent of `amount_fen` CNY; `purpose` names the domain's kind of money."""
    return _stripe().create_intent(amount_fen, idempotency_key=idempotency_key,
                                   metadata={**metadata, "purpose": purpose})  # fmt: skip


def retrieve_intent(intent_id: str) -> Intent | None:
    """The PaymentIntent as Stripe has it now (None: Stripe does not know it)."""
    return _stripe().retrieve_intent(intent_id)


def cancel_intent(intent_id: str) -> Intent | None:
    """Stop collecting: the intent cancelled, or as it is when it cannot be (it succeeded)."""
    return _stripe().cancel_intent(intent_id)


def refund_intent(
    intent_id: str, amount_fen: int, *, idempotency_key: str, metadata: dict[str, str]
) -> RefundResult:
    """Give `amount_fen` of a succeeded intent back (the key saved beforehand)."""
    return _stripe().refund_intent(intent_id, amount_fen, idempotency_key=idempotency_key, metadata=metadata)
