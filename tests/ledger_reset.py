"""Empty the turnover ledger that a committed PostgreSQL test filled.

The append-only triggers are lifted for this only, inside one transaction."""

from __future__ import annotations

from sqlalchemy import Connection, text

from marketplace.ledger.chain import GENESIS_HASH


def reset_ledger(conn: Connection) -> None:
    for table in ("ledger_entries", "ledger_merkle_nodes"):
        conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"))
        conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only"))
    conn.execute(text("DELETE FROM ledger_summary"))
    conn.execute(text("DELETE FROM ledger_contract_totals"))
    conn.execute(
        text(
            "UPDATE ledger_head SET seq = 0, hash = :genesis, recorded_at = NULL, tree_size = 0, "
            "tree_frontier = NULL WHERE id = 1"
        ),
        {"genesis": GENESIS_HASH},
    )
