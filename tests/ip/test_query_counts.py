"""The IP asset list runs as many SQL statements for 20 assets as for 1.

Each asset is co-owned with an organization of its own, so that an owner's
name loaded one row at a time would show in the count."""

from __future__ import annotations

from marketplace.extensions import db as _db
from tests.factories import IpAssetFactory, OrganizationFactory, user_with_role


def _count(client, login_as, count_queries, n: int) -> int:
    seller = user_with_role("seller")
    for _ in range(n):
        partner = OrganizationFactory(kind="university")
        IpAssetFactory(owned_by=[(seller.organization, 6_000), (partner, 4_000)])
    _db.session.flush()
    _db.session.expire_all()
    login_as(seller)
    client.get("/assets/mine")  # the first request warms what a session loads once
    with count_queries() as q:
        response = client.get("/assets/mine")
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("(40.00%)") == n
    client.post("/logout")
    return q.count


def test_the_asset_list_costs_the_same_for_1_and_20_assets(db, client, login_as, count_queries):
    counts = {n: _count(client, login_as, count_queries, n) for n in (1, 20)}
    assert counts[20] == counts[1], counts
