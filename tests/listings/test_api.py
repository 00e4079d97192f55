"""The listings and demands API: lifecycle, validation, idempotency."""

from __future__ import annotations

import pytest

from marketplace.listings.models import Listing
from marketplace.search.outbox import SearchOutbox
from tests import factories


@pytest.fixture
def asset(seller):
    return factories.IpAssetFactory(owned_by=seller.organization, industry="agri_processing")


def body(asset, **overrides):
    data = {
        "asset_ids": [asset.id],
        "title_zh": "大豆蛋白高效提取工艺",
        "title_en": "High-yield soybean protein extraction",
        "abstract_zh": "采用酶法辅助提取大豆分离蛋白。",
        "keywords": ["大豆", "蛋白"],
        "problem": "传统碱溶酸沉法提取率低、废水多",
        "comparison": "提取率 92 %，比碱溶酸沉法的 78 % 高 14 个百分点",
        "price_fen": 80_000_000,
        "deal_terms": [
            {
                "deal_kind": "license",
                "license_type": "non_exclusive",
                "field_of_use": "食品加工",
                "territory": "黑龙江省",
                "term_months": 60,
                "upfront_fen": 20_000_000,
                "royalty_bp": 300,
            },
            {"deal_kind": "transfer", "price_fen": 150_000_000},
        ],
    }
    data.update(overrides)
    return data


def test_seller_creates_submits_and_an_admin_publishes(api, seller, reviewer, asset, search_index):
    r = api(seller).post("/api/v1/listings", json=body(asset))
    assert r.status_code == 201, r.get_json()
    data = r.get_json()
    assert data["status"] == "draft"
    assert data["asset_ids"] == [asset.id]
    assert data["industry"] == "agri_processing"
    assert data["ip_kind"] == "invention_patent"
    assert data["source_kind"] == "university"
    assert data["region"] == "230100"
    assert data["maturity"] == "pilot"
    assert data["deal_terms"][0]["license_type"] == "non_exclusive"
    assert data["deal_terms"][0]["royalty_bp"] == 300
    assert data["deal_terms"][1] == {"deal_kind": "transfer", "price_fen": 150_000_000}
    listing_id = data["id"]

    r = api(seller).post(f"/api/v1/listings/{listing_id}/submit")
    assert r.status_code == 200 and r.get_json()["status"] == "submitted"
    r = api(seller).post(f"/api/v1/listings/{listing_id}/publish")
    assert r.status_code == 403
    r = api(reviewer).post(f"/api/v1/listings/{listing_id}/publish")
    assert r.status_code == 200 and r.get_json()["status"] == "published"
    # Published: in the index after the request, the outbox is empty.
    assert search_index.count() == 1
    assert SearchOutbox.query.count() == 0
    r = api().get(f"/api/v1/listings/{listing_id}")
    assert r.status_code == 200

    r = api(seller).post(f"/api/v1/listings/{listing_id}/withdraw")
    assert r.get_json()["status"] == "withdrawn"
    assert search_index.count() == 0
    assert api().get(f"/api/v1/listings/{listing_id}").status_code == 404


def test_return_needs_a_reason_and_the_seller_edits_again(api, seller, reviewer, asset):
    listing_id = api(seller).post("/api/v1/listings", json=body(asset)).get_json()["id"]
    api(seller).post(f"/api/v1/listings/{listing_id}/submit")
    r = api(reviewer).post(f"/api/v1/listings/{listing_id}/return", json={"reason": "  "})
    assert r.status_code == 422 and "reason" in r.get_json()["error"]["fields"]
    r = api(reviewer).post(f"/api/v1/listings/{listing_id}/return", json={"reason": "请补充中试数据"})
    assert r.status_code == 200 and r.get_json()["status"] == "returned"
    assert r.get_json()["return_reason"] == "请补充中试数据"
    r = api(seller).patch(f"/api/v1/listings/{listing_id}", json={"title_en": None, "price_fen": None})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["title_en"] is None and r.get_json()["price_fen"] is None
    assert r.get_json()["title_zh"] == "大豆蛋白高效提取工艺"
    assert api(seller).post(f"/api/v1/listings/{listing_id}/submit").get_json()["status"] == "submitted"
    # Not editable once submitted.
    assert api(seller).patch(f"/api/v1/listings/{listing_id}", json={"title_zh": "x"}).status_code == 403


def test_wrong_state_answers_409(api, seller, reviewer, asset):
    listing_id = api(seller).post("/api/v1/listings", json=body(asset)).get_json()["id"]
    r = api(reviewer).post(f"/api/v1/listings/{listing_id}/publish")
    assert r.status_code == 409


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"title_zh": "", "title_en": ""}, "title_zh"),
        ({"asset_ids": []}, "asset_ids"),
        ({"deal_terms": []}, "deal_terms"),
        ({"comparison": "效果显著，远优于同类产品"}, "comparison"),
        ({"price_fen": -1}, "price_fen"),
        ({"price_fen": "abc"}, "price_fen"),
        ({"deal_terms": [{"deal_kind": "license"}]}, "deal_terms.0.license_type"),
        ({"deal_terms": [{"deal_kind": "barter"}]}, "deal_terms.0.deal_kind"),
        ({"deal_terms": [{"deal_kind": "transfer", "price_fen": -5}]}, "deal_terms.0.price_fen"),
        ({"deal_terms": [{"deal_kind": "equity", "equity_share_bp": 20000}]}, "deal_terms.0.equity_share_bp"),
        (
            {"deal_terms": [{"deal_kind": "transfer"}, {"deal_kind": "transfer"}]},
            "deal_terms.1.deal_kind",
        ),
        ({"agency_org_id": 999999}, "agency_org_id"),
        ({"title_zh": "长" * 201}, "title_zh"),
    ],
)
def test_bad_listings_are_refused_with_field_messages(api, seller, asset, overrides, field):
    r = api(seller).post("/api/v1/listings", json=body(asset, **overrides))
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["error"]["fields"]
    assert Listing.query.count() == 0


def test_an_asset_of_another_organization_cannot_be_listed(api, seller):
    other = factories.IpAssetFactory()
    r = api(seller).post("/api/v1/listings", json=body(other))
    assert r.status_code == 422
    assert "asset_ids" in r.get_json()["error"]["fields"]


def test_submit_requires_problem_and_quantified_comparison(api, seller, asset):
    listing_id = (
        api(seller).post("/api/v1/listings", json=body(asset, problem="", comparison="")).get_json()["id"]
    )
    r = api(seller).post(f"/api/v1/listings/{listing_id}/submit")
    assert r.status_code == 422
    assert set(r.get_json()["error"]["fields"]) == {"problem", "comparison"}


def test_an_agency_must_be_an_approved_agency(api, seller, asset):
    pending = factories.OrganizationFactory(kind="agency", status="pending")
    r = api(seller).post("/api/v1/listings", json=body(asset, agency_org_id=pending.id))
    assert r.status_code == 422
    agency = factories.OrganizationFactory(kind="agency")
    r = api(seller).post("/api/v1/listings", json=body(asset, agency_org_id=agency.id))
    assert r.status_code == 201 and r.get_json()["agency_org_id"] == agency.id


def test_a_pledged_asset_cannot_be_offered_for_transfer(api, seller, reviewer, asset):
    factories.EncumbranceFactory(asset=asset, pledge=True, counterparty="某银行")
    listing_id = api(seller).post("/api/v1/listings", json=body(asset)).get_json()["id"]
    r = api(seller).post(f"/api/v1/listings/{listing_id}/submit")
    assert r.status_code == 409
    assert r.get_json()["error"]["code"] == "deal_not_possible"


def test_creating_is_idempotent(api, seller, asset):
    headers = {"Idempotency-Key": "listing-1"}
    first = api(seller).post("/api/v1/listings", json=body(asset), headers=headers)
    again = api(seller).post("/api/v1/listings", json=body(asset), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    assert Listing.query.count() == 1
    other = api(seller).post("/api/v1/listings", json=body(asset, title_zh="别的"), headers=headers)
    assert other.status_code == 409


def test_malformed_body_is_400(api, seller):
    r = api(seller).post("/api/v1/listings", data="not json", content_type="application/json")
    assert r.status_code == 400


def test_demands_api(api, db):
    buyer = factories.user_with_role("buyer")
    r = api(buyer).post(
        "/api/v1/demands",
        json={
            "title": "寻求大豆深加工提取工艺",
            "description": "提高大豆蛋白提取率",
            "industry": "agri_processing",
            "budget_fen": 50_000_000,
            "deadline": "2099-12-31",
        },
    )
    assert r.status_code == 201, r.get_json()
    demand = r.get_json()
    assert demand["status"] == "open" and demand["deadline"] == "2099-12-31"
    listed = api().get("/api/v1/demands").get_json()
    assert [d["id"] for d in listed["items"]] == [demand["id"]]
    assert api().get(f"/api/v1/demands/{demand['id']}").status_code == 200
    assert api(buyer).get(f"/api/v1/demands/{demand['id']}/matches").status_code == 200
    other_buyer = factories.user_with_role("buyer")
    assert api(other_buyer).get(f"/api/v1/demands/{demand['id']}/matches").status_code == 404
    bad = api(buyer).post(
        "/api/v1/demands",
        json={
            "title": "",
            "description": "x",
            "industry": "nope",
            "budget_fen": -3,
            "deadline": "2000-01-01",
        },
    )
    assert bad.status_code == 422
    assert {"title", "industry", "budget_fen"} <= set(bad.get_json()["error"]["fields"])
    seller = factories.user_with_role("seller")
    assert api(seller).post("/api/v1/demands", json={"title": "x"}).status_code == 403
    assert api(buyer).post(f"/api/v1/demands/{demand['id']}/close").get_json()["status"] == "closed"
    assert api().get(f"/api/v1/demands/{demand['id']}").status_code == 404
    assert api(buyer).get(f"/api/v1/demands/{demand['id']}").status_code == 200
