"""the ledger's Merkle tree and signed checkpoints

Revision ID: 0012_ledger_merkle
Revises: 0011_shared_state
Create Date: 2026-12-01 11:40:00

Adds the tree's size and frontier to the head row, the stored subtree roots
(ledger_merkle_nodes) and the signed checkpoints (ledger_checkpoints), both
append-only like ledger_entries, and builds the tree over the entries
already in the ledger (RFC 6962: leaf SHA-256(0x00 || canonical entry),
node SHA-256(0x01 || left || right)). The canonical form and the trigger
statements are copied here (not imported) so this revision does not change
when the code does.
"""
import hashlib
import json
from datetime import timezone

from alembic import op
import sqlalchemy as sa

APPEND_ONLY_TABLES = ("ledger_merkle_nodes", "ledger_checkpoints")
WINDOW = 10000  # entries read at a time


def _create_guards():
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY_TABLES:
        if dialect == "postgresql":
            # refuse_change_append_only() comes with 0003_ledger.
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_change_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_append_only()"
            )
        elif dialect == "sqlite":
            op.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE is not allowed'); END"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE is not allowed'); END"
            )


def _drop_guards():
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY_TABLES:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        elif dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")


def _canonical(row) -> bytes:
    recorded = row.recorded_at
    if recorded.tzinfo is not None:
        recorded = recorded.astimezone(timezone.utc).replace(tzinfo=None)
    fields = {
        "seq": row.seq, "kind": row.kind, "contract_id": row.contract_id,
        "registration_no": row.registration_no, "turnover_delta_fen": row.turnover_delta_fen,
        "tech_income_delta_fen": row.tech_income_delta_fen, "contracts_delta": row.contracts_delta,
        "effective_on": row.effective_on.isoformat(),
        "recorded_at": recorded.isoformat(timespec="microseconds") + "Z",
        "regulator_id": row.regulator_id, "event_key": row.event_key,
        "dims": {"year": row.year, "seller_region": row.seller_region, "seller_org_kind": row.seller_org_kind,
                 "industry": row.industry, "category": row.category},
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _build_tree():
    """The tree over the entries already there, streamed in order."""
    bind = op.get_bind()
    entries = sa.table(
        "ledger_entries",
        *(sa.column(n, t) for n, t in (
            ("seq", sa.BigInteger()), ("kind", sa.String()), ("contract_id", sa.Integer()),
            ("registration_no", sa.String()), ("turnover_delta_fen", sa.BigInteger()),
            ("tech_income_delta_fen", sa.BigInteger()), ("contracts_delta", sa.Integer()),
            ("effective_on", sa.Date()), ("recorded_at", sa.DateTime(timezone=True)),
            ("regulator_id", sa.Integer()), ("event_key", sa.String()), ("year", sa.Integer()),
            ("seller_region", sa.String()), ("seller_org_kind", sa.String()), ("industry", sa.String()),
            ("category", sa.String()),
        )),
    )
    nodes = sa.table(
        "ledger_merkle_nodes", sa.column("level", sa.SmallInteger()), sa.column("idx", sa.BigInteger()),
        sa.column("hash", sa.LargeBinary()),
    )
    frontier, size = [], 0
    while True:  # windows read whole before their nodes are written
        window = bind.execute(
            sa.select(entries).where(entries.c.seq > size).order_by(entries.c.seq).limit(WINDOW)
        ).fetchall()
        if not window:
            break
        pending = []
        for row in window:
            if row.seq != size + 1:
                raise RuntimeError(f"entry {row.seq} follows entry {size}: sequence numbers have a gap")
            node = hashlib.sha256(b"\x00" + _canonical(row)).digest()
            pending.append({"level": 0, "idx": size, "hash": node})
            level, index = 0, size
            while index & 1:
                node = hashlib.sha256(b"\x01" + frontier.pop() + node).digest()
                level, index = level + 1, index >> 1
                pending.append({"level": level, "idx": index, "hash": node})
            frontier.append(node)
            size += 1
        bind.execute(nodes.insert(), pending)
    if size:
        head = sa.table(
            "ledger_head", sa.column("id", sa.Integer()), sa.column("tree_size", sa.BigInteger()),
            sa.column("tree_frontier", sa.LargeBinary()),
        )
        bind.execute(
            head.update().where(head.c.id == 1).values(tree_size=size, tree_frontier=b"".join(frontier))
        )


# revision identifiers, used by Alembic.
revision = '0012_ledger_merkle'
down_revision = '0011_shared_state'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ledger_merkle_nodes',
    sa.Column('level', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.LargeBinary(), nullable=False),
    sa.CheckConstraint('idx >= 0', name=op.f('ck_ledger_merkle_nodes_idx')),
    sa.CheckConstraint('length(hash) = 32', name=op.f('ck_ledger_merkle_nodes_hash_length')),
    sa.CheckConstraint('level BETWEEN 0 AND 62', name=op.f('ck_ledger_merkle_nodes_level')),
    sa.PrimaryKeyConstraint('level', 'idx', name=op.f('pk_ledger_merkle_nodes'))
    )
    op.create_table('ledger_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=100), nullable=False),
    sa.Column('tree_size', sa.BigInteger(), nullable=False),
    sa.Column('root_hash', sa.String(length=64), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.CheckConstraint('length(root_hash) = 64', name=op.f('ck_ledger_checkpoints_root_hash_length')),
    sa.CheckConstraint('length(signature) = 128', name=op.f('ck_ledger_checkpoints_signature_length')),
    sa.CheckConstraint('tree_size >= 0', name=op.f('ck_ledger_checkpoints_tree_size')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_checkpoints'))
    )
    with op.batch_alter_table('ledger_checkpoints', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_checkpoints_tree_size', ['tree_size'], unique=False)
    with op.batch_alter_table('ledger_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tree_size', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('tree_frontier', sa.LargeBinary(), nullable=True))
    _create_guards()
    _build_tree()


def downgrade():
    _drop_guards()
    with op.batch_alter_table('ledger_head', schema=None) as batch_op:
        batch_op.drop_column('tree_frontier')
        batch_op.drop_column('tree_size')
    with op.batch_alter_table('ledger_checkpoints', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_checkpoints_tree_size')
    op.drop_table('ledger_checkpoints')
    op.drop_table('ledger_merkle_nodes')
