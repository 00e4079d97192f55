"""The regulators' ledger dashboard runs as many SQL statements for 20 entries
as for 1: its figures come from grouped sums, never one query per entry,
region, industry or year.

The 20 entries fall in different years, cities, industries, kinds of seller
and contract categories, so that a figure computed one group at a time would
show in the count."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from marketplace.core.catalog import INDUSTRIES, ORG_KINDS
from marketplace.ledger import services
from marketplace.ledger.catalog import CATEGORIES, SELLER_REGIONS

from ..factories import LedgerEventFactory, user_with_role

T0 = datetime(2023, 1, 10, 2, 0, tzinfo=UTC)


def _append(app, n: int) -> None:
    industries, kinds, categories = list(INDUSTRIES), list(ORG_KINDS), list(CATEGORIES)
    with app.test_request_context("/"):
        regulator = user_with_role("regulator")
        for i in range(n):
            event = LedgerEventFactory(
                seller_region=SELLER_REGIONS[i % len(SELLER_REGIONS)],
                industry=industries[i % len(industries)],
                seller_org_kind=kinds[i % len(kinds)],
                category=categories[i % len(categories)],
                effective_on=date(2021 + i % 5, 1 + i % 12, 1),
            )
            services.append_entry(event, actor=regulator, recorded_at=T0 + timedelta(days=i))


def _dashboard_count(client, login_as, count_queries) -> int:
    login_as("regulator", region="230000")
    client.get("/ledger/")  # the first request warms what a session loads once
    with count_queries() as q:
        response = client.get("/ledger/")
    assert response.status_code == 200
    client.post("/logout")
    return q.count


def test_the_dashboard_costs_the_same_for_1_and_20_entries(app, db, client, login_as, count_queries):
    _append(app, 1)
    one = _dashboard_count(client, login_as, count_queries)
    _append(app, 19)
    twenty = _dashboard_count(client, login_as, count_queries)
    assert twenty == one, {1: one, 20: twenty}
