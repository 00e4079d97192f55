"""Online bidding (网络竞价) in two browsers: two demo buyers watch the running
session; a bid by one appears on the other's page without a reload (the page's
own script polls with If-None-Match), and back. The page shows server time and a
countdown; without the script it has a Reload button."""

from __future__ import annotations

import re

import pytest

from .conftest import shot
from .flows import label, log_in, open_page

pytestmark = pytest.mark.e2e

RUNNING = "寒地水稻侧深施肥插秧一体化装备"


def _open_session(page, lang):
    page.goto("/biddings" + ("?lang=en" if lang == "en" else ""))
    page.get_by_role("link", name=RUNNING).click()
    page.wait_for_url(re.compile(r"/biddings/\d+"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_bid_in_one_browser_appears_in_the_other(page_factory, lang):
    qizhong = open_page(page_factory, lang)
    log_in(qizhong, "wu.qiang@demo.hljtech.cn")
    beidahuang = open_page(page_factory, lang)
    log_in(beidahuang, "wang.fang@demo.hljtech.cn")
    for page in (qizhong, beidahuang):
        _open_session(page, lang)
    assert qizhong.external_requests == []  # type: ignore[attr-defined]
    countdown = beidahuang.locator("[data-field=countdown]")
    first = countdown.inner_text()
    beidahuang.wait_for_function(
        "t => document.querySelector('[data-field=countdown]').textContent !== t", arg=first
    )
    bids_before = beidahuang.locator("#bids li").count()
    minimum = qizhong.locator("[data-field=min_next_bid]").inner_text()
    bid = label(qizhong, "您的出价（元）" if lang == "zh" else "Your bid (yuan)")
    amount = bid.input_value()
    assert amount and float(amount.replace(",", "")) > 0
    qizhong.get_by_role("button", name="出价" if lang == "zh" else "Bid", exact=True).click()
    qizhong.wait_for_load_state()
    assert qizhong.locator("#bids li").count() == bids_before + 1
    code = qizhong.locator("#my-bidding h2").inner_text().split()[-1].split("：")[-1]
    # The other browser, without a reload: the new bid on top, the price and the minimum moved.
    beidahuang.wait_for_function(
        "n => document.querySelectorAll('#bids li').length === n", arg=bids_before + 1, timeout=15_000
    )
    top = beidahuang.locator("#bids li").first.inner_text()
    assert code in top
    assert beidahuang.locator("[data-field=min_next_bid]").inner_text() != minimum
    shot(beidahuang, f"trading-live-{lang}")
    # And back: the other buyer outbids; the first sees it appear.
    beidahuang.get_by_role("button", name="出价" if lang == "zh" else "Bid", exact=True).click()
    beidahuang.wait_for_load_state()
    qizhong.wait_for_function(
        "n => document.querySelectorAll('#bids li').length === n", arg=bids_before + 2, timeout=15_000
    )
    assert beidahuang.locator("#reload").is_visible()
