"""Exports of ledger entries and summaries for auditors (CSV and XLSX).

Every export states the chain's head at the time it was made (the number of
entries in the whole chain, the last sequence number and its hash) and the
latest signed checkpoint of the Merkle tree (scripts/verify_ledger.py checks
an export of the whole ledger against it, offline), and
contains only entries up to that head, so an auditor can later check the
exported entries against the chain (GET /api/v1/ledger/entries and
/api/v1/ledger/verify, or `flask ledger verify`).

Two kinds of file, for two kinds of reader:

- CSV is the machine-readable contract for auditors' scripts: the columns
  ENTRY_COLUMNS or SUMMARY_COLUMNS (amounts in fen as integers, codes, times
  in UTC ISO 8601), after "#" comment lines stating the chain's head and the
  checkpoint (scripts/verify_ledger.py and pandas' comment="#" read them).
- XLSX is a report (workbook.py): entries or summaries in the reader's
  language, in 元 or 万元, with labels and Beijing time; an entries workbook
  also carries the CSV's columns in its sheets "entries" and "chain".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import IO, Any

from ..core.money import format_wan
from ..core.timeutil import utcnow
from ..extensions import db
from .catalog import GROUP_BY, dimension_label
from .services import EntryFilter, filtered_entries, ledger_head, summarize
from .workbook import write_entries_workbook, write_summary_workbook

ENTRY_COLUMNS = (
    "seq",
    "kind",
    "contract_id",
    "registration_no",
    "turnover_delta_fen",
    "tech_income_delta_fen",
    "contracts_delta",
    "effective_on",
    "recorded_at",
    "regulator_id",
    "year",
    "seller_region",
    "seller_org_kind",
    "industry",
    "category",
    "event_key",
    "prev_hash",
    "hash",
)
SUMMARY_COLUMNS = (
    "dimension",
    "key",
    "label",
    "turnover_fen",
    "turnover_wan",
    "tech_income_fen",
    "tech_income_wan",
    "contracts",
    "entries",
)
FORMATS = ("csv", "xlsx")
WHAT = ("entries", "summary")


def _pinned(flt: EntryFilter) -> tuple[EntryFilter, dict[str, Any]]:
    head_seq, head_hash, head_at = ledger_head()
    flt = replace(flt, max_seq=head_seq)
    meta = {
        "exported_at": utcnow().isoformat(timespec="seconds"),
        "scope": flt.scope,
        "year": flt.year if flt.year is not None else "all",
        "as_of": flt.as_of.isoformat() if flt.as_of else "",
        "chain_entries": head_seq,
        "chain_head_seq": head_seq,
        "chain_head_hash": head_hash,
        "verify": "GET /api/v1/ledger/verify or flask ledger verify recomputes the chain up to this head",
    }
    meta.update(_checkpoint_meta())
    return flt, meta


def _checkpoint_meta() -> dict[str, Any]:
    """The latest signed checkpoint of the Merkle tree: with the whole
    ledger's export, scripts/verify_ledger.py recomputes its root."""
    from .checkpoints import checkpoint_json, latest_checkpoint

    cp = latest_checkpoint()
    if cp is None:
        return {"checkpoint": "none signed yet"}
    data = checkpoint_json(cp)
    meta = {f"checkpoint_{key}": data[key] for key in ("id", "origin", "tree_size", "root_hash", "signed_at")}
    meta.update(
        checkpoint_key_id=data["key_id"],
        checkpoint_signature=data["signature"],
        checkpoint_verify="python scripts/verify_ledger.py --export THIS_FILE --public-key KEY "
        "(GET /api/v1/ledger/checkpoints publishes the key)",
    )
    return meta


def _entry_row(entry) -> list[Any]:
    values = []
    for name in ENTRY_COLUMNS:
        value = getattr(entry, name)
        if name == "recorded_at":
            value = value.isoformat(timespec="microseconds")
        elif name == "effective_on":
            value = value.isoformat()
        values.append(value)
    return values


def _iter_entries(flt: EntryFilter, progress: Callable[[int], None] | None) -> Iterator[Any]:
    rows = db.session.scalars(filtered_entries(flt).execution_options(yield_per=2000))
    try:
        for n, entry in enumerate(rows, 1):
            yield entry
            if progress and n % 10_000 == 0:
                progress(n)
            if n % 2000 == 0:
                db.session.expunge_all()  # constant memory on large exports
    finally:
        rows.close()


def _entries(flt: EntryFilter, progress: Callable[[int], None] | None) -> Iterator[list[Any]]:
    for entry in _iter_entries(flt, progress):
        yield _entry_row(entry)


def _summaries(flt: EntryFilter) -> dict[str, Any]:
    # Summaries are pinned to the stated head by its time.
    pinned = replace(flt, max_seq=None, as_of=flt.as_of or ledger_head()[2])
    return {group_by: summarize(pinned, group_by=group_by) for group_by in GROUP_BY}


def _summary_rows(flt: EntryFilter) -> Iterator[list[Any]]:
    for group_by, summary in _summaries(flt).items():
        for key, fig in summary.groups:
            yield [
                group_by,
                key,
                dimension_label(group_by, key),
                fig.turnover_fen,
                format_wan(fig.turnover_fen).removesuffix(" 万元"),
                fig.tech_income_fen,
                format_wan(fig.tech_income_fen).removesuffix(" 万元"),
                fig.contracts,
                fig.entries,
            ]
        yield [group_by, "total", "", summary.totals.turnover_fen, "", summary.totals.tech_income_fen, "",
               summary.totals.contracts, summary.totals.entries]  # fmt: skip


def write_csv(
    out: IO[str], flt: EntryFilter, *, what: str = "entries", progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    """Write entries or summaries as CSV. Lines starting with "#" state the
    chain's head (read with e.g. pandas.read_csv(comment="#"))."""
    flt, meta = _pinned(flt)
    for key, value in meta.items():
        out.write(f"# {key}: {value}\n")
    writer = csv.writer(out, lineterminator="\n")
    if what == "summary":
        writer.writerow(SUMMARY_COLUMNS)
        writer.writerows(_summary_rows(flt))
    else:
        writer.writerow(ENTRY_COLUMNS)
        for row in _entries(flt, progress):
            writer.writerow(row)
    return meta


def write_xlsx(
    out: IO[bytes],
    flt: EntryFilter,
    *,
    what: str = "entries",
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Write the entries report (with the machine-readable sheets "entries"
    and "chain") or the summary report, in the active locale."""
    flt, meta = _pinned(flt)
    if what == "summary":
        write_summary_workbook(out, _summaries(flt), meta)
    else:
        write_entries_workbook(
            out,
            lambda: _iter_entries(flt, progress),
            lambda: _entries(flt, None),
            ENTRY_COLUMNS,
            meta,
        )
    return meta


def export_bytes(flt: EntryFilter, *, fmt: str, what: str = "entries") -> bytes:
    """A whole export in memory (downloads from the web and the API)."""
    if fmt == "xlsx":
        buffer = io.BytesIO()
        write_xlsx(buffer, flt, what=what)
        return buffer.getvalue()
    text = io.StringIO()
    write_csv(text, flt, what=what)
    return ("\ufeff" + text.getvalue()).encode("utf-8")  # BOM: Excel opens Chinese text correctly


def export_filename(flt: EntryFilter, *, fmt: str, what: str = "entries") -> str:
    year = flt.year if flt.year is not None else "all"
    return f"ledger-{what}-{year}-{flt.scope}.{fmt}"
