"""Bad input answers with a clear message and leaves everything as it was."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.contracts.models import Contract
from marketplace.core.timeutil import today_shanghai
from marketplace.offers.models import Offer, OfferVersion
from tests import factories

EN = {"Accept-Language": "en"}


def _post_offer(api, user, listing, body):
    return api(user).post(f"/api/v1/listings/{listing.id}/offers", json=body, headers=EN)


@pytest.mark.parametrize(
    "terms,field,words",
    [
        ({"deal_kind": "transfer", "price_fen": 100_000}, "terms.deal_kind", "does not offer"),
        ({"deal_kind": "license", "license_type": "sole", "upfront_fen": -5}, "terms.upfront_fen", "negative"),
        ({"deal_kind": "license", "license_type": "sole", "upfront_fen": 10**16}, "terms.upfront_fen", "too large"),
        ({"deal_kind": "license", "license_type": "sole", "royalty_bp": 10001}, "terms.royalty_bp", "10000"),
        ({"deal_kind": "license", "license_type": "sole", "royalty_bp": -1}, "terms.royalty_bp", "10000"),
        ({"deal_kind": "license", "license_type": "sole"}, "terms.upfront_fen", "upfront fee, a royalty"),
        ({"deal_kind": "license", "upfront_fen": 1}, "terms.license_type", "exclusive"),
        ({"deal_kind": "license", "license_type": "gold", "upfront_fen": 1}, "terms.license_type", "choice"),
        ({"deal_kind": "license", "license_type": "sole", "upfront_fen": 1, "term_months": 0},
         "terms.term_months", "1200"),
        ({"deal_kind": "license", "license_type": "sole", "upfront_fen": "lots"}, "terms.upfront_fen", "integer"),
        ({"deal_kind": "barter"}, "terms.deal_kind", "choice"),
    ],
)  # fmt: skip
def test_bad_terms_on_a_licence_only_listing(terms, field, words, world, api, db):
    listing = factories.ListingFactory(seller=world.seller, published=True)  # licence only
    response = _post_offer(api, world.buyer, listing, {"terms": terms})
    assert response.status_code == 422, response.get_json()
    messages = " ".join(response.get_json()["error"]["fields"][field]).lower()
    assert words.lower() in messages
    assert db.session.scalar(select(func.count(Offer.id))) == 0


@pytest.mark.parametrize(
    "terms,field,words",
    [
        ({"deal_kind": "equity", "valuation_fen": 100_000_000, "equity_share_bp": 10001}, "terms.equity_share_bp",
         "10000"),
        ({"deal_kind": "equity", "valuation_fen": 100_000_000, "equity_share_bp": 0}, "terms.equity_share_bp", "10000"),
        ({"deal_kind": "equity", "equity_share_bp": 500}, "terms.valuation_fen", "valuation"),
        ({"deal_kind": "transfer"}, "terms.price_fen", "price"),
        ({"deal_kind": "transfer", "price_fen": 0}, "terms.price_fen", "above zero"),
    ],
)  # fmt: skip
def test_bad_equity_and_transfer_terms(terms, field, words, world, api, db):
    listing = factories.ListingFactory(
        seller=world.seller,
        published=True,
        deal_terms=[{"deal_kind": "transfer", "price_fen": 1}, {"deal_kind": "equity", "valuation_fen": 1,
                                                                 "equity_share_bp": 100}],
    )  # fmt: skip
    response = _post_offer(api, world.buyer, listing, {"terms": terms})
    assert response.status_code == 422, response.get_json()
    assert words.lower() in " ".join(response.get_json()["error"]["fields"][field]).lower()


@pytest.mark.parametrize(
    "expires_on,words",
    [((today_shanghai() - timedelta(days=1)).isoformat(), "in the past"),
     ((today_shanghai() + timedelta(days=800)).isoformat(), "one year"),
     ("31/12/2030", "date")],
)  # fmt: skip
def test_bad_expiry(expires_on, words, world, api, db):
    body = {"terms": {"deal_kind": "transfer", "price_fen": 100}, "expires_on": expires_on}
    response = _post_offer(api, world.buyer, world.listing, body)
    assert response.status_code == 422
    assert words in " ".join(response.get_json()["error"]["fields"]["expires_on"]).lower()


def test_malformed_bodies(world, api):
    response = api(world.buyer).post(f"/api/v1/listings/{world.listing.id}/offers", data="nope",
                                     content_type="application/json")  # fmt: skip
    assert response.status_code == 400
    assert _post_offer(api, world.buyer, world.listing, {}).status_code == 422


def test_a_double_submitted_offer_is_refused_clearly(world, api, db):
    body = {"terms": {"deal_kind": "transfer", "price_fen": 100_000_000}}
    assert _post_offer(api, world.buyer, world.listing, body).status_code == 201
    second = _post_offer(api, world.buyer, world.listing, body)
    assert second.status_code == 409
    assert "already an open negotiation" in second.get_json()["error"]["message"]
    assert db.session.scalar(select(func.count(Offer.id))) == 1


def test_the_same_idempotency_key_answers_the_first_offer(world, api, db):
    body = {"terms": {"deal_kind": "transfer", "price_fen": 100_000_000}}
    caller = api(world.buyer)
    headers = {"Idempotency-Key": "offer-1"}
    first = caller.post(f"/api/v1/listings/{world.listing.id}/offers", json=body, headers=headers)
    again = caller.post(f"/api/v1/listings/{world.listing.id}/offers", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    assert db.session.scalar(select(func.count(Offer.id))) == 1


def test_an_offer_on_ones_own_listing_is_refused(world, api):
    colleague = factories.user_with_role("buyer", org=world.seller.organization)
    response = _post_offer(
        api, colleague, world.listing, {"terms": {"deal_kind": "transfer", "price_fen": 1}}
    )
    assert response.status_code == 409


def test_acting_on_an_expired_offer(world, offer_on, api, db):
    offer = offer_on(world.listing, world.buyer)
    offer.expires_on = today_shanghai() - timedelta(days=2)
    db.session.flush()
    response = api(world.seller).post(f"/api/v1/offers/{offer.id}/accept", headers=EN)
    assert response.status_code == 409
    assert "expired" in response.get_json()["error"]["message"]
    assert db.session.get(Offer, offer.id).status == "expired"
    assert db.session.scalar(select(func.count(Contract.id))) == 0


def test_acting_on_an_accepted_offer_again(world, offer_on, api, db):
    offer = offer_on(world.listing, world.buyer)
    assert api(world.seller).post(f"/api/v1/offers/{offer.id}/accept").status_code == 200
    for action in ("accept", "reject", "withdraw"):
        response = api(world.seller if action != "withdraw" else world.buyer).post(
            f"/api/v1/offers/{offer.id}/{action}", headers=EN
        )
        assert response.status_code == 409
        assert "already accepted" in response.get_json()["error"]["message"]
    response = api(world.buyer).post(
        f"/api/v1/offers/{offer.id}/counter",
        json={"terms": {"deal_kind": "transfer", "price_fen": 5}},
        headers=EN,
    )
    assert response.status_code == 409
    assert db.session.scalar(select(func.count(Contract.id))) == 1


def test_a_counter_that_changes_nothing_is_refused(world, offer_on, api, db):
    offer = offer_on(world.listing, world.buyer, {"deal_kind": "transfer", "price_fen": 100})
    response = api(world.seller).post(
        f"/api/v1/offers/{offer.id}/counter",
        json={"terms": {"deal_kind": "transfer", "price_fen": 100}},
        headers=EN,
    )
    assert response.status_code == 422
    assert "accept them instead" in response.get_json()["error"]["fields"]["terms"][0]
    assert db.session.scalar(select(func.count(OfferVersion.id))) == 1


def test_an_empty_message_and_a_bad_file(world, offer_on, api):
    offer = offer_on(world.listing, world.buyer)
    assert (
        api(world.buyer).post(f"/api/v1/offers/{offer.id}/messages", json={"body": "  "}).status_code == 422
    )
    import io

    response = api(world.buyer).post(
        f"/api/v1/offers/{offer.id}/messages",
        data={"body": "x", "files": (io.BytesIO(b"GIF89a"), "a.gif")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert api(world.buyer).get(f"/api/v1/offers/{offer.id}/messages").get_json()["total"] == 0
