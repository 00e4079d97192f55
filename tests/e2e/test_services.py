"""Policies and services in the browser: the policy library in English, and a
buyer's service request to a pilot-scale base, quoted, accepted, completed, rated."""

from __future__ import annotations

import re
import time

import pytest

from .conftest import login
from .flows import BUYER

pytestmark = pytest.mark.e2e

PROVIDER = "lu.feng@demo.hljtech.cn"  # 陆峰, 齐齐哈尔重型装备中试基地


def test_the_policy_library_finds_the_vat_notice_in_english(page_factory):
    page = page_factory("en-US")
    page.goto("/policies/?lang=en")
    assert page.get_by_role("heading", name="Policy library").is_visible()
    page.goto("/policies/?q=VAT&topic=tax&lang=en")  # ?lang= holds for one page: each page asks for it
    link = page.get_by_role("link", name=re.compile("replacing business tax with VAT"))
    page.goto(link.get_attribute("href") + "?lang=en")
    assert page.locator("#doc-no").inner_text() == "财税〔2016〕36号"
    assert "to confirm with the tax authority" in page.locator("#caveat").inner_text()


def test_a_buyer_requests_a_pilot_test_and_rates_it(page_factory):
    title = f"农机齿轮箱中试验证 {int(time.time())}"
    page = page_factory("zh-CN")
    login(page, BUYER)
    page.wait_for_url("**/workbench")
    page.goto("/providers/?kind=pilot_base")
    page.get_by_role("link", name="齐齐哈尔重型装备中试基地").click()
    page.get_by_label("需求标题").fill(title)
    page.get_by_label("详细说明").fill("齿轮箱样机100台套的中试放大与台架试验。")
    page.get_by_role("button", name="提交需求").click()
    page.wait_for_url("**/service-requests/*")
    url = page.url
    assert "待报价" in page.locator("#request-status").inner_text()

    provider = page_factory("zh-CN")
    login(provider, PROVIDER)
    provider.wait_for_url("**/workbench")
    assert provider.get_by_text("待您报价的服务需求").first.is_visible()
    provider.goto(url)
    provider.get_by_label("价格（元）").fill("350,000")
    provider.get_by_role("button", name="发送报价").click()
    provider.wait_for_load_state()
    assert "已报价" in provider.locator("#request-status").inner_text()

    page.goto(url)
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="接受报价").click()
    page.wait_for_load_state()
    assert "已接受" in page.locator("#request-status").inner_text()

    provider.goto(url)
    provider.once("dialog", lambda d: d.accept())
    provider.get_by_role("button", name="标记为已完成").click()
    provider.wait_for_load_state()

    page.goto(url)
    page.get_by_label("评语").fill("试验数据完整，按期交付。")
    page.get_by_role("button", name="评价服务").click()
    page.wait_for_load_state()
    assert "试验数据完整" in page.locator("#rating").inner_text()
    assert page.locator("#rate").count() == 0
