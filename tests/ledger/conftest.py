"""Ledger test helpers."""

from __future__ import annotations

import pytest

from marketplace.ledger import checkpoints, services

from ..factories import LedgerEventFactory, amendment_of, user_with_role


@pytest.fixture
def in_request(app):
    """A request context, so services' translated messages can be rendered."""
    with app.test_request_context("/"):
        yield


@pytest.fixture
def key_file(app, tmp_path, monkeypatch):
    path = tmp_path / "signing.pem"
    checkpoints.generate_key_file(path)
    monkeypatch.setitem(app.config, "LEDGER_SIGNING_KEY_FILE", str(path))
    return path


@pytest.fixture
def ledger(db, app, key_file):
    """Six entries in Harbin and Daqing, a checkpoint after four, more entries, a checkpoint after seven."""
    with app.test_request_context("/"):
        return _build_ledger(db)


def _build_ledger(db):
    if True:
        reg = user_with_role("regulator")
        events = [LedgerEventFactory(seller_region=r) for r in ("230100", "230600", "230100", "230600")]
        entries = [services.append_entry(ev, actor=reg) for ev in events]
        first = checkpoints.create_checkpoint()
        entries.append(services.append_entry(LedgerEventFactory(seller_region="230100"), actor=reg))
        entries.append(services.append_entry(amendment_of(events[0], 1000, 0), actor=reg))
        entries.append(services.append_entry(LedgerEventFactory(seller_region="230600"), actor=reg))
        second = checkpoints.create_checkpoint()
        db.session.flush()
        return {"entries": entries, "events": events, "first": first, "second": second, "regulator": reg}
