"""The Merkle tree over the ledger's entries (RFC 6962 / RFC 9162).

Leaf ``i`` is the entry with sequence number ``i + 1``; its hash is
SHA-256(0x00 || the entry's canonical form, see chain.canonical_entry) and an
inner node's is SHA-256(0x01 || left || right). A tree of ``n`` leaves splits
at the largest power of two smaller than ``n`` (RFC 6962 section 2.1).

Kept incrementally: every append stores its leaf and the roots of the
perfect subtrees it completes (``ledger_merkle_nodes``, about two rows per
entry, never changed), and the head row keeps the "frontier" - the roots of
the perfect subtrees that make up the current tree, largest first - so an
append hashes at most log2(n) nodes and reads nothing more than the head it
locks anyway. Any subtree root of any earlier tree size is then either a
stored node or a fold of a few of them, so inclusion and consistency proofs
for any size read O(log n) stored nodes in one query.

The hash chain (chain.py) stays as it is: the tree is kept beside it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from contextlib import closing
from typing import Any

from sqlalchemy import select, tuple_, update

from .chain import canonical_entry

__all__ = [
    "EMPTY_ROOT",
    "TreeState",
    "consistency_proof",
    "entry_leaf_hash",
    "extend_frontier",
    "frontier_root",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "verify_consistency",
    "verify_inclusion",
]

EMPTY_ROOT = hashlib.sha256(b"").digest()  # the root of the empty tree
HASH_SIZE = 32


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def entry_leaf_hash(fields: Any) -> bytes:
    """The leaf hash of an entry's fields (services.entry_fields)."""
    return leaf_hash(canonical_entry(fields))


def chain_hash_and_leaf(prev_hash: str, fields: Any) -> tuple[str, bytes]:
    """chain.entry_hash(prev_hash, fields) and the entry's leaf hash, from one
    canonical form (an append computes both while it holds the ledger's lock)."""
    if not isinstance(prev_hash, str) or len(prev_hash) != 64 or prev_hash.strip("0123456789abcdef"):
        raise ValueError(f"prev_hash must be 64 lowercase hex digits: {prev_hash!r}")
    canonical = canonical_entry(fields)
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical).hexdigest(), leaf_hash(canonical)


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


# --- The frontier (kept in the head row) -------------------------------------------


def pack_frontier(frontier: list[bytes]) -> bytes:
    return b"".join(frontier)


def unpack_frontier(packed: bytes | None, size: int) -> list[bytes]:
    frontier = [bytes(packed[i : i + HASH_SIZE]) for i in range(0, len(packed or b""), HASH_SIZE)]
    if len(frontier) != bin(size).count("1"):
        raise ValueError(f"the tree's frontier does not fit its size {size}")
    return frontier


def extend_frontier(frontier: list[bytes], size: int, leaf: bytes) -> list[tuple[int, int, bytes]]:
    """Append ``leaf`` as leaf number ``size`` to the tree whose frontier is
    ``frontier`` (changed in place). Returns the nodes to store: the leaf
    (level 0) and each perfect subtree it completes, as (level, index, hash)."""
    nodes = [(0, size, leaf)]
    node, level, index = leaf, 0, size
    while index & 1:  # a complete left sibling waits at this level
        node = node_hash(frontier.pop(), node)
        level, index = level + 1, index >> 1
        nodes.append((level, index, node))
    frontier.append(node)
    return nodes


def frontier_root(frontier: list[bytes]) -> bytes:
    """The root of the tree made of these perfect subtrees (largest first)."""
    if not frontier:
        return EMPTY_ROOT
    root = frontier[-1]
    for left in reversed(frontier[:-1]):
        root = node_hash(left, root)
    return root


class TreeState:
    """A tree being built leaf by leaf in memory (frontier only); the root
    of every size on the way is known as it is passed."""

    def __init__(self) -> None:
        self.size = 0
        self.frontier: list[bytes] = []

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        nodes = extend_frontier(self.frontier, self.size, leaf)
        self.size += 1
        return nodes

    def root(self) -> bytes:
        return frontier_root(self.frontier)


# --- Proofs over a source of perfect-subtree roots -----------------------------------

NodeSource = Callable[[int, int], bytes]  # (level, index) -> the root of that perfect subtree


def subtree_root(node: NodeSource, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a subtree of the RFC's recursion."""
    n = end - start
    if n == 0:
        return EMPTY_ROOT
    if n & (n - 1) == 0:
        level = n.bit_length() - 1
        return node(level, start >> level)
    k = _split(n)
    return node_hash(subtree_root(node, start, start + k), subtree_root(node, start + k, end))


def inclusion_path(node: NodeSource, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 6962 section 2.1.1, leaf side first."""
    if not 0 <= index < size:
        raise ValueError("the leaf is not in a tree of that size")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index - start < k:
            path.append(subtree_root(node, start + k, end))
            end = start + k
        else:
            path.append(subtree_root(node, start, start + k))
            start += k
    path.reverse()
    return path


def consistency_path(node: NodeSource, old: int, new: int) -> list[bytes]:
    """PROOF(old, D[0:new]) of RFC 6962 section 2.1.2 (empty when old is 0 or new)."""
    if not 0 <= old <= new:
        raise ValueError("the older size must not exceed the newer one")
    if old in (0, new):
        return []

    def subproof(m: int, start: int, end: int, whole: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if whole else [subtree_root(node, start, end)]
        k = _split(n)
        if m <= k:
            return [*subproof(m, start, start + k, whole), subtree_root(node, start + k, end)]
        return [*subproof(m - k, start + k, end, False), subtree_root(node, start, start + k)]

    return subproof(old, 0, new, True)


def _fetching(compute: Callable[[NodeSource], Any], fetch: Callable[[set], dict]) -> Any:
    """Run ``compute`` twice: once to learn which stored nodes it reads (the
    shape of a proof does not depend on the hashes), then with them all
    fetched in one go."""
    wanted: set[tuple[int, int]] = set()

    def record(level: int, index: int) -> bytes:
        wanted.add((level, index))
        return EMPTY_ROOT

    compute(record)
    found = fetch(wanted)
    missing = wanted - found.keys()
    if missing:
        raise LookupError(f"the stored tree lacks {len(missing)} node(s), e.g. {min(missing)}")
    return compute(lambda level, index: found[(level, index)])


# --- Verification (RFC 9162 sections 2.1.3.2 and 2.1.4.2) ------------------------------


def verify_inclusion(leaf: bytes, index: int, size: int, path: Iterable[bytes], root: bytes) -> bool:
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, path: list[bytes]) -> bool:
    if not 0 <= old <= new:
        return False
    if old == new:
        return not path and old_root == new_root
    if old == 0:
        return not path  # the empty tree is a prefix of every tree
    if not path:
        return False
    if old & (old - 1) == 0:
        path = [old_root, *path]
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0


# --- The stored tree ----------------------------------------------------------------------


def _tables():
    from .models import LedgerHead, MerkleNode

    return LedgerHead.__table__, MerkleNode.__table__


def _session():
    from ..extensions import db

    return db.session


def tree_head(session=None) -> tuple[int, list[bytes]]:
    """(tree size, frontier) as the head row states them."""
    head, _nodes = _tables()
    session = session or _session()
    row = session.execute(select(head.c.tree_size, head.c.tree_frontier).where(head.c.id == 1)).first()
    if row is None:
        return 0, []
    return int(row[0]), unpack_frontier(row[1], int(row[0]))


def _fetch_nodes(session, wanted: set) -> dict:
    _head, nodes = _tables()
    found: dict = {}
    keys = sorted(wanted)
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        rows = session.execute(
            select(nodes.c.level, nodes.c.idx, nodes.c.hash).where(
                tuple_(nodes.c.level, nodes.c.idx).in_(chunk)
            )
        )
        found.update({(int(level), int(idx)): bytes(h) for level, idx, h in rows})
    return found


def stored_root(size: int, session=None) -> bytes:
    session = session or _session()
    return _fetching(lambda node: subtree_root(node, 0, size), lambda w: _fetch_nodes(session, w))


def stored_leaf(index: int, session=None) -> bytes | None:
    session = session or _session()
    return _fetch_nodes(session, {(0, index)}).get((0, index))


def inclusion_proof(index: int, size: int, session=None) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``size`` leaves, from the stored nodes."""
    session = session or _session()
    return _fetching(lambda node: inclusion_path(node, index, size), lambda w: _fetch_nodes(session, w))


def consistency_proof(old: int, new: int, session=None) -> list[bytes]:
    """The consistency proof between tree sizes ``old`` and ``new``, from the stored nodes."""
    session = session or _session()
    return _fetching(lambda node: consistency_path(node, old, new), lambda w: _fetch_nodes(session, w))


def node_rows(nodes: list[tuple[int, int, bytes]]) -> list[dict[str, Any]]:
    return [{"level": level, "idx": index, "hash": h} for level, index, h in nodes]


def catch_up(session=None, *, batch: int = 20_000, progress=None) -> int:
    """Extend the stored tree to the head of the chain from the entries
    (after a bulk load, or the migration that introduced the tree). Call it
    holding the ledger's lock, or where nothing appends. Returns the leaves added.

    Reads the entries in windows of ``batch`` (each read whole before its
    nodes are written: on PostgreSQL the rows come by COPY, which holds the
    connection), so memory stays bounded."""
    from .verification import chain_rows

    head, nodes = _tables()
    session = session or _session()
    size, frontier = tree_head(session)
    target = int(session.execute(select(head.c.seq).where(head.c.id == 1)).scalar() or 0)
    added = 0
    while size < target:
        with closing(
            chain_rows(after_seq=size, until_seq=min(size + batch, target), session=session)
        ) as rows:
            window = [(seq, entry_leaf_hash(fields)) for seq, _prev, _own, fields in rows]
        if not window:
            break
        pending: list[tuple[int, int, bytes]] = []
        for seq, leaf in window:
            if seq != size + 1:
                raise ValueError(
                    f"entry {seq} follows entry {size}: the tree needs sequence numbers without gaps"
                )
            pending.extend(extend_frontier(frontier, size, leaf))
            size += 1
        session.execute(nodes.insert(), node_rows(pending))
        added += len(window)
        if progress:
            progress(size)
    if added:
        session.execute(
            update(head).where(head.c.id == 1).values(tree_size=size, tree_frontier=pack_frontier(frontier))
        )
    return added
