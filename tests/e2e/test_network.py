"""The docking network as people use it: a Harbin node operator follows up a match
from the queue and pushes it to the parties (Chinese); a buyer registers for a
roadshow and the core node compares the regional nodes on a chart (English)."""

from __future__ import annotations

import re

import pytest

from .conftest import shot
from .flows import label, log_in, open_page

pytestmark = pytest.mark.e2e

HARBIN_OPERATOR = "node.230100@demo.hljtech.cn"
CORE_OPERATOR = "node.core@demo.hljtech.cn"
BUYER = "lin.tao@demo.hljtech.cn"  # 林涛, 伊春森林食品有限公司: not registered by the demo


def test_operator_follows_up_and_pushes_a_match(page_factory):
    page = open_page(page_factory, "zh")
    log_in(page, HARBIN_OPERATOR)
    page.goto("/workbench")
    page.get_by_role("link", name=re.compile("哈尔滨技术市场（区域节点）的跟进队列")).first.click()
    assert page.get_by_role("heading", name="跟进队列").is_visible()
    page.locator("#queue-matches tbody a").first.click()
    assert page.get_by_role("heading", name="匹配").is_visible()
    # a push without a note is refused next to the field
    label(page, "跟进方式").select_option("pushed")
    page.get_by_role("button", name="记录跟进").click()
    assert page.get_by_text("请填写买卖双方将看到的说明。").is_visible()
    label(page, "备注").fill("该成果与贵单位需求高度匹配，建议本周内联系。")
    page.get_by_role("button", name="记录跟进").click()
    assert page.get_by_text("跟进已记录。").is_visible()
    history = page.locator("#follow-ups").inner_text()
    assert "已推送给双方" in history and "建议本周内联系" in history
    assert page.locator("#match-state").inner_text() == "跟进中"
    shot(page, "network-match-zh")
    # Daqing's queue is not Harbin's operator's
    response = page.goto("/network/nodes/230600/queue")
    assert response.status == 404


def test_buyer_registers_and_core_compares_regions(page_factory):
    page = open_page(page_factory, "en")
    log_in(page, BUYER)
    page.goto("/network/events")
    page.get_by_role("link", name="龙江科技成果线上路演（数字经济）").click()
    seats = page.locator("#seats-left").inner_text()
    page.get_by_role("button", name="Register to attend").click()
    assert page.get_by_text("You are registered for the event.").is_visible()
    left, cap = seats.split(" / ")
    assert page.locator("#seats-left").inner_text() == f"{int(left) - 1} / {cap}"
    assert page.get_by_role("link", name="Add to my calendar (iCalendar)").is_visible()

    core = open_page(page_factory, "en")
    log_in(core, CORE_OPERATOR)
    core.goto("/network/compare")
    assert core.get_by_role("heading", name="Regional nodes side by side").is_visible()
    assert core.locator("#compare tbody tr").count() == 13
    series = core.evaluate(
        "() => window.echarts.getInstanceByDom(document.getElementById('network-chart')).getOption().series.length"
    )
    assert series == 7
    shot(core, "network-compare-en", full_page=False)
