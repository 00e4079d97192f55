"""The regulator's dashboard, as a person sees it in Chinese and English: each
chart names its unit (the tables' unit, on the axis and above the chart) and
has a summary sentence tied to it, and the as-of field is an empty date input
with a label."""

from __future__ import annotations

import re

import pytest

from .flows import REGULATOR, label, log_in, open_page

pytestmark = pytest.mark.e2e

EXPECT = {
    "zh": {
        "unit": "万元",
        "caption": "单位：万元",
        "summary": re.compile(
            r"2022—2025 年登记成交额 [\d,.]+ (亿元|万元)，完成目标 2,000.00 亿元 的 [\d.]+ %。"
        ),
        "region": re.compile(r"^合计 [\d,.]+ (亿元|万元)；最多为.+，[\d,.]+ (亿元|万元)（占 [\d.]+ %）。$"),
        "as_of": "截至",
    },
    "en": {
        "unit": "CNY million",
        "caption": "Unit: CNY million",
        "summary": re.compile(
            r"Registered turnover 2022-2025: CNY [\d,.]+( billion| million)?, [\d.]+ % of the target of CNY 200.00 billion\."
        ),
        "region": re.compile(
            r"^CNY [\d,.]+( billion| million)? in all; the largest is .+ with CNY .+ \([\d.]+ %\)\.$"
        ),
        "as_of": "As of",
    },
}


def _axis_unit(page, chart_id: str, axis: str) -> str:
    return page.evaluate(
        "([id, axis]) => window.echarts.getInstanceByDom(document.getElementById(id)).getOption()[axis][0].name",
        [chart_id, axis],
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_dashboard_names_the_unit_summarises_each_chart_and_asks_a_date(page_factory, lang):
    expect = EXPECT[lang]
    page = open_page(page_factory, lang)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, REGULATOR)
    page.goto("/ledger/")

    # The as-of field: a labelled, empty date input (no sample value in it).
    as_of = label(page, expect["as_of"])
    assert as_of.get_attribute("type") == "date"
    assert as_of.input_value() == "" and as_of.get_attribute("placeholder") is None

    # The charts: drawn in the tables' unit, named on the value axis.
    page.wait_for_function(
        "() => window.echarts && window.echarts.getInstanceByDom(document.getElementById('chart-years'))"
    )
    assert _axis_unit(page, "chart-years", "yAxis") == expect["unit"]
    assert _axis_unit(page, "chart-region", "xAxis") == expect["unit"]

    # Each chart's text alternative: a visible sentence it is described by.
    for chart_id, pattern in (("chart-years", expect["summary"]), ("chart-region", expect["region"])):
        chart = page.locator(f"#{chart_id}")
        caption = page.locator(f"#{chart.get_attribute('aria-describedby')}")
        assert caption.is_visible()
        text = caption.inner_text()
        assert text.startswith(expect["caption"]), text
        assert pattern.search(text.removeprefix(expect["caption"]).strip()), text
    if lang == "en":
        assert not re.search(r"\d 万元|\d 亿元", page.locator("figure").first.inner_text())
    assert errors == [] and page.external_requests == []
