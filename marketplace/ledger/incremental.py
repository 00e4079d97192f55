"""Verifying what is new since the latest signed checkpoint, in seconds at any size.

The full walk (`verification.verify_ledger` and `checkpoints.check_against_checkpoints`)
recomputes every entry's hash and the whole Merkle tree: minutes at ten million
entries. What the latest checkpoint signed (its size and root) need not be walked
again to trust the entries added since:

1. the checkpoint's signature verifies with the platform's key;
2. the stored tree still gives the signed root at the checkpoint's size (its
   frontier, the roots of the perfect subtrees of that size, read from the stored
   nodes, hash to the signed root);
3. the entries after it, walked from there, form an unbroken hash chain from the
   stored hash of the last signed entry, with sequence numbers one after another;
4. their leaves, appended to that frontier, give exactly the stored tree's head
   (size and root), and the head row names the last entry.

So the entries after the checkpoint are exactly those the stored tree extends the
signed tree with. What this does not re-check is that the entries the checkpoint
covers still hash to its root (a rewrite of an old entry that also rebuilt the
stored tree): that is what the full walk, `flask ledger verify
--against-checkpoints`, is for, and a monitor should run it too, less often.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from . import merkle
from .append import ledger_head
from .chain import GENESIS_HASH, VerifyResult, verify_chain
from .checkpoints import latest_checkpoint, verify_signature
from .models import LedgerEntry
from .verification import chain_rows


@dataclass
class IncrementalCheck:
    ok: bool
    checkpoint_id: int | None
    signed_size: int  # entries the checkpoint covers (not walked again)
    new_entries: int  # entries after it, walked
    tree_size: int
    root_hash: str
    seconds: float
    first_bad_seq: int | None = None
    reason: str | None = None  # no_checkpoint | signature | signed_root | chain | sequence | tree | head
    message: Any = None


def frontier_at(size: int) -> list[bytes]:
    """The roots of the perfect subtrees that make a tree of `size` leaves (largest
    first), read from the stored nodes."""
    wanted: list[tuple[int, int]] = []
    start = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size & (1 << level):
            wanted.append((level, start >> level))
            start += 1 << level
    found = merkle._fetch_nodes(db.session, set(wanted))
    missing = [key for key in wanted if key not in found]
    if missing:
        raise LookupError(f"the stored tree lacks the nodes {missing}")
    return [found[key] for key in wanted]


def _signed_entry_hash(seq: int) -> str | None:
    if seq == 0:
        return GENESIS_HASH
    return db.session.scalar(select(LedgerEntry.hash).where(LedgerEntry.seq == seq))


def verify_since_checkpoint(*, batch: int = 10_000) -> IncrementalCheck:
    """Check the entries after the latest checkpoint against it and the stored tree."""
    started = time.perf_counter()
    cp = latest_checkpoint()
    stored_size, stored_frontier = merkle.tree_head()
    stored_root = merkle.frontier_root(stored_frontier).hex()

    def result(ok: bool, **kw: Any) -> IncrementalCheck:
        base = {
            "checkpoint_id": cp.id if cp is not None else None,
            "signed_size": cp.tree_size if cp is not None else 0,
            "new_entries": 0,
            "tree_size": stored_size,
            "root_hash": stored_root,
        }
        base.update(kw)
        return IncrementalCheck(ok, seconds=time.perf_counter() - started, **base)

    if cp is None:
        return result(
            False,
            reason="no_checkpoint",
            message=_l("There is no checkpoint yet: run the full verification (flask ledger verify)."),
        )
    if not verify_signature(cp):
        return result(
            False,
            reason="signature",
            message=_l("Checkpoint %(id)s: its signature does not verify.", id=cp.id),
        )
    try:
        frontier = frontier_at(cp.tree_size)
    except LookupError:
        frontier = None
    if frontier is None or merkle.frontier_root(frontier).hex() != cp.root_hash:
        return result(
            False,
            reason="signed_root",
            message=_l(
                "The stored tree no longer gives the root that checkpoint %(id)s signed for its %(size)s entries.",
                id=cp.id,
                size=cp.tree_size,
            ),
        )
    start_hash = _signed_entry_hash(cp.tree_size)
    if start_hash is None:
        return result(
            False,
            reason="sequence",
            first_bad_seq=cp.tree_size,
            message=_l(
                "Entry %(seq)s, the last one checkpoint %(id)s signed, is missing.",
                seq=cp.tree_size,
                id=cp.id,
            ),
        )

    state = merkle.TreeState()
    state.size, state.frontier = cp.tree_size, list(frontier)
    gap: list[int] = []

    def rows_with_leaves(rows) -> Iterator[tuple[int, str, str, dict[str, Any]]]:
        for row in rows:
            seq, _prev, _own, fields = row
            if seq != state.size + 1:
                gap.append(seq)
                return
            state.append(merkle.entry_leaf_hash(fields))
            yield row

    with closing(chain_rows(after_seq=cp.tree_size, batch=batch)) as rows:
        walked: VerifyResult = verify_chain(rows_with_leaves(rows), start_hash=start_hash)
    new = state.size - cp.tree_size
    if not walked.ok:
        return result(
            False,
            new_entries=walked.entries,
            first_bad_seq=walked.first_bad_seq,
            reason="chain",
            message=walked.message,
        )
    if gap:
        return result(
            False,
            new_entries=new,
            first_bad_seq=gap[0],
            reason="sequence",
            message=_l(
                "Entry %(seq)s follows entry %(prev)s: entries are missing.", seq=gap[0], prev=state.size
            ),
        )
    if (state.size, state.root().hex()) != (stored_size, stored_root):
        return result(
            False,
            new_entries=new,
            reason="tree",
            message=_l(
                "The entries after checkpoint %(id)s do not give the stored tree (%(size)s entries): "
                "an entry or a stored node was changed.",
                id=cp.id,
                size=stored_size,
            ),
        )
    head_seq, head_hash, _at = ledger_head()
    if head_seq != state.size or head_hash != walked.head:
        return result(
            False,
            new_entries=new,
            first_bad_seq=head_seq,
            reason="head",
            message=_l(
                "The ledger's head names entry %(seq)s, but the chain ends at entry %(last)s: "
                "entries at the end were removed or the head was changed.",
                seq=head_seq,
                last=state.size,
            ),
        )
    return result(True, new_entries=new)
