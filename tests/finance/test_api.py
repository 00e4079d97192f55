"""The finance API: the contract of API.md "Finance", errors and idempotency."""

from __future__ import annotations

from marketplace.finance.models import PledgeLoan

from .factories import equity_listing, financier, world


def _body(w, **overrides):
    body = {
        "bank_org_id": w.bank.organization_id,
        "asset_ids": [a.id for a in w.assets],
        "amount_fen": 3_000_000_00,
        "term_months": 24,
        "purpose": "扩大石墨烯负极材料产能",
    }
    body.update(overrides)
    return body


def test_a_loan_through_the_api_from_application_to_repayment(api, db):
    w = world(co_owned=True)
    owner, bank, partner = api(w.owner), api(w.bank), api(w.partner)
    created = owner.post("/api/v1/financing/pledges", json=_body(w))
    assert created.status_code == 201
    loan = created.get_json()
    assert loan["status"] == "applied" and loan["amount_fen"] == 300_000_000
    assert loan["consents"] == [
        {"org_id": w.partner.organization_id, "org": w.partner.organization.name, "status": "pending"}
    ]
    path = f"/api/v1/financing/pledges/{loan['id']}"
    refused = bank.post(f"{path}/approve", json={})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "co_owner_consent_required"
    assert partner.post(f"{path}/consent", json={"give": "yes"}).status_code == 422
    assert partner.post(f"{path}/consent", json={"give": True}).status_code == 200
    assert (
        bank.post(f"{path}/risk-shares", json={"sharer_kind": "risk_fund", "share_bp": 4000}).status_code
        == 201
    )
    over = bank.post(f"{path}/risk-shares", json={"sharer_kind": "risk_fund", "share_bp": 6001})
    assert over.status_code == 422 and "share_bp" in over.get_json()["error"]["fields"]
    assert bank.post(f"{path}/approve", json={"conditions": "年利率3.65%"}).get_json()["status"] == "approved"
    for wrong in ("2025-13-01", 20250301, ["2025-03-01"]):
        bad = bank.post(f"{path}/sign", json={"signed_on": wrong, "pledge_registration_no": "Y1"})
        assert bad.status_code == 422 and "signed_on" in bad.get_json()["error"]["fields"], wrong
    missing = bank.post(f"{path}/sign", json={"signed_on": "2025-03-01"})
    assert missing.status_code == 422 and "pledge_registration_no" in missing.get_json()["error"]["fields"]
    bank.post(f"{path}/sign", json={"pledge_registration_no": "Y2025230000456", "signed_on": "2025-03-01"})
    signed = owner.post(f"{path}/sign", json={}).get_json()
    assert signed["status"] == "signed" and signed["due_on"] == "2027-03-01"
    assert all(a["encumbrance_id"] and a["released_on"] is None for a in signed["assets"])
    check = owner.get(f"/api/v1/assets/{w.assets[0].id}/deal-check?deal_kind=transfer").get_json()
    assert check["ok"] is False and check["reasons"][0]["code"] == "pledged"
    repaid = bank.post(f"{path}/repay", json={"repaid_on": "2026-02-01"}).get_json()
    assert repaid["status"] == "repaid" and all(a["released_on"] == "2026-02-01" for a in repaid["assets"])
    again = bank.post(f"{path}/repay", json={})
    assert again.status_code == 409


def test_default_with_proceeds(api, db):
    from .factories import to_state

    w = world()
    loan = to_state(w, "signed")
    path = f"/api/v1/financing/pledges/{loan.id}"
    data = (
        api(w.bank)
        .post(
            f"{path}/default",
            json={"defaulted_on": "2026-05-01", "note": "逾期90天", "proceeds_fen": 50_000_00},
        )
        .get_json()
    )
    assert data["status"] == "defaulted" and data["outstanding_fen"] == 5_000_000_00 - 50_000_00
    data = (
        api(w.bank)
        .post(
            f"{path}/proceeds", json={"amount_fen": 200_000_00, "received_on": "2026-06-01", "release": True}
        )
        .get_json()
    )
    assert data["proceeds_fen"] == 250_000_00 and data["assets"][0]["released_on"] == "2026-06-01"


def test_bad_bodies(api, db):
    w = world()
    owner = api(w.owner)
    assert (
        owner.post("/api/v1/financing/pledges", data="[1]", content_type="application/json").status_code
        == 400
    )
    response = owner.post(
        "/api/v1/financing/pledges", json=_body(w, amount_fen="3万", term_months=None, asset_ids=[0])
    )
    assert response.status_code == 422
    assert {"amount_fen", "term_months", "asset_ids"} <= set(response.get_json()["error"]["fields"])
    assert api(w.buyer).post("/api/v1/financing/pledges", json=_body(w)).status_code == 403
    assert owner.get("/api/v1/financing/pledges?box=x").status_code == 422
    assert owner.get("/api/v1/financing/pledges/999999").status_code == 404


def test_an_application_is_idempotent(api, db):
    w = world()
    owner = api(w.owner)
    headers = {"Idempotency-Key": "pledge-1"}
    first = owner.post("/api/v1/financing/pledges", json=_body(w), headers=headers)
    second = owner.post("/api/v1/financing/pledges", json=_body(w), headers=headers)
    assert (
        first.status_code == second.status_code == 201 and first.get_json()["id"] == second.get_json()["id"]
    )
    assert db.session.query(PledgeLoan).count() == 1
    assert (
        owner.post("/api/v1/financing/pledges", json=_body(w, amount_fen=1), headers=headers).status_code
        == 409
    )


def test_interest_and_investment_through_the_api(api, db):
    listing, seller = equity_listing()
    investor = financier("investment_fund")
    response = api(investor).post(f"/api/v1/listings/{listing.id}/interests", json={"message": "拟投资"})
    assert response.status_code == 201 and response.get_json()["messages"][0]["body"] == "拟投资"
    assert (
        api(seller).post(f"/api/v1/listings/{listing.id}/interests", json={"message": "x"}).status_code == 403
    )
    created = api(investor).post(
        "/api/v1/investments",
        json={
            "listing_id": listing.id,
            "company": "某公司",
            "amount_fen": 1_000_000_00,
            "share_bp": 800,
            "invested_on": "2025-07-01",
        },
    )
    assert created.status_code == 201
    inv = created.get_json()
    assert api(investor).post(f"/api/v1/investments/{inv['id']}/confirm").status_code == 403
    assert api(seller).post(f"/api/v1/investments/{inv['id']}/confirm").get_json()["status"] == "confirmed"
    assert [i["id"] for i in api(seller).get("/api/v1/investments").get_json()["items"]] == [inv["id"]]
    stranger = api(financier("investment_fund"))
    assert stranger.get("/api/v1/investments").get_json()["items"] == []
    assert stranger.post(f"/api/v1/investments/{inv['id']}/reject", json={"reason": "x"}).status_code == 404
    bad = api(investor).post("/api/v1/investments", json={"company": "", "amount_fen": -1, "share_bp": 0})
    assert bad.status_code == 422 and {"company", "amount_fen", "share_bp", "listing_id"} <= set(
        bad.get_json()["error"]["fields"]
    )


def test_every_finance_endpoint_is_in_the_openapi_document(api, db):
    doc = api().get("/api/v1/openapi.json").get_json()
    paths = doc["paths"]
    for path in (
        "/api/v1/financing/pledges",
        "/api/v1/financing/pledges/{loan_id}/approve",
        "/api/v1/financing/pledges/{loan_id}/decline",
        "/api/v1/financing/pledges/{loan_id}/sign",
        "/api/v1/financing/pledges/{loan_id}/repay",
        "/api/v1/financing/pledges/{loan_id}/default",
        "/api/v1/listings/{listing_id}/interests",
        "/api/v1/investments",
        "/api/v1/financing/summary",
    ):
        assert path in paths, path
