"""Journeys 2 and 3: a buyer finds a technology, negotiates, both sides sign the
contract and the seller submits it; the Harbin regulator registers it and sees the
dashboard rise by exactly its turnover, then exports the ledger."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from .conftest import shot
from .flows import (
    BUYER,
    PDF,
    REGULATOR,
    T,
    errors_text,
    flash_text,
    label,
    log_in,
    open_page,
    parse_wan,
    published_listing,
    registration_number,
    today,
)

pytestmark = pytest.mark.e2e

UPFRONT_ASKED = 800_000
UPFRONT_AGREED = 1_234_500  # yuan; the contract's turnover (a whole number of 100 yuan)


def find_and_offer(buyer, listing, lang, shots=None):
    """The buyer searches in Chinese, narrows by industry and deal kind, opens the listing
    and makes an offer for a non-exclusive licence."""
    t = T[lang]
    buyer.goto("/listings")
    search_box = buyer.get_by_role("searchbox")
    search_box.fill("秸秆发酵饲料")
    search_box.press("Enter")
    facets = buyer.get_by_role("complementary")
    industry = "农产品加工" if lang == "zh" else "Agricultural product processing"
    equity = "作价入股" if lang == "zh" else "Equity"
    facets.get_by_role("group", name=t["industry"]).get_by_label(industry).check()
    facets.get_by_role("group", name="交易方式" if lang == "zh" else "Deal kind").get_by_label(equity).check()
    facets.get_by_role("button").click()
    assert "industry=agri_processing" in buyer.url and "deal_kind=equity" in buyer.url
    assert facets.get_by_label(industry).is_checked()
    result = buyer.get_by_role("link", name=listing.title)
    assert result.is_visible()
    if shots:
        shot(buyer, f"{shots}-search")
        shot(buyer, "tour-search", full_page=False)
    result.click()
    buyer.get_by_role("link", name=t["make_offer"], exact=True).click()
    label(buyer, t["deal_kind"]).select_option("license")
    label(buyer, t["license_type"]).select_option("non_exclusive")
    label(buyer, t["term"]).fill("36")
    label(buyer, t["upfront"]).fill(f"{UPFRONT_ASKED:,}")
    label(buyer, t["message"]).fill("我公司拟在绥化、齐齐哈尔两地的饲料厂实施，请考虑入门费 80 万元。")
    buyer.get_by_role("button", name=t["send_offer"]).click()
    assert ("报价已发给卖方" if lang == "zh" else "offer was sent") in flash_text(buyer), errors_text(buyer)
    return buyer.url


def negotiate_and_sign(page_factory, lang="zh", shots=None):
    """Journey 2; returns (seller page, buyer page, contract URL, contract title)."""
    t = T[lang]
    seller, listing = published_listing(page_factory, lang)
    buyer = open_page(page_factory, lang)
    log_in(buyer, BUYER)
    offer_url = find_and_offer(buyer, listing, lang, shots)

    # The seller counters with a higher upfront fee.
    seller.goto("/offers")
    seller.get_by_role("link", name=re.compile(re.escape(listing.title))).first.click()
    assert seller.url == offer_url
    counter = seller.locator("form[action$='/counter']")
    label(counter, t["upfront"]).fill(f"{UPFRONT_AGREED:,}")
    counter.get_by_role("button").click()
    assert ("还价已发出" if lang == "zh" else "counter-offer was sent") in flash_text(seller), errors_text(
        seller
    )

    # The buyer sees both versions side by side and accepts.
    buyer.goto(offer_url)
    assert yuan(UPFRONT_AGREED) in buyer.locator("main").inner_text()
    if shots:
        shot(buyer, f"{shots}-negotiation")
        shot(buyer, "tour-negotiation", full_page=False)
    buyer.get_by_role("button", name=t["accept"]).click()
    assert ("合同草稿已生成" if lang == "zh" else "contract draft is ready") in flash_text(buyer)
    contract_url = buyer.url
    contract_title = buyer.get_by_role("heading", level=1).inner_text()

    # The seller completes what the checklist asks for.
    seller.goto(contract_url)
    seller.get_by_role("link", name=t["edit_terms"]).click()
    label(seller, t["category"]).select_option("license_patent")
    label(seller, t["turnover"]).fill(f"{UPFRONT_AGREED:,}")
    label(seller, t["income"]).fill(f"{UPFRONT_AGREED:,}")
    start = today()
    label(seller, t["valid_from"]).fill(start.isoformat())
    label(seller, t["valid_to"]).fill((start + timedelta(days=3 * 365)).isoformat())
    label(seller, t["signed_on"]).fill(start.isoformat())
    rows = seller.locator("#milestones tbody tr")
    first, second = 400_000, UPFRONT_AGREED - 400_000
    for row, (days, amount, what) in zip(
        rows.all()[:2], [(30, first, "合同生效后首付款"), (180, second, "中试验收后尾款")], strict=True
    ):
        label(row, t["due_on"]).fill((start + timedelta(days=days)).isoformat())
        label(row, t["amount"]).fill(f"{amount:,}")
        label(row, t["paid_for"]).fill(what)
    seller.get_by_role("button", name=t["save"], exact=True).click()
    assert ("合同已保存" if lang == "zh" else "contract is saved") in flash_text(seller), errors_text(seller)

    # The signed document, then both signatures.
    seller.get_by_label(
        "签署的合同文本（PDF 或图片）" if lang == "zh" else "Signed contract (PDF or image)"
    ).set_input_files({"name": "signed-contract.pdf", "mimeType": "application/pdf", "buffer": PDF})
    seller.get_by_role("button", name="上传" if lang == "zh" else "Upload", exact=True).click()
    assert "signed-contract.pdf" in seller.locator("main").inner_text(), errors_text(seller)
    seller.get_by_role("button", name="以卖方身份签署" if lang == "zh" else "Sign as seller").click()
    buyer.goto(contract_url)
    buyer.get_by_role("button", name="以买方身份签署" if lang == "zh" else "Sign as buyer").click()
    seller.goto(contract_url)
    checklist = seller.locator("#checklist")
    if checklist.count():
        assert checklist.locator("li.missing").count() == 0, checklist.inner_text()
    if shots:
        shot(seller, f"{shots}-contract")
        shot(seller, "tour-contract", full_page=False)
    seller.get_by_role("button", name="提交登记" if lang == "zh" else "Submit for registration").click()
    assert ("已提交登记" if lang == "zh" else "Submitted") in seller.locator("main").inner_text(), (
        errors_text(seller)
    )
    return seller, buyer, contract_url, contract_title


def yuan(amount: int) -> str:
    return f"{amount:,}.00"


def test_buyer_negotiates_and_both_sign(page_factory):
    seller, buyer, contract_url, _title = negotiate_and_sign(page_factory, "zh", shots="j2-zh")
    text = seller.locator("main").inner_text()
    assert yuan(UPFRONT_AGREED) in text
    # The agreed terms read as terms, not as data.
    assert "{" not in text and "upfront_fen" not in text
    assert f"入门费: {yuan(UPFRONT_AGREED)} 元" in text
    assert "交易方式: 许可 · 普通" in text and "期限: 36 个月" in text, text[:1200]
    assert seller.external_requests == [] and buyer.external_requests == []


def current_year_turnover(page) -> int:
    """The dashboard's registered turnover for this year (the by-year table), in yuan."""
    page.goto("/ledger/")
    row = page.locator("table#ledger-years tbody tr", has=page.locator(f"th:text-is('{today().year}')"))
    return parse_wan(row.locator("td").first.inner_text())


def test_regulator_registers_and_exports(page_factory, tmp_path):
    seller, buyer, contract_url, title = negotiate_and_sign(page_factory, "zh")
    regulator = open_page(page_factory, "zh")
    log_in(regulator, REGULATOR)
    before = current_year_turnover(regulator)

    regulator.goto("/contracts/queue")
    regulator.get_by_role("link", name=title).click()
    assert regulator.url == contract_url
    # Both decision forms have a note, each with its own label.
    register_form = regulator.locator("form[action$='/register']")
    return_form = regulator.locator("form[action$='/return']")
    assert label(register_form, "备注（可选）").count() == 1
    assert label(return_form, "备注").count() == 1
    regulator.get_by_role("button", name="予以登记").click()
    assert "已登记" in regulator.locator("main").inner_text(), errors_text(regulator)
    number = registration_number(regulator)
    assert number[4:8] == "2301"  # Harbin

    after = current_year_turnover(regulator)
    assert after - before == UPFRONT_AGREED
    shot(regulator, "j3-zh-dashboard")
    shot(regulator, "tour-dashboard", full_page=False)

    export = regulator.locator("form[action$='/ledger/export']")
    label(export, "年份").select_option(str(today().year))
    label(export, "内容").select_option("entries")
    label(export, "格式").select_option("csv")
    with regulator.expect_download() as info:
        export.get_by_role("button", name="下载").click()
    path = tmp_path / "ledger.csv"
    info.value.save_as(path)
    content = path.read_text(encoding="utf-8-sig")
    assert number in content
    rows = [r for r in csv.reader(io.StringIO(content)) if number in ",".join(r)]
    assert rows, content[:500]

    seller.goto(contract_url)
    assert number in seller.locator("main").inner_text()
    for p in (seller, buyer, regulator):
        assert p.external_requests == []
