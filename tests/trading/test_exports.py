"""Exports of deals by trading mode and the bidding premium (CSV for scripts, XLSX as a
report), on the web beside the dashboard's figures and through the API."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from marketplace.trading import bidding, settlement

from .conftest import T0
from .factories import INCREMENT, START, enrolled, make_session

STARTS = T0 + timedelta(days=8)


@pytest.fixture
def settled(world):
    s = make_session(world.listing, world.seller, T0)
    enrolled(s, world.buyers[0], world.seller, T0)
    enrolled(s, world.buyers[1], world.seller, T0)
    bidding.place_bid(s, START, actor=world.buyers[0], now=STARTS)
    bidding.place_bid(s, START + 25 * INCREMENT, actor=world.buyers[1], now=STARTS)
    settlement.settle(s, now=s.effective_ends_at)
    return s


def _rows(body: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_has_the_modes_the_premium_and_each_settled_session(settled, client, api):
    r = client.get("/biddings/figures.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    rows = _rows(r.data)
    modes = {row["key"]: row for row in rows if row["row_kind"] == "mode"}
    assert set(modes) == {"negotiation", "listing", "bidding"}
    assert modes["bidding"]["contracts"] == "1"
    assert modes["bidding"]["turnover_fen"] == str(START + 25 * INCREMENT)
    (premium,) = [row for row in rows if row["row_kind"] == "premium"]
    assert (premium["sessions"], premium["premium_bp"]) == ("1", "2500")
    assert premium["starting_price_fen"] == str(START)
    (session,) = [row for row in rows if row["row_kind"] == "session"]
    assert session["key"] == settled.reference and session["bids"] == "2"
    assert session["winning_price_fen"] == str(START + 25 * INCREMENT) and session["premium_bp"] == "2500"
    # The API gives the same file.
    assert _rows(api().get("/api/v1/biddings/stats/export").data) == rows
    bad = api().get("/api/v1/biddings/stats/export?format=pdf")
    assert bad.status_code == 422 and "format" in bad.get_json()["error"]["fields"]
    assert client.get("/biddings/figures.pdf").status_code == 404


@pytest.mark.parametrize("lang,mode,sheet", [("zh", "网络竞价", "竞价"), ("en", "Online bidding", "premium")])
def test_xlsx_is_a_report_in_the_readers_language(settled, client, lang, mode, sheet):
    r = client.get(f"/biddings/figures.xlsx?lang={lang}")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(r.data))
    first = book.worksheets[0]
    rows = list(first.iter_rows(min_row=2, values_only=True))
    bidding_row = next(row for row in rows if mode in row[0])
    assert bidding_row[1] == 1 and bidding_row[2] == (START + 25 * INCREMENT) / 100
    premium = book.worksheets[1]
    assert sheet.lower() in premium.title.lower()
    assert premium.cell(row=2, column=4).value == pytest.approx(0.25)
    sessions = book.worksheets[2]
    assert sessions.cell(row=2, column=1).value == settled.reference


def test_the_dashboard_and_the_bidding_page_link_the_exports(settled, client, login_as):
    assert "/biddings/figures.xlsx" in client.get("/biddings?lang=en").get_data(as_text=True)
    login_as("regulator")
    page = client.get("/ledger/?lang=en").get_data(as_text=True)
    assert 'id="trading-modes-csv"' in page and "/biddings/figures.csv" in page
