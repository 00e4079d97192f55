"""CSV and XLSX exports of the finance figures (the regulators' page and its
downloads). CSV carries fen and codes (for scripts); XLSX headers in the
reader's language, amounts in 元 with two decimals, a bold frozen header row."""

from __future__ import annotations

import csv
import io

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from .figures import Summary

CSV_COLUMNS = [
    "group_by",
    "key",
    "label",
    "loans",
    "amount_fen",
    "outstanding_fen",
    "defaults",
    "default_amount_fen",
    "proceeds_fen",
    "risk_shared_fen",
    "investments",
    "investment_fen",
]
YUAN = "#,##0.00"
XLSX_COLUMNS = (
    (_l("Group"), 28, None),
    (_l("Pledge loans"), 12, "#,##0"),
    (_l("Amount lent (yuan)"), 20, YUAN),
    (_l("Outstanding (yuan)"), 20, YUAN),
    (_l("Defaults"), 10, "#,##0"),
    (_l("Defaulted amount (yuan)"), 20, YUAN),
    (_l("Proceeds recovered (yuan)"), 20, YUAN),
    (_l("Risk shared (yuan)"), 20, YUAN),
    (_l("Investments"), 12, "#,##0"),
    (_l("Amount invested (yuan)"), 20, YUAN),
)


def _values(row) -> list:
    return [
        row.loans,
        row.amount_fen / 100,
        row.outstanding_fen / 100,
        row.defaults,
        row.default_amount_fen / 100,
        row.proceeds_fen / 100,
        row.risk_shared_fen / 100,
        row.investments,
        row.investment_fen / 100,
    ]


def csv_bytes(summary: Summary) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in [*summary.rows, summary.total]:
        d = row.to_dict()
        writer.writerow(
            [
                summary.group_by,
                "" if d["key"] is None else d["key"],
                d["label"],
                *[d[c] for c in CSV_COLUMNS[3:]],
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(summary: Summary, title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE5F0")
    sheet.append([str(name) for name, _w, _f in XLSX_COLUMNS])
    for n, (_name, width, _f) in enumerate(XLSX_COLUMNS, 1):
        sheet.column_dimensions[get_column_letter(n)].width = width
        cell = sheet.cell(row=1, column=n)
        cell.font, cell.fill = bold, fill
    sheet.freeze_panes = "A2"
    for index, row in enumerate([*summary.rows, summary.total], start=2):
        sheet.append([row.label, *_values(row)])
        for n, (_name, _w, number_format) in enumerate(XLSX_COLUMNS, 1):
            if number_format:
                sheet.cell(row=index, column=n).number_format = number_format
        if row is summary.total:
            for n in range(1, len(XLSX_COLUMNS) + 1):
                sheet.cell(row=index, column=n).font = bold
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
