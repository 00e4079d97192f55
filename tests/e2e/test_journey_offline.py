"""Journey 4: an agency records a deal agreed offline; both parties confirm and sign;
the Harbin regulator registers it; the buyer pays the first milestone by bank
transfer and the seller confirms the money arrived."""

from __future__ import annotations

from datetime import timedelta

import pytest

from .conftest import shot
from .flows import (
    AGENCY,
    BUYER,
    BUYER_ORG,
    PDF,
    REGULATOR,
    SELLER,
    SELLER_ORG,
    errors_text,
    flash_text,
    label,
    log_in,
    open_page,
    registration_number,
    today,
    token,
)

pytestmark = pytest.mark.e2e

TURNOVER = 2_600_000
FIRST = 800_000


def choose(select, name: str) -> None:
    """Pick the organization by its name (the option's text starts with it)."""
    select.select_option(select.locator("option", has_text=name).first.get_attribute("value"))


def test_agency_records_offline_deal_then_buyer_pays(page_factory):
    title = f"寒地马铃薯贮藏保鲜专利权转让合同{token()}"
    start = today()
    agency = open_page(page_factory)
    log_in(agency, AGENCY)
    agency.goto("/contracts")
    agency.get_by_role("link", name="登记线下交易").click()
    choose(label(agency, "卖方"), SELLER_ORG)
    choose(label(agency, "买方"), BUYER_ORG)
    label(agency, "交易方式").select_option("transfer")
    label(agency, "合同名称").fill(title)
    label(agency, "合同类别").select_option("transfer_patent")
    label(agency, "行业").select_option("agri_processing")
    label(agency, "合同标的").fill("马铃薯低温贮藏保鲜专利权转让及配套工艺交付。")
    label(agency, "技术合同成交额（元）").fill(f"{TURNOVER:,}")
    label(agency, "技术交易额（元）").fill(f"{TURNOVER:,}")
    label(agency, "预计新增投资（元）").fill("5,000,000")
    label(agency, "预计新增产值（元）").fill("18,000,000")
    label(agency, "有效期自").fill(start.isoformat())
    label(agency, "有效期至").fill((start + timedelta(days=730)).isoformat())
    label(agency, "签订日期").fill(start.isoformat())
    rows = agency.locator("#milestones tbody tr").all()
    for row, (days, amount, what) in zip(
        rows[:2], [(0, FIRST, "签约后首付款"), (90, TURNOVER - FIRST, "专利权变更登记后尾款")], strict=True
    ):
        label(row, "付款日期").fill((start + timedelta(days=days)).isoformat())
        label(row, "金额（元）").fill(f"{amount:,}")
        label(row, "付款事由").fill(what)
    agency.get_by_role("button", name="录入交易").click()
    assert "交易已录入" in flash_text(agency), errors_text(agency)
    contract_url = agency.url

    # Both parties confirm the deal as recorded, then sign.
    seller = open_page(page_factory)
    log_in(seller, SELLER)
    buyer = open_page(page_factory)
    log_in(buyer, BUYER)
    for person in (seller, buyer):
        person.goto(contract_url)
        person.get_by_role("button", name="确认此交易").click()
        assert "您已确认此交易" in flash_text(person), errors_text(person)
    seller.goto(contract_url)
    seller.get_by_label("签署的合同文本（PDF 或图片）").set_input_files(
        {"name": "offline-deal.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    seller.get_by_role("button", name="上传", exact=True).click()
    assert "offline-deal.pdf" in seller.locator("main").inner_text(), errors_text(seller)
    for person, side in ((seller, "卖方"), (buyer, "买方")):
        person.goto(contract_url)
        person.get_by_role("button", name=f"以{side}身份签署").click()
        assert person.get_by_role("button", name=f"以{side}身份签署").count() == 0, errors_text(person)
    seller.goto(contract_url)
    seller.get_by_role("button", name="提交登记").click()
    assert "已提交登记" in seller.locator("main").inner_text(), errors_text(seller)

    regulator = open_page(page_factory)
    log_in(regulator, REGULATOR)
    regulator.goto("/contracts/queue")
    regulator.get_by_role("link", name=title).click()
    regulator.get_by_role("button", name="予以登记").click()
    number = registration_number(regulator)

    # The buyer pays the first milestone by bank transfer.
    buyer.goto(contract_url)
    assert number in buyer.locator("main").inner_text()
    buyer.get_by_role("link", name="按里程碑付款").click()
    label(buyer, "付款期次").select_option("1")
    label(buyer, "金额（元）").fill(f"{FIRST:,}")
    label(buyer, "转账日期").fill(start.isoformat())
    label(buyer, "付款账户名称").fill(BUYER_ORG)
    reference = f"HRB{token()}"
    label(buyer, "银行流水号").fill(reference)
    label(buyer, "回单").set_input_files(
        {"name": "receipt.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    buyer.get_by_role("button", name="登记转账").click()
    assert "待确认" in buyer.locator("main").inner_text(), errors_text(buyer)
    shot(buyer, "j4-zh-transfer")

    # The seller confirms the money arrived.
    seller.goto(contract_url)
    seller.get_by_role("link", name="按里程碑付款").click()
    seller.get_by_role("row", name=reference).get_by_role("link").click()
    seller.get_by_role("button", name="确认到账").click()
    assert "已确认收到该笔付款" in flash_text(seller), errors_text(seller)
    seller.goto(contract_url.rstrip("/") + "/payments")
    first_row = seller.locator("table tbody tr").first
    assert "已付清" in first_row.inner_text(), first_row.inner_text()
    shot(seller, "j4-zh-payments")
    for p in (agency, seller, buyer, regulator):
        assert p.external_requests == []
