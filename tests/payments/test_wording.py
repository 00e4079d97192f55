"""The payment page names the parties by their role in the contract and never speaks of keys."""

from __future__ import annotations

import re

import pytest

from marketplace.payments.states import party_roles


def _dts(html: str) -> list[str]:
    return re.findall(r"<dt>([^<]*)</dt>", html)


@pytest.mark.parametrize(
    ("category", "zh", "en"),
    [
        (
            "license_patent",
            ("许可方（收款方）", "被许可方（付款方）"),
            ("Licensor (payee)", "Licensee (payer)"),
        ),
        (
            "transfer_patent",
            ("让与方（收款方）", "受让方（付款方）"),
            ("Assignor (payee)", "Assignee (payer)"),
        ),
        ("consulting", ("卖方（收款方）", "买方（付款方）"), ("Seller (payee)", "Buyer (payer)")),
    ],
)
def test_the_parties_are_named_by_their_role(db, client, login_as, make_deal, category, zh, en):
    deal = make_deal()
    deal.contract.category = category
    db.session.flush()
    login_as(deal.buyer)
    for lang, (payee, payer) in (("zh_Hans", zh), ("en", en)):
        with client.session_transaction() as sess:
            sess["lang"] = lang
        dts = _dts(client.get(f"/contracts/{deal.contract.id}/payments").get_data(as_text=True))
        assert payee in dts and payer in dts, dts


def test_party_roles_of_an_unknown_category_are_neutral(app):
    with app.test_request_context("/?lang=en"):
        assert party_roles(None) == ("Seller (payee)", "Buyer (payer)")
        assert party_roles("development_commissioned") == ("Seller (payee)", "Buyer (payer)")


@pytest.mark.parametrize(
    ("lang", "said"),
    [("zh_Hans", "本平台不提供在线支付"), ("en", "Online payment is not offered on this platform")],
)
def test_without_online_payment_the_page_says_so_without_keys(db, client, login_as, make_deal, lang, said):
    deal = make_deal()
    login_as(deal.buyer)
    with client.session_transaction() as sess:
        sess["lang"] = lang
    html = client.get(f"/contracts/{deal.contract.id}/payments").get_data(as_text=True)
    notice = re.search(r'id="stripe-unavailable">([^<]*)<', html).group(1)
    assert said in notice
    assert "Stripe" not in notice and "密钥" not in notice and "key" not in notice.lower()


def test_the_api_refusal_does_not_speak_of_keys(db, api, make_deal):
    deal = make_deal()
    r = api(deal.buyer).post(
        f"/api/v1/contracts/{deal.contract.id}/milestones/1/payments", json={"method": "stripe"}
    )
    assert r.status_code == 409
    assert "key" not in r.get_data(as_text=True).lower()
