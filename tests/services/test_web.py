"""The pages: the policy library, a provider and its requests, evaluations,
the blocks on listing, contract, certificate, asset and targets pages."""

from __future__ import annotations

import io
from datetime import date

import pytest

from marketplace.services.models import Evaluation, Policy, ServiceRequest, Startup
from marketplace.storage.uploads import attachments_of
from tests import factories
from tests.services.conftest import PDF, PNG
from tests.services.factories import PolicyFactory, add_service, provider_user, request_in


def test_the_policy_library_in_chinese_and_english(db, client):
    PolicyFactory(
        title_zh="中华人民共和国促进科技成果转化法",
        title_en="Law on Promoting the Transformation",
        doc_no=None,
        caveat_zh="以税务机关确认为准",
        caveat_en="to confirm with the tax authority",
    )
    zh = client.get("/policies/?q=转化法").get_data(as_text=True)
    assert "中华人民共和国促进科技成果转化法" in zh and "政策库" in zh
    en = client.get("/policies/?q=Transformation&lang=en").get_data(as_text=True)
    assert "Law on Promoting the Transformation" in en and "Policy library" in en
    assert "number to confirm" in en
    empty = client.get("/policies/?q=nothing-like-this&lang=en").get_data(as_text=True)
    assert "No policy matches" in empty
    policy = db.session.scalars(db.select(Policy)).first()
    page = client.get(f"/policies/{policy.id}?lang=en").get_data(as_text=True)
    assert "to confirm with the tax authority" in page and "number to confirm" in page
    assert client.get("/policies/?level=bogus&page=x").status_code == 200


def test_an_admin_adds_and_edits_a_policy_with_errors_shown(db, client, login_as):
    login_as("admin")
    assert client.get("/policies/new").status_code == 200
    bad = client.post(
        "/policies/new",
        data={
            "level": "national",
            "issuer": "",
            "title_zh": "",
            "summary_zh": "",
            "issued_on": "yesterday",
            "source_url": "ftp://x",
        },
    )
    assert bad.status_code == 422
    assert db.session.scalar(db.select(db.func.count()).select_from(Policy)) == 0
    good = client.post(
        "/policies/new",
        data={
            "level": "national",
            "region_code": "000000",
            "issuer": "全国人民代表大会常务委员会",
            "title_zh": "中华人民共和国促进科技成果转化法",
            "summary_zh": "摘要",
            "issued_on": "2015-08-29",
            "effective_on": "2015-10-01",
            "in_force": "y",
            "topics": ["ownership", "incentives"],
            "source_url": "https://www.npc.gov.cn/",
            "attachment": (io.BytesIO(PDF), "全文.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert good.status_code == 302, good.get_data(as_text=True)[:500]
    policy = db.session.scalars(db.select(Policy)).one()
    assert policy.topics == ["ownership", "incentives"] and attachments_of(policy, "policy_text")
    edit = client.post(
        f"/policies/{policy.id}/edit",
        data={
            "level": "national",
            "region_code": "000000",
            "issuer": policy.issuer,
            "title_zh": policy.title_zh,
            "summary_zh": "新的摘要",
            "issued_on": "2015-08-29",
            "in_force": "y",
            "doc_no": "主席令第三十二号",
        },
    )
    assert edit.status_code == 302
    page = client.get(f"/policies/{policy.id}").get_data(as_text=True)
    assert 'id="history"' in page and "新的摘要" in page


@pytest.mark.parametrize("role", ["seller", "buyer", "agency", "provider"])
def test_others_cannot_add_policies(db, client, login_as, role):
    if role == "provider":
        login_as(provider_user()[0])
    else:
        login_as(role)
    assert client.get("/policies/new").status_code == 403
    assert client.post("/policies/new", data={}).status_code == 403


def test_a_buyer_requests_and_rates_a_service_on_the_web(db, client, login_as):
    staff, provider = provider_user("pilot_base", region="230600")
    service = add_service(provider, name_zh="中试放大验证")
    catalogue = client.get("/providers/?kind=pilot_base&lang=en").get_data(as_text=True)
    assert provider.name in catalogue and "no ratings yet" in catalogue
    buyer = login_as("buyer")
    bad = client.post(f"/providers/{provider.id}/requests", data={"title": "", "description": ""})
    assert bad.status_code == 422
    sent = client.post(
        f"/providers/{provider.id}/requests",
        data={
            "service_id": str(service.id),
            "title": "电池材料中试",
            "description": "100公斤级放大",
            "files": (io.BytesIO(PNG), "工艺图.png"),
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302
    req = db.session.scalars(db.select(ServiceRequest)).one()
    login_as(staff)
    assert client.post(f"/service-requests/{req.id}/quote", data={"quote_fen": "-5"}).status_code == 422
    assert (
        client.post(
            f"/service-requests/{req.id}/quote", data={"quote_fen": "12,000.00", "quote_days": "20"}
        ).status_code
        == 302
    )
    assert req.quote_fen == 1_200_000
    assert client.post(f"/service-requests/{req.id}/accept").status_code == 403
    login_as(buyer)
    assert client.post(f"/service-requests/{req.id}/accept").status_code == 302
    assert client.post(f"/service-requests/{req.id}/messages", data={"body": "样品已寄出"}).status_code == 302
    login_as(staff)
    assert client.post(f"/service-requests/{req.id}/complete").status_code == 302
    assert (
        client.post(f"/service-requests/{req.id}/rate", data={"rating": "5", "comment": "好"}).status_code
        == 403
    )
    login_as(buyer)
    page = client.get(f"/service-requests/{req.id}?lang=en").get_data(as_text=True)
    assert 'id="rate"' in page and "样品已寄出" in page
    assert (
        client.post(f"/service-requests/{req.id}/rate", data={"rating": "5", "comment": ""}).status_code
        == 422
    )
    assert (
        client.post(f"/service-requests/{req.id}/rate", data={"rating": "5", "comment": "很专业"}).status_code
        == 302
    )
    again = client.post(f"/service-requests/{req.id}/rate", data={"rating": "1", "comment": "改评"})
    assert again.status_code == 409 and req.rating == 5
    detail = client.get(f"/providers/{provider.id}").get_data(as_text=True)
    assert "很专业" in detail and "已完成 1 项" in detail


def test_a_request_is_404_for_whoever_is_not_a_side(db, client, login_as):
    staff, provider = provider_user()
    buyer = factories.user_with_role("buyer")
    req = request_in(provider, buyer)
    for role in ("seller", "buyer", "agency", "regulator"):
        login_as(role)
        assert client.get(f"/service-requests/{req.id}").status_code == 404
    login_as(provider_user()[0])
    assert client.get(f"/service-requests/{req.id}").status_code == 404
    login_as("admin")
    assert client.get(f"/service-requests/{req.id}").status_code == 200
    login_as(staff)
    listing = client.get("/service-requests/?box=received").get_data(as_text=True)
    assert f"/service-requests/{req.id}" in listing


def test_a_provider_keeps_its_profile_services_and_startups(db, client, login_as):
    staff, incubator = provider_user("incubator")
    login_as(staff)
    assert client.get("/providers/mine?lang=en").status_code == 200
    assert client.post("/providers/mine", data={"kind": "incubator", "description_zh": ""}).status_code == 422
    assert (
        client.post(
            "/providers/mine", data={"kind": "incubator", "description_zh": "哈工大科技园孵化器"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            "/providers/mine/services",
            data={"name_zh": "创业辅导", "price_low_fen": "10", "price_high_fen": "5"},
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/providers/mine/services",
            data={
                "name_zh": "创业辅导",
                "price_low_fen": "1,000",
                "price_high_fen": "5,000",
                "turnaround_days": "30",
            },
        ).status_code
        == 302
    )
    bad = client.post(
        "/providers/mine/startups",
        data={
            "name": "哈尔滨冰晶科技",
            "uscc": "91230100XXXX",
            "founded_on": "2024-05-01",
            "field": "digital",
        },
    )
    assert bad.status_code == 422 and "18" in bad.get_data(as_text=True)
    ok = client.post(
        "/providers/mine/startups",
        data={
            "name": "哈尔滨冰晶科技",
            "uscc": factories.valid_uscc(),
            "founded_on": "2024-05-01",
            "field": "digital",
        },
    )
    assert ok.status_code == 302 and db.session.scalar(db.select(db.func.count()).select_from(Startup)) == 1
    targets = client.get("/targets?lang=en").get_data(as_text=True)
    assert 'id="startups"' in targets and "of 2,000" in targets
    login_as("seller")
    assert client.get("/providers/mine").status_code == 403


def test_an_evaluation_from_the_asset_page_to_the_listing(db, client, login_as):
    seller = factories.user_with_role("seller")
    asset = factories.IpAssetFactory(owned_by=seller.organization)
    listing = factories.ListingFactory(assets=[asset], seller=seller, published=True)
    staff, body = provider_user("evaluation")
    login_as(seller)
    asset_page = client.get(f"/assets/{asset.id}").get_data(as_text=True)
    assert f"/assets/{asset.id}/evaluations/new" in asset_page
    assert (
        client.post(
            f"/assets/{asset.id}/evaluations/new", data={"provider_id": str(body.id), "note": "请评价"}
        ).status_code
        == 302
    )
    e = db.session.scalars(db.select(Evaluation)).one()
    login_as(staff)
    bad = client.post(
        f"/evaluations/{e.id}/result",
        data={
            "trl": "6",
            "novelty": "domestic_leading",
            "maturity": "pilot",
            "value_low_fen": "",
            "value_high_fen": "1",
        },
    )
    assert bad.status_code == 422 and e.status == "requested"
    ok = client.post(
        f"/evaluations/{e.id}/result",
        data={
            "trl": "6",
            "novelty": "domestic_leading",
            "maturity": "pilot",
            "value_low_fen": "3,000,000",
            "value_high_fen": "5,000,000",
            "evaluated_on": date.today().isoformat(),
            "report": (io.BytesIO(PDF), "评价报告.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302 and e.trl == 6 and e.value_low_fen == 300_000_000
    login_as(seller)
    page = client.get(f"/assets/{asset.id}?lang=en").get_data(as_text=True)
    assert "TRL 6" in page and body.name in page
    report = client.get(f"/evaluations/{e.id}/report")
    assert report.status_code == 200 and report.data == PDF
    report.close()
    login_as("buyer")
    assert client.get(f"/evaluations/{e.id}/report").status_code == 404
    listing_page = client.get(f"/listings/{listing.id}?lang=en").get_data(as_text=True)
    assert "TRL 6" in listing_page and 'id="evaluation"' in listing_page


def test_the_certificate_check_shows_policies_as_information(db, client):
    PolicyFactory(
        title_zh="关于全面推开营业税改征增值税试点的通知",
        title_en=None,
        contract_categories=["license_patent"],
        needs_registration=True,
    )
    from marketplace.contracts import services as contracts

    regulator = factories.user_with_role("regulator", region="230100")
    seller = factories.OrganizationFactory(kind="university", region_code="230100")
    contract = factories.ContractFactory(submitted=True, seller_org=seller, category="license_patent")
    with client.application.test_request_context("/"):
        contracts.register_contract(contract, actor=regulator)
    db.session.flush()
    page = client.get(f"/verify/{contract.registration_no}?lang=en").get_data(as_text=True)
    assert "Registered" in page
    assert 'id="policies"' in page and "not a legal or tax opinion" in page
    assert "关于全面推开营业税改征增值税试点的通知" in page


def test_the_workbench_shows_a_providers_requests_and_a_requesters_quotes(db, client, login_as):
    staff, provider = provider_user()
    buyer = factories.user_with_role("buyer")
    request_in(provider, buyer, "requested")
    request_in(provider, buyer, "quoted")
    login_as(staff)
    page = client.get("/workbench?lang=en").get_data(as_text=True)
    assert "Service requests waiting for your quote" in page
    login_as(buyer)
    page = client.get("/workbench?lang=en").get_data(as_text=True)
    assert "Service quotes waiting for your answer" in page


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("role", ["seller", "buyer", "agency", "regulator", "admin", "provider"])
def test_the_lists_open_for_every_role(db, client, login_as, role, lang):
    user = login_as(provider_user()[0] if role == "provider" else role)
    assert user is not None
    for path in ("/policies/", "/providers/", "/service-requests/", "/evaluations/", "/targets"):
        response = client.get(f"{path}?lang={lang}")
        assert response.status_code == 200, (path, role)
    assert (client.get("/providers/mine").status_code == 200) == (role == "provider")
    assert (client.get("/policies/new").status_code == 200) == (role in ("regulator", "admin"))
