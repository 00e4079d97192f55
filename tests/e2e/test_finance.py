"""An IP pledge loan as people walk it: the owner (Chinese) applies, first with
mistakes, for a loan on a patent; the bank (English) approves and signs with the
pledge registration number; the owner signs and the patent shows as pledged."""

from __future__ import annotations

import pytest

from .flows import errors_text, flash_text, label, log_in, open_page

pytestmark = pytest.mark.e2e

OWNER = "li.na@demo.hljtech.cn"  # 李娜, 东北寒地农业大学
BANKER = "jiang.hua@demo.hljtech.cn"  # 蒋华, 中国工商银行哈尔滨分行（演示）
ASSET = "大豆精量播种排种器"


def test_owner_applies_bank_approves_both_sign_and_the_patent_is_pledged(page_factory):
    owner = open_page(page_factory, "zh")
    log_in(owner, OWNER)
    owner.goto("/finance/pledges/new")
    owner.locator("#apply-form button[type=submit]").click()
    # Amount, term and purpose are each marked at their field, all at once.
    assert owner.locator("#apply-form .field.has-error").count() >= 3, errors_text(owner)
    label(owner, "银行").select_option(label="中国工商银行哈尔滨分行（演示）")
    owner.get_by_label(ASSET, exact=False).check()
    label(owner, "金额（元）").fill("1,000,000")
    label(owner, "期限（月）").fill("12")
    label(owner, "贷款用途").fill("排种器生产线流动资金")
    owner.locator("#apply-form button[type=submit]").click()
    owner.wait_for_url("**/finance/pledges/*")
    assert "申请已提交银行" in flash_text(owner)
    loan_url = owner.url

    bank = open_page(page_factory, "en")
    log_in(bank, BANKER)
    bank.goto(loan_url)
    assert "1,000,000.00" in bank.locator("#loan-amount").inner_text()
    label(bank, "Conditions").fill("3.65 % a year, interest quarterly")
    bank.locator("#approve-form button[type=submit]").click()
    assert "approved" in flash_text(bank)
    bank.locator("#bank-sign-form button[type=submit]").click()  # no registration number yet
    assert bank.locator("#bank-sign-form .field.has-error").count() == 1, errors_text(bank)
    label(bank, "Pledge registration number").fill("Y2026230000999")
    label(bank, "Signed on").fill("2026-06-01")
    bank.locator("#bank-sign-form button[type=submit]").click()
    assert "Signed for the bank" in flash_text(bank)

    owner.goto(loan_url)
    owner.get_by_role("button", name="代表贵单位签约").click()
    owner.wait_for_load_state()
    assert "已签约（已出质）" in owner.locator("h1").inner_text()
    assert "Y2026230000999" in owner.locator("#registration-no").inner_text()
    assert "已出质" in owner.locator("#assets").inner_text()
