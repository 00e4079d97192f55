"""The regulators' figures: pledge loans and investments by year, region and bank,
the page with its chart data, CSV and XLSX, and the block on the turnover dashboard."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from marketplace.finance import figures, investments, risk
from tests import factories

from .factories import equity_listing, financier, to_state, world

pytestmark = pytest.mark.usefixtures("in_request")


def _book(db):
    a = world()
    signed = to_state(a, "signed")  # 500 万元, 2025, Harbin
    risk.add_risk_share(signed, sharer_kind="risk_fund", share_bp=2500, actor=a.bank)
    b = world()
    b.owner.organization.region_code = "230600"  # Daqing
    defaulted = to_state(b, "defaulted")  # 500 万元, 100 万元 recovered
    c = world()
    repaid = to_state(c, "repaid")
    to_state(world(), "approved")  # not lent: not counted
    listing, seller = equity_listing()
    investor = financier("investment_fund")
    inv = investments.record_investment(
        listing_id=listing.id,
        company="某新材料公司",
        amount_fen=2_000_000_00,
        share_bp=1000,
        invested_on=date(2025, 8, 1),
        actor=investor,
    )
    investments.confirm_investment(inv, actor=seller)
    investments.record_investment(  # not confirmed: not counted
        listing_id=listing.id, company="另一公司", amount_fen=9_000_000_00, share_bp=1000, actor=investor
    )
    return signed, defaulted, repaid, a.regulator


def test_summary_by_year_region_and_bank(db):
    signed, defaulted, repaid, regulator = _book(db)
    by_year = figures.summary(group_by="year", user=regulator)
    (row,) = by_year.rows
    assert row.key == 2025 and row.loans == 3 and row.amount_fen == 15_000_000_00
    assert row.outstanding_fen == 5_000_000_00 + 4_000_000_00
    assert (row.defaults, row.default_amount_fen, row.proceeds_fen) == (1, 5_000_000_00, 1_000_000_00)
    assert row.risk_shared_fen == 1_250_000_00
    assert (row.investments, row.investment_fen) == (1, 2_000_000_00)
    by_region = {r.key: r for r in figures.summary(group_by="region", user=regulator).rows}
    assert by_region["230600"].defaults == 1 and by_region["230100"].loans == 2
    assert by_region["230600"].label == "大庆市"
    by_bank = {r.key: r for r in figures.summary(group_by="bank", user=regulator).rows}
    assert by_bank[signed.bank_org_id].label == "测试银行哈尔滨分行"
    by_industry = {r.key: r for r in figures.summary(group_by="industry", user=regulator).rows}
    assert by_industry["biology"].loans == 3 and by_industry["new_materials"].investments == 1
    assert by_industry["biology"].label == "生物经济"
    assert figures.summary(year=2024, group_by="year", user=regulator).rows == []
    # A city regulator sees its city only.
    daqing = factories.user_with_role("regulator", region="230600")
    (only,) = figures.summary(group_by="year", user=daqing).rows
    assert only.loans == 1 and only.investments == 0


def test_queries_do_not_grow_with_rows(db, count_queries):
    regulator = factories.user_with_role("regulator")
    to_state(world(), "signed")
    with count_queries() as one:
        figures.summary(group_by="bank", user=regulator)
    for state in ("signed", "defaulted", "repaid", "signed"):
        to_state(world(), state)
    with count_queries() as many:
        figures.summary(group_by="bank", user=regulator)
    assert many.count == one.count


@pytest.mark.parametrize(
    ("year", "group_by", "field"),
    [
        ("x", "year", "year"),
        ("1800", "year", "year"),
        ("", "city", "group_by"),
        ("2025", "org_kind", "group_by"),
    ],
)
def test_bad_arguments(db, year, group_by, field):
    from marketplace.core.errors import ValidationError

    with pytest.raises(ValidationError) as exc:
        figures.parse_args(year, group_by)
    assert field in exc.value.fields


def test_the_page_the_downloads_and_the_api(client, api, login_as, db):
    _signed, _d, _r, regulator = _book(db)
    login_as(regulator)
    page = client.get("/finance/figures?group_by=region")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "大庆市" in html and "finance-chart-data" in html and "echarts" in html
    assert client.get("/finance/figures?group_by=region&lang=en").status_code == 200
    by_industry = client.get("/finance/figures?group_by=industry").get_data(as_text=True)
    assert "按产业" in by_industry and "生物经济" in by_industry
    bad = client.get("/finance/figures?year=abc")
    assert bad.status_code == 422 and "2000" in bad.get_data(as_text=True)
    csv = client.get("/finance/figures?group_by=year&format=csv")
    text = csv.get_data().decode("utf-8-sig")
    assert csv.mimetype == "text/csv" and text.splitlines()[0].startswith(
        "group_by,key,label,loans,amount_fen"
    )
    assert "year,2025,2025,3,1500000000,900000000,1," in text
    xlsx = client.get("/finance/figures?group_by=bank&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    rows = list(sheet.values)
    assert rows[0][0] == "分组" and rows[-1][1] == 3 and rows[-1][2] == 15_000_000
    data = api(regulator).get("/api/v1/financing/summary?year=2025&group_by=year").get_json()
    assert data["total"]["loans"] == 3 and data["rows"][0]["outstanding_fen"] == 900_000_000
    assert api(regulator).get("/api/v1/financing/summary?group_by=city").status_code == 422
    assert api(factories.user_with_role("buyer")).get("/api/v1/financing/summary").status_code == 403
    assert api().get("/api/v1/financing/summary").status_code == 401


def test_the_dashboard_shows_the_finance_block_to_regulators(client, login_as, db):
    _book(db)
    login_as("regulator")
    html = client.get("/ledger/").get_data(as_text=True)
    assert 'id="finance-figures-block"' in html and "知识产权质押贷款" in html


def test_others_do_not_see_the_figures(client, login_as, db):
    login_as("buyer")
    assert client.get("/finance/figures").status_code == 404
