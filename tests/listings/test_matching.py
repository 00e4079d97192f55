"""Supply-demand matching and the notifications it sends."""

from __future__ import annotations

from marketplace.listings import services
from marketplace.listings.matching import matches_for_demand, matches_for_listing, score_pair
from marketplace.notifications.models import Notification
from tests import factories

from .conftest import make_listing


def notes(user):
    return [n.kind for n in Notification.query.filter_by(user_id=user.id).order_by(Notification.id)]


def soy_listing(seller, **kwargs):
    return make_listing(
        seller,
        title_zh="大豆分离蛋白酶法提取工艺",
        abstract_zh="低温豆粕酶法提取大豆蛋白，提取率 92%。",
        keywords=["大豆", "深加工", "提取"],
        **kwargs,
    )


def test_score_adds_industry_and_word_coverage(db, seller):
    listing = soy_listing(seller)
    terms = {"大豆": 2, "提取": 2, "石墨": 1}
    assert score_pair(terms, "agri_processing", listing) == 30 + round(70 * 4 / 5)
    assert score_pair(terms, "new_materials", listing) == round(70 * 4 / 5)
    assert score_pair({"石墨": 2}, "new_materials", listing) == 0


def test_a_posted_demand_finds_ranked_listings_and_notifies_both_sides(
    api, db, seller, publish, search_index
):
    soy = publish(soy_listing(seller))
    weak = publish(make_listing(seller, industry="agri_processing", title_zh="玉米淀粉加工设备"))
    unrelated = publish(make_listing(seller, industry="new_materials", title_zh="石墨烯导热膜"))
    buyer = factories.user_with_role("buyer")
    r = api(buyer).post(
        "/api/v1/demands",
        json={
            "title": "寻求大豆深加工提取工艺",
            "description": "希望提高大豆蛋白的提取率，降低废水排放。",
            "industry": "agri_processing",
        },
    )
    assert r.status_code == 201
    demand_id = r.get_json()["id"]
    matches = api(buyer).get(f"/api/v1/demands/{demand_id}/matches").get_json()["items"]
    assert [m["listing"]["id"] for m in matches][0] == soy.id
    assert unrelated.id not in [m["listing"]["id"] for m in matches]
    scores = [m["score"] for m in matches]
    assert scores == sorted(scores, reverse=True) and scores[0] >= 45
    # The buyer hears of the matches, the soybean seller of the demand; the weak match stays quiet.
    assert "demand.matches" in notes(buyer)
    assert notes(seller).count("listing.demand_match") == 1
    weak_scores = [m["score"] for m in matches if m["listing"]["id"] == weak.id]
    assert all(score < 45 for score in weak_scores)


def test_english_demand_matches_english_listing(db, publish, search_index):
    enterprise = factories.user_with_role("seller", org=factories.OrganizationFactory(kind="enterprise"))
    listing = publish(
        make_listing(
            enterprise,
            industry="new_materials",
            title_zh=None,
            title_en="Graphene anode material for lithium batteries",
            abstract_en="Graphene-coated silicon anodes with 30 % more capacity.",
        )
    )
    buyer = factories.user_with_role("buyer")
    demand = services.create_demand(
        services.DemandData(
            title="Graphene anode supplier",
            description="We need a graphene anode material for our battery line.",
            industry="new_materials",
        ),
        actor=buyer,
    )
    found = matches_for_demand(demand)
    assert [m.listing.id for m in found] == [listing.id]
    assert found[0].score >= 80


def test_publishing_a_listing_notifies_the_buyers_of_matching_demands(db, seller, reviewer, search_index):
    buyer = factories.user_with_role("buyer")
    demand = factories.DemandFactory(buyer=buyer, title="寻求大豆深加工提取工艺", description="大豆蛋白提取")
    other = factories.DemandFactory(
        title="求购寒地农机智能控制技术", description="拖拉机自动驾驶", industry="agri_machinery"
    )
    listing = soy_listing(seller, submitted=True)
    services.publish_listing(listing, actor=reviewer)
    db.session.flush()
    assert "demand.listing_match" in notes(buyer)
    assert notes(other.created_by) == []
    assert "listing.matches" in notes(seller)
    found = matches_for_listing(listing)
    assert found[0].demand.id == demand.id
    assert other.id not in [m.demand.id for m in found if m.score >= 45]


def test_closed_demands_are_not_matched(db, seller):
    factories.DemandFactory(title="寻求大豆深加工提取工艺", status="closed")
    assert matches_for_listing(soy_listing(seller, published=True)) == []


def test_demand_page_shows_matches_to_its_owner_only(client, login_as, db, seller, publish, search_index):
    soy = publish(soy_listing(seller))
    buyer = factories.user_with_role("buyer")
    demand = factories.DemandFactory(buyer=buyer, title="寻求大豆深加工提取工艺")
    html = client.get(f"/demands/{demand.id}").get_data(as_text=True)
    assert f"/listings/{soy.id}" not in html
    login_as(buyer)
    html = client.get(f"/demands/{demand.id}").get_data(as_text=True)
    assert f"/listings/{soy.id}" in html


def test_listing_page_shows_matching_demands_to_its_seller(
    client, login_as, db, seller, publish, search_index
):
    soy = publish(soy_listing(seller))
    demand = factories.DemandFactory(title="寻求大豆深加工提取工艺")
    assert f"/demands/{demand.id}" not in client.get(f"/listings/{soy.id}").get_data(as_text=True)
    login_as(seller)
    assert f"/demands/{demand.id}" in client.get(f"/listings/{soy.id}").get_data(as_text=True)
