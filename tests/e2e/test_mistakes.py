"""Journey 5: mistakes a person makes. Each time the page says what went wrong, next to
the field concerned and in the page's language, and nothing is half-stored."""

from __future__ import annotations

import re

import pytest

from .conftest import shot
from .flows import (
    AGENCY,
    BUYER,
    BUYER_ORG,
    SELLER,
    SELLER_ORG,
    T,
    errors_text,
    flash_text,
    label,
    log_in,
    new_patent_number,
    open_page,
    published_listing,
    wrong_check,
)

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_wrong_patent_check_character(page_factory, lang):
    t = T[lang]
    page = open_page(page_factory, lang)
    log_in(page, SELLER)
    page.goto("/assets/new")
    number = new_patent_number()
    label(page, t["kind"]).select_option("invention_patent")
    label(page, t["identifier"]).fill(wrong_check(number))
    label(page, t["asset_title"]).fill("寒地黑木耳菌棒低温灭菌方法")
    label(page, t["industry"]).select_option("agri_processing")
    page.get_by_role("button", name=t["save"], exact=True).click()

    field = label(page, t["identifier"])
    assert field.get_attribute("aria-invalid") == "true"
    message = page.locator(".field.has-error", has=field).locator(".error").inner_text()
    assert t["check_wrong"] in message
    assert number[-1] in message  # it says which check character is right
    if lang == "zh":
        assert re.search(r"[A-Za-z]{4,}", message.replace(number, "")) is None, message
    shot(page, f"j5-{lang}-check-digit")
    # Corrected, it saves (the rest of what was typed is still there).
    assert label(page, t["asset_title"]).input_value() == "寒地黑木耳菌棒低温灭菌方法"
    field.fill(number)
    page.get_by_role("button", name=t["save"], exact=True).click()
    assert t["asset_saved"] in flash_text(page), errors_text(page)
    assert page.external_requests == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_income_above_turnover(page_factory, lang):
    t = T[lang]
    page = open_page(page_factory, lang)
    log_in(page, AGENCY)
    page.goto("/contracts/new")
    for name, org in (
        ("卖方" if lang == "zh" else "Seller", SELLER_ORG),
        ("买方" if lang == "zh" else "Buyer", BUYER_ORG),
    ):
        select = label(page, name)
        select.select_option(select.locator("option", has_text=org).first.get_attribute("value"))
    label(page, "交易方式" if lang == "zh" else "Deal kind").select_option("transfer")
    label(page, "合同名称" if lang == "zh" else "Title").fill("寒地蓝莓冻干工艺技术秘密转让合同")
    label(page, t["category"]).select_option("transfer_technical_secret")
    label(page, t["turnover"]).fill("500,000")
    label(page, t["income"]).fill("600,000")
    page.get_by_role("button", name="录入交易" if lang == "zh" else "Record the deal").click()

    income = label(page, t["income"])
    assert income.get_attribute("aria-invalid") == "true", page.locator("main").inner_text()[:1500]
    assert t["income_above"] in page.locator(".field.has-error", has=income).inner_text()
    assert ("标出的字段" if lang == "zh" else "correct the marked fields") in flash_text(page)
    assert income.input_value() == "600,000" or income.input_value().startswith("600000")
    shot(page, f"j5-{lang}-income")
    # Nothing was stored.
    page.goto("/contracts?q=" + "寒地蓝莓冻干工艺")
    assert page.get_by_role("link", name="寒地蓝莓冻干工艺技术秘密转让合同").count() == 0
    assert page.external_requests == []


def test_double_click_on_accept_makes_one_contract(page_factory):
    """In English: the seller double-clicks "Accept", and accepts again from a second tab
    left open on the offer. One contract; the second tab is told, in English."""
    t = T["en"]
    seller, listing = published_listing(page_factory, "en")
    buyer = open_page(page_factory, "en")
    log_in(buyer, BUYER)
    buyer.goto(listing.url)
    buyer.get_by_role("link", name=t["make_offer"], exact=True).click()
    label(buyer, t["deal_kind"]).select_option("license")
    label(buyer, t["license_type"]).select_option("non_exclusive")
    label(buyer, t["upfront"]).fill("650,000")
    buyer.get_by_role("button", name=t["send_offer"]).click()
    offer_url = buyer.url
    assert "/offers/" in offer_url, errors_text(buyer)

    seller.goto(offer_url)
    other_tab = seller.context.new_page()
    other_tab.on("dialog", lambda dialog: dialog.accept())
    other_tab.goto(offer_url)
    seller.get_by_role("button", name=t["accept"]).dblclick()
    seller.wait_for_url("**/contracts/*", timeout=10_000)
    contract_url = seller.url
    assert "contract draft is ready" in flash_text(seller)

    other_tab.get_by_role("button", name=t["accept"]).click()
    other_tab.wait_for_url("**/contracts/*")
    assert other_tab.url == contract_url
    assert t["already_accepted"] in flash_text(other_tab)
    shot(other_tab, "j5-en-accepted-twice")

    seller.goto("/contracts")
    assert seller.locator("main").get_by_role("link", name=re.compile(re.escape(listing.title))).count() == 1
    assert seller.external_requests == [] and buyer.external_requests == []
