"""The XLSX exports as reports a registration office can read and file.

Headers in the reader's language (Chinese by default, English with the
English locale), amounts in 元 (entries) or 万元 (summaries) as numbers with
two decimals, labels beside the codes, Beijing time, column widths and a
frozen header row, and a sheet stating the chain's head and the latest
signed checkpoint.

An entries workbook also carries the machine-readable sheets "entries" and
"chain": the same columns and values as the CSV export (fen, codes, UTC
times), which scripts/verify_ledger.py and auditors' scripts read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import IO, Any

from flask_babel import get_locale, lazy_pgettext, pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..core.catalog import industry_label, org_kind_label, region_label
from ..core.money import FEN_PER_MILLION, FEN_PER_WAN, FEN_PER_YUAN
from ..core.timeutil import to_shanghai
from .catalog import GROUP_BY, category_label, dimension_label, entry_kind_label

YUAN = "#,##0.00"
COUNT = "#,##0"
SHARE = "0.00%"
DAY = "yyyy-mm-dd"
MOMENT = "yyyy-mm-dd hh:mm:ss"

_BOLD = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDE5F0")
_WRAP = Alignment(wrap_text=True, vertical="top")

# The entries report: (header, width, number format or None) per column.
ENTRY_REPORT_COLUMNS: tuple[tuple[object, float, str | None], ...] = (
    (_l("Entry number"), 9, None),
    (_l("Entry kind"), 10, None),
    (_l("Registration number"), 19, None),
    (_l("Platform contract number"), 12, None),
    (_l("Turnover change (yuan)"), 18, YUAN),
    (_l("Technology income change (yuan)"), 18, YUAN),
    (_l("Change in number of contracts"), 10, None),
    (_l("Effective date"), 12, DAY),
    (_l("Recorded at (Beijing time)"), 20, MOMENT),
    (_l("Year"), 7, None),
    (_l("City code"), 10, None),
    (_l("City"), 14, None),
    (_l("Organization kind code"), 12, None),
    (_l("Organization kind"), 14, None),
    (_l("Industry code"), 14, None),
    (lazy_pgettext("ledger export", "Industry"), 18, None),
    (_l("Contract category code"), 22, None),
    (_l("Contract category"), 26, None),
    (_l("Registering official (user number)"), 12, None),
    (lazy_pgettext("ledger export", "Entry hash"), 66, None),
)

SUMMARY_SHEETS: dict[str, object] = {
    "year": _l("By year"),
    "region": _l("By city"),
    "industry": _l("By industry"),
    "org_kind": _l("By organization kind"),
    "category": _l("By contract category"),
}


def _english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


def summary_unit() -> tuple[int, str]:
    """The summaries' unit: 万元 in Chinese, millions of yuan in English (as the pages show)."""
    if _english():
        return FEN_PER_MILLION, _("CNY million")
    return FEN_PER_WAN, _("10,000 yuan")


def _beijing(value: datetime | None) -> datetime | None:
    """A moment as Beijing wall-clock time (a spreadsheet cell has no time zone)."""
    if value is None:
        return None
    return to_shanghai(value).replace(tzinfo=None, microsecond=0)


class _Sheet:
    """A write-only sheet with a bold, frozen header row and set widths."""

    def __init__(self, book: Workbook, title: str, headers: Iterable[tuple[str, float]]) -> None:
        self.sheet = book.create_sheet(title[:31])
        headers = list(headers)
        for n, (_name, width) in enumerate(headers, 1):
            self.sheet.column_dimensions[get_column_letter(n)].width = width
        self.sheet.freeze_panes = "A2"
        self.sheet.append([self._head(name) for name, _width in headers])
        self.rows = 0
        self.columns = len(headers)

    def _head(self, value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.sheet, value=value)
        cell.font, cell.fill, cell.alignment = _BOLD, _HEAD_FILL, _WRAP
        return cell

    def append(self, values: Iterable[Any], formats: Iterable[str | None], *, bold: bool = False) -> None:
        cells: list[Any] = []
        for value, number_format in zip(values, formats, strict=True):
            if not (bold or (number_format and value is not None)):
                cells.append(value)  # a plain value: much cheaper than a styled cell
                continue
            cell = WriteOnlyCell(self.sheet, value=value)
            if number_format and value is not None:
                cell.number_format = number_format
            if bold:
                cell.font = _BOLD
            cells.append(cell)
        self.sheet.append(cells)
        self.rows += 1

    def filter(self) -> None:
        """An autofilter over the header and the rows written."""
        self.sheet.auto_filter.ref = f"A1:{get_column_letter(self.columns)}{self.rows + 1}"


class _Labels:
    """Labels of codes in the active locale, each looked up once per export."""

    def __init__(self) -> None:
        self._seen: dict[tuple[Callable[[str], str], str | None], str] = {}

    def __call__(self, label: Callable[[str], str], code: str | None) -> str:
        key = (label, code)
        if key not in self._seen:
            self._seen[key] = str(label(code))
        return self._seen[key]


def entry_report_row(
    entry, labels: Callable[[Callable[[str], str], str | None], str] | None = None
) -> list[Any]:
    """One entry as the report shows it (yuan, labels beside codes, Beijing time)."""
    label = labels or (lambda fn, code: str(fn(code)))
    return [
        entry.seq,
        label(entry_kind_label, entry.kind),
        entry.registration_no,
        entry.contract_id,
        entry.turnover_delta_fen / FEN_PER_YUAN,
        entry.tech_income_delta_fen / FEN_PER_YUAN,
        entry.contracts_delta,
        entry.effective_on,
        _beijing(entry.recorded_at),
        entry.year,
        entry.seller_region,
        label(region_label, entry.seller_region),
        entry.seller_org_kind,
        label(org_kind_label, entry.seller_org_kind),
        entry.industry,
        label(industry_label, entry.industry),
        entry.category,
        label(category_label, entry.category),
        entry.regulator_id,
        entry.hash,
    ]


def _write_entries_report(book: Workbook, entries: Iterator[Any]) -> int:
    sheet = _Sheet(book, _("Ledger entries"), ((str(h), w) for h, w, _f in ENTRY_REPORT_COLUMNS))
    formats = [f for _h, _w, f in ENTRY_REPORT_COLUMNS]
    labels = _Labels()
    for entry in entries:
        sheet.append(entry_report_row(entry, labels), formats)
    sheet.filter()
    return sheet.rows


def _write_summary_sheets(book: Workbook, summaries: dict[str, Any]) -> None:
    per, unit = summary_unit()
    for group_by in GROUP_BY:
        summary = summaries[group_by]
        with_code = group_by != "year"
        headers: list[tuple[str, float]] = [(_("Code"), 22)] if with_code else []
        headers += [
            (_("Year") if group_by == "year" else _("Name"), 28 if with_code else 10),
            (_("Registered turnover (%(unit)s)", unit=unit), 18),
            (_("Share of turnover"), 12),
            (_("Technology income (%(unit)s)", unit=unit), 18),
            (_("Number of contracts"), 12),
            (_("Number of entries"), 12),
        ]
        formats: list[str | None] = (["@"] if with_code else []) + [None, YUAN, SHARE, YUAN, COUNT, COUNT]
        if group_by == "year":
            formats[0] = "0"
        sheet = _Sheet(book, str(SUMMARY_SHEETS[group_by]), headers)
        total = summary.totals.turnover_fen
        for key, fig in summary.groups:
            label = dimension_label(group_by, key) if with_code else key
            sheet.append(
                ([str(key)] if with_code else [])
                + [
                    label,
                    fig.turnover_fen / per,
                    fig.turnover_fen / total if total > 0 else None,
                    fig.tech_income_fen / per,
                    fig.contracts,
                    fig.entries,
                ],
                formats,
            )
        t = summary.totals
        sheet.append(
            ([""] if with_code else [])
            + [
                _("Total"),
                t.turnover_fen / per,
                1 if total > 0 else None,
                t.tech_income_fen / per,
                t.contracts,
                t.entries,
            ],  # fmt: skip
            [None] * len(formats) if not with_code else ["@", *formats[1:]],
            bold=True,
        )


def _chain_rows(meta: dict[str, Any], rows_in_file: int | None) -> list[tuple[str, Any, str | None]]:
    """The chain sheet's lines: (what, value, number format)."""
    scope = meta["scope"]
    lines: list[tuple[str, Any, str | None]] = [
        (_("Exported at (Beijing time)"), _beijing(datetime.fromisoformat(meta["exported_at"])), MOMENT),
        (pgettext("ledger export", "Scope"), f"{region_label(scope)} ({scope})", None),
        (_("Year"), _("All years") if meta["year"] == "all" else meta["year"], None),
        (
            _("As of (Beijing time)"),
            _beijing(datetime.fromisoformat(meta["as_of"])) if meta["as_of"] else _("The time of the export"),
            MOMENT,
        ),
    ]
    if rows_in_file is not None:
        lines.append((_("Entries in this file"), rows_in_file, COUNT))
    lines += [
        (_("Entries in the chain"), meta["chain_entries"], COUNT),
        (_("Last entry number"), meta["chain_head_seq"], COUNT),
        (_("Head hash (SHA-256 of the last entry)"), meta["chain_head_hash"], None),
    ]
    if "checkpoint_id" in meta:
        signed = datetime.fromisoformat(str(meta["checkpoint_signed_at"]).replace("Z", "+00:00"))
        lines += [
            (_("Latest signed checkpoint"), meta["checkpoint_id"], "0"),
            (_("Checkpoint origin"), meta["checkpoint_origin"], None),
            (_("Tree size (entries)"), meta["checkpoint_tree_size"], COUNT),
            (_("Root hash"), meta["checkpoint_root_hash"], None),
            (_("Signed at (Beijing time)"), _beijing(signed), MOMENT),
            (_("Key ID"), meta["checkpoint_key_id"], None),
            (_("Signature"), meta["checkpoint_signature"], None),
        ]
    else:
        lines.append((_("Latest signed checkpoint"), _("None signed yet"), None))
    lines.append(
        (
            _("How to check"),
            _(
                "GET /api/v1/ledger/verify or flask ledger verify recomputes the chain up to this head; "
                "python scripts/verify_ledger.py checks an export of the whole ledger against the checkpoint."
            ),
            None,
        )
    )
    return lines


def _write_chain_sheet(book: Workbook, meta: dict[str, Any], rows_in_file: int | None) -> None:
    sheet = _Sheet(book, _("Chain and checkpoint"), [(_("Item"), 34), (_("Contents"), 70)])
    for what, value, number_format in _chain_rows(meta, rows_in_file):
        sheet.append([what, value], [None, number_format])


def _write_machine_sheets(
    book: Workbook, columns: tuple[str, ...], rows: Iterable[list[Any]], meta: dict[str, Any]
) -> None:
    """The sheets "entries" and "chain": the CSV's columns and values, for scripts."""
    sheet = book.create_sheet("entries")
    sheet.freeze_panes = "A2"
    for n, name in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(n)].width = max(12, len(name) + 2)
    sheet.append(list(columns))
    for row in rows:
        sheet.append(row)
    sheet = book.create_sheet("chain")
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 70
    for key, value in meta.items():
        sheet.append([key, value])


def write_entries_workbook(
    out: IO[bytes],
    entries: Callable[[], Iterator[Any]],
    machine_rows: Callable[[], Iterator[list[Any]]],
    columns: tuple[str, ...],
    meta: dict[str, Any],
) -> None:
    """The entries report, the chain sheet, then the machine-readable sheets.

    ``entries`` and ``machine_rows`` are called once each (two passes over the
    pinned entries, so memory stays constant on large exports)."""
    book = Workbook(write_only=True)
    count = _write_entries_report(book, entries())
    _write_chain_sheet(book, meta, count)
    _write_machine_sheets(book, columns, machine_rows(), meta)
    book.save(out)


def write_summary_workbook(out: IO[bytes], summaries: dict[str, Any], meta: dict[str, Any]) -> None:
    """One sheet of grouped figures per dimension (万元), then the chain sheet."""
    book = Workbook(write_only=True)
    _write_summary_sheets(book, summaries)
    _write_chain_sheet(book, meta, None)
    book.save(out)
