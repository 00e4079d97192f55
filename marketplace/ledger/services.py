"""The turnover ledger's rules, by topic: ``.append`` (appending entries to the
hash chain, contract totals, the head), ``.filters`` (the "as of" moment and
entry filters), ``.summaries`` (figures as of any moment), ``.verification``
(the stored chain and summaries checked) and ``.targets`` (plan targets).

Other domains call only what ``__all__`` lists, from here. Appends happen in
the caller's transaction and are never committed here. The ledger imports
nothing from contracts: each entry carries its own snapshot of the contract.
"""

from __future__ import annotations

from .append import (
    SUMMARY_DIMS,
    LedgerEvent,
    append_entry,
    contract_totals,
    entry_fields,
    ledger_head,
    period_of,
    summary_rows,
)
from .batch import append_entries
from .filters import EntryFilter, entries_after, filtered_entries, parse_as_of
from .permissions import can_append
from .summaries import Figures, Summary, summarize
from .targets import latest_target_values, record_target_value, target_history
from .verification import REASON_HEAD, LedgerCheck, chain_rows, summaries_match_entries, verify_ledger

__all__ = [
    "REASON_HEAD",
    "SUMMARY_DIMS",
    "EntryFilter",
    "Figures",
    "LedgerCheck",
    "LedgerEvent",
    "Summary",
    "append_entries",
    "can_append",
    "append_entry",
    "chain_rows",
    "contract_totals",
    "entries_after",
    "entry_fields",
    "filtered_entries",
    "latest_target_values",
    "ledger_head",
    "parse_as_of",
    "period_of",
    "record_target_value",
    "summaries_match_entries",
    "summarize",
    "summary_rows",
    "target_history",
    "verify_ledger",
]
