"""The API of policies, providers, service requests, evaluations and start-ups."""

from __future__ import annotations

from datetime import date

import pytest

from tests import factories
from tests.services.factories import PolicyFactory, add_service, provider_user, request_in


def test_policies_list_filter_and_detail(db, api):
    PolicyFactory(title_zh="中华人民共和国促进科技成果转化法", topics=["ownership"], doc_no=None)
    PolicyFactory(level="provincial", region_code="230000", topics=["incentives"])
    body = api().get("/api/v1/policies?topic=ownership").get_json()
    assert body["total"] == 1 and body["page"] == 1
    item = body["items"][0]
    assert item["doc_no"] is None and item["title"] == "中华人民共和国促进科技成果转化法"
    assert {
        "issuer",
        "issued_on",
        "effective_on",
        "expires_on",
        "summary_zh",
        "summary_en",
        "source_url",
        "topics",
        "in_force",
    } <= set(item)
    assert api().get("/api/v1/policies?level=provincial&in_force=true").get_json()["total"] == 1
    bad = api().get("/api/v1/policies?level=county&in_force=maybe")
    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) == {"level", "in_force"}
    one = api().get(f"/api/v1/policies/{item['id']}").get_json()
    assert one["history"] == [] and "full_text" in one
    assert api().get("/api/v1/policies/999999").status_code == 404


def test_policies_are_written_by_admins_only(db, api):
    body = {
        "level": "national",
        "issuer": "财政部",
        "issued_on": "2016-03-23",
        "title_zh": "财税36号",
        "summary_zh": "摘要",
        "topics": ["tax"],
    }
    assert api(factories.user_with_role("seller")).post("/api/v1/policies", json=body).status_code == 403
    assert api().post("/api/v1/policies", json=body).status_code == 401
    admin = api(factories.user_with_role("admin"))
    bad = admin.post("/api/v1/policies", json={**body, "issued_on": "23/03/2016", "topics": "tax"})
    assert bad.status_code == 422 and {"issued_on", "topics"} <= set(bad.get_json()["error"]["fields"])
    created = admin.post("/api/v1/policies", json=body)
    assert created.status_code == 201
    pid = created.get_json()["id"]
    patched = admin.patch(f"/api/v1/policies/{pid}", json={"doc_no": "财税〔2016〕36号"})
    assert patched.status_code == 200 and patched.get_json()["revision"] == 2
    assert api().get(f"/api/v1/policies/{pid}").get_json()["history"][0]["changed"] == ["doc_no"]


def test_policies_of_a_contract_and_a_listing(db, api):
    vat = PolicyFactory(contract_categories=["license_patent"], needs_registration=True)
    licence = PolicyFactory(deal_kinds=["license"])
    contract = factories.registered_contract(category="license_patent")
    party = factories.UserFactory(role="seller", organization=contract.seller_org)
    ids = {p["id"] for p in api(party).get(f"/api/v1/contracts/{contract.id}/policies").get_json()["items"]}
    assert {vat.id, licence.id} <= ids
    assert (
        api(factories.user_with_role("buyer")).get(f"/api/v1/contracts/{contract.id}/policies").status_code
        == 404
    )
    listing = factories.ListingFactory(published=True)
    ids = {p["id"] for p in api().get(f"/api/v1/listings/{listing.id}/policies").get_json()["items"]}
    assert licence.id in ids and vat.id not in ids
    draft = factories.ListingFactory()
    assert api().get(f"/api/v1/listings/{draft.id}/policies").status_code == 404


def test_the_request_journey_over_the_api(db, api):
    staff, provider = provider_user("valuation")
    service = add_service(provider)
    buyer = factories.user_with_role("buyer")
    catalogue = api().get("/api/v1/providers?kind=valuation").get_json()
    assert provider.id in {p["id"] for p in catalogue["items"]}
    item = next(p for p in catalogue["items"] if p["id"] == provider.id)
    assert item["services"][0]["price_low_fen"] == 500_000 and item["rating"]["completed"] == 0
    assert api().get("/api/v1/providers?kind=astrology").status_code == 422
    as_buyer, as_staff = api(buyer), api(staff)
    made = as_buyer.post(
        f"/api/v1/providers/{provider.id}/requests",
        json={"title": "专利价值评估", "description": "质押融资用", "service_id": service.id},
        headers={"Idempotency-Key": "req-1"},
    )
    assert made.status_code == 201
    again = as_buyer.post(
        f"/api/v1/providers/{provider.id}/requests",
        json={"title": "专利价值评估", "description": "质押融资用", "service_id": service.id},
        headers={"Idempotency-Key": "req-1"},
    )
    assert again.get_json()["id"] == made.get_json()["id"]
    rid = made.get_json()["id"]
    assert (
        as_staff.post(f"/api/v1/service-requests/{rid}/quote", json={"quote_fen": "many"}).status_code == 422
    )
    assert as_buyer.post(f"/api/v1/service-requests/{rid}/quote", json={"quote_fen": 1}).status_code == 403
    assert (
        as_staff.post(f"/api/v1/service-requests/{rid}/quote", json={"quote_fen": 800_000}).status_code == 200
    )
    assert as_staff.post(f"/api/v1/service-requests/{rid}/accept").status_code == 403
    assert as_buyer.post(f"/api/v1/service-requests/{rid}/accept").status_code == 200
    assert (
        as_buyer.post(f"/api/v1/service-requests/{rid}/rate", json={"rating": 5, "comment": "好"}).status_code
        == 409
    )
    assert (
        as_staff.post(f"/api/v1/service-requests/{rid}/messages", json={"body": "报告已出"}).status_code
        == 201
    )
    assert as_staff.post(f"/api/v1/service-requests/{rid}/complete").status_code == 200
    assert (
        as_staff.post(
            f"/api/v1/service-requests/{rid}/rate", json={"rating": 5, "comment": "自评"}
        ).status_code
        == 403
    )
    bad = as_buyer.post(f"/api/v1/service-requests/{rid}/rate", json={"rating": 0, "comment": ""})
    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) == {"rating", "comment"}
    rated = as_buyer.post(f"/api/v1/service-requests/{rid}/rate", json={"rating": 5, "comment": "专业"})
    assert rated.status_code == 200 and rated.get_json()["rating"] == 5
    twice = as_buyer.post(f"/api/v1/service-requests/{rid}/rate", json={"rating": 1, "comment": "改"})
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "already_rated"
    detail = api().get(f"/api/v1/providers/{provider.id}").get_json()
    assert detail["rating"] == {"average": 5.0, "ratings": 1, "completed": 1}


@pytest.mark.parametrize("role", ["seller", "buyer", "agency", "regulator", "other_provider"])
def test_a_request_is_404_to_whoever_is_not_a_side(db, api, role):
    _staff, provider = provider_user()
    req = request_in(provider, factories.user_with_role("buyer"))
    user = provider_user()[0] if role == "other_provider" else factories.user_with_role(role)
    caller = api(user)
    assert caller.get(f"/api/v1/service-requests/{req.id}").status_code == 404
    assert caller.post(f"/api/v1/service-requests/{req.id}/quote", json={"quote_fen": 1}).status_code == 404
    assert caller.get("/api/v1/service-requests").get_json()["total"] == 0


def test_evaluations_and_startups_over_the_api(db, api):
    seller = factories.user_with_role("seller")
    asset = factories.IpAssetFactory(owned_by=seller.organization)
    staff, body = provider_user("evaluation")
    _lab_staff, lab = provider_user("testing")
    owner = api(seller)
    assert (
        owner.post(f"/api/v1/assets/{asset.id}/evaluations", json={"provider_id": lab.id}).status_code == 422
    )
    assert (
        api(factories.user_with_role("agency"))
        .post(f"/api/v1/assets/{asset.id}/evaluations", json={"provider_id": body.id})
        .status_code
        == 403
    )
    made = owner.post(
        f"/api/v1/assets/{asset.id}/evaluations", json={"provider_id": body.id, "note": "质押前评价"}
    )
    assert made.status_code == 201
    eid = made.get_json()["id"]
    assert api().get(f"/api/v1/evaluations/{eid}").status_code == 404  # not public until evaluated
    result = {
        "trl": 7,
        "novelty": "international_advanced",
        "maturity": "small_batch",
        "value_low_fen": 100,
        "value_high_fen": 200,
        "evaluated_on": "2026-11-01",
    }
    assert owner.post(f"/api/v1/evaluations/{eid}/result", json=result).status_code == 403
    bad = api(staff).post(f"/api/v1/evaluations/{eid}/result", json={**result, "trl": 0, "novelty": "x"})
    assert bad.status_code == 422 and {"trl", "novelty"} <= set(bad.get_json()["error"]["fields"])
    done = api(staff).post(f"/api/v1/evaluations/{eid}/result", json=result)
    assert done.status_code == 200 and done.get_json()["trl"] == 7
    assert api().get(f"/api/v1/evaluations/{eid}").get_json()["status"] == "completed"
    assert api(staff).post(f"/api/v1/evaluations/{eid}/result", json=result).status_code == 409

    inc_staff, incubator = provider_user("incubator")
    st = {
        "name": "哈尔滨雪域智能科技有限公司",
        "uscc": factories.valid_uscc(),
        "founded_on": "2025-04-01",
        "field": "digital",
    }
    assert api(staff).post(f"/api/v1/providers/{incubator.id}/startups", json=st).status_code == 403
    assert (
        api(inc_staff)
        .post(f"/api/v1/providers/{incubator.id}/startups", json={**st, "uscc": "123"})
        .status_code
        == 422
    )
    assert api(inc_staff).post(f"/api/v1/providers/{incubator.id}/startups", json=st).status_code == 201
    listed = api().get(f"/api/v1/providers/{incubator.id}/startups").get_json()
    assert listed["items"][0]["name"] == st["name"] and listed["plan_target"] == 2000
    assert date.fromisoformat(listed["items"][0]["founded_on"]) == date(2025, 4, 1)


def test_the_openapi_document_lists_the_endpoints(db, api):
    doc = api().get("/api/v1/openapi.json").get_json()
    for path in (
        "/api/v1/policies",
        "/api/v1/providers",
        "/api/v1/providers/{provider_id}/requests",
        "/api/v1/service-requests/{request_id}/rate",
        "/api/v1/assets/{asset_id}/evaluations",
        "/api/v1/evaluations/{evaluation_id}/result",
        "/api/v1/contracts/{contract_id}/policies",
        "/api/v1/listings/{listing_id}/policies",
    ):
        assert path in doc["paths"], path


def test_a_listing_carries_its_trl_in_the_api(db, api, count_queries):
    from marketplace.services import evaluations

    seller = factories.user_with_role("seller")
    staff, body = provider_user("evaluation")
    listings = [factories.ListingFactory(seller=seller, published=True) for _ in range(3)]
    with client_context():
        for n, listing in enumerate(listings[:2]):
            e = evaluations.ask(listing.assets[0], body, actor=seller)
            evaluations.record_result(
                e,
                actor=staff,
                trl=4 + n,
                novelty="domestic_leading",
                maturity="pilot",
                value_low_fen=1,
                value_high_fen=2,
            )
    got = {
        listings[i].id: api().get(f"/api/v1/listings/{listings[i].id}").get_json()["trl"] for i in range(3)
    }
    assert got == {listings[0].id: 4, listings[1].id: 5, listings[2].id: None}
    mine = api(seller).get("/api/v1/listings/mine").get_json()["items"]
    assert {i["id"]: i["trl"] for i in mine} == got
    assets = {x.id: x.asset_ids for x in listings}
    with count_queries() as q:  # one question for the whole page, however many listings
        assert evaluations.trl_by_listing(assets) == got
    assert q.count == 1


def client_context():
    from flask import current_app

    return current_app.test_request_context("/")


def test_the_body_uploads_the_report_over_the_api(db, api):
    import io

    from tests.services.conftest import PDF, PNG

    seller = factories.user_with_role("seller")
    asset = factories.IpAssetFactory(owned_by=seller.organization)
    staff, body = provider_user("evaluation")
    eid = (
        api(seller)
        .post(f"/api/v1/assets/{asset.id}/evaluations", json={"provider_id": body.id})
        .get_json()["id"]
    )

    def upload(user, content=PDF, name="评价报告.pdf"):
        return api(user).post(
            f"/api/v1/evaluations/{eid}/report",
            data={"report": (io.BytesIO(content), name)},
            content_type="multipart/form-data",
        )

    assert upload(staff).status_code == 409  # no result yet
    result = {
        "trl": 5,
        "novelty": "domestic_advanced",
        "maturity": "pilot",
        "value_low_fen": 1,
        "value_high_fen": 2,
    }
    api(staff).post(f"/api/v1/evaluations/{eid}/result", json=result)
    assert upload(seller).status_code == 403
    assert upload(staff, b"not a pdf", "x.txt").status_code == 422
    assert api(staff).post(f"/api/v1/evaluations/{eid}/report").status_code == 422
    done = upload(staff, PNG, "报告扫描.png")
    assert done.status_code == 201 and done.get_json()["content_type"] == "image/png"
    assert api().get(f"/api/v1/evaluations/{eid}").get_json()["report"] is True


def test_the_certificate_page_shows_the_policies_for_the_parties(db, client, login_as):
    vat = PolicyFactory(contract_categories=["license_patent"], needs_registration=True)
    contract = factories.registered_contract(category="license_patent")
    login_as(factories.UserFactory(role="seller", organization=contract.seller_org))
    page = client.get(f"/contracts/{contract.id}/certificate").get_data(as_text=True)
    assert vat.title_zh in page
    assert page.index(vat.title_zh) > page.index("</article>")  # beside the certificate, not on it
