"""The payments API: bank transfers, confirmation, disputes, refunds, bad input and who may do what."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.payments.models import Payment
from tests import factories


def _transfer(**overrides):
    body = {
        "method": "bank_transfer",
        "amount_fen": 120_000,
        "paid_on": "2025-03-01",
        "reference": "HRB2025000123",
        "payer_account_name": "哈尔滨测试科技有限公司",
    }
    body.update(overrides)
    return body


def _url(deal, seq=1):
    return f"/api/v1/contracts/{deal.contract.id}/milestones/{seq}/payments"


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Payment))


def test_bank_transfer_confirmed_by_the_seller(db, api, make_deal):
    deal = make_deal()
    response = api(deal.buyer).post(_url(deal), json=_transfer())
    assert response.status_code == 201, response.get_json()
    payment = response.get_json()
    assert (payment["status"], payment["amount_fen"], payment["milestone_seq"]) == ("pending", 120_000, 1)
    confirmed = api(deal.seller).post(f"/api/v1/payments/{payment['id']}/confirm")
    assert confirmed.status_code == 200 and confirmed.get_json()["status"] == "confirmed"
    again = api(deal.seller).post(f"/api/v1/payments/{payment['id']}/confirm")
    assert again.status_code == 409
    listed = api(deal.buyer).get("/api/v1/payments").get_json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == payment["id"]
    summary = api(deal.agency).get(f"/api/v1/contracts/{deal.contract.id}/payments").get_json()
    assert summary["milestones"][0]["paid_fen"] == 120_000
    assert summary["milestones"][0]["commission_due_fen"] == 15_000  # 5 % of 300,000
    assert summary["milestones"][0]["commission_earned_fen"] == 6_000
    assert summary["methods"] == ["bank_transfer"]


def test_dispute_needs_a_reason(db, api, make_deal):
    deal = make_deal()
    payment = api(deal.buyer).post(_url(deal), json=_transfer()).get_json()
    assert api(deal.seller).post(f"/api/v1/payments/{payment['id']}/dispute", json={}).status_code == 422
    response = api(deal.seller).post(
        f"/api/v1/payments/{payment['id']}/dispute", json={"reason": "未收到款项"}
    )
    assert response.status_code == 200
    assert (
        response.get_json()["status"] == "disputed" and response.get_json()["dispute_reason"] == "未收到款项"
    )


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (_transfer(amount_fen=0), 422, "amount_fen"),
        (_transfer(amount_fen=-5), 422, "amount_fen"),
        (_transfer(amount_fen=300_001), 422, "amount_fen"),
        (_transfer(amount_fen=12.5), 422, "amount_fen"),
        (_transfer(amount_fen="lots"), 422, "amount_fen"),
        (_transfer(amount_fen=None), 422, "amount_fen"),
        (_transfer(paid_on="2025-02-30"), 422, "paid_on"),
        (_transfer(paid_on="2999-01-01"), 422, "paid_on"),
        (_transfer(reference=""), 422, "reference"),
        (_transfer(payer_account_name=None), 422, "payer_account_name"),
        (_transfer(method="cash"), 422, "method"),
        ({"method": "stripe"}, 409, None),  # no Stripe keys in the test configuration
    ],
)
def test_bad_input_is_refused_clearly_and_nothing_is_recorded(db, api, make_deal, body, status, field):
    deal = make_deal()
    response = api(deal.buyer).post(_url(deal), json=body)
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert error["message"]
    if field:
        assert field in error["fields"]
    assert _count(db) == 0


def test_stripe_without_keys_says_bank_transfer_only(db, api, make_deal):
    deal = make_deal()
    error = api(deal.buyer).post(_url(deal), json={"method": "stripe"}).get_json()["error"]
    assert error["code"] == "stripe_not_configured"
    assert "bank transfer" in error["message"].lower() or "银行转账" in error["message"]


def test_not_json_and_unknown_milestones(db, api, make_deal):
    deal = make_deal()
    assert api(deal.buyer).post(_url(deal), data="nope", content_type="application/json").status_code == 400
    assert api(deal.buyer).post(_url(deal, seq=9), json=_transfer()).status_code == 404
    other = make_deal()
    # A milestone number of another contract: the path names this contract, so it is not found.
    assert api(deal.buyer).post(_url(other), json=_transfer()).status_code == 404
    assert _count(db) == 0


def test_the_idempotency_key_replays_the_first_answer(db, api, make_deal):
    deal = make_deal()
    caller = api(deal.buyer)
    first = caller.post(_url(deal), json=_transfer(), headers={"Idempotency-Key": "k-1"})
    second = caller.post(_url(deal), json=_transfer(), headers={"Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 201
    assert first.get_json()["id"] == second.get_json()["id"]
    other = caller.post(_url(deal), json=_transfer(amount_fen=1), headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 409
    assert _count(db) == 1


def test_refund_of_a_bank_transfer(db, api, make_deal):
    deal = make_deal()
    payment = api(deal.buyer).post(_url(deal), json=_transfer()).get_json()
    url = f"/api/v1/payments/{payment['id']}/refunds"
    refund = {"amount_fen": 20_000, "reason": "退还多付款", "refunded_on": "2025-03-05", "reference": "RF01"}
    assert api(deal.seller).post(url, json=refund).status_code == 409  # not confirmed yet
    api(deal.seller).post(f"/api/v1/payments/{payment['id']}/confirm")
    assert api(deal.buyer).post(url, json=refund).status_code == 403
    response = api(deal.seller).post(url, json=refund)
    assert response.status_code == 201 and response.get_json()["status"] == "succeeded"
    shown = api(deal.buyer).get(f"/api/v1/payments/{payment['id']}").get_json()
    assert (shown["refunded_fen"], shown["net_fen"], shown["amount_fen"]) == (20_000, 100_000, 120_000)


def test_list_filters_are_checked(db, api, make_deal):
    deal = make_deal()
    assert api(deal.buyer).get("/api/v1/payments?status=nope").status_code == 422
    assert api(deal.buyer).get("/api/v1/payments?per_page=1000").status_code == 422
    assert api(deal.buyer).get("/api/v1/payments?status=pending&method=bank_transfer").status_code == 200


def test_every_payments_endpoint_is_described(app):
    views = [v for v in app.view_functions.values() if v.__module__ == "marketplace.payments.api"]
    assert len(views) >= 8 and all(hasattr(v, "_openapi") for v in views)
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    assert "/api/v1/contracts/{contract_id}/milestones/{seq}/payments" in doc["paths"]


# -- Who may do what --------------------------------------------------------------

ROLES = ["buyer", "seller", "agency", "regulator", "city_regulator_elsewhere", "outsider", "admin"]


def _user(deal, role):
    if role == "buyer":
        return deal.buyer
    if role == "seller":
        return deal.seller
    if role == "agency":
        return deal.agency
    if role == "regulator":
        return factories.user_with_role("regulator", region="230100")  # Harbin: the seller's city
    if role == "city_regulator_elsewhere":
        return factories.user_with_role("regulator", region="230600")
    if role == "admin":
        return factories.user_with_role("admin")
    return factories.user_with_role("buyer")


READ = {"buyer": 200, "seller": 200, "agency": 200, "regulator": 200, "admin": 200}
PAY = {"buyer": 201, "seller": 403, "agency": 403, "regulator": 403, "admin": 403}
SELLER_ACTION = {"buyer": 403, "seller": 200, "agency": 403, "regulator": 403, "admin": 403}
CANCEL = {"buyer": 200, "seller": 403, "agency": 403, "regulator": 403, "admin": 403}


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(db, api, make_deal, role):
    deal = make_deal()
    pending = api(deal.buyer).post(_url(deal), json=_transfer(amount_fen=1_000)).get_json()
    user = _user(deal, role)
    caller = api(user)
    expected = lambda table: table.get(role, 404)  # noqa: E731 - invisible to outsiders: 404

    assert caller.get(f"/api/v1/contracts/{deal.contract.id}/payments").status_code == expected(READ)
    assert caller.get(f"/api/v1/payments/{pending['id']}").status_code == expected(READ)
    listed = caller.get("/api/v1/payments").get_json()
    assert (pending["id"] in [p["id"] for p in listed["items"]]) == (role in READ)
    assert caller.post(_url(deal), json=_transfer(amount_fen=1_000)).status_code == expected(PAY)
    assert caller.post(
        f"/api/v1/payments/{pending['id']}/dispute", json={"reason": "x"}
    ).status_code == expected(SELLER_ACTION)
    other = api(deal.buyer).post(_url(deal), json=_transfer(amount_fen=1_000)).get_json()
    assert caller.post(f"/api/v1/payments/{other['id']}/confirm").status_code == expected(SELLER_ACTION)
    third = api(deal.buyer).post(_url(deal), json=_transfer(amount_fen=1_000)).get_json()
    assert caller.post(f"/api/v1/payments/{third['id']}/cancel").status_code == expected(CANCEL)
    assert api().get("/api/v1/payments").status_code == 401
