"""The industrialization API: report (buyer), list, one report, confirm and return."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.core.timeutil import today_shanghai
from tests import factories

BODY = {
    "stage": "production_started",
    "achieved_on": "2025-03-01",
    "output_value_fen": 500_000_000,
    "units": 1200,
    "jobs": 35,
    "description": "新建生产线投产，年产负极材料1200吨。",
}


def _body(deal, **overrides):
    return {"asset_id": deal.asset.id, **BODY, **overrides}


def test_the_buyer_reports_and_the_agency_confirms(db, api, make_deal):
    deal = make_deal()
    response = api(deal.buyer).post(
        f"/api/v1/contracts/{deal.contract.id}/industrialization", json=_body(deal)
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "pending" and body["output_value_fen"] == 500_000_000
    assert body["registration_no"] == deal.contract.registration_no and body["evidence"] == []
    report_id = body["id"]
    waiting = api(deal.agency).get("/api/v1/industrialization?box=to_confirm").get_json()
    assert [r["id"] for r in waiting["items"]] == [report_id]
    confirmed = api(deal.agency).post(f"/api/v1/industrialization/{report_id}/confirm")
    assert confirmed.status_code == 200
    body = confirmed.get_json()
    assert (body["status"], body["decided_as"], body["source_kind"]) == ("confirmed", "agency", "university")
    assert body["source_org_id"] == deal.seller.organization_id
    listing = api(deal.buyer).get("/api/v1/industrialization?box=mine").get_json()
    assert listing["total"] == 1 and listing["counts"] == {
        "university": 1,
        "research_institute": 0,
        "enterprise": 0,
    }
    assert api(deal.agency).post(f"/api/v1/industrialization/{report_id}/confirm").status_code == 409


def test_creating_is_idempotent_with_a_key(db, api, make_deal):
    deal = make_deal()
    caller = api(deal.buyer)
    path = f"/api/v1/contracts/{deal.contract.id}/industrialization"
    first = caller.post(path, json=_body(deal), headers={"Idempotency-Key": "ind-1"})
    again = caller.post(path, json=_body(deal), headers={"Idempotency-Key": "ind-1"})
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    other = caller.post(path, json=_body(deal, jobs=40), headers={"Idempotency-Key": "ind-1"})
    assert other.status_code == 409


def test_return_needs_a_reason(db, api, make_deal):
    deal = make_deal()
    report = factories.IndustrializationReportFactory(contract=deal.contract, asset=deal.asset)
    caller = api(deal.seller)
    assert caller.post(f"/api/v1/industrialization/{report.id}/return", json={}).status_code == 422
    assert caller.post(f"/api/v1/industrialization/{report.id}/return", data="nope").status_code == 400
    response = caller.post(
        f"/api/v1/industrialization/{report.id}/return", json={"reason": "产量数据与台账不符"}
    )
    assert response.status_code == 200
    assert response.get_json()["return_reason"] == "产量数据与台账不符"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"achieved_on": "tomorrow"}, "achieved_on"),
        ({"achieved_on": "2025-02-30"}, "achieved_on"),
        ({"output_value_fen": -1}, "output_value_fen"),
        ({"sales_fen": -5}, "sales_fen"),
        ({"units": -1}, "units"),
        ({"jobs": -2}, "jobs"),
        ({"output_value_fen": "lots"}, "output_value_fen"),
        ({"stage": "first_sales"}, "sales_fen"),
        ({"stage": "dreaming"}, "stage"),
        ({"asset_id": 10**6}, "asset_id"),
        ({"description": ""}, "description"),
    ],
)
def test_bad_input_answers_422_on_the_field(db, api, make_deal, overrides, field):
    deal = make_deal()
    if overrides.get("achieved_on") == "tomorrow":
        overrides = {**overrides, "achieved_on": (today_shanghai() + timedelta(days=1)).isoformat()}
    response = api(deal.buyer).post(
        f"/api/v1/contracts/{deal.contract.id}/industrialization", json=_body(deal, **overrides)
    )
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert api(deal.buyer).get("/api/v1/industrialization").get_json()["total"] == 0


def test_a_contract_not_registered_answers_409(db, api, make_deal):
    deal = make_deal(status="signed")
    response = api(deal.buyer).post(
        f"/api/v1/contracts/{deal.contract.id}/industrialization", json=_body(deal)
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "contract_not_registered"


def test_bad_filters_answer_422(db, api, make_deal):
    deal = make_deal()
    assert api(deal.buyer).get("/api/v1/industrialization?box=everything").status_code == 422
    assert api(deal.buyer).get("/api/v1/industrialization?status=lost").status_code == 422
    assert api().get("/api/v1/industrialization").status_code == 401


# --- Permission matrix ------------------------------------------------------------------

MATRIX = [
    # who, create, get, confirm, return, in "all"
    ("buyer", 201, 200, 403, 403, True),
    ("seller", 403, 200, 200, 200, True),
    ("agency", 403, 200, 200, 200, True),
    ("other_agency", 404, 404, 404, 404, False),
    ("other_buyer", 404, 404, 404, 404, False),
    ("regulator_city", 403, 200, 403, 403, True),
    ("regulator_province", 403, 200, 403, 403, True),
    ("regulator_other_city", 404, 404, 404, 404, False),
    ("admin", 403, 200, 403, 403, True),
]


@pytest.mark.parametrize(("who", "create", "get", "confirm", "return_", "listed"), MATRIX)
def test_permission_matrix(db, api, make_deal, who, create, get, confirm, return_, listed):
    from marketplace.contracts.models import ContractAsset

    from .test_web import _user

    deal = make_deal()
    second = factories.IpAssetFactory(owned_by=deal.seller.organization)
    third = factories.IpAssetFactory(owned_by=deal.seller.organization)
    deal.contract.asset_links.append(ContractAsset(asset_id=second.id))
    deal.contract.asset_links.append(ContractAsset(asset_id=third.id))
    a = factories.IndustrializationReportFactory(contract=deal.contract, asset=deal.asset)
    b = factories.IndustrializationReportFactory(contract=deal.contract, asset=second)
    caller = api(_user(who, deal))
    created = caller.post(
        f"/api/v1/contracts/{deal.contract.id}/industrialization", json={**BODY, "asset_id": third.id}
    )
    assert created.status_code == create
    assert caller.get(f"/api/v1/industrialization/{a.id}").status_code == get
    assert caller.post(f"/api/v1/industrialization/{a.id}/confirm").status_code == confirm
    assert (
        caller.post(f"/api/v1/industrialization/{b.id}/return", json={"reason": "不符"}).status_code
        == return_
    )
    ids = {r["id"] for r in caller.get("/api/v1/industrialization?per_page=100").get_json()["items"]}
    assert (a.id in ids) == listed


def test_every_endpoint_is_described(app):
    from marketplace.industrialization import api as module

    for name in ("report_industrialization", "list_reports", "get_report", "confirm_report", "return_report"):
        info = getattr(module, name)._openapi
        assert info["summary"] and info["tags"] == ["industrialization"]
    assert module.report_industrialization._openapi["idempotent"] is True
