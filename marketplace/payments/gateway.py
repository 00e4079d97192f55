"""One interface for every way a milestone is paid.

- `BankTransferGateway`: nothing happens online; the payer records the
  transfer and the payee confirms (or disputes) it. A refund by bank transfer
  is recorded as done.
- `StripeGateway`: PaymentIntents through the official `stripe` client.
  Every call that creates something at Stripe carries the idempotency key
  that was saved with the row beforehand, so a retry never charges twice.

Services ask `gateway_for(method)`; without STRIPE_SECRET_KEY only bank
transfer is offered (`available_methods()`). Tests may install another
gateway with `install_gateway(app, gateway)`.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import stripe
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from ..core.errors import Conflict, DomainError
from .states import PaymentMethod

if TYPE_CHECKING:
    from .models import Payment, Refund

log = logging.getLogger(__name__)

CURRENCY = "cny"
EXTENSION_KEY = "payments.gateways"


class GatewayError(DomainError):
    """The payment provider did not do what was asked (refused, or could not be reached)."""

    status = 502
    code = "payment_gateway_error"
    default_message = _l("The payment provider could not be reached; nothing was charged. Try again later.")

    def __init__(self, message: Any = None, *, definitive: bool = False, detail: str | None = None) -> None:
        super().__init__(message)
        #: True when the provider answered with a refusal (retrying the same call will not help).
        self.definitive = definitive
        self.detail = detail


class StripeNotConfigured(Conflict):
    code = "stripe_not_configured"
    default_message = _l("Online payment is not offered on this platform. Pay by bank transfer.")


class WebhookSignatureError(Exception):
    """The webhook body or its Stripe-Signature header does not verify."""


@dataclass(frozen=True)
class Intent:
    """What the gateway knows of a PaymentIntent, read from Stripe."""

    id: str
    status: str
    amount_fen: int
    currency: str
    client_secret: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    last_error: str | None = None


@dataclass(frozen=True)
class RefundResult:
    id: str | None
    status: str  # pending, succeeded, failed, canceled, requires_action
    amount_fen: int
    payment_intent_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    failure_reason: str | None = None


@dataclass(frozen=True)
class GatewayEvent:
    """A verified webhook event: only its id, type and the object it names are trusted."""

    id: str
    type: str
    object_type: str | None
    object_id: str | None
    payment_intent_id: str | None


class PaymentGateway(ABC):
    method: str
    #: True when the provider settles the payment itself (no confirmation by the payee).
    settles_online: bool = False

    @abstractmethod
    def start(self, payment: Payment) -> Intent | None:
        """Begin collecting `payment`; an online gateway answers the intent to complete in the browser."""

    @abstractmethod
    def cancel(self, payment: Payment) -> Intent | None:
        """Stop collecting a pending payment."""

    @abstractmethod
    def refund(self, payment: Payment, refund: Refund) -> RefundResult:
        """Give `refund.amount_fen` of a confirmed payment back."""


class BankTransferGateway(PaymentGateway):
    method = PaymentMethod.BANK_TRANSFER.value
    settles_online = False

    def start(self, payment: Payment) -> Intent | None:
        return None  # the money moved between banks; the payee confirms receipt

    def cancel(self, payment: Payment) -> Intent | None:
        return None

    def refund(self, payment: Payment, refund: Refund) -> RefundResult:
        # The payee transferred the money back and records it: done.
        return RefundResult(id=None, status="succeeded", amount_fen=refund.amount_fen)


def _error_text(exc: stripe.StripeError) -> str:
    return (getattr(exc, "user_message", None) or str(exc) or exc.__class__.__name__)[:500]


def _plain(obj: Any) -> dict[str, Any]:
    """A StripeObject (stripe >= 15 no longer behaves as a dict) as a plain dict."""
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    return dict(obj) if obj else {}


def _attr(obj: Any, name: str, default: Any = None) -> Any:
    value = obj.get(name) if isinstance(obj, dict) else None
    return default if value is None else value


class StripeGateway(PaymentGateway):
    method = PaymentMethod.STRIPE.value
    settles_online = True

    def __init__(
        self,
        secret_key: str,
        *,
        webhook_secret: str = "",
        api_base: str = "",
        method_types: tuple[str, ...] = ("card",),
        timeout: int = 20,
        max_network_retries: int = 2,
    ) -> None:
        self.webhook_secret = webhook_secret
        self.method_types = method_types
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base.rstrip("/")} if api_base else None,
            max_network_retries=max_network_retries,
            http_client=stripe.new_default_http_client(timeout=timeout),
        )

    # -- PaymentIntents -------------------------------------------------
    @staticmethod
    def _intent(obj: Any) -> Intent:
        pi = _plain(obj)
        error = _attr(pi, "last_payment_error")
        return Intent(
            id=pi["id"],
            status=pi["status"],
            amount_fen=int(pi["amount"]),
            currency=str(pi["currency"]).lower(),
            client_secret=_attr(pi, "client_secret"),
            metadata=dict(_attr(pi, "metadata", {}) or {}),
            last_error=(_attr(error, "message") or _attr(error, "code")) if error else None,
        )

    def start(self, payment: Payment) -> Intent:
        if not payment.idempotency_key:
            raise ValueError("a Stripe payment needs its idempotency key saved first")
        metadata = {
            "payment_id": str(payment.id),
            "contract_id": str(payment.contract_id),
            "milestone_seq": str(payment.milestone.seq),
        }
        return self.create_intent(
            payment.amount_fen, idempotency_key=payment.idempotency_key, metadata=metadata
        )

    def create_intent(self, amount_fen: int, *, idempotency_key: str, metadata: dict[str, str]) -> Intent:
        """A PaymentIntent of `amount_fen` CNY created with the key saved beforehand."""
        if not idempotency_key:
            raise ValueError("a PaymentIntent needs its idempotency key saved first")
        params: dict[str, Any] = {
            "amount": amount_fen,
            "currency": CURRENCY,
            "payment_method_types": list(self.method_types),
            "metadata": {**metadata, "platform": "hlj-marketplace"},
        }
        if "wechat_pay" in self.method_types:
            params["payment_method_options"] = {"wechat_pay": {"client": "web"}}
        try:
            pi = self.client.v1.payment_intents.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        except (stripe.InvalidRequestError, stripe.CardError, stripe.AuthenticationError) as exc:
            raise GatewayError(
                _l("Stripe refused the payment: %(detail)s", detail=_error_text(exc)),
                definitive=True,
                detail=_error_text(exc),
            ) from exc
        except stripe.StripeError as exc:
            raise GatewayError(detail=_error_text(exc)) from exc
        return self._intent(pi)

    def retrieve_intent(self, intent_id: str) -> Intent | None:
        """The PaymentIntent as Stripe has it now; None when Stripe does not know it."""
        try:
            return self._intent(self.client.v1.payment_intents.retrieve(intent_id))
        except stripe.InvalidRequestError as exc:
            if getattr(exc, "http_status", None) == 404:
                return None
            raise GatewayError(detail=_error_text(exc)) from exc
        except stripe.StripeError as exc:
            raise GatewayError(detail=_error_text(exc)) from exc

    def cancel(self, payment: Payment) -> Intent | None:
        if not payment.stripe_payment_intent_id:
            return None
        return self.cancel_intent(payment.stripe_payment_intent_id)

    def cancel_intent(self, intent_id: str) -> Intent:
        try:
            pi = self.client.v1.payment_intents.cancel(intent_id)
        except stripe.InvalidRequestError as exc:
            # Not cancellable (it succeeded meanwhile, or is already cancelled): say what it is now.
            current = self.retrieve_intent(intent_id)
            if current is not None:
                return current
            raise GatewayError(detail=_error_text(exc), definitive=True) from exc
        except stripe.StripeError as exc:
            raise GatewayError(detail=_error_text(exc)) from exc
        return self._intent(pi)

    # -- Refunds ----------------------------------------------------------
    @staticmethod
    def _refund(stripe_obj: Any) -> RefundResult:
        obj = _plain(stripe_obj)
        return RefundResult(
            id=obj["id"],
            status=obj["status"],
            amount_fen=int(obj["amount"]),
            payment_intent_id=_attr(obj, "payment_intent"),
            metadata=dict(_attr(obj, "metadata", {}) or {}),
            failure_reason=_attr(obj, "failure_reason"),
        )

    def refund(self, payment: Payment, refund: Refund) -> RefundResult:
        if not refund.idempotency_key:
            raise ValueError("a Stripe refund needs its idempotency key saved first")
        return self.refund_intent(
            payment.stripe_payment_intent_id or "",
            refund.amount_fen,
            idempotency_key=refund.idempotency_key,
            metadata={"refund_id": str(refund.id), "payment_id": str(payment.id)},
        )

    def refund_intent(
        self, intent_id: str, amount_fen: int, *, idempotency_key: str, metadata: dict[str, str]
    ) -> RefundResult:
        """Give `amount_fen` of a PaymentIntent back, with the key saved beforehand."""
        if not idempotency_key:
            raise ValueError("a Stripe refund needs its idempotency key saved first")
        try:
            obj = self.client.v1.refunds.create(
                params={"payment_intent": intent_id, "amount": amount_fen, "metadata": metadata},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.InvalidRequestError as exc:
            raise GatewayError(
                _l("Stripe refused the refund: %(detail)s", detail=_error_text(exc)),
                definitive=True,
                detail=_error_text(exc),
            ) from exc
        except stripe.StripeError as exc:
            raise GatewayError(detail=_error_text(exc)) from exc
        return self._refund(obj)

    def retrieve_refund(self, refund_id: str) -> RefundResult | None:
        try:
            return self._refund(self.client.v1.refunds.retrieve(refund_id))
        except stripe.InvalidRequestError as exc:
            if getattr(exc, "http_status", None) == 404:
                return None
            raise GatewayError(detail=_error_text(exc)) from exc
        except stripe.StripeError as exc:
            raise GatewayError(detail=_error_text(exc)) from exc

    def list_refunds(self, intent_id: str) -> list[RefundResult]:
        try:
            page = self.client.v1.refunds.list(params={"payment_intent": intent_id, "limit": 100})
        except stripe.StripeError as exc:
            raise GatewayError(detail=_error_text(exc)) from exc
        return [self._refund(r) for r in page.data]

    # -- Webhooks ---------------------------------------------------------
    def construct_event(self, payload: bytes, signature: str | None) -> GatewayEvent:
        """Verify the signature on the raw body; only then read the event."""
        if not self.webhook_secret:
            raise WebhookSignatureError("STRIPE_WEBHOOK_SECRET is not configured")
        try:
            event = stripe.Webhook.construct_event(payload, signature or "", self.webhook_secret)
        except (stripe.SignatureVerificationError, ValueError) as exc:
            raise WebhookSignatureError(str(exc)) from exc
        event = _plain(event)
        obj = _attr(_attr(event, "data", {}), "object", {}) or {}
        object_type = _attr(obj, "object")
        object_id = _attr(obj, "id")
        if object_type == "payment_intent":
            intent_id = object_id
        else:
            intent_id = _attr(obj, "payment_intent")
        return GatewayEvent(
            id=event["id"],
            type=event["type"],
            object_type=object_type,
            object_id=object_id,
            payment_intent_id=intent_id if isinstance(intent_id, str) else None,
        )


# -- Which gateways this deployment offers ---------------------------------
def _configured(app: Flask) -> dict[str, PaymentGateway]:
    gateways: dict[str, PaymentGateway] = {PaymentMethod.BANK_TRANSFER.value: BankTransferGateway()}
    secret = app.config.get("STRIPE_SECRET_KEY") or ""
    if secret:
        types = tuple(
            t.strip()
            for t in str(app.config.get("STRIPE_PAYMENT_METHOD_TYPES") or "card").split(",")
            if t.strip()
        )
        gateways[PaymentMethod.STRIPE.value] = StripeGateway(
            secret,
            webhook_secret=app.config.get("STRIPE_WEBHOOK_SECRET") or "",
            api_base=app.config.get("STRIPE_API_BASE") or "",
            method_types=types or ("card",),
        )
    return gateways


def _gateways() -> dict[str, PaymentGateway]:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    gateways = app.extensions.get(EXTENSION_KEY)
    if gateways is None:
        gateways = app.extensions[EXTENSION_KEY] = _configured(app)
    return gateways


def install_gateway(app: Flask, gateway: PaymentGateway | None, method: str | None = None) -> None:
    """Replace (or with None remove) the gateway of a method; used by tests and set-up."""
    gateways = app.extensions.get(EXTENSION_KEY)
    if gateways is None:
        gateways = app.extensions[EXTENSION_KEY] = _configured(app)
    key = method or gateway.method  # type: ignore[union-attr]
    if gateway is None:
        gateways.pop(key, None)
    else:
        gateways[key] = gateway


def reset_gateways(app: Flask) -> None:
    """Forget the gateways so that they are built again from the configuration."""
    app.extensions.pop(EXTENSION_KEY, None)


def available_methods() -> list[str]:
    return [m.value for m in PaymentMethod if m.value in _gateways()]


def stripe_enabled() -> bool:
    return PaymentMethod.STRIPE.value in _gateways()


def gateway_for(method: str) -> PaymentGateway:
    gateway = _gateways().get(method)
    if gateway is None:
        if method == PaymentMethod.STRIPE.value:
            raise StripeNotConfigured()
        raise Conflict(_l("This payment method is not offered."))
    return gateway


def stripe_gateway() -> StripeGateway | None:
    gateway = _gateways().get(PaymentMethod.STRIPE.value)
    return gateway if isinstance(gateway, StripeGateway) else None
