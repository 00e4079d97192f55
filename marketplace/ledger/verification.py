"""Verifying the stored ledger: the hash chain read back from the database in
batches and checked, and the summaries and contract totals checked against the
entries they are made from."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal, select

from ..extensions import db
from .append import SUMMARY_DIMS, entry_fields, ledger_head
from .chain import VerifyResult, verify_chain
from .models import ContractTotal, LedgerEntry, LedgerSummary

_ENTRIES = LedgerEntry.__table__
_SUMMARY = LedgerSummary.__table__
_TOTALS = ContractTotal.__table__
REASON_HEAD = "head_mismatch"


@dataclass
class LedgerCheck:
    ok: bool
    entries: int
    head: str
    first_bad_seq: int | None = None
    reason: str | None = None
    message: Any = None


def chain_rows(
    *, after_seq: int = 0, until_seq: int | None = None, batch: int = 10_000, session: Any = None
) -> Iterator[tuple[int, str, str, dict[str, Any]]]:
    """(seq, prev_hash, hash, fields) of the entries after ``after_seq`` (up
    to ``until_seq``), in order, streamed (on PostgreSQL by COPY: the
    connection runs nothing else until the rows are read)."""
    session = session or db.session
    c = _ENTRIES.c
    stmt = (
        select(
            c.seq,
            c.kind,
            c.contract_id,
            c.registration_no,
            c.turnover_delta_fen,
            c.tech_income_delta_fen,
            c.contracts_delta,
            c.effective_on,
            c.recorded_at,
            c.regulator_id,
            c.event_key,
            c.year,
            c.seller_region,
            c.seller_org_kind,
            c.industry,
            c.category,
            c.prev_hash,
            c.hash,
        )
        .where(c.seq > after_seq)
        .order_by(c.seq)
    )
    if until_seq is not None:
        stmt = stmt.where(c.seq <= until_seq)
    if session.get_bind().dialect.name == "postgresql":
        until = "" if until_seq is None else f" AND seq <= {int(until_seq):d}"
        yield from _chain_rows_postgres(int(after_seq), until, session)
        return
    result = session.execute(stmt.execution_options(yield_per=batch))
    try:
        for row in result:
            yield row.seq, row.prev_hash, row.hash, entry_fields(row)
    finally:
        result.close()  # also when verification stops at a broken entry


# PostgreSQL writes the dates and times in their canonical text itself, so
# the rows arrive as plain strings and integers (the canonical form of a
# string is the string: the hashes are the same), streamed with COPY and
# typed by the driver: several times faster than a cursor over a million entries.
_PG_CHAIN_COPY = """
COPY (SELECT seq, kind, contract_id, registration_no, turnover_delta_fen, tech_income_delta_fen,
       contracts_delta, to_char(effective_on, 'YYYY-MM-DD'),
       to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       regulator_id, event_key, year, seller_region, seller_org_kind, industry, category,
       prev_hash, hash
FROM ledger_entries WHERE seq > {after_seq:d}{until} ORDER BY seq) TO STDOUT
"""


_PG_CHAIN_TYPES = [
    "int8", "text", "int4", "text", "int8", "int8", "int2", "text", "text", "int4", "text", "int4",
    "text", "text", "text", "text", "text", "text",
]  # fmt: skip


def _chain_rows_postgres(
    after_seq: int, until: str, session: Any
) -> Iterator[tuple[int, str, str, dict[str, Any]]]:
    driver = session.connection().connection.driver_connection
    with driver.cursor() as cur, cur.copy(_PG_CHAIN_COPY.format(after_seq=after_seq, until=until)) as copy:
        copy.set_types(_PG_CHAIN_TYPES)
        rows = copy.rows()
        try:
            for (seq, kind, contract_id, regno, turnover, income, contracts, effective_on, recorded_at,
                 regulator_id, event_key, year, region, org_kind, industry, category, prev, own) in rows:  # fmt: skip
                yield (
                    seq,
                    prev,
                    own,
                    {
                        "seq": seq,
                        "kind": kind,
                        "contract_id": contract_id,
                        "registration_no": regno,
                        "turnover_delta_fen": turnover,
                        "tech_income_delta_fen": income,
                        "contracts_delta": contracts,
                        "effective_on": effective_on,
                        "recorded_at": recorded_at,
                        "regulator_id": regulator_id,
                        "event_key": event_key,
                        "dims": {
                            "year": year,
                            "seller_region": region,
                            "seller_org_kind": org_kind,
                            "industry": industry,
                            "category": category,
                        },
                    },
                )
        finally:
            for _row in rows:  # verification stopped early: finish the COPY so the connection stays usable
                pass


def verify_ledger(*, batch: int = 10_000) -> LedgerCheck:
    """Recompute the chain from the first entry to the last (streaming), and
    check that the head row names the last entry (so entries removed from
    the end are noticed too)."""
    with closing(chain_rows(batch=batch)) as rows:
        result: VerifyResult = verify_chain(rows)
    if not result.ok:
        return LedgerCheck(
            False, result.entries, result.head, result.first_bad_seq, result.reason, result.message
        )
    head_seq, head_hash, _at = ledger_head()
    last_seq = db.session.scalar(select(func.max(LedgerEntry.seq))) or 0
    if head_hash != result.head or head_seq != last_seq:
        return LedgerCheck(
            False,
            result.entries,
            result.head,
            head_seq,
            REASON_HEAD,
            _l(
                "The ledger's head names entry %(seq)s, but the chain ends at entry %(last)s: "
                "entries at the end were removed or the head was changed.",
                seq=head_seq,
                last=last_seq,
            ),
        )
    return LedgerCheck(True, result.entries, result.head)


def summaries_match_entries() -> bool:
    """Whether the summary table and the contract totals equal plain sums over the entries."""
    e = _ENTRIES.c
    sums = (
        func.sum(e.turnover_delta_fen),
        func.sum(e.tech_income_delta_fen),
        func.sum(e.contracts_delta),
        func.count(),
    )
    raw: dict[tuple, tuple] = {}
    for dim, column in (("all", None), *SUMMARY_DIMS.items()):
        key_col = e[column] if column else literal("")
        stmt = select(e.year, e.seller_region, key_col, *sums).group_by(e.year, e.seller_region, key_col)
        for row in db.session.execute(stmt):
            raw[(dim, row[0], row[1], row[2])] = tuple(int(x) for x in row[3:])
    c = _SUMMARY.c
    kept = {
        (row[0], row[1], row[2], row[3]): tuple(int(x) for x in row[4:])
        for row in db.session.execute(
            select(
                c.dim, c.year, c.seller_region, c.key,
                func.sum(c.turnover_fen), func.sum(c.tech_income_fen), func.sum(c.contracts), func.sum(c.entries),
            ).group_by(c.dim, c.year, c.seller_region, c.key)
        )
    }  # fmt: skip
    if raw != kept:
        return False
    per_contract = {
        r[0]: (int(r[1]), int(r[2]))
        for r in db.session.execute(
            select(e.contract_id, func.sum(e.turnover_delta_fen), func.sum(e.tech_income_delta_fen)).group_by(
                e.contract_id
            )
        )
    }
    totals = {
        r.contract_id: (r.turnover_fen, r.tech_income_fen)
        for r in db.session.execute(
            select(_TOTALS.c.contract_id, _TOTALS.c.turnover_fen, _TOTALS.c.tech_income_fen)
        )
    }
    return per_contract == totals
