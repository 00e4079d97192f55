"""Appending many entries under one take of the ledger's lock (imports of
contracts registered offline, tens of thousands of rows in one file).

`append_entries` gives what `append_entry` called once per event, in order,
would give: the same checks and rules, the same chain and Merkle tree, the same
contract totals and summaries, the same idempotency (an event key already used
for the same event appends nothing; for another event it is a Conflict). It
differs in cost: the lock is taken once, the existing keys and the contracts'
totals are read once for the batch, and the entries, tree nodes, totals and
summary rows are written by a few statements of many rows each. It flushes the
caller's pending changes first and never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..accounts.models import User
from ..core.errors import Conflict, PermissionDenied
from ..extensions import db
from . import merkle
from .append import (
    _ENTRIES,
    _ENTRY_COLUMNS,
    _HEAD,
    _SUMMARY,
    _SUMMARY_KEYS,
    _SUMMARY_SUMS,
    _TOTALS,
    LedgerEvent,
    _check_rules,
    _dialect,
    _Head,
    _insert,
    _link,
    _new_entry,
    _same_event,
    _Totals,
    _validate_event,
    lock_head,
    summary_rows,
)
from .models import LedgerEntry, MerkleNode
from .permissions import can_append

_CHUNK = 1000  # rows per IN list and per multi-row statement


def _chunks(items: Sequence[Any], size: int = _CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _locked_head() -> Any:
    session = db.session
    if _dialect() == "postgresql":
        stmt = select(
            _HEAD.c.seq, _HEAD.c.hash, _HEAD.c.recorded_at, _HEAD.c.tree_size, _HEAD.c.tree_frontier
        ).where(_HEAD.c.id == 1)
        head = session.execute(stmt.with_for_update()).first()
        if head is None:
            return lock_head()  # inserts the missing head row
        return head
    return lock_head()


def append_entries(
    events: Sequence[LedgerEvent], *, actor: User, recorded_at: Sequence[datetime | None] | None = None
) -> int:
    """Append `events` in order under one lock; answers how many entries were appended."""
    if not events:
        return 0
    times = list(recorded_at) if recorded_at is not None else [None] * len(events)
    if len(times) != len(events):
        raise ValueError("one recorded_at per event")
    for event in events:
        _validate_event(event)
    for region in {event.seller_region for event in events}:
        if not can_append(actor, region):
            raise PermissionDenied(_l("Only the registration authority of the seller's region records this."))
    session = db.session
    session.flush()  # the caller's pending changes, before the lock
    head = _locked_head()
    if head.tree_size != head.seq:  # entries loaded without the tree: extend it first
        merkle.catch_up(session)
        head = _locked_head()

    # What is already there, read once under the lock.
    keys = [event.event_key for event in events]
    found: dict[str, int] = {}
    for chunk in _chunks(keys):
        stmt = select(_ENTRIES.c.event_key, _ENTRIES.c.seq).where(_ENTRIES.c.event_key.in_(chunk))
        found.update({key: int(seq) for key, seq in session.execute(stmt)})
    contract_ids = sorted({event.contract_id for event in events})
    totals: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(contract_ids):
        stmt = select(
            _TOTALS.c.contract_id,
            _TOTALS.c.turnover_fen,
            _TOTALS.c.tech_income_fen,
            _TOTALS.c.cancelled,
            _TOTALS.c.entries,
        ).where(_TOTALS.c.contract_id.in_(chunk))
        for row in session.execute(stmt):
            totals[int(row.contract_id)] = {
                "turnover_fen": int(row.turnover_fen),
                "tech_income_fen": int(row.tech_income_fen),
                "cancelled": bool(row.cancelled),
                "entries": int(row.entries),
            }
    existing = {
        entry.event_key: entry
        for chunk in _chunks(list(found.values()))
        for entry in session.scalars(select(LedgerEntry).where(LedgerEntry.seq.in_(chunk)))
    }

    link = _Head(int(head.seq), head.hash, head.recorded_at)
    size, frontier = int(head.tree_size), merkle.unpack_frontier(head.tree_frontier, int(head.tree_size))
    entry_rows: list[dict[str, Any]] = []
    node_rows: list[dict[str, Any]] = []
    changed: dict[int, dict[str, Any]] = {}
    sums: dict[tuple, list[int]] = {}
    seen: dict[str, LedgerEvent] = {}
    for event, at in zip(events, times, strict=True):
        key = event.event_key
        if key in existing:
            if not _same_event(existing[key], event):
                raise Conflict(
                    _l("The event key %(key)s was already used for another ledger entry.", key=key)
                )
            continue
        if key in seen:
            if seen[key] != event:
                raise Conflict(
                    _l("The event key %(key)s was already used for another ledger entry.", key=key)
                )
            continue
        seen[key] = event
        state = totals.get(event.contract_id)
        before = (
            None
            if state is None
            else _Totals(state["turnover_fen"], state["tech_income_fen"], state["cancelled"])
        )
        old_turnover, new_turnover, new_income = _check_rules(event, before)
        entry = _new_entry(event, actor)
        leaf = _link(entry, link, at, old_turnover, new_turnover)
        link = _Head(entry.seq, entry.hash, entry.recorded_at)
        entry_rows.append({name: getattr(entry, name) for name in _ENTRY_COLUMNS})
        node_rows.extend(merkle.node_rows(merkle.extend_frontier(frontier, size, leaf)))
        size += 1
        state = totals[event.contract_id] = {
            "turnover_fen": new_turnover,
            "tech_income_fen": new_income,
            "cancelled": event.kind == "cancellation",
            "entries": (state["entries"] if state else 0) + 1,
        }
        changed[event.contract_id] = {
            "contract_id": event.contract_id,
            "registration_no": event.registration_no,
            **state,
            "last_seq": entry.seq,
        }
        for row in summary_rows(entry):
            acc = sums.setdefault(tuple(row[k] for k in _SUMMARY_KEYS), [0, 0, 0, 0])
            for i, name in enumerate(_SUMMARY_SUMS):
                acc[i] += row[name]
    if not entry_rows:
        return 0

    for chunk in _chunks(entry_rows):
        session.execute(_ENTRIES.insert(), chunk)
    for chunk in _chunks(node_rows):
        session.execute(MerkleNode.__table__.insert(), chunk)
    session.execute(
        update(_HEAD)
        .where(_HEAD.c.id == 1)
        .values(
            seq=link.seq,
            hash=link.hash,
            recorded_at=link.recorded_at,
            tree_size=size,
            tree_frontier=merkle.pack_frontier(frontier),
        )
    )
    # Executed with many parameter sets (one statement, sent pipelined), not as one
    # statement of many VALUES rows, which costs more to build than to run.
    totals_stmt = _insert(_TOTALS)
    totals_stmt = totals_stmt.on_conflict_do_update(
        index_elements=["contract_id"],
        set_={
            name: totals_stmt.excluded[name]
            for name in (
                "registration_no",
                "turnover_fen",
                "tech_income_fen",
                "entries",
                "last_seq",
                "cancelled",
            )
        },
    )
    session.execute(totals_stmt, list(changed.values()))
    summary_stmt = _insert(_SUMMARY)
    summary_stmt = summary_stmt.on_conflict_do_update(
        index_elements=list(_SUMMARY_KEYS),
        set_={name: _SUMMARY.c[name] + summary_stmt.excluded[name] for name in _SUMMARY_SUMS},
    )
    session.execute(
        summary_stmt,
        [
            {**dict(zip(_SUMMARY_KEYS, key, strict=True)), **dict(zip(_SUMMARY_SUMS, acc, strict=True))}
            for key, acc in sums.items()
        ],
    )
    return len(entry_rows)
