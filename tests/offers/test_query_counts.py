"""The negotiation page runs as many SQL statements for 20 messages (or 20
versions of the terms) as for one."""

from __future__ import annotations

from marketplace.offers import services
from marketplace.offers.services import TermsInput

from .conftest import LICENCE, published_listing


def _page_queries(client, login_as, count_queries, db, offer, viewer) -> int:
    login_as(viewer)
    db.session.expire_all()
    with count_queries() as q:
        response = client.get(f"/offers/{offer.id}")
    assert response.status_code == 200
    return q.count


def _negotiation(world, offer_on, *, messages: int):
    listing = published_listing(world.seller)
    offer = offer_on(listing, world.third_buyer, message="第一条消息")
    for n in range(messages - 1):
        author = world.seller if n % 2 else world.third_buyer
        services.post_message(offer, f"消息 {n}", actor=author)
    return offer


def test_the_negotiation_page_does_not_query_per_message(
    client, login_as, count_queries, db, world, offer_on
):
    one = _negotiation(world, offer_on, messages=1)
    twenty = _negotiation(world, offer_on, messages=20)
    assert len(services.thread(twenty)) == 20
    q1 = _page_queries(client, login_as, count_queries, db, one, world.seller)
    q20 = _page_queries(client, login_as, count_queries, db, twenty, world.seller)

    assert q20 == q1, (q1, q20)


def _versions(world, offer_on, *, versions: int):
    listing = published_listing(world.seller)
    offer = offer_on(listing, world.third_buyer)
    for n in range(versions - 1):
        author = world.seller if n % 2 == 0 else world.third_buyer
        services.counter_offer(offer, TermsInput.from_dict({**LICENCE, "royalty_bp": 100 + n}), actor=author)
    return offer


def test_the_negotiation_page_does_not_query_per_version(
    client, login_as, count_queries, db, world, offer_on
):
    one = _versions(world, offer_on, versions=1)
    twenty = _versions(world, offer_on, versions=20)
    assert len(twenty.versions) == 20
    q1 = _page_queries(client, login_as, count_queries, db, one, world.seller)
    q20 = _page_queries(client, login_as, count_queries, db, twenty, world.seller)

    assert q20 == q1, (q1, q20)


def _index_queries(client, login_as, count_queries, db, seller) -> int:
    login_as(seller)
    db.session.expire_all()
    with count_queries() as q:
        response = client.get("/offers")
    assert response.status_code == 200
    return q.count


def test_my_negotiations_do_not_query_per_offer(client, login_as, count_queries, db, world, offer_on):
    from tests import factories

    seller_one = factories.user_with_role("seller")
    offer_on(published_listing(seller_one), world.third_buyer)
    seller_twenty = factories.user_with_role("seller")
    for _ in range(20):
        offer_on(published_listing(seller_twenty), factories.user_with_role("buyer"))
    q1 = _index_queries(client, login_as, count_queries, db, seller_one)
    q20 = _index_queries(client, login_as, count_queries, db, seller_twenty)

    assert q20 == q1, (q1, q20)
