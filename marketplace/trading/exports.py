"""CSV and XLSX exports of the figures of public trading, for regulators and the
public: deals by trading mode (negotiation, public listing, bidding) with the
bidding premium over the starting price (`stats.deals_by_mode`, the dashboard's
figures), and one row per settled bidding session.

CSV is for scripts: amounts in integer fen, codes, dates as ISO 8601, a
`row_kind` column saying which rows are which (``mode``, ``premium``,
``session``). XLSX is a report in the reader's language: amounts in 元 with two
decimals, the premium in percent, a bold frozen header row on each sheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.timeutil import shanghai_date, utcnow
from ..extensions import db
from .models import BiddingSession
from .stats import MODES, deals_by_mode

FORMATS = ("csv", "xlsx")
CSV_COLUMNS = (
    "row_kind",
    "key",
    "label",
    "contracts",
    "turnover_fen",
    "sessions",
    "bids",
    "starting_price_fen",
    "winning_price_fen",
    "premium_bp",
    "settled_on",
)
MODE_LABELS = {
    "negotiation": _l("Negotiation (协议定价)"),
    "listing": _l("Public listing (挂牌)"),
    "bidding": _l("Online bidding (网络竞价)"),
}
YUAN = "#,##0.00"
PERCENT = "0.00%"


@dataclass(frozen=True)
class SettledSession:
    reference: str
    title: str
    bids: int
    starting_price_fen: int
    winning_price_fen: int
    premium_bp: int
    settled_on: str


def settled_sessions() -> Iterator[SettledSession]:
    """Every settled session (a winner who has not forfeited), oldest first."""
    stmt = (
        select(BiddingSession)
        .where(BiddingSession.status == "settled")
        .order_by(BiddingSession.settled_at, BiddingSession.id)
        .options(selectinload(BiddingSession.listing))
        .execution_options(yield_per=500)
    )
    for s in db.session.scalars(stmt):
        yield SettledSession(
            reference=s.reference,
            title=s.listing.title,
            bids=s.bids_count,
            starting_price_fen=s.starting_price_fen,
            winning_price_fen=s.current_price_fen or 0,
            premium_bp=s.premium_bp() or 0,
            settled_on=shanghai_date(s.settled_at).isoformat() if s.settled_at else "",
        )


def filename(fmt: str) -> str:
    return f"trading-modes-{shanghai_date(utcnow()).isoformat()}.{fmt}"


def csv_bytes() -> bytes:
    figures = deals_by_mode()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for key in MODES:
        row = figures["modes"][key]
        writer.writerow(["mode", key, str(MODE_LABELS[key]), row["contracts"], row["turnover_fen"],
                         "", "", "", "", "", ""])  # fmt: skip
    premium = figures["premium_bp"]
    writer.writerow(["premium", "bidding", str(_l("Premium of settled biddings over their starting prices")), "",
                     "", figures["settled_sessions"], "", figures["starting_total_fen"],
                     figures["winning_total_fen"], "" if premium is None else premium, ""])  # fmt: skip
    for s in settled_sessions():
        writer.writerow(["session", s.reference, s.title, "", "", "", s.bids, s.starting_price_fen,
                         s.winning_price_fen, s.premium_bp, s.settled_on])  # fmt: skip
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sheet(sheet, columns) -> None:
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE5F0")
    sheet.append([str(name) for name, _w, _f in columns])
    for n, (_name, width, _f) in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(n)].width = width
        cell = sheet.cell(row=1, column=n)
        cell.font, cell.fill = bold, fill
    sheet.freeze_panes = "A2"


def _formats(sheet, row: int, columns) -> None:
    for n, (_name, _w, number_format) in enumerate(columns, 1):
        if number_format:
            sheet.cell(row=row, column=n).number_format = number_format


MODE_COLUMNS = (
    (_l("Trading mode"), 30, None),
    (_l("Contracts"), 12, "#,##0"),
    (_l("Turnover (yuan)"), 22, YUAN),
)
PREMIUM_COLUMNS = (
    (_l("Settled biddings"), 30, "#,##0"),
    (_l("Starting prices (yuan)"), 22, YUAN),
    (_l("Winning prices (yuan)"), 22, YUAN),
    (_l("Premium over the starting price"), 16, PERCENT),
)
SESSION_COLUMNS = (
    (_l("Session reference"), 12, None),
    (_l("Technology"), 40, None),
    (_l("Bids"), 8, "#,##0"),
    (_l("Starting price (yuan)"), 20, YUAN),
    (_l("Winning price (yuan)"), 20, YUAN),
    (_l("Premium over the starting price"), 16, PERCENT),
    (_l("Settled on"), 12, None),
)


def xlsx_bytes() -> bytes:
    figures = deals_by_mode()
    book = Workbook()
    sheet = book.active
    sheet.title = str(_l("By trading mode"))[:31]
    _sheet(sheet, MODE_COLUMNS)
    for index, key in enumerate(MODES, start=2):
        row = figures["modes"][key]
        sheet.append([str(MODE_LABELS[key]), row["contracts"], row["turnover_fen"] / 100])
        _formats(sheet, index, MODE_COLUMNS)
    premium = book.create_sheet(str(_l("Bidding premium"))[:31])
    _sheet(premium, PREMIUM_COLUMNS)
    bp = figures["premium_bp"]
    premium.append([figures["settled_sessions"], figures["starting_total_fen"] / 100,
                    figures["winning_total_fen"] / 100, None if bp is None else bp / 10000])  # fmt: skip
    _formats(premium, 2, PREMIUM_COLUMNS)
    sessions = book.create_sheet(str(_l("Settled biddings"))[:31])
    _sheet(sessions, SESSION_COLUMNS)
    for index, s in enumerate(settled_sessions(), start=2):
        sessions.append([s.reference, s.title, s.bids, s.starting_price_fen / 100, s.winning_price_fen / 100,
                         s.premium_bp / 10000, s.settled_on])  # fmt: skip
        _formats(sessions, index, SESSION_COLUMNS)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
