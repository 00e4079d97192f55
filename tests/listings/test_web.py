"""The listing and demand pages, used as a person would."""

from __future__ import annotations

from marketplace.listings.models import Demand, Listing
from tests import factories


def form_data(asset, **overrides):
    data = {
        "asset_ids": [str(asset.id)],
        "title_zh": "寒地大豆高蛋白品种选育技术",
        "title_en": "",
        "abstract_zh": "选育高蛋白大豆品种。",
        "keywords": "大豆、高蛋白，育种",
        "problem": "寒地大豆蛋白含量偏低",
        "comparison": "蛋白含量 43.5 %，比主栽品种高 3 个百分点",
        "price_fen": "1,200,000.00",
        "agency_org_id": "",
        "deal_terms-0-deal_kind": "license",
        "deal_terms-0-license_type": "sole",
        "deal_terms-0-upfront_fen": "300000",
        "deal_terms-0-royalty_bp": "5",
        "deal_terms-0-term_months": "36",
        # transfer not ticked: its fields are ignored
        "deal_terms-1-price_fen": "999",
        "deal_terms-2-deal_kind": "equity",
        "deal_terms-2-valuation_fen": "5000000",
        "deal_terms-2-equity_share_bp": "15",
        "deal_terms-2-company": "哈尔滨大豆科技有限公司",
    }
    data.update(overrides)
    return data


def test_seller_creates_edits_and_submits_a_listing(client, login_as, db, seller):
    asset = factories.IpAssetFactory(owned_by=seller.organization, industry="agri_processing")
    login_as(seller)
    page = client.get("/listings/new").get_data(as_text=True)
    assert asset.title_zh in page
    r = client.post("/listings/new", data=form_data(asset))
    assert r.status_code == 302, r.get_data(as_text=True)
    listing = Listing.query.one()
    assert listing.price_fen == 120_000_000
    assert listing.keywords == ["大豆", "高蛋白", "育种"]
    assert listing.deal_kinds == ["license", "equity"]
    assert listing.terms_for("license").upfront_fen == 30_000_000
    assert listing.terms_for("equity").valuation_fen == 500_000_000
    page = client.get(f"/listings/{listing.id}/edit").get_data(as_text=True)
    assert 'value="license" checked' in page and 'value="transfer" checked' not in page
    r = client.post(
        f"/listings/{listing.id}/edit",
        data=form_data(asset, **{"deal_terms-2-deal_kind": "", "deal_terms-1-deal_kind": "transfer"}),
    )
    assert r.status_code == 302
    db.session.expire_all()
    assert listing.deal_kinds == ["license", "transfer"]
    assert listing.terms_for("transfer").price_fen == 99_900
    r = client.post(f"/listings/{listing.id}/submit", follow_redirects=True)
    assert listing.status == "submitted"
    assert "Submitted" in r.get_data(as_text=True) or "已提交" in r.get_data(as_text=True)


def test_bad_web_input_shows_messages_and_stores_nothing(client, login_as, db, seller):
    asset = factories.IpAssetFactory(owned_by=seller.organization)
    login_as(seller)
    r = client.post(
        "/listings/new?lang=en",
        data=form_data(asset, comparison="much better", price_fen="-3", **{"deal_terms-0-license_type": ""}),
    )
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "The amount cannot be negative" in html
    # The service's rules come with the field errors, in the same answer.
    assert "quantify the comparison" in html
    assert Listing.query.count() == 0
    r = client.post("/listings/new?lang=en", data=form_data(asset, comparison="much better"))
    html = r.get_data(as_text=True)
    assert "quantify the comparison" in html
    r = client.post("/listings/new?lang=en", data=form_data(asset, **{"deal_terms-0-license_type": ""}))
    assert "Choose exclusive, sole or non-exclusive." in r.get_data(as_text=True)
    assert Listing.query.count() == 0


def test_field_errors_and_the_services_rules_show_at_once(client, login_as, db, seller):
    asset = factories.IpAssetFactory(owned_by=seller.organization)
    login_as(seller)
    # A money field the form refuses, no title in either language (a rule of the
    # service), a comparison without a figure (another): all three in one answer.
    r = client.post(
        "/listings/new?lang=en",
        data=form_data(asset, title_zh="", comparison="much better", **{"deal_terms-0-upfront_fen": "abc"}),
    )
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Give a title in Chinese or in English." in html
    assert "quantify the comparison" in html
    assert "Enter an amount in yuan, e.g. 1234.56." in html
    assert Listing.query.count() == 0


def test_reviewer_publishes_and_returns_from_the_page(client, login_as, db, seller, search_index):
    agency = factories.user_with_role("agency")
    first = factories.ListingFactory(seller=seller, submitted=True)
    second = factories.ListingFactory(seller=seller, submitted=True)
    login_as(agency)
    html = client.get(f"/listings/{first.id}").get_data(as_text=True)
    assert f"/listings/{first.id}/publish" in html
    client.post(f"/listings/{first.id}/publish")
    assert first.status == "published"
    assert search_index.count() == 1
    r = client.post(f"/listings/{second.id}/return", data={"reason": ""}, follow_redirects=True)
    assert second.status == "submitted"
    client.post(f"/listings/{second.id}/return", data={"reason": "请补充对比数据来源"})
    assert second.status == "returned" and second.return_reason == "请补充对比数据来源"
    login_as(seller)
    html = client.get(f"/listings/{second.id}").get_data(as_text=True)
    assert "请补充对比数据来源" in html
    del r


def test_buyer_posts_a_demand_from_the_page(client, login_as, db, search_index):
    buyer = factories.user_with_role("buyer")
    login_as(buyer)
    r = client.post(
        "/demands/new",
        data={
            "title": "求购寒地农机智能控制技术",
            "description": "拖拉机在零下 30 度的自动驾驶与作业控制。",
            "industry": "agri_machinery",
            "budget_fen": "500,000",
            "deadline": "2099-06-30",
        },
    )
    assert r.status_code == 302
    demand = Demand.query.one()
    assert demand.budget_fen == 50_000_000
    assert "求购寒地农机智能控制技术" in client.get("/demands").get_data(as_text=True)
    client.post(f"/demands/{demand.id}/close")
    assert demand.status == "closed"
    assert (
        "求购寒地农机智能控制技术"
        not in client.get("/demands?lang=en").get_data(as_text=True).split("Open demands")[1]
    )


def test_pages_render_in_both_languages(client, login_as, db, seller, publish, search_index):
    listing = publish(factories.ListingFactory(seller=seller, title_en="Soybean test technology"))
    factories.DemandFactory()
    for lang in ("zh_Hans", "en"):
        for path in ("/listings", f"/listings/{listing.id}", "/demands", "/listings?q=soybean"):
            assert client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}").status_code == 200
