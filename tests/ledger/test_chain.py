"""Tests for marketplace.ledger.chain."""

from __future__ import annotations

import enum
import hashlib
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask_babel import Babel

from marketplace.ledger.chain import (
    GENESIS_HASH,
    REASON_BAD_HASH,
    REASON_BAD_PREV,
    REASON_SEQ_ORDER,
    VerifyResult,
    canonical_entry,
    entry_hash,
    verify_chain,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")

# One fixed entry, its canonical form written out by hand (keys sorted by
# code point, no whitespace, Chinese kept as UTF-8, the Shanghai time 10:03
# as 02:03 UTC) and the SHA-256 of "0"*64 + "\n" + that form, computed once
# with hashlib on the literal bytes.
FIXED_FIELDS: dict[str, Any] = {
    "seq": 1,
    "kind": "registration",
    "contract_id": 42,
    "registration_no": "2024230100000001",
    "turnover_delta_fen": 12345600,
    "income_delta_fen": 10000000,
    "effective_on": date(2024, 3, 1),
    "recorded_at": datetime(2024, 3, 1, 10, 3, 4, 5, tzinfo=SHANGHAI),
    "regulator_id": 7,
    "dims": {
        "year": 2024,
        "seller_region": "230100",
        "org_kind": "university",
        "industry": "new_materials",
        "category": "transfer_patent",
    },
    "note": None,
    "seller": "哈尔滨工业大学",
}
FIXED_CANONICAL = (
    '{"contract_id":42,"dims":{"category":"transfer_patent","industry":"new_materials",'
    '"org_kind":"university","seller_region":"230100","year":2024},'
    '"effective_on":"2024-03-01","income_delta_fen":10000000,"kind":"registration",'
    '"note":null,"recorded_at":"2024-03-01T02:03:04.000005Z",'
    '"registration_no":"2024230100000001","regulator_id":7,"seller":"哈尔滨工业大学",'
    '"seq":1,"turnover_delta_fen":12345600}'
).encode()
FIXED_HASH = "6ab9f06a89541d73f6bcd72bc5564ab9110ffa7fa22039e2b6cb1f1a7aba8a44"


def fullwidth(text: str) -> str:
    """The full-width form (U+FF01..U+FF5E) of ASCII text."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.fixture(autouse=True)
def babel_app() -> Iterator[Flask]:
    """Render lazy messages inside an application context."""
    app = Flask(__name__)
    Babel(app)
    with app.app_context():
        yield app


# --- canonical form ---------------------------------------------------------


def test_canonical_form_is_stable() -> None:
    assert canonical_entry(FIXED_FIELDS) == FIXED_CANONICAL
    assert entry_hash(GENESIS_HASH, FIXED_FIELDS) == FIXED_HASH
    assert hashlib.sha256(b"0" * 64 + b"\n" + FIXED_CANONICAL).hexdigest() == FIXED_HASH


def test_canonical_ignores_insertion_order() -> None:
    reordered = dict(reversed(list(FIXED_FIELDS.items())))
    assert canonical_entry(reordered) == FIXED_CANONICAL


def test_datetimes_are_utc_with_microseconds() -> None:
    utc = datetime(2024, 3, 1, 2, 3, 4, tzinfo=UTC)
    expected = b'{"t":"2024-03-01T02:03:04.000000Z"}'
    assert canonical_entry({"t": utc}) == expected
    assert canonical_entry({"t": utc.astimezone(SHANGHAI)}) == expected
    assert canonical_entry({"t": utc.astimezone(timezone(timedelta(hours=-5)))}) == expected
    # naive datetimes are taken as UTC (a column without time zone)
    assert canonical_entry({"t": datetime(2024, 3, 1, 2, 3, 4)}) == expected


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "UTC"])
def test_datetimes_do_not_depend_on_the_machines_time_zone(monkeypatch, zone: str) -> None:
    # The canonical form is UTC whatever the process's local time zone (TZ).
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        aware = datetime(2024, 3, 1, 10, 3, 4, tzinfo=SHANGHAI)
        assert canonical_entry({"t": aware}) == b'{"t":"2024-03-01T02:03:04.000000Z"}'
    finally:
        monkeypatch.undo()
        time.tzset()


def test_plain_values() -> None:
    class Kind(enum.StrEnum):
        REG = "registration"

    class Level(enum.IntEnum):
        ONE = 1

    fields = {
        "b": True,
        "f": False,
        "n": None,
        "i": -5,
        "k": Kind.REG,
        "l": Level.ONE,
        "a": [1, (2, "x")],
    }
    assert canonical_entry(fields) == (
        b'{"a":[1,[2,"x"]],"b":true,"f":false,"i":-5,"k":"registration","l":1,"n":null}'
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"amount": 1.5},
        {"amount": 100.0},
        {"nested": {"amount": float("nan")}},
        {"list": [1, 2.0]},
        {"amount": Decimal("1.00")},
        {"raw": b"bytes"},
        {"set": {1, 2}},
        {1: "non-string key"},
    ],
)
def test_canonical_rejects_what_has_no_canonical_form(fields: dict[Any, Any]) -> None:
    with pytest.raises(TypeError):
        canonical_entry(fields)


def test_canonical_needs_a_mapping() -> None:
    with pytest.raises(TypeError):
        canonical_entry([("a", 1)])  # type: ignore[arg-type]


@pytest.mark.parametrize("prev", ["", "0" * 63, "A" * 64, "g" * 64, None, fullwidth("0") * 64])
def test_entry_hash_rejects_bad_prev(prev: object) -> None:
    with pytest.raises(ValueError):
        entry_hash(prev, {"a": 1})  # type: ignore[arg-type]


def test_entry_hash_depends_on_prev() -> None:
    assert entry_hash("f" * 64, FIXED_FIELDS) != FIXED_HASH


# --- verify_chain -------------------------------------------------------------

Entry = tuple[int, str, str, dict[str, Any]]


def build_chain(count: int, start: str = GENESIS_HASH, first_seq: int = 1) -> list[Entry]:
    entries: list[Entry] = []
    prev = start
    for seq in range(first_seq, first_seq + count):
        fields = {
            "seq": seq,
            "kind": "registration",
            "contract_id": 100 + seq,
            "turnover_delta_fen": 1_000_000 * seq,
            "income_delta_fen": 900_000 * seq,
            "recorded_at": datetime(2024, 1, seq, 8, 0, tzinfo=UTC),
        }
        own = entry_hash(prev, fields)
        entries.append((seq, prev, own, fields))
        prev = own
    return entries


def test_intact_chain_verifies() -> None:
    chain = build_chain(5)
    assert verify_chain(chain) == VerifyResult(True, 5, chain[-1][2], None, None)
    assert verify_chain(chain).message is None


def test_empty_chain_verifies() -> None:
    assert verify_chain([]) == VerifyResult(True, 0, GENESIS_HASH)


def test_gaps_in_sequence_are_allowed() -> None:
    chain = build_chain(3)
    renumbered = [(seq * 10, prev, own, fields) for seq, prev, own, fields in chain]
    assert verify_chain(renumbered).ok


def test_changed_field_is_detected() -> None:
    chain = build_chain(5)
    seq, prev, own, fields = chain[2]
    chain[2] = (
        seq,
        prev,
        own,
        {**fields, "turnover_delta_fen": fields["turnover_delta_fen"] + 1},
    )
    result = verify_chain(chain)
    assert result == VerifyResult(False, 2, chain[1][2], 3, REASON_BAD_HASH)
    assert str(result.message) == "Entry 3 does not match its hash: its content was changed."


def test_changed_prev_link_is_detected() -> None:
    chain = build_chain(5)
    seq, _prev, _own, fields = chain[3]
    forged_prev = "a" * 64
    chain[3] = (
        seq,
        forged_prev,
        entry_hash(forged_prev, fields),
        fields,
    )  # self-consistent
    result = verify_chain(chain)
    assert (result.ok, result.entries, result.first_bad_seq, result.reason) == (
        False,
        3,
        4,
        REASON_BAD_PREV,
    )
    assert result.head == chain[2][2]
    assert str(result.message).startswith("Entry 4 does not link to the entry before it")


def test_reordered_entries_are_detected() -> None:
    chain = build_chain(5)
    chain[1], chain[2] = chain[2], chain[1]  # order 1, 3, 2, 4, 5
    result = verify_chain(chain)
    assert (result.ok, result.entries, result.first_bad_seq, result.reason) == (
        False,
        1,
        3,
        REASON_BAD_PREV,
    )


def test_decreasing_sequence_is_detected() -> None:
    chain = build_chain(3)
    _seq, prev, own, fields = chain[2]
    chain[2] = (1, prev, own, fields)
    result = verify_chain(chain)
    assert (result.ok, result.entries, result.first_bad_seq, result.reason) == (
        False,
        2,
        1,
        REASON_SEQ_ORDER,
    )
    assert str(result.message) == "Entry 1 is out of sequence: entries were reordered."


@pytest.mark.parametrize("position", [1, 2, 4])
def test_duplicate_sequence_number_is_detected(position: int) -> None:
    # Entry `position` repeats the number of the one before it; its links and
    # hash are in order, so only the sequence check can see it.
    chain = build_chain(5)
    _seq, prev, own, fields = chain[position]
    chain[position] = (chain[position - 1][0], prev, own, fields)
    result = verify_chain(chain)
    assert result == VerifyResult(
        False, position, chain[position - 1][2], chain[position - 1][0], REASON_SEQ_ORDER
    )
    assert str(result.message) == f"Entry {position} is out of sequence: entries were reordered."


def test_duplicate_first_sequence_numbers() -> None:
    chain = build_chain(2)
    chain[1] = (1, *chain[1][1:])
    assert verify_chain(chain)[3:] == (1, REASON_SEQ_ORDER)


def test_sequence_may_start_anywhere_and_grow_by_one() -> None:
    chain = build_chain(3)
    for shift in (-1, -5):
        renumbered = [(seq + shift, prev, own, fields) for seq, prev, own, fields in chain]
        assert verify_chain(renumbered) == VerifyResult(True, 3, chain[-1][2])


def test_removed_entry_is_detected() -> None:
    chain = build_chain(5)
    del chain[2]
    result = verify_chain(chain)
    assert (result.ok, result.first_bad_seq, result.reason) == (
        False,
        4,
        REASON_BAD_PREV,
    )


def test_wrong_genesis_is_detected() -> None:
    chain = build_chain(2, start="1" * 64)
    result = verify_chain(chain)
    assert (result.ok, result.entries, result.head, result.first_bad_seq) == (
        False,
        0,
        GENESIS_HASH,
        1,
    )


def test_verify_from_a_checkpoint() -> None:
    chain = build_chain(6)
    tail = chain[3:]
    assert verify_chain(tail, start_hash=chain[2][2]) == VerifyResult(True, 3, chain[-1][2])
    assert not verify_chain(tail).ok
    with pytest.raises(ValueError):
        verify_chain(tail, start_hash="nope")


def test_verify_streams_and_stops_at_first_break() -> None:
    chain = build_chain(10)
    seq, prev, own, fields = chain[1]
    chain[1] = (seq, prev, own, {**fields, "kind": "cancellation"})
    consumed = 0

    def stream() -> Iterator[Entry]:
        nonlocal consumed
        for entry in chain:
            consumed += 1
            yield entry

    result = verify_chain(stream())
    assert (result.first_bad_seq, result.reason) == (2, REASON_BAD_HASH)
    assert consumed == 2
