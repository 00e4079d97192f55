"""The hash chain of the turnover ledger.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's
canonical form, so changing, removing, inserting or reordering any entry
breaks the chain from that entry on. The first entry links to
``GENESIS_HASH``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _l

__all__ = [
    "GENESIS_HASH",
    "REASON_BAD_HASH",
    "REASON_BAD_PREV",
    "REASON_SEQ_ORDER",
    "VerifyResult",
    "canonical_entry",
    "entry_hash",
    "verify_chain",
]

GENESIS_HASH = "0" * 64
_HASH_RE = re.compile(r"[0-9a-f]{64}")

#: ``VerifyResult.reason`` codes.
REASON_BAD_PREV = "prev_mismatch"  # prev_hash is not the previous entry's hash
REASON_BAD_HASH = "hash_mismatch"  # own hash does not match the entry
REASON_SEQ_ORDER = "seq_order"  # sequence numbers do not increase


def _plain(value: Any) -> Any:
    """Turn ``value`` into JSON-ready plain data; reject what has no
    canonical form (floats above all: money is integer fen)."""
    if value is None or value is True or value is False:
        return value
    if isinstance(value, str):
        return str.__str__(value)  # a plain str, also for str enums
    if isinstance(value, int):
        return int(value)  # a plain int, also for int enums
    if isinstance(value, float):
        raise TypeError(f"floats have no canonical form (use integer fen): {value!r}")
    if isinstance(value, datetime):
        # Naive datetimes are taken as UTC: the project stores UTC, and a
        # database column without a time zone gives them back naive.
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds") + "Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        plain: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"keys must be strings, not {key!r}")
            plain[str.__str__(key)] = _plain(item)
        return plain
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    raise TypeError(f"no canonical form for {type(value).__name__}: {value!r}")


def canonical_entry(fields: Mapping[str, Any]) -> bytes:
    """The canonical UTF-8 JSON of an entry's fields.

    Sorted keys, no whitespace, non-ASCII kept as is; ints as ints, dates as
    YYYY-MM-DD, datetimes as UTC "YYYY-MM-DDTHH:MM:SS.ffffffZ", None as
    null. Floats and other types raise ``TypeError``.
    """
    if not isinstance(fields, Mapping):
        raise TypeError("an entry's fields must be a mapping")
    return json.dumps(
        _plain(fields),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


def entry_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    """SHA-256 hex of ``prev_hash`` + newline + the canonical entry."""
    if not isinstance(prev_hash, str) or not _HASH_RE.fullmatch(prev_hash):
        raise ValueError(f"prev_hash must be 64 lowercase hex digits: {prev_hash!r}")
    digest = hashlib.sha256(prev_hash.encode("ascii") + b"\n")
    digest.update(canonical_entry(fields))
    return digest.hexdigest()


class VerifyResult(NamedTuple):
    """Outcome of :func:`verify_chain`.

    ``entries`` counts the entries that verified, ``head`` is the hash of
    the last of them (the start hash if none), ``first_bad_seq`` and
    ``reason`` (a ``REASON_*`` code) name the first broken entry.
    """

    ok: bool
    entries: int
    head: str
    first_bad_seq: int | None = None
    reason: str | None = None

    @property
    def message(self) -> Any:
        """A translatable description of the break, or None when ok."""
        seq = self.first_bad_seq
        if self.reason == REASON_BAD_PREV:
            return _l(
                "Entry %(seq)s does not link to the entry before it: an entry "
                "was removed, inserted or moved, or its link was changed.",
                seq=seq,
            )
        if self.reason == REASON_BAD_HASH:
            return _l(
                "Entry %(seq)s does not match its hash: its content was changed.",
                seq=seq,
            )
        if self.reason == REASON_SEQ_ORDER:
            return _l(
                "Entry %(seq)s is out of sequence: entries were reordered.",
                seq=seq,
            )
        return None


def verify_chain(
    entries: Iterable[tuple[int, str, str, Mapping[str, Any]]],
    *,
    start_hash: str = GENESIS_HASH,
) -> VerifyResult:
    """Check ``(seq, prev_hash, own_hash, fields)`` entries in ledger order.

    Streams the entries (constant memory) and stops at the first broken
    one: a sequence number not greater than the one before, a ``prev_hash``
    that is not the previous entry's hash (``start_hash`` for the first),
    or an ``own_hash`` that does not match the entry. Sequence numbers may
    have gaps; the hash links are what prove nothing is missing.
    Fields without a canonical form raise ``TypeError``.
    """
    if not _HASH_RE.fullmatch(start_hash):
        raise ValueError(f"start_hash must be 64 lowercase hex digits: {start_hash!r}")
    head = start_hash
    count = 0
    last_seq: int | None = None
    for seq, prev_hash, own_hash, fields in entries:
        if last_seq is not None and seq <= last_seq:
            return VerifyResult(False, count, head, seq, REASON_SEQ_ORDER)
        if prev_hash != head:
            return VerifyResult(False, count, head, seq, REASON_BAD_PREV)
        if own_hash != entry_hash(prev_hash, fields):
            return VerifyResult(False, count, head, seq, REASON_BAD_HASH)
        head, last_seq = own_hash, seq
        count += 1
    return VerifyResult(True, count, head)
