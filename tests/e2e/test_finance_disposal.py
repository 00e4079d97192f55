"""The sale of a defaulted loan's pledged assets as people walk it: the bank (English)
puts the patent up for a public notice, first with a mistake; the owner side (Chinese)
refuses with its reason, which the bank then reads; another defaulted loan's patent is
in an announced online bidding, linked from the loan's page."""

from __future__ import annotations

import pytest

from .flows import errors_text, flash_text, label, log_in, open_page

pytestmark = pytest.mark.e2e

BANKER = "fang.lin@demo.hljtech.cn"  # 方琳, 哈尔滨银行大庆分行（演示）
OWNER = "zhang.wei@demo.hljtech.cn"  # 张伟, 哈尔滨工业大学 (the owner of both demo patents)


def _defaulted_loans(page) -> list[str]:
    page.goto("/finance/?status=defaulted")
    return [a.get_attribute("href") for a in page.locator("main tbody td:first-child a").all()]


def test_the_bank_puts_the_patent_up_for_sale_and_the_owner_refuses(page_factory):
    bank = open_page(page_factory, "en")
    log_in(bank, BANKER)
    urls = _defaulted_loans(bank)
    assert len(urls) >= 2
    on_sale = to_sell = None
    for url in urls:
        bank.goto(url)
        if bank.locator("#disposal-form").count():
            to_sell = url
        elif "Bidding session JJ" in bank.locator("#disposal").inner_text():
            on_sale = url
    assert to_sell and on_sale, urls
    bank.goto(on_sale)
    assert "On sale" in bank.locator("#disposal").inner_text()

    bank.goto(to_sell)
    label(bank, "How to sell").select_option("notice")
    label(bank, "Starting or listed price (yuan)").fill("")
    bank.locator("#disposal-form button[type=submit]").click()
    assert bank.locator("#disposal-form .field.has-error").count() >= 1, errors_text(bank)
    label(bank, "Starting or listed price (yuan)").fill("1,500,000")
    label(bank, "Notice period (days)").fill("10")
    label(bank, "Note for the owner side").fill("请尽快挂牌公示")
    bank.locator("#disposal-form button[type=submit]").click()
    assert "put up for sale" in flash_text(bank)
    assert "Waiting for the owner side to start the sale" in bank.locator("#disposal").inner_text()

    owner = open_page(page_factory, "zh")
    log_in(owner, OWNER)
    owner.goto(to_sell)
    assert "请尽快挂牌公示" in owner.locator("#disposal").inner_text()
    assert owner.locator("#start-sale-form").count() == 1
    label(owner, "为何拒绝出售？").fill("正在与意向受让方协商协议转让")
    owner.locator("#refuse-sale-form button[type=submit]").click()
    assert "您的拒绝已发送给银行" in flash_text(owner)

    bank.goto(to_sell)
    text = bank.locator("#disposal").inner_text()
    assert "Refused by the owner side" in text and "正在与意向受让方协商协议转让" in text
    assert bank.locator("#disposal-form").count() == 1  # the bank may ask again
