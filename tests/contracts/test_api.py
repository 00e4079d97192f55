"""The contract API: the journey, bad input (422/409, nothing stored) and the permission matrix."""

from __future__ import annotations

import io

import pytest

from marketplace.contracts.models import Contract

from ..factories import OrganizationFactory, user_with_role

ROLES = ("seller", "buyer", "agency", "regulator", "province", "other_city", "outsider", "admin")
VISIBLE = {"seller", "buyer", "agency", "regulator", "province", "admin"}


def test_journey_through_the_api(api, cast, db):
    c = cast(status="draft")
    cid = c.contract.id
    r = api(c.seller).patch(
        f"/api/v1/contracts/{cid}", json={"subject": "专利普通实施许可，许可地域黑龙江省"}
    )
    assert r.status_code == 200 and r.get_json()["status"] == "draft"
    assert api(c.seller).post(f"/api/v1/contracts/{cid}/sign").get_json()["status"] == "signing"
    assert api(c.buyer).post(f"/api/v1/contracts/{cid}/sign").get_json()["status"] == "signed"
    r = api(c.seller).post(f"/api/v1/contracts/{cid}/submit")
    assert r.status_code == 409 and set(r.get_json()["error"]["fields"]) == {"signed_document"}
    pdf = (io.BytesIO(b"%PDF-1.4 signed contract"), "signed.pdf")
    r = api(c.seller).post(f"/api/v1/contracts/{cid}/document", data={"document": pdf})
    assert r.status_code == 200, r.get_json()
    body = api(c.seller).post(f"/api/v1/contracts/{cid}/submit").get_json()
    assert body["status"] == "submitted" and body["review_due_on"]
    r = api(c.regulator).post(f"/api/v1/contracts/{cid}/register", json={})
    assert r.status_code == 200
    number = r.get_json()["registration_no"]
    assert len(number) == 16 and number[4:8] == "2301"
    again = api(c.province).post(f"/api/v1/contracts/{cid}/register")
    assert again.status_code == 409
    milestones = api(c.buyer).get(f"/api/v1/contracts/{cid}/milestones").get_json()["items"]
    assert [m["paid_fen"] for m in milestones] == [0, 0]
    assert sum(m["amount_fen"] for m in milestones) == 1_000_000_00
    assert {"due_on", "amount_fen", "paid_fen", "status"} <= set(milestones[0])
    listed = api(c.regulator).get("/api/v1/contracts").get_json()
    assert [item["registration_no"] for item in listed["items"]] == [number]
    assert api(c.other_city).get("/api/v1/contracts").get_json()["total"] == 0
    r = api(c.seller).post(f"/api/v1/contracts/{cid}/cancel", json={"note": "协商解除"})
    assert r.get_json()["status"] == "cancellation_pending"
    assert (
        api(c.regulator).post(f"/api/v1/contracts/{cid}/register").get_json()["contract"]["status"]
        == "cancelled"
    )


def test_agency_records_an_offline_deal_and_parties_confirm(api, db):
    agency = user_with_role("agency")
    seller_org = OrganizationFactory(kind="university")
    seller = user_with_role("seller", org=seller_org)
    buyer = user_with_role("buyer")
    body = {
        "seller_org_id": seller_org.id,
        "buyer_org_id": buyer.organization_id,
        "title": "寒地大豆高蛋白品种选育技术转让合同",
        "deal_terms": {"deal_kind": "transfer", "price_fen": 50_000_000},
        "industry": "biology",
        "milestones": [{"due_on": "2026-12-31", "amount_fen": 50_000_000}],
    }
    r = api(agency).post("/api/v1/contracts", json=body, headers={"Idempotency-Key": "fair-2025-001"})
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    assert created["status"] == "awaiting_confirmation" and created["turnover_fen"] == 50_000_000
    again = api(agency).post("/api/v1/contracts", json=body, headers={"Idempotency-Key": "fair-2025-001"})
    assert again.get_json()["id"] == created["id"]
    assert db.session.query(Contract).count() == 1
    assert api(seller).post("/api/v1/contracts", json=body).status_code == 403
    cid = created["id"]
    assert (
        api(seller).post(f"/api/v1/contracts/{cid}/confirm").get_json()["status"] == "awaiting_confirmation"
    )
    assert api(seller).post(f"/api/v1/contracts/{cid}/confirm").status_code == 409
    assert api(buyer).post(f"/api/v1/contracts/{cid}/confirm").get_json()["status"] == "signing"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"tech_income_fen": 1_000_000_01}, "tech_income_fen"),  # income above turnover
        (
            {
                "milestones": [
                    {"due_on": "2025-06-30", "amount_fen": 50_000_000},
                    {"due_on": "2025-12-31", "amount_fen": 49_999_999},
                ]
            },
            "milestones",
        ),  # off by one fen
        ({"category": "license_software"}, "category"),  # unknown category
        ({"turnover_fen": -5}, "turnover_fen"),
        ({"turnover_fen": "lots"}, "turnover_fen"),
        ({"valid_from": "2025-02-30"}, "valid_from"),
        (
            {
                "tech_income_fen": 90_000_000,
                "cost_lines": [{"kind": "equipment", "description": "设备", "amount_fen": 9_999_999}],
            },
            "cost_lines",
        ),
        ({"cost_lines": [{"kind": "software", "description": "x", "amount_fen": 1}]}, "cost_lines"),
        ({"asset_ids": ["x"]}, "asset_ids"),
        ({"asset_ids": [987654]}, "asset_ids"),
        ({"registration_no": "2025230100000001"}, None),  # not a field: ignored, nothing changes
    ],
)
def test_bad_patches_are_refused_and_change_nothing(api, cast, db, body, field):
    c = cast(status="draft")
    before = api(c.seller).get(f"/api/v1/contracts/{c.contract.id}").get_json()
    r = api(c.seller).patch(f"/api/v1/contracts/{c.contract.id}", json=body)
    after = api(c.seller).get(f"/api/v1/contracts/{c.contract.id}").get_json()
    if field is None:
        assert r.status_code == 200 and after["registration_no"] is None
        return
    assert r.status_code == 422, r.get_json()
    error = r.get_json()["error"]
    assert field in error["fields"] and error["fields"][field][0]
    assert after == before


def test_submit_answers_409_with_the_checklist(api, cast, db):
    c = cast(status="draft", valid_to=None)
    api(c.seller).post(f"/api/v1/contracts/{c.contract.id}/sign")  # refused: validity missing
    r = api(c.seller).post(f"/api/v1/contracts/{c.contract.id}/sign")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "checklist_incomplete"
    assert set(r.get_json()["error"]["fields"]) == {"validity"}
    d = cast(signed=True)
    d.contract.title = "石墨烯负极材料技术合同"  # does not name the licence
    db.session.flush()
    r = api(d.seller).post(f"/api/v1/contracts/{d.contract.id}/submit")
    assert r.status_code == 409 and set(r.get_json()["error"]["fields"]) == {"title_category"}
    assert db.session.get(Contract, d.contract.id).status == "signed"


def test_return_needs_reasons_and_a_note_for_other(api, cast, db):
    c = cast(submitted=True)
    url = f"/api/v1/contracts/{c.contract.id}/return"
    assert api(c.regulator).post(url, json={"reasons": []}).status_code == 422
    assert api(c.regulator).post(url, json={"reasons": ["bogus"]}).status_code == 422
    r = api(c.regulator).post(url, json={"reasons": ["other"]})
    assert r.status_code == 422 and "note" in r.get_json()["error"]["fields"]
    r = api(c.regulator).post(
        url, json={"reasons": ["other", "missing_proofs"], "note": "缺少技术秘密说明书"}
    )
    assert r.status_code == 200 and r.get_json()["return_reasons"] == ["other", "missing_proofs"]


def _endpoints(cid):
    return [
        ("get", f"/api/v1/contracts/{cid}", None),
        ("get", f"/api/v1/contracts/{cid}/milestones", None),
        ("patch", f"/api/v1/contracts/{cid}", {"subject": "x"}),
        ("post", f"/api/v1/contracts/{cid}/sign", None),
        ("post", f"/api/v1/contracts/{cid}/confirm", None),
        ("post", f"/api/v1/contracts/{cid}/submit", None),
        ("post", f"/api/v1/contracts/{cid}/register", None),
        ("post", f"/api/v1/contracts/{cid}/return", {"reasons": ["missing_proofs"]}),
        ("post", f"/api/v1/contracts/{cid}/amend", {"note": "x"}),
        ("post", f"/api/v1/contracts/{cid}/cancel", {"note": "x"}),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_invisible_answers_404(api, cast, db, role):
    c = cast(submitted=True)
    user = getattr(c, role)
    for method, path, body in _endpoints(c.contract.id):
        r = (
            getattr(api(user), method)(path, json=body)
            if body is not None
            else getattr(api(user), method)(path)
        )
        if role not in VISIBLE:
            assert r.status_code == 404, (role, path, r.status_code)
        else:
            assert (
                r.status_code != 404
                or path.endswith(("/register", "/return"))
                and role
                not in (
                    "regulator",
                    "province",
                )
            ), (role, path)
            assert r.status_code < 500
    # nobody but the regulators in scope can decide; the contract is still waiting
    assert db.session.get(Contract, c.contract.id).status in ("submitted", "registered", "returned")


@pytest.mark.parametrize("role", ROLES)
def test_who_can_register(api, cast, db, role):
    c = cast(submitted=True)
    r = api(getattr(c, role)).post(f"/api/v1/contracts/{c.contract.id}/register")
    expected = {"regulator": 200, "province": 200, "other_city": 404, "outsider": 404}.get(role, 403)
    assert r.status_code == expected, (role, r.get_json())
    db.session.expire_all()
    assert (db.session.get(Contract, c.contract.id).status == "registered") == (expected == 200)


def test_no_token_is_401(api, cast, db):
    c = cast()
    assert api().get(f"/api/v1/contracts/{c.contract.id}").status_code == 401
