"""The turnover ledger: append-only entries in a hash chain, the head of the
chain (the lock appends take), and summaries maintained in the same
transaction as each append; the plan targets' entered values.

`ledger_entries`, `plan_target_values`, `ledger_merkle_nodes` and
`ledger_checkpoints` refuse UPDATE and DELETE in the
database itself (triggers on PostgreSQL and SQLite), created both by the
migration and by `create_all` (the DDL events at the end of this module).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    DDL,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.timeutil import utcnow
from ..core.types import UTCDateTime
from ..extensions import db
from .catalog import CATEGORIES, ENTERED_TARGET_CODES, ENTRY_KINDS, SELLER_REGIONS

_kinds = ", ".join(f"'{k}'" for k in ENTRY_KINDS)
_categories = ", ".join(f"'{c}'" for c in CATEGORIES)
_regions = ", ".join(f"'{r}'" for r in SELLER_REGIONS)
_targets = ", ".join(f"'{t}'" for t in ENTERED_TARGET_CODES)


class LedgerEntry(db.Model):
    """One registration, amendment or cancellation; never changed."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_kinds})", name="kind"),
        CheckConstraint(f"category IN ({_categories})", name="category"),
        CheckConstraint(f"seller_region IN ({_regions})", name="seller_region"),
        CheckConstraint("contracts_delta IN (-1, 0, 1)", name="contracts_delta"),
        CheckConstraint("seq >= 1", name="seq"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year"),
        CheckConstraint("length(hash) = 64 AND length(prev_hash) = 64", name="hash_length"),
        Index("ix_ledger_entries_year_region", "year", "seller_region"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    # The contracts table does not exist yet: the foreign key comes with it.
    contract_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    registration_no: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    turnover_delta_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    tech_income_delta_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # +1 when this entry makes the contract's turnover positive, -1 when it
    # brings it back to 0: summing it counts contracts with positive turnover.
    contracts_delta: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=0)
    effective_on: Mapped[date] = mapped_column(Date, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    regulator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    # The dimensions at that moment.
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    seller_region: Mapped[str] = mapped_column(String(6), nullable=False)
    seller_org_kind: Mapped[str] = mapped_column(String(32), nullable=False)
    industry: Mapped[str] = mapped_column(String(32), nullable=False)
    category: Mapped[str] = mapped_column(String(40), nullable=False)
    event_key: Mapped[str] = mapped_column(String(128), nullable=False, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)

    regulator = relationship("User", lazy="select")

    def __repr__(self) -> str:
        return f"<LedgerEntry {self.seq} {self.kind} contract={self.contract_id}>"


class LedgerHead(db.Model):
    """The single row naming the chain's last entry. Appends lock it, so the
    chain never forks; verify checks it against the last entry, so removing
    entries from the end is noticed too."""

    __tablename__ = "ledger_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The Merkle tree over the entries (merkle.py): its size and the roots of
    # the perfect subtrees it is made of, largest first (32 bytes each).
    tree_size: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0, server_default="0")
    tree_frontier: Mapped[bytes | None] = mapped_column(LargeBinary)


class MerkleNode(db.Model):
    """The root of one perfect subtree of the Merkle tree: level 0 holds the
    leaf hashes, level k the subtree of leaves [idx * 2**k, (idx + 1) * 2**k).
    Stored once, when its last leaf is appended; never changed."""

    __tablename__ = "ledger_merkle_nodes"
    __table_args__ = (
        CheckConstraint("level BETWEEN 0 AND 62", name="level"),
        CheckConstraint("idx >= 0", name="idx"),
        CheckConstraint("length(hash) = 32", name="hash_length"),
    )

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class LedgerCheckpoint(db.Model):
    """A signed statement of the tree's size and root at a moment
    (checkpoints.py). Append-only; the private key is never in the database,
    the public key that verifies the signature is kept with each one."""

    __tablename__ = "ledger_checkpoints"
    __table_args__ = (
        CheckConstraint("tree_size >= 0", name="tree_size"),
        CheckConstraint("length(root_hash) = 64", name="root_hash_length"),
        CheckConstraint("length(signature) = 128", name="signature_length"),
        Index("ix_ledger_checkpoints_tree_size", "tree_size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[str] = mapped_column(String(100), nullable=False)
    tree_size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    root_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    key_id: Mapped[str] = mapped_column(String(16), nullable=False)
    public_key: Mapped[str] = mapped_column(String(64), nullable=False)  # raw Ed25519 key, hex
    signature: Mapped[str] = mapped_column(String(128), nullable=False)  # Ed25519 signature, hex


class ContractTotal(db.Model):
    """A contract's registered turnover and income: the sums of its entries'
    deltas, kept with every append. The checks make a negative total, or
    income above turnover, impossible in the database too."""

    __tablename__ = "ledger_contract_totals"
    __table_args__ = (
        CheckConstraint("turnover_fen >= 0", name="turnover_not_negative"),
        CheckConstraint("tech_income_fen >= 0", name="income_not_negative"),
        CheckConstraint("tech_income_fen <= turnover_fen", name="income_within_turnover"),
    )

    contract_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    registration_no: Mapped[str] = mapped_column(String(16), nullable=False)
    turnover_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    tech_income_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    entries: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    cancelled: Mapped[bool] = mapped_column(db.Boolean, nullable=False, default=False)


class LedgerSummary(db.Model):
    """Sums of the entries per month they were recorded in (Asia/Shanghai),
    report year and seller region, and per value of one more dimension:
    ``dim`` "all" (key "") carries the totals, "industry", "org_kind" and
    "category" carry one row per value. Every append adds to four rows in
    the same transaction. Reports add up these rows instead of the entries;
    "as of" a moment adds the months before and the entries of that month up
    to the moment. A plain GROUP BY over the entries gives the same figures
    (tests and the benchmark check it)."""

    __tablename__ = "ledger_summary"
    __table_args__ = (CheckConstraint("dim IN ('all', 'industry', 'org_kind', 'category')", name="dim"),)

    dim: Mapped[str] = mapped_column(String(10), primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True)  # first day of the month
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seller_region: Mapped[str] = mapped_column(String(6), primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    turnover_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    tech_income_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    contracts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    entries: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class TargetValue(db.Model):
    """A value of a plan target the platform cannot count itself, entered by
    the provincial regulator with the date it refers to and its source.
    Append-only: the latest entered value is the current one."""

    __tablename__ = "plan_target_values"
    __table_args__ = (
        CheckConstraint(f"target IN ({_targets})", name="target"),
        CheckConstraint("value >= 0", name="value_not_negative"),
        Index("ix_plan_target_values_target_recorded", "target", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String(40), nullable=False)
    value: Mapped[int] = mapped_column(BigInteger, nullable=False)  # count, or basis points
    measured_on: Mapped[date] = mapped_column(Date, nullable=False)
    source: Mapped[str] = mapped_column(String(300), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)

    recorded_by = relationship("User", lazy="joined")


# --- Append-only in the database ---------------------------------------------

APPEND_ONLY_TABLES = ("ledger_entries", "plan_target_values", "ledger_merkle_nodes", "ledger_checkpoints")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION refuse_change_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def pg_trigger_ddl(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION refuse_change_append_only()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_append_only()",
    ]


def sqlite_trigger_ddl(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE is not allowed'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE is not allowed'); END",
    ]


HEAD_ROW_SQL = (
    "INSERT INTO ledger_head (id, seq, hash, recorded_at) VALUES "
    "(1, 0, '0000000000000000000000000000000000000000000000000000000000000000', NULL)"
)


def _install_triggers(table) -> None:
    name = table.name
    # DDL() formats its text with %: the function's own % placeholders are doubled.
    function = DDL(PG_FUNCTION.replace("%", "%%"))
    event.listen(table, "after_create", function.execute_if(dialect="postgresql"))
    for statement in pg_trigger_ddl(name):
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="postgresql"))
    for statement in sqlite_trigger_ddl(name):
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="sqlite"))


_install_triggers(LedgerEntry.__table__)
_install_triggers(TargetValue.__table__)
_install_triggers(MerkleNode.__table__)
_install_triggers(LedgerCheckpoint.__table__)
event.listen(LedgerHead.__table__, "after_create", DDL(HEAD_ROW_SQL))
