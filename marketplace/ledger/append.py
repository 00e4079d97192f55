"""Appending to the turnover ledger: an event checked against the rules, linked
to the hash chain under the head's lock, its summaries and contract totals
updated and its leaf added to the Merkle tree, in the caller's transaction."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import make_transient_to_detached

from ..accounts.models import User
from ..core.catalog import INDUSTRIES, ORG_KINDS
from ..core.errors import Conflict, PermissionDenied, ValidationError
from ..core.money import MAX_FEN
from ..core.regno import RegistrationNoError, parse_registration_no
from ..core.timeutil import to_shanghai, utcnow
from ..extensions import db
from . import merkle
from .catalog import (
    CATEGORIES,
    ENTRY_KINDS,
    SELLER_REGIONS,
)
from .chain import GENESIS_HASH
from .models import ContractTotal, LedgerEntry, LedgerHead, LedgerSummary, MerkleNode
from .permissions import can_append

_ENTRIES = LedgerEntry.__table__
_SUMMARY = LedgerSummary.__table__
_HEAD = LedgerHead.__table__
_TOTALS = ContractTotal.__table__


@dataclass(frozen=True)
class LedgerEvent:
    """A registration event the contracts domain hands to the ledger."""

    kind: str  # "registration" | "amendment" | "cancellation"
    contract_id: int
    registration_no: str  # 16 digits, see marketplace/core/regno.py
    turnover_delta_fen: int  # signed
    tech_income_delta_fen: int  # signed
    effective_on: date  # Asia/Shanghai date it takes effect; its year is the report year
    seller_region: str  # 6-digit region code of the seller
    seller_org_kind: str  # university / research_institute / enterprise / ...
    industry: str  # industry code
    category: str  # contract category code
    event_key: str  # idempotency key: the same event appended twice is one entry


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _validate_event(event: LedgerEvent) -> None:
    errors: dict[str, list] = {}
    if event.kind not in ENTRY_KINDS:
        errors["kind"] = [_l("Unknown entry kind.")]
    if not is_int(event.contract_id) or event.contract_id < 1:
        errors["contract_id"] = [_l("A contract id is a positive whole number.")]
    try:
        parse_registration_no(event.registration_no)
    except RegistrationNoError as exc:
        errors["registration_no"] = [exc.message]
    for name in ("turnover_delta_fen", "tech_income_delta_fen"):
        value = getattr(event, name)
        if not is_int(value):
            errors[name] = [_l("Amounts are whole numbers of fen.")]
        elif abs(value) > MAX_FEN:
            errors[name] = [_l("The amount is too large.")]
    if not isinstance(event.effective_on, date) or isinstance(event.effective_on, datetime):
        errors["effective_on"] = [_l("The date it takes effect is missing.")]
    elif not 2000 <= event.effective_on.year <= 2100:
        errors["effective_on"] = [_l("The year must be between 2000 and 2100.")]
    if event.seller_region not in SELLER_REGIONS:
        errors["seller_region"] = [_l("The seller must be registered in Heilongjiang.")]
    if event.seller_org_kind not in ORG_KINDS:
        errors["seller_org_kind"] = [_l("Unknown organization kind.")]
    if event.industry not in INDUSTRIES:
        errors["industry"] = [_l("Unknown industry.")]
    if event.category not in CATEGORIES:
        errors["category"] = [_l("Unknown contract category.")]
    if not isinstance(event.event_key, str) or not 1 <= len(event.event_key.strip()) <= 128:
        errors["event_key"] = [_l("An event key of 1 to 128 characters is required.")]
    if errors:
        raise ValidationError(fields=errors)


def entry_fields(entry: Any) -> dict[str, Any]:
    """The fields an entry's hash covers (an entry object or a row with the
    same attribute names). Its canonical form is chain.canonical_entry."""
    return {
        "seq": entry.seq,
        "kind": entry.kind,
        "contract_id": entry.contract_id,
        "registration_no": entry.registration_no,
        "turnover_delta_fen": entry.turnover_delta_fen,
        "tech_income_delta_fen": entry.tech_income_delta_fen,
        "contracts_delta": entry.contracts_delta,
        "effective_on": entry.effective_on,
        "recorded_at": entry.recorded_at,
        "regulator_id": entry.regulator_id,
        "event_key": entry.event_key,
        "dims": {
            "year": entry.year,
            "seller_region": entry.seller_region,
            "seller_org_kind": entry.seller_org_kind,
            "industry": entry.industry,
            "category": entry.category,
        },
    }


def _same_event(entry: LedgerEntry, event: LedgerEvent) -> bool:
    return (
        entry.kind == event.kind
        and entry.contract_id == event.contract_id
        and entry.registration_no == event.registration_no
        and entry.turnover_delta_fen == event.turnover_delta_fen
        and entry.tech_income_delta_fen == event.tech_income_delta_fen
        and entry.effective_on == event.effective_on
        and entry.seller_region == event.seller_region
        and entry.seller_org_kind == event.seller_org_kind
        and entry.industry == event.industry
        and entry.category == event.category
    )


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _insert(table):
    """INSERT ... ON CONFLICT for the session's database."""
    if _dialect() == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def lock_head() -> Any:
    """SQLite: take the ledger's lock and return its head (seq, hash, recorded_at).

    A write to the head row takes the database's write lock first, so a
    second appender waits until the first commits, then reads the new head.
    (PostgreSQL: see _PG_LOCK.)
    """
    session = db.session
    session.execute(update(_HEAD).where(_HEAD.c.id == 1).values(seq=_HEAD.c.seq))
    stmt = select(
        _HEAD.c.seq, _HEAD.c.hash, _HEAD.c.recorded_at, _HEAD.c.tree_size, _HEAD.c.tree_frontier
    ).where(_HEAD.c.id == 1)
    head = session.execute(stmt).first()
    if head is None:  # a schema created without the head row
        session.execute(_HEAD.insert().values(id=1, seq=0, hash=GENESIS_HASH, recorded_at=None))
        head = session.execute(stmt).first()
    return head


def period_of(moment: datetime) -> date:
    """The month (its first day, Asia/Shanghai) a moment falls in."""
    return to_shanghai(moment).date().replace(day=1)


# Summary rows each entry adds to: dimension -> entry column ("all": the totals).
SUMMARY_DIMS = {"industry": "industry", "org_kind": "seller_org_kind", "category": "category"}


_SUMMARY_KEYS = ("dim", "period", "year", "seller_region", "key")
_SUMMARY_SUMS = ("turnover_fen", "tech_income_fen", "contracts", "entries")


def summary_rows(entry: Any) -> list[dict[str, Any]]:
    """The four summary rows an entry adds to, with its increments."""
    base = {
        "period": period_of(entry.recorded_at),
        "year": entry.year,
        "seller_region": entry.seller_region,
        "turnover_fen": entry.turnover_delta_fen,
        "tech_income_fen": entry.tech_income_delta_fen,
        "contracts": entry.contracts_delta,
        "entries": 1,
    }
    rows = [{**base, "dim": "all", "key": ""}]
    rows += [{**base, "dim": dim, "key": getattr(entry, column)} for dim, column in SUMMARY_DIMS.items()]
    return rows


def _upsert_summary(entry: LedgerEntry) -> None:
    stmt = _insert(_SUMMARY).values(summary_rows(entry))
    stmt = stmt.on_conflict_do_update(
        index_elements=list(_SUMMARY_KEYS),
        set_={name: _SUMMARY.c[name] + stmt.excluded[name] for name in _SUMMARY_SUMS},
    )
    db.session.execute(stmt)


_ENTRY_COLUMNS = (
    "seq", "kind", "contract_id", "registration_no", "turnover_delta_fen", "tech_income_delta_fen",
    "contracts_delta", "effective_on", "recorded_at", "regulator_id", "year", "seller_region",
    "seller_org_kind", "industry", "category", "event_key", "prev_hash", "hash",
)  # fmt: skip


def _check_rules(event: LedgerEvent, totals: Any) -> tuple[int, int, int]:
    """The contract rules for ``event`` given the contract's totals (None:
    no entry yet): (turnover before, turnover after, income after), or Conflict."""
    if event.kind == "registration" and totals is not None:
        raise Conflict(_l("Contract %(id)s is already registered in the ledger.", id=event.contract_id))
    if event.kind != "registration":
        if totals is None:
            raise Conflict(_l("Contract %(id)s has no registration in the ledger yet.", id=event.contract_id))
        if totals.cancelled:
            raise Conflict(_l("Contract %(id)s was cancelled in the ledger.", id=event.contract_id))
    old_turnover = totals.turnover_fen if totals else 0
    old_income = totals.tech_income_fen if totals else 0
    new_turnover = old_turnover + event.turnover_delta_fen
    new_income = old_income + event.tech_income_delta_fen
    if new_turnover < 0 or new_income < 0:
        raise Conflict(
            _l(
                "Contract %(id)s's registered turnover or technology income would become negative.",
                id=event.contract_id,
            )
        )
    if new_income > new_turnover:
        raise Conflict(
            _l("Contract %(id)s's technology income would exceed its turnover.", id=event.contract_id)
        )
    if event.kind == "cancellation" and (new_turnover or new_income):
        raise Conflict(
            _l("A cancellation must bring contract %(id)s's turnover and income to 0.", id=event.contract_id)
        )
    return old_turnover, new_turnover, new_income


def _existing_entry(seq: int, event: LedgerEvent) -> LedgerEntry:
    """The entry already appended under the event's key, if it is the same event."""
    existing = db.session.get(LedgerEntry, seq)
    if _same_event(existing, event):
        return existing
    raise Conflict(
        _l("The event key %(key)s was already used for another ledger entry.", key=event.event_key)
    )


def _new_entry(event: LedgerEvent, actor: User) -> LedgerEntry:
    """The entry's fields that do not depend on the chain's head."""
    return LedgerEntry(
        kind=event.kind,
        contract_id=event.contract_id,
        registration_no=event.registration_no,
        turnover_delta_fen=event.turnover_delta_fen,
        tech_income_delta_fen=event.tech_income_delta_fen,
        effective_on=event.effective_on,
        regulator_id=actor.id,
        year=event.effective_on.year,
        seller_region=event.seller_region,
        seller_org_kind=event.seller_org_kind,
        industry=event.industry,
        category=event.category,
        event_key=event.event_key,
    )


def _link(
    entry: LedgerEntry, head: Any, recorded_at: datetime | None, old_turnover: int, new_turnover: int
) -> bytes:
    """Put the entry on the chain after ``head`` (seq, hash, recorded_at);
    returns its Merkle leaf hash."""
    now = recorded_at or utcnow()
    if head.recorded_at is not None and now < head.recorded_at:
        now = head.recorded_at  # the chain's times never go backwards
    entry.seq = head.seq + 1
    entry.recorded_at = now.astimezone(UTC)
    entry.contracts_delta = int(new_turnover > 0) - int(old_turnover > 0)
    entry.prev_hash = head.hash
    entry.hash, leaf = merkle.chain_hash_and_leaf(head.hash, entry_fields(entry))  # = chain.entry_hash
    return leaf


def append_entry(event: LedgerEvent, *, actor: User, recorded_at: datetime | None = None) -> LedgerEntry:
    """Append one entry for a registration, amendment or cancellation.

    In the caller's transaction: takes the ledger's lock, hashes the entry
    onto the chain, inserts it, updates the contract's totals and the
    summaries; never commits. The same ``event_key`` again returns
    the entry already appended and appends nothing (a different event under
    that key is a Conflict).

    Rules (Conflict when broken): a contract's first entry is its
    registration and it has only one; amendments and the cancellation come
    after it and nothing comes after the cancellation; a cancellation leaves
    turnover and income at 0; the totals never go negative and income never
    exceeds turnover. ``recorded_at`` (default: now) is for imports of
    historical registrations and the demo; entries are recorded in order, so
    a time before the last entry's is taken as that time.

    The lock is held until the caller's transaction ends, so everything that
    does not need the head (checks, permission, the entry's other fields,
    the caller's pending changes) happens before it is taken.
    """
    _validate_event(event)
    if not can_append(actor, event.seller_region):
        raise PermissionDenied(_l("Only the registration authority of the seller's region records this."))
    entry = _new_entry(event, actor)
    db.session.flush()  # the caller's pending changes, before the lock
    if _dialect() == "postgresql":
        return _append_postgres(entry, event, recorded_at)
    return _append_sqlite(entry, event, recorded_at)


def _append_sqlite(entry: LedgerEntry, event: LedgerEvent, recorded_at: datetime | None) -> LedgerEntry:
    session = db.session
    head = lock_head()
    # After the lock: an entry with this key, and the contract's totals.
    found = session.execute(
        select(
            select(_ENTRIES.c.seq).where(_ENTRIES.c.event_key == event.event_key).scalar_subquery(),
            _TOTALS.c.turnover_fen,
            _TOTALS.c.tech_income_fen,
            _TOTALS.c.cancelled,
        )
        .select_from(_HEAD.outerjoin(_TOTALS, _TOTALS.c.contract_id == event.contract_id))
        .where(_HEAD.c.id == 1)
    ).one()
    if found[0] is not None:
        return _existing_entry(found[0], event)
    old_turnover, new_turnover, new_income = _check_rules(
        event, found if found.turnover_fen is not None else None
    )
    leaf = _link(entry, head, recorded_at, old_turnover, new_turnover)
    tree_size, frontier, nodes = _tree_append(head.seq, head.tree_size, head.tree_frontier, leaf)
    session.add(entry)
    session.flush()
    session.execute(MerkleNode.__table__.insert(), merkle.node_rows(nodes))
    session.execute(
        update(_HEAD)
        .where(_HEAD.c.id == 1)
        .values(
            seq=entry.seq,
            hash=entry.hash,
            recorded_at=entry.recorded_at,
            tree_size=tree_size,
            tree_frontier=frontier,
        )
    )
    totals_stmt = _insert(_TOTALS).values(
        contract_id=event.contract_id,
        registration_no=event.registration_no,
        turnover_fen=new_turnover,
        tech_income_fen=new_income,
        entries=1,
        last_seq=entry.seq,
        cancelled=event.kind == "cancellation",
    )
    session.execute(
        totals_stmt.on_conflict_do_update(
            index_elements=["contract_id"],
            set_={
                "registration_no": totals_stmt.excluded.registration_no,
                "turnover_fen": totals_stmt.excluded.turnover_fen,
                "tech_income_fen": totals_stmt.excluded.tech_income_fen,
                "entries": _TOTALS.c.entries + 1,
                "last_seq": totals_stmt.excluded.last_seq,
                "cancelled": totals_stmt.excluded.cancelled,
            },
        )
    )
    _upsert_summary(entry)
    return entry


# PostgreSQL: two statements while the lock is held, sent straight through the
# session's own connection (its transaction), without SQLAlchemy's statement
# machinery. Lock order: the head row is the only lock an append takes; the
# contract's totals and the summary rows are written only by its holder.
#
# 1. Lock the head and, in the same round trip, read the entry under this
#    event key and the contract's totals. FOR UPDATE returns the newest head
#    (the one the appender before us committed), but the other two are read
#    in the statement's snapshot, taken before it waited for the lock, so they
#    may be older than the head: the write checks them.
_PG_LOCK = """
SELECT h.seq, h.hash, h.recorded_at, h.tree_size, h.tree_frontier,
       (SELECT e.seq FROM ledger_entries e WHERE e.event_key = %(event_key)s) AS found_seq,
       t.turnover_fen, t.tech_income_fen, t.cancelled, t.last_seq
FROM ledger_head h
LEFT JOIN ledger_contract_totals t ON t.contract_id = %(contract_id)s
WHERE h.id = 1
FOR UPDATE OF h
"""


# 2. Write the entry, the head, the totals and the four summary rows in one
#    statement, which sees everything committed before we got the lock. It
#    writes only if the key is still unused and the contract's totals are
#    still the ones the rules were checked against (their last_seq, 0 for
#    none); otherwise it writes nothing and returns 0, and the append reads
#    again (under the lock now, so nothing changes any more) and decides again.
_PG_WRITE = f"""
WITH ok AS (
  SELECT WHERE NOT EXISTS (SELECT FROM ledger_entries WHERE event_key = %(event_key)s)
    AND coalesce((SELECT last_seq FROM ledger_contract_totals WHERE contract_id = %(contract_id)s), 0)
        = %(totals_seq)s::bigint
), e AS (
  INSERT INTO ledger_entries ({", ".join(_ENTRY_COLUMNS)})
  SELECT %(seq)s::bigint, %(kind)s, %(contract_id)s::integer, %(registration_no)s,
    %(turnover_delta_fen)s::bigint, %(tech_income_delta_fen)s::bigint, %(contracts_delta)s::smallint,
    %(effective_on)s::date, %(recorded_at)s::timestamptz, %(regulator_id)s::integer, %(year)s::integer,
    %(seller_region)s, %(seller_org_kind)s, %(industry)s, %(category)s, %(event_key)s,
    %(prev_hash)s, %(hash)s
  FROM ok
), h AS (
  UPDATE ledger_head SET seq = %(seq)s, hash = %(hash)s, recorded_at = %(recorded_at)s,
    tree_size = %(tree_size)s, tree_frontier = %(tree_frontier)s
  WHERE id = 1 AND EXISTS (SELECT FROM ok)
), m AS (
  INSERT INTO ledger_merkle_nodes (level, idx, hash)
  SELECT v.level, v.idx, v.hash FROM ok, (VALUES {{nodes}}) AS v (level, idx, hash)
), t AS (
  INSERT INTO ledger_contract_totals
    (contract_id, registration_no, turnover_fen, tech_income_fen, entries, last_seq, cancelled)
  SELECT %(contract_id)s::integer, %(registration_no)s, %(new_turnover)s::bigint, %(new_income)s::bigint,
    1, %(seq)s::bigint, %(cancelled)s::boolean
  FROM ok
  ON CONFLICT (contract_id) DO UPDATE SET
    registration_no = EXCLUDED.registration_no, turnover_fen = EXCLUDED.turnover_fen,
    tech_income_fen = EXCLUDED.tech_income_fen, entries = ledger_contract_totals.entries + 1,
    last_seq = EXCLUDED.last_seq, cancelled = EXCLUDED.cancelled
), s AS (
  INSERT INTO ledger_summary
    (dim, period, year, seller_region, key, turnover_fen, tech_income_fen, contracts, entries)
  SELECT v.dim, %(period)s::date, %(year)s::integer, %(seller_region)s, v.key,
    %(turnover_delta_fen)s::bigint, %(tech_income_delta_fen)s::bigint, %(contracts_delta)s::integer, 1
  FROM ok, (VALUES ('all', ''), ('industry', %(industry)s), ('org_kind', %(seller_org_kind)s),
                   ('category', %(category)s)) AS v (dim, key)
  ON CONFLICT (dim, period, year, seller_region, key) DO UPDATE SET
    turnover_fen = ledger_summary.turnover_fen + EXCLUDED.turnover_fen,
    tech_income_fen = ledger_summary.tech_income_fen + EXCLUDED.tech_income_fen,
    contracts = ledger_summary.contracts + EXCLUDED.contracts,
    entries = ledger_summary.entries + EXCLUDED.entries
)
SELECT count(*) FROM ok
"""


@functools.cache
def _pg_write(nodes: int) -> str:
    """_PG_WRITE storing ``nodes`` Merkle nodes (the leaf and the subtrees it
    completes: 1 to 64), as scalar parameters (cheaper to send than arrays)."""
    rows = ", ".join(f"(%(n{i}_l)s::smallint, %(n{i}_i)s::bigint, %(n{i}_h)s::bytea)" for i in range(nodes))
    return _PG_WRITE.replace("{nodes}", rows)


# The fields an entry gets from the head it is chained onto.
_LINKED = ("seq", "recorded_at", "contracts_delta", "prev_hash", "hash")


class _Head(NamedTuple):
    seq: int
    hash: str
    recorded_at: datetime | None


class _Totals(NamedTuple):
    turnover_fen: int
    tech_income_fen: int
    cancelled: bool


def _append_postgres(entry: LedgerEntry, event: LedgerEvent, recorded_at: datetime | None) -> LedgerEntry:
    session = db.session
    conn = session.connection().connection.driver_connection  # the session's transaction
    params: dict[str, Any] = {name: getattr(entry, name) for name in _ENTRY_COLUMNS if name not in _LINKED}
    params["cancelled"] = event.kind == "cancellation"
    for _attempt in range(3):
        row = conn.execute(_PG_LOCK, params).fetchone()
        if row is None:  # a schema created without the head row
            conn.execute(
                "INSERT INTO ledger_head (id, seq, hash) VALUES (1, 0, %s) ON CONFLICT DO NOTHING",
                (GENESIS_HASH,),
            )
            continue
        head_seq, head_hash, head_at, tree_size, tree_frontier, found_seq, turnover, income, cancelled, totals_seq = row  # fmt: skip
        if found_seq is not None:  # entries are never removed: an older snapshot is enough
            return _existing_entry(found_seq, event)
        if tree_size != head_seq:  # entries loaded without the tree: extend it, under the lock
            merkle.catch_up(session)
            continue
        totals = None if turnover is None else _Totals(turnover, income, cancelled)
        old_turnover, new_turnover, new_income = _check_rules(event, totals)
        leaf = _link(entry, _Head(head_seq, head_hash, head_at), recorded_at, old_turnover, new_turnover)
        params.update({name: getattr(entry, name) for name in _LINKED})
        params["tree_size"], params["tree_frontier"], nodes = _tree_append(
            head_seq, tree_size, tree_frontier, leaf
        )
        for i, (level, index, node) in enumerate(nodes):
            params[f"n{i}_l"], params[f"n{i}_i"], params[f"n{i}_h"] = level, index, node
        params.update(
            totals_seq=totals_seq or 0,
            new_turnover=new_turnover,
            new_income=new_income,
            period=period_of(entry.recorded_at),
        )
        # Prepared at its first use: each node count has its own text (up to log2 n of them).
        if conn.execute(_pg_write(len(nodes)), params, prepare=True).fetchone()[0]:
            make_transient_to_detached(entry)  # joins the session as already stored
            session.add(entry)
            return entry
    raise RuntimeError("the ledger's head or a contract's totals changed under the ledger's lock")


def _tree_append(
    head_seq: int, tree_size: int, packed: bytes | None, leaf: bytes
) -> tuple[int, bytes, list[tuple[int, int, bytes]]]:
    """The Merkle tree with the entry as its next leaf: (size, frontier, nodes to store)."""
    if tree_size != head_seq:
        merkle.catch_up(db.session)  # entries loaded without the tree (SQLite; PostgreSQL reads again)
        tree_size, packed = db.session.execute(
            select(_HEAD.c.tree_size, _HEAD.c.tree_frontier).where(_HEAD.c.id == 1)
        ).one()
    frontier = merkle.unpack_frontier(packed, tree_size)
    nodes = merkle.extend_frontier(frontier, tree_size, leaf)
    return tree_size + 1, merkle.pack_frontier(frontier), nodes


def contract_totals(contract_id: int) -> tuple[int, int]:
    """A contract's registered turnover and technology income in fen: the
    sums of its entries' deltas ((0, 0) when it has none)."""
    row = db.session.execute(
        select(ContractTotal.turnover_fen, ContractTotal.tech_income_fen).where(
            ContractTotal.contract_id == contract_id
        )
    ).first()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def ledger_head() -> tuple[int, str, datetime | None]:
    """(last sequence number, its hash, when it was recorded); (0, genesis, None) when empty."""
    head = db.session.execute(
        select(_HEAD.c.seq, _HEAD.c.hash, _HEAD.c.recorded_at).where(_HEAD.c.id == 1)
    ).first()
    if head is None:
        return 0, GENESIS_HASH, None
    return int(head.seq), head.hash, head.recorded_at
