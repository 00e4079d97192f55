"""The listing page and the search page run as many SQL statements for 20 rows
as for one: 20 assets in a listing's bundle, 20 listings in the search results."""

from __future__ import annotations

from sqlalchemy import update

from marketplace.listings.models import Listing
from marketplace.search.service import reindex
from tests import factories


def _listing_of(seller, n_assets: int, **kwargs):
    assets = [factories.IpAssetFactory(owned_by=seller.organization) for _ in range(n_assets)]
    return factories.ListingFactory(seller=seller, assets=assets, **kwargs)


def _listing_page_queries(client, login_as, count_queries, db, n_assets: int) -> int:
    seller = factories.user_with_role("seller")
    listing = _listing_of(seller, n_assets, published=True)
    login_as(seller)
    db.session.expire_all()
    with count_queries() as q:
        response = client.get(f"/listings/{listing.id}")
    assert response.status_code == 200
    assert listing.title_zh in response.get_data(as_text=True)
    return q.count


def test_the_listing_page_does_not_query_per_asset(client, login_as, count_queries, db):
    one = _listing_page_queries(client, login_as, count_queries, db, 1)
    twenty = _listing_page_queries(client, login_as, count_queries, db, 20)

    assert twenty == one, (one, twenty)


def _search_page_queries(client, count_queries, db, n_listings: int) -> int:
    seller = factories.user_with_role("seller")
    listings = [_listing_of(seller, 1, published=True) for _ in range(n_listings)]
    titles = [listing.title_zh for listing in listings]
    assert reindex() == n_listings
    db.session.expire_all()
    with count_queries() as q:
        response = client.get("/listings?per_page=50")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert all(title in page for title in titles)
    ids = [listing.id for listing in listings]  # out of the next count (the rebuild detached them)
    db.session.execute(update(Listing).where(Listing.id.in_(ids)).values(status="withdrawn"))
    return q.count


def test_the_search_page_does_not_query_per_result(client, count_queries, db, search_index):
    one = _search_page_queries(client, count_queries, db, 1)
    twenty = _search_page_queries(client, count_queries, db, 20)

    assert twenty == one, (one, twenty)
