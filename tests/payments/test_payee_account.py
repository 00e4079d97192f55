"""The bank-transfer page says where to pay: the payee's recorded account, or that
there is none yet."""

from __future__ import annotations

import pytest

from marketplace.accounts.models import BankAccount


@pytest.mark.parametrize(
    ("lang", "role", "missing"),
    [
        ("zh", "让与方", "尚未在平台登记银行账户"),
        ("en", "Assignor (payee)", "has not recorded a bank account on the platform yet"),
    ],
)
def test_the_page_says_when_the_payee_has_no_account(db, client, login_as, make_deal, lang, role, missing):
    deal = make_deal()
    login_as(deal.buyer)
    html = client.get(f"/contracts/{deal.contract.id}/payments?lang={lang}").get_data(as_text=True)
    section = html.split('id="pay-bank"', 1)[1].split("</section>", 1)[0]
    assert 'id="no-payee-account"' in section and missing in section
    assert deal.contract.seller_org.name in section
    assert role in section


@pytest.mark.parametrize(
    ("lang", "labels"),
    [("zh", ("户名", "开户行", "账号")), ("en", ("Account name", "Bank and branch", "Account number"))],
)
def test_the_page_shows_the_payees_account(db, client, login_as, make_deal, lang, labels):
    deal = make_deal()
    db.session.add(
        BankAccount(
            organization_id=deal.contract.seller_org_id,
            account_name="哈尔滨测试大学",
            bank_name="中国建设银行哈尔滨道里支行",
            account_number="23050186360800001234",
        )
    )
    db.session.flush()
    login_as(deal.buyer)
    html = client.get(f"/contracts/{deal.contract.id}/payments?lang={lang}").get_data(as_text=True)
    section = html.split('id="payee-account"', 1)[1].split("</section>", 1)[0]
    assert 'id="no-payee-account"' not in section
    assert "哈尔滨测试大学" in section and "中国建设银行哈尔滨道里支行" in section
    assert "2305 0186 3608 0000 1234" in section
    assert all(label in section for label in labels)
