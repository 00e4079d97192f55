"""Who sees a negotiation: the parties and their agencies; nobody else (404, ids do not leak)."""

from __future__ import annotations

import pytest

from tests import factories

VIEWERS = {
    "buyer": 200,
    "buyer_agent": 200,
    "seller": 200,
    "seller_agent": 200,
    "third_buyer": 404,
    "other_seller": 404,
    "other_agency": 404,
    "regulator": 404,
    "admin": 404,
    "buyer_colleague_pending": 404,
}


def _viewer(world, key):
    if hasattr(world, key):
        return getattr(world, key)
    if key == "buyer_colleague_pending":
        return factories.UserFactory(
            role="buyer", organization=world.buyer.organization, membership="pending"
        )
    role = {"other_seller": "seller", "other_agency": "agency", "regulator": "regulator", "admin": "admin"}[
        key
    ]
    return factories.user_with_role(role)


@pytest.mark.parametrize("key", list(VIEWERS))
@pytest.mark.parametrize("path", ["/api/v1/offers/{id}", "/api/v1/offers/{id}/messages"])
def test_api_visibility(key, path, world, offer_on, api):
    offer = offer_on(world.listing, world.buyer)
    response = api(_viewer(world, key)).get(path.format(id=offer.id))
    assert response.status_code == VIEWERS[key]


@pytest.mark.parametrize("key", list(VIEWERS))
def test_page_visibility(key, world, offer_on, client, login_as):
    offer = offer_on(world.listing, world.buyer)
    login_as(_viewer(world, key))
    assert client.get(f"/offers/{offer.id}").status_code == VIEWERS[key]


@pytest.mark.parametrize("key", [k for k, v in VIEWERS.items() if v == 404])
@pytest.mark.parametrize("action", ["counter", "accept", "reject", "withdraw", "reveal", "messages"])
def test_outsiders_cannot_act_and_learn_nothing(key, action, world, offer_on, api):
    offer = offer_on(world.listing, world.buyer, anonymous=True)
    response = api(_viewer(world, key)).post(f"/api/v1/offers/{offer.id}/{action}", json={"body": "x"})
    assert response.status_code == 404


def test_without_a_token_the_api_answers_401(world, offer_on, api):
    offer = offer_on(world.listing, world.buyer)
    assert api().get(f"/api/v1/offers/{offer.id}").status_code == 401
    assert api().post(f"/api/v1/listings/{world.listing.id}/offers", json={}).status_code == 401


def test_my_offers_list_only_mine(world, offer_on, api):
    offer = offer_on(world.listing, world.buyer)
    for user, count in ((world.buyer, 1), (world.seller, 1), (world.seller_agent, 1), (world.third_buyer, 0)):
        body = api(user).get("/api/v1/offers").get_json()
        assert body["total"] == count
        assert [o["id"] for o in body["items"]] == ([offer.id] if count else [])


@pytest.mark.parametrize("role", ["seller", "regulator", "admin"])
def test_only_buyers_and_agencies_make_offers(role, world, api):
    response = api(factories.user_with_role(role)).post(
        f"/api/v1/listings/{world.listing.id}/offers",
        json={"terms": {"deal_kind": "transfer", "price_fen": 100}},
    )
    assert response.status_code == 403


def test_an_unpublished_listing_is_not_found(world, api):
    draft = factories.ListingFactory(seller=world.seller)
    response = api(world.buyer).post(
        f"/api/v1/listings/{draft.id}/offers", json={"terms": {"deal_kind": "license", "license_type": "sole",
                                                               "upfront_fen": 1}}
    )  # fmt: skip
    assert response.status_code == 404


@pytest.mark.parametrize("key,status", [("client", 200), ("agency", 200), ("stranger", 404)])
def test_mandate_visibility(key, status, api, db):
    mandate = factories.MandateFactory()
    users = {
        "client": factories.user_with_role("buyer", org=mandate.client),
        "agency": factories.user_with_role("agency", org=mandate.agency),
        "stranger": factories.user_with_role("agency"),
    }
    assert api(users[key]).get(f"/api/v1/mandates/{mandate.id}").status_code == status
