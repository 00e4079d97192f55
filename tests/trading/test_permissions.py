"""Who may do what, per role, against each endpoint that changes something; and the
IP register's exclusivity while a session holds the asset."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.core.errors import Conflict
from tests import factories

from .conftest import T0
from .factories import START, enrolled, make_session


@pytest.fixture
def people(world, db):
    return {
        "seller": world.seller,
        "agency": world.agent,
        "buyer": world.buyers[0],
        "other_seller": factories.user_with_role("seller"),
        "other_agency": factories.user_with_role("agency"),
        "regulator": factories.user_with_role("regulator"),
    }


CREATE = {
    "starting_price_fen": START,
    "increment_fen": 100,
    "deposit_fen": START // 10,
    "announce_on": "2026-11-02",
    "starts_at": (T0 + timedelta(days=8)).isoformat(),
    "ends_at": (T0 + timedelta(days=9)).isoformat(),
}


@pytest.mark.parametrize(
    "who,status",
    [("seller", 201), ("agency", 201), ("buyer", 403), ("other_seller", 403), ("other_agency", 403),
     ("regulator", 403), (None, 401)],
)  # fmt: skip
def test_who_creates_a_session(world, people, api, clock, who, status):
    r = api(people.get(who)).post(f"/api/v1/listings/{world.listing.id}/biddings", json=CREATE)
    assert r.status_code == status, r.get_json()


@pytest.mark.parametrize(
    "who,status",
    [
        ("buyer", 200),
        ("seller", 403),
        ("agency", 403),
        ("other_seller", 403),
        ("regulator", 403),
        (None, 401),
    ],
)
def test_who_enrols(world, people, api, clock, who, status):
    s = make_session(world.listing, world.seller, T0)
    assert api(people.get(who)).post(f"/api/v1/biddings/{s.id}/enrol").status_code == status


@pytest.mark.parametrize(
    "who,confirm,listing",
    [("seller", 200, 200), ("agency", 200, 200), ("buyer", 403, 404), ("other_seller", 403, 404),
     ("other_agency", 403, 404), ("regulator", 403, 404)],
)  # fmt: skip
def test_who_confirms_and_lists_deposits(world, people, api, clock, who, confirm, listing):
    s = make_session(world.listing, world.seller, T0)
    e = enrolled(s, world.buyers[1], world.seller, T0, confirm=False)
    caller = api(people[who])
    assert caller.get(f"/api/v1/biddings/{s.id}/deposits").status_code == listing
    assert caller.post(f"/api/v1/biddings/{s.id}/deposits/{e.deposit.id}/confirm").status_code == confirm


@pytest.mark.parametrize(
    "who,status", [("seller", 200), ("agency", 200), ("buyer", 403), ("other_seller", 403)]
)
def test_who_cancels_and_not_after_a_bid(world, people, api, clock, who, status):
    s = make_session(world.listing, world.seller, T0)
    e = enrolled(s, world.buyers[1], world.seller, T0)
    r = api(people[who]).post(f"/api/v1/biddings/{s.id}/cancel")
    assert r.status_code == status
    if status == 200:
        assert r.get_json()["status"] == "cancelled" and e.deposit.status == "released"


def test_no_cancel_after_a_bid(world, api, clock):
    from marketplace.trading import bidding

    s = make_session(world.listing, world.seller, T0)
    enrolled(s, world.buyers[1], world.seller, T0)
    bidding.place_bid(s, START, actor=world.buyers[1], now=s.starts_at)
    assert api(world.seller).post(f"/api/v1/biddings/{s.id}/cancel").status_code == 409


@pytest.mark.parametrize(
    "who,start,accept",
    [("seller", 201, 403), ("agency", 201, 403), ("buyer", 403, 200), ("other_seller", 403, 403),
     ("regulator", 403, 403)],
)  # fmt: skip
def test_who_starts_a_notice_and_accepts_it(world, people, api, clock, who, start, accept):
    r = api(people[who]).post(f"/api/v1/listings/{world.listing.id}/notice", json={"listed_price_fen": START})
    assert r.status_code == start
    nid = api(world.seller).post(
        f"/api/v1/listings/{world.listing.id}/notice", json={"listed_price_fen": START}
    )
    nid = nid.get_json()["id"] if start != 201 else r.get_json()["id"]
    assert api(people[who]).post(f"/api/v1/notices/{nid}/accept").status_code == accept


@pytest.mark.parametrize(
    "who,status", [("seller", 200), ("agency", 200), ("buyer", 403), ("other_seller", 403)]
)
def test_who_answers_an_objection(world, people, api, clock, who, status):
    nid = api(world.seller).post(
        f"/api/v1/listings/{world.listing.id}/notice", json={"listed_price_fen": START}
    )
    nid = nid.get_json()["id"]
    oid = api(world.buyers[2]).post(
        f"/api/v1/listings/{world.listing.id}/objections", json={"reason": "异议"}
    )
    r = api(people[who]).post(f"/api/v1/notices/{nid}/objections/{oid.get_json()['id']}/answer",
                              json={"answer": "答复"})  # fmt: skip
    assert r.status_code == status
    assert (
        api(None).post(f"/api/v1/listings/{world.listing.id}/objections", json={"reason": "x"}).status_code
        == 401
    )


def test_an_offer_cannot_be_accepted_while_a_session_holds_the_asset(world, db):
    from marketplace.core.timeutil import today_shanghai
    from marketplace.offers import services as offers
    from marketplace.offers.services import TermsInput

    listing = factories.ListingFactory(
        seller=world.seller, published=True,
        deal_terms=[{"deal_kind": "license", "license_type": "non_exclusive"},
                    {"deal_kind": "transfer", "price_fen": 500_000_000}],
    )  # fmt: skip
    offer = offers.make_offer(
        listing, TermsInput(deal_kind="license", license_type="non_exclusive", upfront_fen=5_000_000),
        expires_on=today_shanghai() + timedelta(days=9), actor=world.buyers[0],
    )  # fmt: skip
    make_session(listing, world.seller, T0)
    with pytest.raises(Conflict) as err:
        offers.accept_offer(offer, actor=world.seller)
    assert err.value.code == "held_for_trading"


def test_bad_input_never_500(world, api, clock):
    s = make_session(world.listing, world.seller, T0)
    buyer = api(world.buyers[0])
    assert buyer.post(f"/api/v1/biddings/{s.id}/bids", data="not json").status_code == 400
    assert buyer.post(f"/api/v1/biddings/{s.id}/bids", json={"amount_fen": True}).status_code == 422
    assert buyer.post("/api/v1/biddings/99999999/bids", json={"amount_fen": 1}).status_code == 404
    assert api().get("/api/v1/biddings?per_page=1000").status_code == 422
    r = api(world.seller).post(f"/api/v1/listings/{world.listing.id}/biddings",
                               json={**CREATE, "priority_org_ids": "x", "deal_terms": 5, "announce_on": 3})  # fmt: skip
    assert r.status_code == 422
    assert {"priority_org_ids", "deal_terms", "announce_on"} <= set(r.get_json()["error"]["fields"])
