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


def _set_end(session_id: int, end):
    """Move the running session's end on the live server's database (the test's clock):
    `end` a UTC datetime, or None to read it. Answers the end it had."""
    import sqlite3

    from .conftest import DATABASE

    with sqlite3.connect(DATABASE[0]) as con:
        (before,) = con.execute(
            "SELECT effective_ends_at FROM bidding_sessions WHERE id = ?", (session_id,)
        ).fetchone()
        if end is not None:
            text = end.strftime("%Y-%m-%d %H:%M:%S.%f")
            con.execute("UPDATE bidding_sessions SET effective_ends_at = ? WHERE id = ?", (text, session_id))
    return before


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_last_minute_bid_extends_the_end_on_both_pages(page_factory, lang):
    """A bid accepted in the last 5 minutes moves the end to 5 minutes after it: the
    bidder's page shows it after its post, the other browser's without a reload."""
    from datetime import UTC, datetime, timedelta

    qizhong = open_page(page_factory, lang)
    log_in(qizhong, "wu.qiang@demo.hljtech.cn")
    beidahuang = open_page(page_factory, lang)
    log_in(beidahuang, "wang.fang@demo.hljtech.cn")
    _open_session(qizhong, lang)
    session_id = int(re.search(r"/biddings/(\d+)", qizhong.url).group(1))
    original = _set_end(session_id, datetime.now(UTC) + timedelta(minutes=3))
    try:
        for page in (qizhong, beidahuang):
            page.goto(f"/biddings/{session_id}" + ("?lang=en" if lang == "en" else ""))
        ends = beidahuang.locator("[data-field=ends_at]")
        before = ends.inner_text()
        countdown = beidahuang.locator("[data-field=countdown]")
        assert ("0 天 0 小时 2 分" if lang == "zh" else "0 d 0 h 2 min") in countdown.inner_text()
        # The bidder is the one not holding the highest bid (the other test bids too).
        bids = qizhong.locator("#bids li")
        mine = qizhong.locator("#my-bidding h2").inner_text().split()[-1].split("：")[-1]
        if bids.count() and mine in bids.first.inner_text():
            qizhong, beidahuang = beidahuang, qizhong
            ends = beidahuang.locator("[data-field=ends_at]")
            countdown = beidahuang.locator("[data-field=countdown]")
        marker = beidahuang.evaluate("() => (window.__notReloaded = true)")
        assert marker is True
        qizhong.get_by_role("button", name="出价" if lang == "zh" else "Bid", exact=True).click()
        qizhong.wait_for_load_state()
        assert qizhong.locator("[data-field=ends_at]").inner_text() != before
        # The other browser: the new end and a countdown of about 5 minutes, without a reload.
        beidahuang.wait_for_function(
            "t => document.querySelector('[data-field=ends_at]').textContent !== t",
            arg=before,
            timeout=15_000,
        )
        assert ends.inner_text() == qizhong.locator("[data-field=ends_at]").inner_text()
        beidahuang.wait_for_function(
            "() => / 4 (分|min) /.test(document.querySelector('[data-field=countdown]').textContent)",
            timeout=5_000,
        )
        assert beidahuang.evaluate("() => window.__notReloaded") is True
        shot(beidahuang, f"trading-extended-{lang}")
    finally:
        _set_end(session_id, datetime.fromisoformat(original).replace(tzinfo=UTC))
