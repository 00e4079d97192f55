"""Organizations record the bank accounts they are paid to: 户名, 开户行, 账号."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.accounts.models import BankAccount
from marketplace.accounts.validation import clean_account_number
from marketplace.core.models import audit_trail

from ..factories import OrganizationFactory, UserFactory


def _post(client, lang="zh", **overrides):
    data = {
        "account_name": "哈尔滨北方工业大学",
        "bank_name": "中国工商银行哈尔滨南岗支行",
        "account_number": "3500 0412 0900 2345 678",
    }
    data.update(overrides)
    return client.post(f"/account/organization/bank-accounts?lang={lang}", data=data)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("3500 0412 0900 2345 678", "3500041209002345678"),
        ("12345678", "12345678"),
        ("１２３４ ５６７８ ９０", "1234567890"),
        ("1" * 30, "1" * 30),
        ("6222021234567890124", "6222021234567890124"),  # no Luhn check digit: still accepted
    ],
)
def test_account_numbers_are_digits_with_spaces_removed(raw, clean):
    assert clean_account_number(raw) == clean


@pytest.mark.parametrize("bad", ["1234567", "1" * 31, "6222-0212-3456", "62220212345A", ""])
def test_malformed_account_numbers_are_refused(bad):
    with pytest.raises(ValueError):
        clean_account_number(bad)


def test_a_member_records_an_account_and_the_trail_keeps_it(client, db, login_as):
    user = login_as("seller")
    response = _post(client)
    assert response.status_code == 302
    account = db.session.scalar(select(BankAccount))
    assert account.organization_id == user.organization_id
    assert account.account_number == "3500041209002345678"
    page = client.get("/account/organization").get_data(as_text=True)
    assert "中国工商银行哈尔滨南岗支行" in page and "3500 0412 0900 2345 678" in page
    event = audit_trail(user.organization)[-1]
    assert event.action == "organization.bank_account_added" and event.actor_id == user.id
    assert event.data["account_number"] == "3500041209002345678"
    client.post(f"/account/organization/bank-accounts/{account.id}/remove")
    assert db.session.scalar(select(BankAccount)) is None
    assert audit_trail(user.organization)[-1].action == "organization.bank_account_removed"


@pytest.mark.parametrize(
    ("lang", "overrides", "message"),
    [
        ("zh", {"account_number": "1234 567"}, "账号：8 至 30 位数字"),
        ("en", {"account_number": "12ab5678"}, "Account number: 8 to 30 digits"),
        ("zh", {"bank_name": ""}, "开户行"),
        ("en", {"account_name": "户" * 201}, "At most 200 characters (this has 201)"),
    ],
)
def test_a_bad_account_is_refused_next_to_its_field(client, db, login_as, lang, overrides, message):
    login_as("seller")
    response = _post(client, lang, **overrides)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(BankAccount)) is None


def test_the_same_account_is_not_recorded_twice(client, db, login_as):
    login_as("seller")
    _post(client)
    again = _post(client, "en", account_number="3500041209002345678")
    assert again.status_code == 400 and "already recorded" in again.get_data(as_text=True)


def test_only_approved_members_record_accounts(client, db, login_as):
    login_as(UserFactory(role="seller", pending_member=True))
    response = _post(client)
    assert response.status_code == 302
    assert db.session.scalar(select(BankAccount)) is None


def test_another_organizations_account_cannot_be_removed(client, db, login_as):
    other = OrganizationFactory()
    account = BankAccount(organization=other, account_name="x", bank_name="y", account_number="12345678")
    db.session.add(account)
    db.session.flush()
    login_as("seller")
    assert client.post(f"/account/organization/bank-accounts/{account.id}/remove").status_code == 404
    assert db.session.get(BankAccount, account.id) is not None
