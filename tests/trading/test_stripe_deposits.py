"""Bidding deposits paid online through the payments domain's Stripe path, against
localstripe (the payments tests' fixture): confirmed by Stripe's signed webhook, paid
twice is one, released deposits refunded at Stripe at once, the winner's forfeited."""

from __future__ import annotations

from datetime import timedelta

import stripe
from sqlalchemy import func, select

from marketplace.payments.models import StripeEvent
from marketplace.trading import online_deposits, settlement
from marketplace.trading.models import BiddingDeposit
from tests.payments.test_stripe import browser_pays, deliver

from .conftest import T0
from .factories import INCREMENT, START, make_session

STARTS = T0 + timedelta(days=8)
CARD = "4242424242424242"


def _client(ls) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_browser", base_addresses={"api": ls.api_base}, max_network_retries=0)


def _pay(api, user, s, **body):
    r = api(user).post(f"/api/v1/biddings/{s.id}/deposit/stripe", json=body)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _enrol_and_pay(api, client, ls, user, s):
    assert api(user).post(f"/api/v1/biddings/{s.id}/enrol").status_code == 200
    answer = _pay(api, user, s)
    intent_id = answer["payment"]["stripe_payment_intent_id"]
    assert browser_pays(ls, intent_id, CARD) == "succeeded"
    response = deliver(client, *ls.inbox.wait_for(intent_id, "payment_intent.succeeded"))
    assert response.status_code == 200 and response.get_json()["outcome"] == "confirmed"
    return intent_id


def test_a_deposit_paid_online_lets_the_buyer_bid(world, api, client, db, clock, stripe_on):
    s = make_session(world.listing, world.seller, T0)
    buyer = world.buyers[0]
    assert api(buyer).post(f"/api/v1/biddings/{s.id}/enrol").status_code == 200
    first = _pay(api, buyer, s)
    payment = first["payment"]
    assert first["status"] == "awaiting_deposit" and payment["method"] == "stripe"
    intent_id = payment["stripe_payment_intent_id"]
    assert intent_id.startswith("pi_") and first["payment"]["client_secret"].startswith(intent_id)
    assert payment["amount_fen"] == START // 10
    deposit = db.session.get(BiddingDeposit, payment["id"])
    assert deposit.idempotency_key.startswith("hljdep-")
    # Asking again before paying: the same intent (a deposit paid twice is one).
    assert _pay(api, buyer, s)["payment"]["stripe_payment_intent_id"] == intent_id
    at_stripe = _client(stripe_on).v1.payment_intents.retrieve(intent_id)
    assert at_stripe.amount == START // 10 and at_stripe.metadata["purpose"] == "bidding_deposit"
    # The seller side does not confirm an online deposit by hand.
    r = api(world.seller).post(f"/api/v1/biddings/{s.id}/deposits/{deposit.id}/confirm")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "deposit_online"
    clock.set(STARTS + timedelta(hours=1))
    assert api(buyer).post(f"/api/v1/biddings/{s.id}/bids", json={"amount_fen": START}).status_code == 409
    assert browser_pays(stripe_on, intent_id, CARD) == "succeeded"
    assert deposit.status == "awaiting"  # nothing counts before Stripe tells us
    body, signature = stripe_on.inbox.wait_for(intent_id, "payment_intent.succeeded")
    assert deliver(client, body, signature).get_json()["outcome"] == "confirmed"
    assert deliver(client, body, signature).get_json()["outcome"] == "duplicate"
    events = db.session.scalar(
        select(func.count()).select_from(StripeEvent).where(StripeEvent.object_id == intent_id)
    )
    assert events == 1 and deposit.status == "confirmed" and deposit.confirmed_at is not None
    again = _pay(api, buyer, s)
    assert again["status"] == "eligible" and again["payment"]["client_secret"] is None
    assert api(buyer).post(f"/api/v1/biddings/{s.id}/bids", json={"amount_fen": START}).status_code == 201


def test_losers_are_refunded_at_stripe_and_the_winner_forfeits(world, api, client, db, clock, stripe_on):
    s = make_session(world.listing, world.seller, T0)
    loser_intent = _enrol_and_pay(api, client, stripe_on, world.buyers[0], s)
    winner_intent = _enrol_and_pay(api, client, stripe_on, world.buyers[1], s)
    clock.set(STARTS + timedelta(hours=1))
    api(world.buyers[0]).post(f"/api/v1/biddings/{s.id}/bids", json={"amount_fen": START})
    api(world.buyers[1]).post(f"/api/v1/biddings/{s.id}/bids", json={"amount_fen": START + INCREMENT})
    clock.set(s.effective_ends_at + timedelta(seconds=1))
    assert api().get(f"/api/v1/biddings/{s.id}").get_json()["status"] == "settled"  # the read settles
    loser, winner = (db.session.scalar(select(BiddingDeposit).where(BiddingDeposit.stripe_payment_intent_id == i))
                     for i in (loser_intent, winner_intent))  # fmt: skip
    db.session.refresh(loser)
    assert loser.status == "released" and loser.refund_status == "succeeded"
    assert loser.stripe_refund_id.startswith("re_") and loser.refund_idempotency_key.startswith("hljdeprf-")
    refund = _client(stripe_on).v1.refunds.retrieve(loser.stripe_refund_id)
    assert (refund.amount, refund.payment_intent) == (START // 10, loser_intent)
    assert winner.status == "applied" and winner.refund_status is None
    # Asked again (cron): nothing more at Stripe.
    assert online_deposits.refund_now(loser.id) == "unchanged"
    assert len(_client(stripe_on).v1.refunds.list(params={"payment_intent": loser_intent}).data) == 1
    settlement.forfeit(s, now=s.effective_ends_at + timedelta(days=30))
    assert winner.status == "forfeited" and winner.refund_status is None


def test_a_refund_stripe_could_not_take_is_asked_again_by_the_command(
    world, api, client, db, app, clock, stripe_on
):
    s = make_session(world.listing, world.seller, T0)
    intent_id = _enrol_and_pay(api, client, stripe_on, world.buyers[0], s)
    deposit = db.session.scalar(
        select(BiddingDeposit).where(BiddingDeposit.stripe_payment_intent_id == intent_id)
    )
    deposit.status, deposit.released_at = "released", s.created_at
    deposit.refund_status, deposit.refund_idempotency_key = "pending", "hljdeprf-test-retry"
    db.session.flush()
    out = app.test_cli_runner().invoke(args=["biddings", "refunds"]).output
    assert "1 refunds asked" in out, out
    assert deposit.refund_status == "succeeded" and deposit.stripe_refund_id
    assert "0 refunds asked, 0 not" in app.test_cli_runner().invoke(args=["biddings", "refunds"]).output


def test_a_cancelled_session_refunds_and_an_unpaid_intent_is_cancelled(
    world, api, client, db, clock, stripe_on
):
    s = make_session(world.listing, world.seller, T0)
    paid = _enrol_and_pay(api, client, stripe_on, world.buyers[0], s)
    api(world.buyers[1]).post(f"/api/v1/biddings/{s.id}/enrol")
    unpaid = _pay(api, world.buyers[1], s)["payment"]["stripe_payment_intent_id"]
    assert api(world.seller).post(f"/api/v1/biddings/{s.id}/cancel").status_code == 200
    deposits = {d.stripe_payment_intent_id: d for d in db.session.scalars(select(BiddingDeposit))}
    db.session.refresh(deposits[paid])
    assert deposits[paid].refund_status == "succeeded"
    assert deposits[unpaid].status == "released" and deposits[unpaid].refund_status is None
    assert _client(stripe_on).v1.payment_intents.retrieve(unpaid).status == "canceled"


def test_without_stripe_the_deposit_is_paid_by_bank_transfer(world, api, client, login_as, clock):
    s = make_session(world.listing, world.seller, T0)
    api(world.buyers[0]).post(f"/api/v1/biddings/{s.id}/enrol")
    r = api(world.buyers[0]).post(f"/api/v1/biddings/{s.id}/deposit/stripe")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "stripe_not_configured"
    deposit = s.enrolments[0].deposit
    assert (deposit.method, deposit.idempotency_key) == ("bank_transfer", None)
    c = api(world.seller).post(f"/api/v1/biddings/{s.id}/deposits/{deposit.id}/confirm")
    assert c.status_code == 200 and c.get_json()["status"] == "confirmed"
    assert api(world.buyers[2]).post(f"/api/v1/biddings/{s.id}/deposit/stripe").status_code == 404
    login_as(world.buyers[0])
    assert 'id="deposit-online"' not in client.get(f"/biddings/{s.id}").get_data(as_text=True)


def test_the_page_pays_online_for_the_buyer_and_for_an_agencys_client(
    world, client, login_as, db, clock, stripe_on
):
    from tests import factories

    s = make_session(world.listing, world.seller, T0)
    login_as(world.buyers[0])
    client.post(f"/biddings/{s.id}/enrol", data={})
    page = client.get(f"/biddings/{s.id}?lang=en").get_data(as_text=True)
    assert 'id="deposit-online"' in page and "Pay the deposit online" in page
    r = client.post(f"/biddings/{s.id}/deposit/online", data={})
    assert r.status_code == 302 and r.headers["Location"].endswith("#my-bidding")
    mine = s.enrolments[0].deposit
    assert mine.method == "stripe" and mine.stripe_payment_intent_id
    page = client.get(f"/biddings/{s.id}?lang=en").get_data(as_text=True)
    assert mine.stripe_payment_intent_id in page and "Check the status with Stripe" in page
    broker = factories.user_with_role("agency")
    factories.MandateFactory(agency=broker.organization, client=world.buyers[1].organization, side="buyer")
    login_as(broker)
    client.post(f"/biddings/{s.id}/enrol", data={"client_org_id": str(world.buyers[1].organization_id)})
    r = client.post(
        f"/biddings/{s.id}/deposit/online", data={"client_org_id": str(world.buyers[1].organization_id)}
    )
    assert r.status_code == 302 and r.headers["Location"].endswith("#client-bidding")
    theirs = next(e for e in s.enrolments if e.org_id == world.buyers[1].organization_id).deposit
    assert theirs.method == "stripe" and theirs.stripe_payment_intent_id != mine.stripe_payment_intent_id
