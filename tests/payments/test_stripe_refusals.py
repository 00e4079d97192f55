"""A refusal Stripe gives for good outlives the error answer's rollback.

The request answers 502 and rolls back, but the payment (or refund) row and its
idempotency key were made durable before Stripe was asked; the refusal is kept
with them, so that the row does not stay pending with a key Stripe will refuse
again (a payment blocking its milestone, a refund holding its amount)."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.payments.gateway import GatewayError, StripeGateway, install_gateway, reset_gateways
from marketplace.payments.models import Payment, Refund

from .conftest import WEBHOOK_SECRET
from .test_stripe import browser_pays, deliver, start


class _RefusingGateway(StripeGateway):
    """localstripe, except that Stripe refuses the card payment or the refund for good."""

    refuse_start = False
    refuse_refund = False

    def start(self, payment):
        if self.refuse_start:
            raise GatewayError("Stripe refused the payment", definitive=True, detail="card_declined")
        return super().start(payment)

    def refund(self, payment, refund):
        if self.refuse_refund:
            raise GatewayError("Stripe refused the refund", definitive=True, detail="charge_disputed")
        return super().refund(payment, refund)


def _refusing(app, stripe_on, **refusals) -> _RefusingGateway:
    gateway = _RefusingGateway("sk_test_refusing", webhook_secret=WEBHOOK_SECRET, api_base=stripe_on.api_base)
    for name, value in refusals.items():
        setattr(gateway, name, value)
    install_gateway(app, gateway)
    return gateway


def test_a_card_payment_stripe_refuses_stays_failed(db, api, app, make_deal, stripe_on):
    deal = make_deal()
    _refusing(app, stripe_on, refuse_start=True)
    try:
        response = api(deal.buyer).post(
            f"/api/v1/contracts/{deal.contract.id}/milestones/1/payments", json={"method": "stripe"}
        )
    finally:
        reset_gateways(app)
    assert response.status_code == 502
    db.session.expire_all()
    payment = db.session.scalar(select(Payment))
    assert payment.status == "failed" and payment.last_error == "card_declined"
    # The milestone is open again: the next try is a new payment with a new key.
    again = start(api, deal)
    assert again["id"] != payment.id and again["status"] == "pending"
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 2


def test_a_refund_stripe_refuses_stays_failed(db, api, app, client, make_deal, stripe_on):
    deal = make_deal()
    answer = start(api, deal)
    intent_id = answer["stripe_payment_intent_id"]
    browser_pays(stripe_on, intent_id, "4242424242424242")
    deliver(client, *stripe_on.inbox.wait_for(intent_id, "payment_intent.succeeded"))
    _refusing(app, stripe_on, refuse_refund=True)
    try:
        response = api(deal.seller).post(
            f"/api/v1/payments/{answer['id']}/refunds", json={"amount_fen": 100_000, "reason": "验收不合格"}
        )
    finally:
        reset_gateways(app)
    assert response.status_code == 502
    db.session.expire_all()
    refund = db.session.scalar(select(Refund))
    assert refund.status == "failed" and refund.failure_reason == "charge_disputed"
    # A failed refund holds nothing back: the whole payment can still be refunded.
    whole = api(deal.seller).post(
        f"/api/v1/payments/{answer['id']}/refunds", json={"amount_fen": 300_000, "reason": "验收不合格"}
    )
    assert whole.status_code == 201, whole.get_json()
