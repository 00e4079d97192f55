"""The ledger's Merkle tree: RFC 6962 test vectors, proofs, the stored tree
kept by appends, catching up after a bulk load, the migration's backfill."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, text

from marketplace.ledger import merkle, services
from marketplace.ledger.models import MerkleNode

from ..conftest import ON_POSTGRES
from ..factories import LedgerEventFactory, user_with_role

# The test leaves of RFC 6962's reference implementation (certificate-transparency
# merkle_test) and Trillian's, and the well-known roots of their first 1..8.
RFC_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
RFC_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index, tree size, audit path) and (old size, new size, proof) from the same tests.
RFC_INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
RFC_CONSISTENCY = [
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip


def _memory_tree(leaves: list[bytes]):
    state, store, roots = merkle.TreeState(), {}, [merkle.EMPTY_ROOT]
    for leaf in leaves:
        for level, index, h in state.append(leaf):
            store[(level, index)] = h
        roots.append(state.root())
    return (lambda level, index: store[(level, index)]), roots


def test_rfc6962_roots() -> None:
    _node, roots = _memory_tree([merkle.leaf_hash(d) for d in RFC_LEAVES])
    assert [r.hex() for r in roots[1:]] == RFC_ROOTS
    assert roots[0].hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize(("index", "size", "path"), RFC_INCLUSION)
def test_rfc6962_inclusion_proofs(index: int, size: int, path: list[str]) -> None:
    leaves = [merkle.leaf_hash(d) for d in RFC_LEAVES]
    node, roots = _memory_tree(leaves)
    assert [h.hex() for h in merkle.inclusion_path(node, index, size)] == path
    proof = [bytes.fromhex(h) for h in path]
    assert merkle.verify_inclusion(leaves[index], index, size, proof, roots[size])
    assert not merkle.verify_inclusion(leaves[index], index, size, proof, roots[size - 1])
    assert not merkle.verify_inclusion(leaves[index - 1 if index else 1], index, size, proof, roots[size])


@pytest.mark.parametrize(("old", "new", "path"), RFC_CONSISTENCY)
def test_rfc6962_consistency_proofs(old: int, new: int, path: list[str]) -> None:
    node, roots = _memory_tree([merkle.leaf_hash(d) for d in RFC_LEAVES])
    assert [h.hex() for h in merkle.consistency_path(node, old, new)] == path
    proof = [bytes.fromhex(h) for h in path]
    assert merkle.verify_consistency(old, new, roots[old], roots[new], proof)
    assert not merkle.verify_consistency(old, new, roots[old - 1] if old > 1 else roots[2], roots[new], proof)
    assert not merkle.verify_consistency(old, new, roots[old], roots[new], proof[:-1])


def test_every_proof_of_every_small_tree_verifies_and_a_wrong_root_does_not() -> None:
    rng = random.Random(6962)
    leaves = [merkle.leaf_hash(rng.randbytes(8)) for _ in range(70)]
    node, roots = _memory_tree(leaves)
    for size in range(1, len(leaves) + 1):
        assert merkle.subtree_root(node, 0, size) == roots[size]
        for index in range(size):
            path = merkle.inclusion_path(node, index, size)
            assert merkle.verify_inclusion(leaves[index], index, size, path, roots[size])
            if path:
                bent = [merkle.node_hash(path[0], path[0]), *path[1:]]
                assert not merkle.verify_inclusion(leaves[index], index, size, bent, roots[size])
        for old in range(size + 1):
            proof = merkle.consistency_path(node, old, size)
            assert merkle.verify_consistency(old, size, roots[old], roots[size], proof)
            if 0 < old < size:
                assert not merkle.verify_consistency(old, size, leaves[-1], roots[size], proof)


def _append(n: int):
    regulator = user_with_role("regulator")
    return [services.append_entry(LedgerEventFactory(), actor=regulator) for _ in range(n)]


@pytest.mark.usefixtures("in_request")
def test_appends_keep_the_stored_tree_equal_to_the_tree_of_the_entries(db) -> None:
    entries = _append(13)
    leaves = [merkle.entry_leaf_hash(services.entry_fields(e)) for e in entries]
    _node, roots = _memory_tree(leaves)
    size, frontier = merkle.tree_head()
    assert size == 13 and merkle.frontier_root(frontier) == roots[13]
    # 13 leaves + 6 + 3 + 1 complete subtrees above them
    assert db.session.scalar(select(func.count()).select_from(MerkleNode)) == 13 + 6 + 3 + 1
    for n in (1, 5, 8, 13):
        assert merkle.stored_root(n) == roots[n]
    path = merkle.inclusion_proof(4, 11)
    assert merkle.verify_inclusion(leaves[4], 4, 11, path, roots[11])
    proof = merkle.consistency_proof(6, 13)
    assert merkle.verify_consistency(6, 13, roots[6], roots[13], proof)


def _forget_tree(db) -> None:
    """Remove the stored tree, as a bulk load without it would leave (test transaction only)."""
    if ON_POSTGRES:
        db.session.execute(
            text("ALTER TABLE ledger_merkle_nodes DISABLE TRIGGER ledger_merkle_nodes_append_only")
        )
    else:
        db.session.execute(text("DROP TRIGGER IF EXISTS ledger_merkle_nodes_no_delete"))
    db.session.execute(text("DELETE FROM ledger_merkle_nodes"))
    db.session.execute(text("UPDATE ledger_head SET tree_size = 0, tree_frontier = NULL"))


@pytest.mark.usefixtures("in_request")
def test_the_next_append_catches_up_a_tree_left_behind(db) -> None:
    entries = _append(6)
    root6 = merkle.stored_root(6)
    _forget_tree(db)
    assert merkle.tree_head() == (0, [])
    assert merkle.catch_up(db.session, batch=4) == 6  # in windows of 4 entries
    assert merkle.stored_root(6) == root6
    _forget_tree(db)
    entries += _append(1)  # the append catches up first
    size, frontier = merkle.tree_head()
    assert size == 7
    leaves = [merkle.entry_leaf_hash(services.entry_fields(e)) for e in entries]
    _node, roots = _memory_tree(leaves)
    assert merkle.frontier_root(frontier) == roots[7] and merkle.stored_root(6) == root6


@pytest.mark.usefixtures("in_request")
def test_the_migration_builds_the_same_tree(db) -> None:
    _append(9)
    size, frontier = merkle.tree_head()
    expected = merkle.frontier_root(frontier)
    _forget_tree(db)
    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0012_ledger_merkle.py"
    spec = importlib.util.spec_from_file_location("migration_0009", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.op = SimpleNamespace(get_bind=lambda: db.session.connection())
    module.WINDOW = 4  # several windows
    module._build_tree()
    assert merkle.tree_head() == (size, frontier) and merkle.stored_root(size) == expected


def test_the_append_computes_the_chains_hash_from_the_same_canonical_form() -> None:
    from marketplace.ledger.chain import canonical_entry, entry_hash

    rng = random.Random(1)
    for _ in range(50):
        fields = {
            "seq": rng.randrange(10**9),
            "kind": "registration",
            "note": "黑龙江",
            "n": rng.random() > 0.5,
        }
        prev = rng.randbytes(32).hex()
        assert merkle.chain_hash_and_leaf(prev, fields) == (
            entry_hash(prev, fields),
            merkle.leaf_hash(canonical_entry(fields)),
        )
    for bad in ("0" * 63, "G" * 64, "A" * 64, None):
        with pytest.raises(ValueError):
            merkle.chain_hash_and_leaf(bad, {"seq": 1})
