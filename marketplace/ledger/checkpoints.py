"""Signed checkpoints of the ledger's Merkle tree.

A checkpoint states the tree's size and root hash at a moment, signed with
the platform's Ed25519 key. What is signed is this text (UTF-8, each line
ending in a newline)::

    <origin>
    <tree size, decimal>
    <root hash, 64 lowercase hex digits>
    <time signed, UTC, YYYY-MM-DDTHH:MM:SSZ>

The private key lives in a file named by ``LEDGER_SIGNING_KEY_FILE`` (PEM,
PKCS #8), never in the database; in development and tests a key is
generated into the instance folder when that variable is not set, in
production its absence is an error. Each checkpoint keeps the public key
(raw 32 bytes, hex) and its id (the first 16 hex digits of its SHA-256), so
checkpoints signed before a key change still verify.

``check_against_checkpoints`` is the monitor: the tree recomputed from the
entries must have, at every checkpoint's size, that checkpoint's root, and
the stored tree must prove itself consistent with each one.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..core.timeutil import utcnow
from ..extensions import db
from . import merkle
from .models import LedgerCheckpoint, LedgerHead

__all__ = [
    "CheckpointCheck",
    "SigningKeyError",
    "check_against_checkpoints",
    "checkpoint_json",
    "create_checkpoint",
    "generate_key_file",
    "latest_checkpoint",
    "signed_text",
    "verify_signature",
]

DEFAULT_ORIGIN = "hljtech-marketplace/ledger"
KEY_ENV = "LEDGER_SIGNING_KEY_FILE"
DEV_KEY_NAME = "ledger-signing-key.pem"


class SigningKeyError(RuntimeError):
    """The signing key is missing or unusable."""


def origin() -> str:
    return current_app.config.get("LEDGER_ORIGIN") or os.environ.get("LEDGER_ORIGIN") or DEFAULT_ORIGIN


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signed_text(origin_: str, tree_size: int, root_hash: str, signed_at: datetime) -> bytes:
    """The exact bytes a checkpoint's signature covers."""
    return f"{origin_}\n{int(tree_size)}\n{root_hash}\n{format_time(signed_at)}\n".encode()


def key_id(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


# --- The key -------------------------------------------------------------------------


def _key_path() -> tuple[Path, bool]:
    """(path, whether it may be generated here)."""
    configured = current_app.config.get(KEY_ENV) or os.environ.get(KEY_ENV)
    if configured:
        return Path(configured), False
    if current_app.config.get("ENV_NAME") == "production" and not current_app.config.get("TESTING"):
        raise SigningKeyError(
            f"{KEY_ENV} is not set: production signs ledger checkpoints with the key in that file "
            "(create one with `flask ledger keygen --output FILE`, keep it off the database server, "
            "readable by the signing job only)."
        )
    return Path(current_app.instance_path) / DEV_KEY_NAME, True


def generate_key_file(path: str | os.PathLike) -> bytes:
    """Write a new Ed25519 private key (PEM, PKCS #8, mode 0600) to ``path``,
    which must not exist. Returns the raw public key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def load_signing_key():
    """The platform's private key (an Ed25519PrivateKey), or SigningKeyError."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path, may_generate = _key_path()
    if not path.exists():
        if not may_generate:
            raise SigningKeyError(f"{KEY_ENV} names {path}, which does not exist.")
        generate_key_file(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SigningKeyError(f"Cannot read the ledger signing key from {path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} does not hold an Ed25519 private key.")
    return key


def public_key_pem(public_hex: str) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def verify_signature(cp: LedgerCheckpoint, public_hex: str | None = None) -> bool:
    """Whether the checkpoint's signature verifies under its (or the given) public key."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex or cp.public_key))
        key.verify(
            bytes.fromhex(cp.signature), signed_text(cp.origin, cp.tree_size, cp.root_hash, cp.signed_at)
        )
    except (InvalidSignature, ValueError):
        return False
    return True


# --- Checkpoints -----------------------------------------------------------------------


def create_checkpoint(
    *, key=None, signed_at: datetime | None = None, tree_size: int | None = None
) -> LedgerCheckpoint:
    """Sign the tree as the head row states it now (or its first ``tree_size``
    leaves) and store the checkpoint (in the caller's transaction; not
    committed here). Takes no lock: the head row's size and frontier are
    read together, in one snapshot."""
    from cryptography.hazmat.primitives import serialization

    key = key or load_signing_key()
    size, frontier = merkle.tree_head()
    if tree_size is None or tree_size == size:
        root = merkle.frontier_root(frontier).hex()
    elif 0 <= tree_size < size:
        size, root = tree_size, merkle.stored_root(tree_size).hex()
    else:
        raise ValueError(f"the tree has {size} leaves, not {tree_size}")
    moment = (signed_at or utcnow()).astimezone(UTC).replace(microsecond=0)
    public_raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    origin_ = origin()
    cp = LedgerCheckpoint(
        origin=origin_,
        tree_size=size,
        root_hash=root,
        signed_at=moment,
        key_id=key_id(public_raw),
        public_key=public_raw.hex(),
        signature=key.sign(signed_text(origin_, size, root, moment)).hex(),
    )
    db.session.add(cp)
    db.session.flush()
    return cp


def bring_tree_up_to_date() -> int:
    """Extend the stored tree to the chain's head if entries were loaded
    without it (under the ledger's lock, as an append would). Returns the leaves added."""
    from .append import lock_head

    size, _frontier = merkle.tree_head()
    head_seq = db.session.scalar(select(LedgerHead.seq).where(LedgerHead.id == 1)) or 0
    if size == head_seq:
        return 0
    lock_head()
    return merkle.catch_up(db.session)


def latest_checkpoint() -> LedgerCheckpoint | None:
    return db.session.scalar(
        select(LedgerCheckpoint)
        .order_by(LedgerCheckpoint.tree_size.desc(), LedgerCheckpoint.id.desc())
        .limit(1)
    )


def checkpoints_page(page: int, per_page: int) -> tuple[list[LedgerCheckpoint], int]:
    total = db.session.scalar(select(func.count()).select_from(LedgerCheckpoint)) or 0
    rows = db.session.scalars(
        select(LedgerCheckpoint)
        .order_by(LedgerCheckpoint.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(rows), int(total)


def checkpoint_by_size(size: int) -> LedgerCheckpoint | None:
    return db.session.scalar(
        select(LedgerCheckpoint)
        .where(LedgerCheckpoint.tree_size == size)
        .order_by(LedgerCheckpoint.id.desc())
    )


def public_keys() -> list[dict[str, str]]:
    """Every key that signed a checkpoint, newest first, with its PEM."""
    rows = db.session.execute(
        select(LedgerCheckpoint.key_id, LedgerCheckpoint.public_key, func.max(LedgerCheckpoint.id))
        .group_by(LedgerCheckpoint.key_id, LedgerCheckpoint.public_key)
        .order_by(func.max(LedgerCheckpoint.id).desc())
    )
    return [
        {"algorithm": "Ed25519", "key_id": kid, "public_key_hex": pub, "pem": public_key_pem(pub)}
        for kid, pub, _last in rows
    ]


def checkpoint_json(cp: LedgerCheckpoint) -> dict[str, Any]:
    """A checkpoint as published (scripts/verify_ledger.py reads this form)."""
    return {
        "id": cp.id,
        "origin": cp.origin,
        "tree_size": cp.tree_size,
        "root_hash": cp.root_hash,
        "signed_at": format_time(cp.signed_at),
        "key_id": cp.key_id,
        "public_key_hex": cp.public_key,
        "signature": cp.signature,
        "signed_text": signed_text(cp.origin, cp.tree_size, cp.root_hash, cp.signed_at).decode(),
    }


# --- Monitoring ------------------------------------------------------------------------


@dataclass
class CheckpointCheck:
    ok: bool
    checkpoints: int  # how many were checked and held
    tree_size: int
    root_hash: str
    broken_id: int | None = None
    broken_size: int | None = None
    reason: str | None = None  # signature | root | consistency | stored_tree | size
    message: Any = None


def _leaves_from_entries() -> Iterator[bytes]:
    from .verification import chain_rows

    expected = 1
    with closing(chain_rows()) as rows:
        for seq, _prev, _own, fields in rows:
            if seq != expected:
                raise ValueError(f"entry {seq} follows entry {expected - 1}")
            expected += 1
            yield merkle.entry_leaf_hash(fields)


def check_against_checkpoints() -> CheckpointCheck:
    """Recompute the tree from the entries and prove it consistent with every
    stored checkpoint, oldest first; stop at the first one it breaks.

    For each checkpoint: its signature verifies; the recomputed tree of its
    size has its root (so today's entries extend the ones it signed); and
    the consistency proof that the stored tree gives from its size to the
    current size verifies between its root and the current root (what a
    client holding only that checkpoint would ask for).
    """
    cps = list(
        db.session.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.tree_size, LedgerCheckpoint.id))
    )
    state = merkle.TreeState()
    roots: dict[int, bytes] = {0: merkle.EMPTY_ROOT}
    sizes = {cp.tree_size for cp in cps}
    for leaf in _leaves_from_entries():
        state.append(leaf)
        if state.size in sizes:
            roots[state.size] = state.root()
    size, current = state.size, state.root()
    stored_size, stored_frontier = merkle.tree_head()
    held = 0
    for cp in cps:

        def broken(reason: str, message: Any, cp: LedgerCheckpoint = cp, held: int = held) -> CheckpointCheck:
            return CheckpointCheck(False, held, size, current.hex(), cp.id, cp.tree_size, reason, message)

        if not verify_signature(cp):
            return broken("signature", _l("Checkpoint %(id)s: its signature does not verify.", id=cp.id))
        if cp.tree_size > size:
            return broken(
                "size",
                _l(
                    "Checkpoint %(id)s signed %(size)s entries, but the ledger has only %(now)s: entries were removed.",
                    id=cp.id,
                    size=cp.tree_size,
                    now=size,
                ),
            )
        if roots[cp.tree_size].hex() != cp.root_hash:
            return broken(
                "root",
                _l(
                    "Checkpoint %(id)s (%(size)s entries): the first %(size)s entries no longer give its root "
                    "hash: an entry it covers was changed, removed or inserted since it was signed.",
                    id=cp.id,
                    size=cp.tree_size,
                ),
            )
        try:
            proof = merkle.consistency_proof(cp.tree_size, stored_size)
            consistent = merkle.verify_consistency(
                cp.tree_size,
                stored_size,
                bytes.fromhex(cp.root_hash),
                merkle.frontier_root(stored_frontier),
                proof,
            )
        except (LookupError, ValueError):
            consistent = False
        if not consistent:
            return broken(
                "consistency",
                _l(
                    "Checkpoint %(id)s (%(size)s entries): the stored tree does not prove itself consistent "
                    "with it.",
                    id=cp.id,
                    size=cp.tree_size,
                ),
            )
        held += 1
    if (stored_size, merkle.frontier_root(stored_frontier)) != (size, current):
        return CheckpointCheck(
            False,
            held,
            size,
            current.hex(),
            reason="stored_tree",
            message=_l("The stored tree differs from the tree recomputed from the entries."),
        )
    return CheckpointCheck(True, held, size, current.hex())


# --- Proofs ----------------------------------------------------------------------------


class ProofSizeError(ValueError):
    """The tree size asked for cannot answer this proof."""


def proof_size(requested: int | None, *, at_least: int) -> int:
    """The tree size a proof is for: the one asked (at least ``at_least``, at
    most the current size), else the latest checkpoint's if it covers
    ``at_least``, else the current size."""
    current, _frontier = merkle.tree_head()
    if requested is None:
        cp = latest_checkpoint()
        requested = cp.tree_size if cp is not None and cp.tree_size >= at_least else current
    if not at_least <= requested <= current:
        raise ProofSizeError(at_least, current)
    return requested


def entry_proof(entry: Any, size: int) -> dict[str, Any]:
    """The inclusion proof of ``entry`` (leaf seq - 1) in the tree of ``size``
    leaves, with the leaf hash recomputed from the entry's fields and the root."""
    from .append import entry_fields
    from .chain import canonical_entry

    index = entry.seq - 1
    canonical = canonical_entry(entry_fields(entry))
    path = merkle.inclusion_proof(index, size)
    cp = checkpoint_by_size(size)
    return {
        "seq": entry.seq,
        "leaf_index": index,
        "tree_size": size,
        "leaf_hash": merkle.leaf_hash(canonical).hex(),
        "canonical": canonical.decode("utf-8"),
        "audit_path": [h.hex() for h in path],
        "root_hash": merkle.stored_root(size).hex(),
        "checkpoint": checkpoint_json(cp) if cp is not None else None,
    }


def consistency(old: int, new: int) -> dict[str, Any]:
    path = merkle.consistency_proof(old, new)
    old_cp, new_cp = checkpoint_by_size(old), checkpoint_by_size(new)
    return {
        "from": old,
        "to": new,
        "from_root": merkle.stored_root(old).hex(),
        "to_root": merkle.stored_root(new).hex(),
        "proof": [h.hex() for h in path],
        "from_checkpoint": checkpoint_json(old_cp) if old_cp else None,
        "to_checkpoint": checkpoint_json(new_cp) if new_cp else None,
    }


def certificate_lines(registration_no: str | None) -> list[tuple[str, str]]:
    """What a registration certificate prints about the ledger (in Chinese,
    as the certificate is issued): the entry of its current registration,
    its leaf hash (which also lets its holder ask for the public proof) and
    the latest signed checkpoint."""
    from .append import entry_fields
    from .models import LedgerEntry

    if not registration_no:
        return []
    entry = db.session.scalar(
        select(LedgerEntry)
        .where(LedgerEntry.registration_no == registration_no)
        .order_by(LedgerEntry.seq.desc())
        .limit(1)
    )
    if entry is None:
        return []
    leaf = merkle.entry_leaf_hash(entry_fields(entry)).hex()
    lines = [("账本条目（序号 / 叶哈希）", f"{entry.seq} / {leaf}")]
    cp = latest_checkpoint()
    if cp is not None:
        lines.append(
            (
                "最新签名检查点",
                f"#{cp.id}：{cp.tree_size} 条，根哈希 {cp.root_hash}，{format_time(cp.signed_at)}，密钥 {cp.key_id}",
            )
        )
    return lines
