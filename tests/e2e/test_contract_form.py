"""The offline deal form in a real browser, in Chinese and English: the agency picks
the seller, the buyer, the agency and the IP asset by name (no numbers anywhere), and
a software-copyright licence gets the software licence category (issue 19, points 2, 6)."""

from __future__ import annotations

import pytest

from .conftest import shot
from .flows import (
    AGENCY,
    AGENCY_ORG,
    BUYER_ORG,
    T,
    errors_text,
    flash_text,
    label,
    log_in,
    open_page,
    token,
)

pytestmark = pytest.mark.e2e

SOFTWARE = "冰城智慧供热调度平台V2.0"  # the demo's software copyright, transferred to:
SOFTWARE_OWNER = "哈尔滨冰城数字科技有限公司"
WORDS = {
    "zh": {
        "seller": "卖方",
        "buyer": "买方",
        "agency": "技术转移机构",
        "kind": "交易方式",
        "title": "合同名称",
        "record": "录入交易",
        "recorded": "交易已录入",
        "category": "技术许可：计算机软件著作权许可",
    },
    "en": {
        "seller": "Seller",
        "buyer": "Buyer",
        "agency": "Agency",
        "kind": "Deal kind",
        "title": "Title",
        "record": "Record the deal",
        "recorded": "The deal is recorded",
        "category": "Technology licence: software copyright",
    },
}


def choose(select, name: str) -> None:
    """Pick the option whose text starts with an organization's name (its region follows)."""
    option = select.locator("option", has_text=name).first
    select.select_option(option.get_attribute("value"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_agency_records_a_software_licence_choosing_everything_by_name(page_factory, lang):
    w, t = WORDS[lang], T[lang]
    page = open_page(page_factory, lang)
    log_in(page, AGENCY)
    page.goto("/contracts/new")
    main = page.locator("main").inner_text()
    assert "编号" not in main and "number" not in main.lower()
    choose(label(page, w["seller"]), SOFTWARE_OWNER)
    choose(label(page, w["buyer"]), BUYER_ORG)
    agency = label(page, w["agency"])
    assert AGENCY_ORG in agency.locator("option:checked").inner_text()
    choose(agency, AGENCY_ORG)
    label(page, w["kind"]).select_option("license")
    title = f"冰城智慧供热调度平台软件著作权许可合同{token()}"
    label(page, w["title"]).fill(title)
    page.get_by_label(SOFTWARE, exact=False).check()
    label(page, t["turnover"]).fill("300,000")
    label(page, t["income"]).fill("300,000")
    shot(page, f"contract-form-{lang}")
    page.get_by_role("button", name=w["record"], exact=True).click()
    assert w["recorded"] in flash_text(page), errors_text(page)
    body = page.locator("main").inner_text()
    assert w["category"] in body and SOFTWARE in body and AGENCY_ORG in body
    assert page.external_requests == []
