"""The negotiation state machine: the transition table, then every action by every
actor in every state through the API (status, turn and versions change only on success)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.core.timeutil import today_shanghai
from marketplace.offers import services
from marketplace.offers.models import Offer
from marketplace.offers.services import TermsInput
from marketplace.offers.states import OFFER_MACHINE, OfferStatus

STATES = [s.value for s in OfferStatus]
ALLOWED = {
    "open": {"countered", "accepted", "rejected", "withdrawn", "expired"},
    "countered": {"countered", "accepted", "rejected", "withdrawn", "expired"},
}


@pytest.mark.parametrize("src", STATES)
@pytest.mark.parametrize("dst", STATES)
def test_transition_table(src, dst):
    assert OFFER_MACHINE.allowed(src, dst) == (dst in ALLOWED.get(src, set()))


# Situations: how to get there from a fresh offer (the buyer's licence offer, seller's turn).
def _counter(offer, user, upfront):
    services.counter_offer(
        offer, TermsInput(deal_kind="license", license_type="non_exclusive", upfront_fen=upfront), actor=user
    )


SITUATIONS = {
    "open": lambda w, o: None,
    "countered_buyer_turn": lambda w, o: _counter(o, w.seller, 25_000_000),
    "countered_seller_turn": lambda w, o: (
        _counter(o, w.seller, 25_000_000),
        _counter(o, w.buyer, 22_000_000),
    ),
    "accepted": lambda w, o: services.accept_offer(o, actor=w.seller),
    "rejected": lambda w, o: services.reject_offer(o, actor=w.seller),
    "withdrawn": lambda w, o: services.withdraw_offer(o, actor=w.buyer),
    "expired": lambda w, o: setattr(o, "expires_on", today_shanghai() - timedelta(days=1)),
}
ACTORS = {
    "buyer": ("buyer", "buyer"),
    "buyer_agent": ("buyer_agent", "buyer"),
    "seller": ("seller", "seller"),
    "seller_agent": ("seller_agent", "seller"),
    "third_buyer": ("third_buyer", None),
}
ACTIONS = {"counter": {"seller", "buyer"}, "accept": {"seller", "buyer"}, "reject": {"seller"},
           "withdraw": {"buyer"}}  # fmt: skip
TURN = {"open": "seller", "countered_buyer_turn": "buyer", "countered_seller_turn": "seller"}
RESULT = {"counter": "countered", "accept": "accepted", "reject": "rejected", "withdraw": "withdrawn"}


def expected_status(situation: str, side: str | None, action: str) -> int:
    if side is None:
        return 404
    if situation not in TURN:
        return 409  # over: accepted, rejected, withdrawn, expired
    if side not in ACTIONS[action]:
        return 403
    if action == "withdraw":
        return 200  # the buyer may revoke its offer until acceptance, also while waiting
    return 200 if TURN[situation] == side else 409


@pytest.mark.parametrize("situation", list(SITUATIONS))
@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_action_by_every_actor_in_every_state(situation, actor, action, world, offer_on, api, db):
    offer = offer_on(world.listing, world.buyer)
    SITUATIONS[situation](world, offer)
    db.session.flush()
    before = (offer.status, offer.turn, len(offer.versions), offer.contract_id)
    attr, side = ACTORS[actor]
    body = {"terms": {"deal_kind": "license", "license_type": "non_exclusive", "upfront_fen": 12_345_600}}
    response = api(getattr(world, attr)).post(
        f"/api/v1/offers/{offer.id}/{action}", json=body if action == "counter" else None
    )
    expected = expected_status(situation, side, action)
    assert response.status_code == expected, response.get_json()
    offer = db.session.get(Offer, offer.id)
    if expected == 200:
        assert offer.status == RESULT[action]
        if action == "counter":
            assert offer.turn != before[1] and len(offer.versions) == before[2] + 1
            assert offer.latest.author_side == side and offer.latest.upfront_fen == 12_345_600
        if action == "accept":
            assert response.get_json()["contract_id"] == offer.contract_id is not None
    else:
        after = (offer.status, offer.turn, len(offer.versions), offer.contract_id)
        if situation == "expired" and side is not None:
            assert after == ("expired", *before[1:])  # expired lazily on read, nothing else
        else:
            assert after == before
        assert "error" in response.get_json()


def test_not_your_turn_is_said_clearly(world, offer_on, api, request_ctx):
    offer = offer_on(world.listing, world.buyer)
    response = api(world.buyer).post(f"/api/v1/offers/{offer.id}/accept", headers={"Accept-Language": "en"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "not_your_turn"


def test_an_agency_whose_mandate_ended_sees_but_cannot_act(world, offer_on, api, db):
    offer = offer_on(world.listing, world.buyer)
    offer.seller_mandate.status = "revoked"
    db.session.flush()
    assert api(world.seller_agent).get(f"/api/v1/offers/{offer.id}").status_code == 200
    response = api(world.seller_agent).post(f"/api/v1/offers/{offer.id}/reject")
    assert response.status_code == 403
    assert db.session.get(Offer, offer.id).status == "open"
