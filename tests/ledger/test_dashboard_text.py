"""The dashboard says what its charts show: the unit they are drawn in (the
tables' unit), a sentence per chart tied to it, and an as-of date field that
is empty until someone picks a date."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest

from marketplace.ledger import services

from ..factories import LedgerEventFactory, user_with_role


@pytest.fixture
def registered(db, app):
    with app.test_request_context("/"):
        reg = user_with_role("regulator")
        event = LedgerEventFactory(
            seller_region="230100",
            turnover_delta_fen=1_230_000_000_00,  # 12.3 亿元
            tech_income_delta_fen=1_000_000_000_00,
            effective_on=date(2024, 5, 1),
        )
        services.append_entry(event, actor=reg, recorded_at=datetime(2024, 5, 1, 2, tzinfo=UTC))
        db.session.flush()


def _chart_data(html: str) -> dict:
    block = re.search(r'<script type="application/json" id="ledger-chart-data">(.*?)</script>', html, re.S)
    return json.loads(block.group(1))


def test_charts_use_the_tables_unit_and_have_a_summary_in_chinese(client, login_as, registered):
    login_as("regulator")
    html = client.get("/ledger/").get_data(as_text=True)
    data = _chart_data(html)
    assert data["unit"] == {"fen": 1_000_000, "label": "万元"} and data["labels"]["unit"] == "万元"
    assert 'aria-describedby="chart-years-summary"' in html
    caption = re.search(r'<figcaption id="chart-years-summary">(.*?)</figcaption>', html, re.S).group(1)
    assert "单位：万元" in caption
    assert "2022—2025 年登记成交额 12.30 亿元，完成目标 2,000.00 亿元 的 0.62 %。" in caption
    assert "最高为 2024 年，12.30 亿元（为当年路径的 2.32 %）。" in caption
    region = re.search(r'<figcaption id="chart-region-summary">(.*?)</figcaption>', html, re.S).group(1)
    assert "合计 12.30 亿元" in region and "最多为哈尔滨市，12.30 亿元（占 100.00 %）" in region
    assert 'aria-describedby="chart-region-summary"' in html


def test_charts_unit_and_summary_in_english(client, login_as, registered):
    login_as("regulator")
    html = client.get("/ledger/?lang=en").get_data(as_text=True)
    assert _chart_data(html)["unit"] == {"fen": 100_000_000, "label": "CNY million"}
    caption = re.search(r'<figcaption id="chart-years-summary">(.*?)</figcaption>', html, re.S).group(1)
    assert "Unit: CNY million" in caption
    assert (
        "Registered turnover 2022-2025: CNY 1.23 billion, 0.62 % of the target of CNY 200.00 billion."
        in caption
    )
    assert "万元" not in caption and "亿元" not in caption


def test_as_of_is_an_empty_date_field_with_a_label(client, login_as, registered):
    login_as("regulator")
    html = client.get("/ledger/").get_data(as_text=True)
    field = re.search(r"<input[^>]*id=\"as_of\"[^>]*>", html).group(0)
    assert 'type="date"' in field and 'value=""' in field and "placeholder" not in field
    assert '<label for="as_of">截至</label>' in html
    html = client.get("/ledger/?as_of=2024-12-31").get_data(as_text=True)
    assert 'value="2024-12-31"' in re.search(r"<input[^>]*id=\"as_of\"[^>]*>", html).group(0)
