"""Stripe, for real: the `stripe` client against localstripe, webhooks signed by localstripe.

What localstripe cannot do (refund events, replaying an Idempotency-Key) is
tested with payloads signed by stripe's own `WebhookSignature` helper, or by
checking what the client sent.
"""

from __future__ import annotations

import json
import time

import stripe
from sqlalchemy import func, select

from marketplace.core.models import audit_trail
from marketplace.extensions import db as _db
from marketplace.payments import services
from marketplace.payments.gateway import StripeGateway, install_gateway, reset_gateways
from marketplace.payments.models import Payment, Refund, StripeEvent

from .conftest import WEBHOOK_SECRET

WEBHOOK = "/payments/stripe/webhook"


def _client(ls) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_browser", base_addresses={"api": ls.api_base}, max_network_retries=0)


def browser_pays(ls, intent_id: str, number: str) -> str:
    """What Stripe.js does in the buyer's browser: attach a card and confirm. Returns the status."""
    client = _client(ls)
    pm = client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2031, "cvc": "123"}}
    )
    client.v1.payment_intents.update(intent_id, params={"payment_method": pm.id})
    try:
        return client.v1.payment_intents.confirm(intent_id).status
    except stripe.CardError as exc:
        return f"card_error:{exc.code}"


def deliver(client, body: bytes, signature: str):
    return client.post(
        WEBHOOK, data=body, headers={"Stripe-Signature": signature, "Content-Type": "application/json"}
    )


def start(api, deal, seq=1, **body):
    response = api(deal.buyer).post(
        f"/api/v1/contracts/{deal.contract.id}/milestones/{seq}/payments", json={"method": "stripe", **body}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _events(db) -> int:
    return db.session.scalar(select(func.count()).select_from(StripeEvent))


def test_a_card_payment_goes_through_and_the_webhook_marks_the_milestone_paid(
    db, api, client, make_deal, stripe_on
):
    deal = make_deal()
    answer = start(api, deal)
    assert answer["amount_fen"] == 300_000 and answer["status"] == "pending"
    intent_id = answer["stripe_payment_intent_id"]
    assert intent_id.startswith("pi_") and answer["client_secret"].startswith(intent_id + "_secret_")
    payment = db.session.get(Payment, answer["id"])
    assert payment.idempotency_key.startswith("hljpay-")

    assert browser_pays(stripe_on, intent_id, "4242424242424242") == "succeeded"
    assert payment.status == "pending"  # nothing counts before Stripe tells us
    body, signature = stripe_on.inbox.wait_for(intent_id, "payment_intent.succeeded")
    response = deliver(client, body, signature)
    assert response.status_code == 200 and response.get_json()["outcome"] == "confirmed"

    assert payment.status == "confirmed" and payment.stripe_status == "succeeded"
    figures = services.milestone_figures(deal.contract)[0]
    assert (figures.paid_fen, figures.status) == (300_000, "paid")
    milestones = (
        api(deal.seller).get(f"/api/v1/contracts/{deal.contract.id}/payments").get_json()["milestones"]
    )
    assert milestones[0]["paid_fen"] == 300_000 and milestones[0]["status"] == "paid"


def test_a_webhook_delivered_twice_has_one_effect(db, api, client, make_deal, stripe_on):
    deal = make_deal()
    intent_id = start(api, deal)["stripe_payment_intent_id"]
    browser_pays(stripe_on, intent_id, "4242424242424242")
    body, signature = stripe_on.inbox.wait_for(intent_id, "payment_intent.succeeded")
    first = deliver(client, body, signature)
    second = deliver(client, body, signature)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.get_json()["outcome"] == "duplicate"
    assert _events(db) == 1
    payment = db.session.scalar(select(Payment).where(Payment.stripe_payment_intent_id == intent_id))
    assert [e.action for e in audit_trail(payment)].count("payment.confirmed") == 1
    assert services.milestone_figures(deal.contract)[0].paid_fen == 300_000


def test_a_declined_card_records_nothing_paid(db, api, client, make_deal, stripe_on):
    """localstripe declines 4000000000000341 when charged (4000000000000002 only when
    attached to a customer; on a PaymentIntent without a customer it succeeds - checked below)."""
    deal = make_deal()
    intent_id = start(api, deal)["stripe_payment_intent_id"]
    assert browser_pays(stripe_on, intent_id, "4000000000000341") == "card_error:card_declined"
    body, signature = stripe_on.inbox.wait_for(intent_id, "payment_intent.payment_failed")
    response = deliver(client, body, signature)
    assert response.status_code == 200
    payment = db.session.scalar(select(Payment).where(Payment.stripe_payment_intent_id == intent_id))
    assert payment.status == "pending" and payment.stripe_status == "requires_payment_method"
    assert "declined" in payment.last_error
    assert services.milestone_figures(deal.contract)[0].paid_fen == 0
    # The buyer gives up on the card: cancelled at Stripe, the amount is released.
    assert api(deal.buyer).post(f"/api/v1/payments/{payment.id}/cancel").status_code == 200
    assert payment.status == "canceled"
    assert _client(stripe_on).v1.payment_intents.retrieve(intent_id).status == "canceled"
    assert services.milestone_figures(deal.contract)[0].open_fen == 300_000


def test_card_4000000000000002_is_not_declined_by_localstripe_without_a_customer(
    db, api, make_deal, stripe_on
):
    deal = make_deal()
    intent_id = start(api, deal)["stripe_payment_intent_id"]
    assert browser_pays(stripe_on, intent_id, "4000000000000002") == "succeeded"


def test_arrival_order_does_not_matter(db, api, client, make_deal, stripe_on):
    """An older event arriving after the PaymentIntent moved on: each event makes us read
    the PaymentIntent's current status from Stripe, whatever the event says.

    localstripe cannot retry a PaymentIntent after a decline, so the stale event is a
    `payment_failed` for the same intent, signed with stripe's helper."""
    deal = make_deal()
    intent_id = start(api, deal)["stripe_payment_intent_id"]
    browser_pays(stripe_on, intent_id, "4242424242424242")
    succeeded = stripe_on.inbox.wait_for(intent_id, "payment_intent.succeeded")
    stale = json.loads(succeeded[0])
    stale.update(id="evt_stale_failure", type="payment_intent.payment_failed")
    stale["data"]["object"]["status"] = "requires_payment_method"
    # The stale failure arrives first: Stripe says succeeded, so the payment is confirmed.
    assert deliver(client, *_signed(stale)).get_json()["outcome"] == "confirmed"
    # The success arrives late: nothing more happens.
    assert deliver(client, *succeeded).get_json()["outcome"] == "unchanged"
    payment = db.session.scalar(select(Payment).where(Payment.stripe_payment_intent_id == intent_id))
    assert payment.status == "confirmed" and _events(db) == 2
    assert services.milestone_figures(deal.contract)[0].paid_fen == 300_000


def test_a_forged_signature_is_refused(db, api, client, make_deal, stripe_on):
    deal = make_deal()
    intent_id = start(api, deal)["stripe_payment_intent_id"]
    browser_pays(stripe_on, intent_id, "4242424242424242")
    body, signature = stripe_on.inbox.wait_for(intent_id, "payment_intent.succeeded")
    forged = stripe.WebhookSignature.generate_signature_header(body.decode(), "whsec_not_ours")
    assert deliver(client, body, forged).status_code == 400
    tampered = body.replace(b'"succeeded"', b'"succeeded" ', 1)
    assert deliver(client, tampered, signature).status_code == 400
    assert deliver(client, body, "").status_code == 400
    assert client.post(WEBHOOK, data=b"not json", headers={"Stripe-Signature": signature}).status_code == 400
    payment = db.session.scalar(select(Payment).where(Payment.stripe_payment_intent_id == intent_id))
    assert payment.status == "pending" and _events(db) == 0


def test_an_unknown_payment_intent_is_acknowledged_and_ignored(db, client, stripe_on):
    stranger = _client(stripe_on).v1.payment_intents.create(
        params={"amount": 990, "currency": "cny", "payment_method_types": ["card"]}
    )
    browser_pays(stripe_on, stranger.id, "4242424242424242")
    body, signature = stripe_on.inbox.wait_for(stranger.id, "payment_intent.succeeded")
    response = deliver(client, body, signature)
    assert response.status_code == 200 and response.get_json()["outcome"] == "ignored_unknown"
    assert _events(db) == 0
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def _signed(event: dict) -> tuple[bytes, str]:
    body = json.dumps(event)
    return body.encode(), stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)


def test_an_event_naming_a_payment_intent_stripe_does_not_know_is_ignored(db, client, stripe_on):
    body, signature = _signed(
        {
            "id": "evt_forgedbutsigned",
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": int(time.time()),
            "data": {"object": {"id": "pi_doesnotexist", "object": "payment_intent", "status": "succeeded"}},
        }
    )
    response = deliver(client, body, signature)
    assert response.status_code == 200 and response.get_json()["outcome"] == "ignored_unknown"
    assert _events(db) == 0


def test_the_payload_is_not_trusted_only_stripe_is(db, api, client, make_deal, stripe_on):
    """A correctly signed event claiming success for an intent not yet paid changes nothing."""
    deal = make_deal()
    intent_id = start(api, deal)["stripe_payment_intent_id"]
    body, signature = _signed(
        {
            "id": "evt_claims_success",
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": int(time.time()),
            "data": {"object": {"id": intent_id, "object": "payment_intent", "status": "succeeded"}},
        }
    )
    assert deliver(client, body, signature).get_json()["outcome"] == "pending"
    assert services.milestone_figures(deal.contract)[0].paid_fen == 0


def test_the_idempotency_key_is_saved_before_the_call_and_sent_with_it(db, api, app, make_deal, stripe_on):
    deal = make_deal()
    seen = {}

    class Spy(StripeGateway):
        def start(self, payment):
            # The row and its key are already committed when Stripe is called.
            assert payment not in _db.session.new and payment not in _db.session.dirty
            stored = _db.session.execute(
                select(Payment.idempotency_key).where(Payment.id == payment.id)
            ).scalar_one()
            seen["stored"] = stored
            return super().start(payment)

    gateway = Spy("sk_test_spy", webhook_secret=WEBHOOK_SECRET, api_base=stripe_on.api_base)
    original = gateway.client._requestor._client.request_with_retries
    sent = []

    def spy_request(method, url, headers, post_data=None, *args, **kwargs):
        sent.append((method, url, dict(headers or {})))
        return original(method, url, headers, post_data, *args, **kwargs)

    gateway.client._requestor._client.request_with_retries = spy_request
    install_gateway(app, gateway)
    try:
        answer = start(api, deal)
    finally:
        reset_gateways(app)
    payment = db.session.get(Payment, answer["id"])
    creates = [h for m, u, h in sent if m == "post" and u.endswith("/v1/payment_intents")]
    assert creates and creates[0]["Idempotency-Key"] == payment.idempotency_key == seen["stored"]


def test_asking_again_returns_the_same_payment_intent(db, api, make_deal, stripe_on):
    deal = make_deal()
    first = start(api, deal)
    again = start(api, deal)
    assert again["id"] == first["id"]
    assert again["stripe_payment_intent_id"] == first["stripe_payment_intent_id"]
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
    other_amount = api(deal.buyer).post(
        f"/api/v1/contracts/{deal.contract.id}/milestones/1/payments",
        json={"method": "stripe", "amount_fen": 5},
    )
    assert other_amount.status_code == 409


def test_a_partial_card_payment_and_a_refund_through_stripe(db, api, client, make_deal, stripe_on):
    deal = make_deal()
    answer = start(api, deal, amount_fen=100_000)
    assert answer["amount_fen"] == 100_000
    intent_id = answer["stripe_payment_intent_id"]
    browser_pays(stripe_on, intent_id, "4242424242424242")
    deliver(client, *stripe_on.inbox.wait_for(intent_id, "payment_intent.succeeded"))
    response = api(deal.seller).post(
        f"/api/v1/payments/{answer['id']}/refunds", json={"amount_fen": 40_000, "reason": "部分验收不合格"}
    )
    assert response.status_code == 201, response.get_json()
    refund = response.get_json()
    assert refund["status"] == "succeeded" and refund["stripe_refund_id"].startswith("re_")
    stored = db.session.get(Refund, refund["id"])
    assert stored.idempotency_key.startswith("hljrefund-")
    at_stripe = _client(stripe_on).v1.refunds.retrieve(refund["stripe_refund_id"])
    assert at_stripe.amount == 40_000 and at_stripe.metadata["refund_id"] == str(refund["id"])
    assert services.milestone_figures(deal.contract)[0].paid_fen == 60_000
    too_much = api(deal.seller).post(
        f"/api/v1/payments/{answer['id']}/refunds", json={"amount_fen": 60_001, "reason": "x"}
    )
    assert too_much.status_code == 422


def test_a_refund_made_in_stripes_dashboard_arrives_by_webhook(db, api, client, make_deal, stripe_on):
    """localstripe sends no refund events: the event is signed with stripe's helper; the
    refund itself is real at localstripe and is read from there."""
    deal = make_deal()
    answer = start(api, deal)
    intent_id = answer["stripe_payment_intent_id"]
    browser_pays(stripe_on, intent_id, "4242424242424242")
    deliver(client, *stripe_on.inbox.wait_for(intent_id, "payment_intent.succeeded"))
    outside = _client(stripe_on).v1.refunds.create(params={"payment_intent": intent_id, "amount": 25_000})
    event = {
        "id": "evt_refund_dashboard",
        "object": "event",
        "type": "charge.refunded",
        "created": int(time.time()),
        "data": {"object": {"id": "ch_x", "object": "charge", "payment_intent": intent_id}},
    }
    body, signature = _signed(event)
    assert deliver(client, body, signature).status_code == 200
    assert deliver(client, body, signature).get_json()["outcome"] == "duplicate"
    refunds = db.session.scalars(select(Refund)).all()
    assert [(r.stripe_refund_id, r.amount_fen, r.status) for r in refunds] == [
        (outside.id, 25_000, "succeeded")
    ]
    assert services.milestone_figures(deal.contract)[0].paid_fen == 275_000


def test_the_card_page_shows_the_flow_and_loads_no_external_script(
    db, api, client, login_as, make_deal, stripe_on
):
    deal = make_deal()
    answer = start(api, deal)
    login_as(deal.buyer)
    page = client.get(f"/payments/{answer['id']}/card")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert answer["stripe_payment_intent_id"] in html
    assert "js.stripe.com" not in html and '<script src="http' not in html
    assert "data-client-secret" in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    # Pay in the "browser", then check the status with Stripe from the page.
    browser_pays(stripe_on, answer["stripe_payment_intent_id"], "4242424242424242")
    response = client.post(f"/payments/{answer['id']}/refresh")
    assert response.status_code == 302
    assert db.session.get(Payment, answer["id"]).status == "confirmed"


def test_the_web_form_starts_a_card_payment(db, client, login_as, make_deal, stripe_on):
    deal = make_deal()
    login_as(deal.buyer)
    page = client.get(f"/contracts/{deal.contract.id}/payments")
    assert 'id="pay-online"' in page.get_data(as_text=True)
    response = client.post(
        f"/contracts/{deal.contract.id}/payments/stripe", data={"seq": "2", "amount_fen": ""}
    )
    assert response.status_code == 302 and "/card" in response.headers["Location"]
    payment = db.session.scalar(select(Payment))
    assert payment.amount_fen == 700_000 and payment.stripe_payment_intent_id


def test_stripe_is_unreachable(db, api, app, make_deal, localstripe):
    """Stripe down: the API answers 502, nothing is charged, the key stays for the next try."""
    deal = make_deal()
    install_gateway(app, StripeGateway("sk_test_x", api_base="http://127.0.0.1:9", max_network_retries=0))
    try:
        response = api(deal.buyer).post(
            f"/api/v1/contracts/{deal.contract.id}/milestones/1/payments", json={"method": "stripe"}
        )
    finally:
        reset_gateways(app)
    assert response.status_code == 502
    assert response.get_json()["error"]["code"] == "payment_gateway_error"
    payment = db.session.scalar(select(Payment))
    assert (
        payment.status == "pending" and payment.idempotency_key and payment.stripe_payment_intent_id is None
    )
