"""`flask ledger verify --since-checkpoint`: what is new since the latest signed checkpoint."""

from __future__ import annotations

from sqlalchemy import text

from marketplace.ledger import checkpoints, services
from marketplace.ledger.incremental import frontier_at, verify_since_checkpoint
from marketplace.ledger.merkle import frontier_root

from ..conftest import ON_POSTGRES
from ..factories import LedgerEventFactory, user_with_role
from .test_transparency import _rewrite_keeping_the_chain_valid


def _more_entries(ledger, n: int) -> None:
    for _ in range(n):
        services.append_entry(LedgerEventFactory(seller_region="230100"), actor=ledger["regulator"])


def test_the_frontier_read_from_the_stored_nodes_gives_each_checkpoints_root(db, ledger, in_request):
    for cp in (ledger["first"], ledger["second"]):
        assert frontier_root(frontier_at(cp.tree_size)).hex() == cp.root_hash


def test_new_entries_after_the_checkpoint_verify(app, db, ledger, in_request):
    _more_entries(ledger, 5)
    check = verify_since_checkpoint()
    assert check.ok, check.message
    assert (check.checkpoint_id, check.signed_size, check.new_entries, check.tree_size) == (
        ledger["second"].id,
        7,
        5,
        12,
    )
    result = app.test_cli_runner().invoke(args=["ledger", "verify", "--since-checkpoint"])
    assert result.exit_code == 0, result.output
    assert "5 entries after checkpoint" in result.output


def _unguard(db, table: str) -> None:
    """Lift a table's append-only guard, as someone with the database's superuser could."""
    if ON_POSTGRES:
        db.session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    else:
        db.session.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_update"))
        db.session.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_delete"))


def test_without_a_checkpoint_it_says_to_walk_it_all(db, key_file, in_request):
    regulator = user_with_role("regulator")
    services.append_entry(LedgerEventFactory(), actor=regulator)
    check = verify_since_checkpoint()
    assert not check.ok and check.reason == "no_checkpoint"
    assert verify_since_checkpoint().message is not None


def test_no_new_entry_since_the_checkpoint_is_fine(db, ledger, in_request):
    check = verify_since_checkpoint()
    assert check.ok and check.new_entries == 0 and check.tree_size == 7


def test_a_changed_new_entry_is_found(app, db, ledger, in_request):
    _more_entries(ledger, 3)
    _unguard(db, "ledger_entries")
    db.session.execute(
        text("UPDATE ledger_entries SET turnover_delta_fen = turnover_delta_fen + 1 WHERE seq = 9")
    )
    db.session.expire_all()
    check = verify_since_checkpoint()
    assert not check.ok and check.reason == "chain" and check.first_bad_seq == 9
    result = app.test_cli_runner().invoke(args=["ledger", "verify", "--since-checkpoint"])
    assert result.exit_code == 1 and "BROKEN at entry 9" in result.output


def test_a_rewrite_of_an_unsigned_entry_that_rebuilds_everything_is_for_the_next_checkpoint(
    db, ledger, in_request
):
    _more_entries(ledger, 3)
    # Every later hash recomputed and the stored tree rebuilt: nothing signed covers entry 9
    # yet, so the quick check holds, as the full walk does; the next checkpoint signs it.
    _rewrite_keeping_the_chain_valid(db, 9)
    assert services.verify_ledger().ok
    assert verify_since_checkpoint().ok


def test_a_rewrite_of_a_signed_entry_that_rebuilds_the_tree_is_found(db, ledger, in_request):
    _more_entries(ledger, 3)
    _rewrite_keeping_the_chain_valid(db, 6)  # covered by the checkpoint of size 7
    assert services.verify_ledger().ok  # the chain alone does not notice
    check = verify_since_checkpoint()
    assert not check.ok and check.reason == "signed_root"


def test_a_changed_stored_node_of_the_new_part_is_found(db, ledger, in_request):
    _more_entries(ledger, 3)
    _unguard(db, "ledger_merkle_nodes")
    db.session.execute(
        text("UPDATE ledger_merkle_nodes SET hash = :h WHERE level = 0 AND idx = 8"), {"h": b"x" * 32}
    )
    db.session.execute(text("UPDATE ledger_head SET tree_frontier = NULL, tree_size = 0"))
    db.session.expire_all()
    check = verify_since_checkpoint()
    assert not check.ok and check.reason == "tree"


def test_a_removed_last_entry_is_found(db, ledger, in_request):
    _more_entries(ledger, 2)
    _unguard(db, "ledger_entries")
    db.session.execute(text("DELETE FROM ledger_entries WHERE seq = 9"))
    db.session.expire_all()
    check = verify_since_checkpoint()
    assert not check.ok and check.reason in ("tree", "head")


def test_a_checkpoint_whose_root_was_changed_fails_its_signature(db, ledger, in_request):
    _unguard(db, "ledger_checkpoints")
    cp = checkpoints.latest_checkpoint()
    db.session.execute(
        text("UPDATE ledger_checkpoints SET root_hash = :r WHERE id = :i"), {"r": "0" * 64, "i": cp.id}
    )
    db.session.expire_all()
    check = verify_since_checkpoint()
    assert not check.ok and check.reason == "signature"
