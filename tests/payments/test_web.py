"""The payment pages: a contract's milestones and payments, one payment, the history."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from marketplace.payments.models import Payment
from marketplace.storage.uploads import attachments_of
from tests import factories

from .conftest import PNG


def _form(**overrides):
    data = {
        "seq": "1",
        "amount_fen": "1,200.00",
        "paid_on": "2025-03-01",
        "reference": "HRB2025000123",
        "payer_account_name": "哈尔滨测试科技有限公司",
        "receipt": (io.BytesIO(PNG), "回单.png"),
    }
    data.update(overrides)
    return data


def test_the_buyer_records_a_transfer_with_its_receipt(db, client, login_as, make_deal):
    deal = make_deal()
    login_as(deal.buyer)
    history = client.get("/payments").get_data(as_text=True)
    assert f"/contracts/{deal.contract.id}/payments" in history  # the way in: contracts to pay
    page = client.get(f"/contracts/{deal.contract.id}/payments")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="pay-bank"' in html
    assert 'id="stripe-unavailable"' in html  # no Stripe keys here: bank transfer only, and said so
    response = client.post(
        f"/contracts/{deal.contract.id}/payments/bank-transfer",
        data=_form(),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    payment = db.session.scalar(select(Payment))
    assert payment.amount_fen == 120_000 and payment.status == "pending"
    [receipt] = attachments_of(payment, "receipt")
    assert receipt.original_name == "回单.png"
    detail = client.get(f"/payments/{payment.id}")
    assert "HRB2025000123" in detail.get_data(as_text=True)
    download = client.get(f"/payments/{payment.id}/receipts/{receipt.id}")
    assert download.status_code == 200 and download.data == PNG
    download.close()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"amount_fen": "0"}, None),
        ({"amount_fen": "-5"}, None),
        ({"amount_fen": "3000.01"}, "3,000.00"),
        ({"receipt": (io.BytesIO(b"plain text"), "x.txt")}, None),
        ({"seq": "7"}, None),
    ],
)
def test_bad_transfers_show_messages_and_store_nothing(db, client, login_as, make_deal, overrides, message):
    deal = make_deal()
    login_as(deal.buyer)
    response = client.post(
        f"/contracts/{deal.contract.id}/payments/bank-transfer",
        data=_form(**overrides),
        content_type="multipart/form-data",
    )
    assert response.status_code in (409, 422)
    html = response.get_data(as_text=True)
    assert 'class="error"' in html or "flash-error" in html
    if message:
        assert message in html
    assert db.session.scalar(select(Payment)) is None


def test_the_seller_confirms_or_disputes_on_the_page(db, client, login_as, make_deal):
    deal = make_deal()
    first = factories.PaymentFactory(milestone=deal.milestones[0], amount_fen=1_000)
    second = factories.PaymentFactory(milestone=deal.milestones[0], amount_fen=2_000)
    login_as(deal.seller)
    html = client.get(f"/payments/{first.id}").get_data(as_text=True)
    assert "/confirm" in html and 'id="dispute"' in html
    assert client.post(f"/payments/{first.id}/confirm").status_code == 302
    assert first.status == "confirmed"
    assert client.post(f"/payments/{second.id}/dispute", data={"reason": ""}).status_code == 422
    assert client.post(f"/payments/{second.id}/dispute", data={"reason": "金额不符"}).status_code == 302
    assert second.status == "disputed"
    refund = client.post(
        f"/payments/{first.id}/refunds",
        data={"amount_fen": "5.00", "reason": "退款", "refunded_on": "2025-03-05", "reference": "RF1"},
    )
    assert refund.status_code == 302 and first.refunded_fen == 500
    history = client.get("/payments").get_data(as_text=True)
    assert "一种寒地大豆高产栽培技术转让合同" in history


def test_a_contract_not_signed_cannot_be_paid_from_its_page(db, client, login_as, make_deal):
    deal = make_deal(status="signing")
    login_as(deal.buyer)
    html = client.get(f"/contracts/{deal.contract.id}/payments").get_data(as_text=True)
    assert 'id="pay-bank"' not in html
    response = client.post(
        f"/contracts/{deal.contract.id}/payments/bank-transfer",
        data=_form(),
        content_type="multipart/form-data",
    )
    assert response.status_code == 409
    assert db.session.scalar(select(Payment)) is None


ROLES = ["buyer", "seller", "agency", "regulator", "outsider"]


@pytest.mark.parametrize("role", ROLES)
def test_page_permission_matrix(db, client, login_as, make_deal, role):
    deal = make_deal()
    payment = factories.PaymentFactory(milestone=deal.milestones[0], amount_fen=1_000)
    user = {
        "buyer": deal.buyer,
        "seller": deal.seller,
        "agency": deal.agency,
        "regulator": factories.user_with_role("regulator"),
        "outsider": factories.user_with_role("seller"),
    }[role]
    login_as(user)
    visible = role != "outsider"
    contract_page = client.get(f"/contracts/{deal.contract.id}/payments")
    assert contract_page.status_code == (200 if visible else 404)
    assert client.get(f"/payments/{payment.id}").status_code == (200 if visible else 404)
    if visible:
        html = contract_page.get_data(as_text=True)
        assert ('id="pay-bank"' in html) == (role == "buyer")
        assert "Agency commission" in html or "佣金" in html
    confirm = client.post(f"/payments/{payment.id}/confirm")
    assert confirm.status_code == {"seller": 302, "outsider": 404}.get(role, 403)
    pay = client.post(
        f"/contracts/{deal.contract.id}/payments/bank-transfer",
        data=_form(amount_fen="1.00"),
        content_type="multipart/form-data",
    )
    assert pay.status_code == {"buyer": 302, "outsider": 404}.get(role, 403)


def test_pages_need_a_login(db, client, make_deal):
    deal = make_deal()
    assert client.get(f"/contracts/{deal.contract.id}/payments").status_code == 302
    assert client.get("/payments").status_code == 302


def test_the_webhook_without_stripe_configured_is_refused(db, client):
    response = client.post("/payments/stripe/webhook", data=b"{}", headers={"Stripe-Signature": "t=1,v1=x"})
    assert response.status_code == 400
