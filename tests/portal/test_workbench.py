"""The workbench: for each role, what waits for the user, counted with the domains'
own rules, on the page and in the API alike."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from marketplace.core.timeutil import today_shanghai
from tests import factories


def _counts(api, user) -> dict[str, int]:
    response = api(user).get("/api/v1/workbench")
    assert response.status_code == 200, response.get_json()
    return {item["key"]: item["count"] for item in response.get_json()["items"]}


def _offer(api, buyer, listing, price_fen=280_000_000) -> int:
    response = api(buyer).post(
        f"/api/v1/listings/{listing.id}/offers",
        json={"terms": {"deal_kind": "transfer", "price_fen": price_fen}},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


@pytest.fixture
def parties(db):
    seller = factories.user_with_role("seller")
    buyer = factories.user_with_role("buyer")
    listing = factories.ListingFactory(
        seller=seller, published=True, deal_terms=[{"deal_kind": "transfer", "price_fen": 300_000_000}]
    )
    return seller, buyer, listing


def test_an_offer_waits_on_the_seller_then_on_the_buyer_after_a_counter(api, parties):
    seller, buyer, listing = parties
    offer_id = _offer(api, buyer, listing)
    assert _counts(api, seller)["offers_to_answer"] == 1
    assert _counts(api, buyer)["offers_to_answer"] == 0
    countered = api(seller).post(
        f"/api/v1/offers/{offer_id}/counter",
        json={"terms": {"deal_kind": "transfer", "price_fen": 290_000_000}},
    )
    assert countered.status_code == 200, countered.get_json()
    assert _counts(api, seller)["offers_to_answer"] == 0
    assert _counts(api, buyer)["offers_to_answer"] == 1


def test_contracts_to_sign_count_only_the_side_that_has_not_signed(api, db):
    seller = factories.user_with_role("seller")
    buyer = factories.user_with_role("buyer")
    signing = factories.ContractFactory(
        status="signing", seller_org=seller.organization, buyer_org=buyer.organization
    )
    signing.seller_signed_at = signing.created_at
    factories.ContractFactory(status="draft", seller_org=seller.organization, buyer_org=buyer.organization)
    factories.ContractFactory(status="returned", seller_org=seller.organization, buyer_org=buyer.organization)
    db.session.flush()
    seller_counts, buyer_counts = _counts(api, seller), _counts(api, buyer)
    assert seller_counts["contracts_to_sign"] == 0 and buyer_counts["contracts_to_sign"] == 1
    assert seller_counts["contracts_to_complete"] == 1
    assert seller_counts["contracts_returned"] == 1
    assert "contracts_to_complete" not in buyer_counts  # a buyer does not draft contracts


def test_a_buyer_sees_milestones_due_soon_and_overdue_but_not_paid_or_far_ones(api, db):
    buyer = factories.user_with_role("buyer")
    today = today_shanghai()
    factories.ContractFactory(
        signed=True,
        buyer_org=buyer.organization,
        turnover_fen=300_000_00,
        tech_income_fen=300_000_00,
        milestones=[
            (today - timedelta(days=3), 100_000_00),  # overdue
            (today + timedelta(days=10), 100_000_00),  # due soon
            (today + timedelta(days=200), 100_000_00),  # not yet
        ],
    )
    factories.ContractFactory(  # a draft's milestones are not being paid yet
        buyer_org=buyer.organization, milestones=[(today, 100_00)]
    )
    db.session.flush()
    item = next(
        i for i in api(buyer).get("/api/v1/workbench").get_json()["items"] if i["key"] == "milestones_due"
    )
    assert (item["count"], item["overdue"]) == (2, 1)


def test_an_agency_sees_listings_to_review_mandates_and_offline_deals(api, db):
    agency = factories.user_with_role("agency")
    factories.ListingFactory(submitted=True)  # no agency: any approved agency reviews it
    factories.ListingFactory(submitted=True, agency_org_id=factories.OrganizationFactory(kind="agency").id)
    factories.MandateFactory(agency=agency.organization, status="proposed")
    factories.MandateFactory(agency=agency.organization)  # already active
    factories.ContractFactory(offline=True, agency_org=agency.organization)
    db.session.flush()
    counts = _counts(api, agency)
    assert counts["listings_to_review"] == 1
    assert counts["mandates_to_answer"] == 1
    assert counts["offline_deals_unconfirmed"] == 1


def test_a_regulator_sees_the_queue_of_their_city_with_the_overdue_count(api, db):
    regulator = factories.user_with_role("regulator", region="230100")
    harbin = factories.OrganizationFactory(kind="university", region_code="230100")
    qiqihar = factories.OrganizationFactory(kind="university", region_code="230200")
    factories.ContractFactory(submitted=True, seller_org=harbin)
    late = factories.ContractFactory(submitted=True, seller_org=harbin)
    late.review_due_on = date(2020, 1, 6)
    factories.ContractFactory(submitted=True, seller_org=qiqihar)  # another city's office
    db.session.flush()
    items = {i["key"]: i for i in api(regulator).get("/api/v1/workbench").get_json()["items"]}
    assert items["registrations_to_decide"]["count"] == 2
    assert items["registrations_to_decide"]["overdue"] == 1


def test_an_admin_sees_what_waits_for_approval(api, db):
    admin = factories.user_with_role("admin")
    factories.OrganizationFactory(kind="agency", status="pending")
    factories.UserFactory(role="seller", membership="pending")
    db.session.flush()
    counts = _counts(api, admin)
    assert counts["organizations_to_approve"] >= 1 and counts["people_to_approve"] >= 1


def test_a_pending_member_is_told_what_they_wait_for(api, client, login_as, db):
    org = factories.OrganizationFactory(kind="agency", status="pending")
    member = factories.UserFactory(role="agency", organization=org)
    db.session.flush()
    body = api(member).get("/api/v1/workbench", headers={"Accept-Language": "en"}).get_json()
    assert body["items"] == []
    assert "waiting for approval by the platform administrator" in body["waiting"]
    login_as(member)
    page = client.get("/workbench", headers={"Accept-Language": "zh"})
    assert page.status_code == 200
    assert "审核" in page.get_data(as_text=True)


def test_the_page_shows_each_item_with_its_count_and_link(client, login_as, api, parties):
    seller, buyer, listing = parties
    _offer(api, buyer, listing)
    login_as(seller)
    html = client.get("/workbench").get_data(as_text=True)
    assert 'data-key="offers_to_answer"' in html
    assert 'href="/offers"' in html
    assert "待您答复的报价" in html or "Offers waiting for your answer" in html


def test_the_workbench_needs_a_log_in(client, api, db):
    assert client.get("/workbench").status_code == 302
    assert api().get("/api/v1/workbench").status_code == 401


def test_the_home_page_shows_a_search_box_the_newest_listings_and_demands_and_the_year(client, db):
    listing = factories.ListingFactory(published=True, title_zh="寒地水稻智能育秧技术")
    demand = factories.DemandFactory(title="寻求秸秆综合利用技术")
    html = client.get("/", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert 'action="/listings"' in html and 'name="q"' in html
    assert "寒地水稻智能育秧技术" in html and f"/listings/{listing.id}" in html
    assert "寻求秸秆综合利用技术" in html and f"/demands/{demand.id}" in html
    assert f"{today_shanghai().year} 年本平台登记情况" in html


def test_the_home_page_runs_as_many_queries_for_six_listings_as_for_one(client, db, count_queries):
    factories.ListingFactory(published=True)
    factories.DemandFactory()
    db.session.flush()
    with count_queries() as one:
        client.get("/")
    for _ in range(5):
        factories.ListingFactory(published=True)
        factories.DemandFactory()
    db.session.flush()
    with count_queries() as six:
        client.get("/")
    assert six.count == one.count, six.statements


def test_logging_in_lands_on_the_workbench_unless_a_next_page_was_asked(client, db):
    factories.UserFactory(email="zhao@example.cn")
    response = client.post("/login", data={"email": "zhao@example.cn", "password": factories.PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/workbench"
    client.post("/logout")
    response = client.post(
        "/login?next=/contracts", data={"email": "zhao@example.cn", "password": factories.PASSWORD}
    )
    assert response.headers["Location"] == "/contracts"
