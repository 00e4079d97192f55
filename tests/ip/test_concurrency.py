"""The exclusivity rule holds under concurrent requests (PostgreSQL row locks)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import delete, text

from marketplace.accounts.models import Organization, User
from marketplace.core.models import AuditEvent
from marketplace.extensions import db as _db
from marketplace.ip import services
from marketplace.ip.deals import DealTerms
from marketplace.ip.models import AssetOwner, Encumbrance, IpAsset, TitleEvent

from .. import factories


def wait_for_a_lock_waiter(table: str, timeout: float = 10.0) -> None:
    """Return once another session of this database waits for a lock on a
    query over `table`, as PostgreSQL itself reports it; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    with _db.engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database() AND pid <> pg_backend_pid() "
                    "AND query ILIKE :table"
                ),
                {"table": f"%{table}%"},
            ).scalar()
            conn.rollback()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError(f"no session ever waited for a lock on {table}")


@pytest.mark.postgres
def test_two_concurrent_exclusive_licences_cannot_both_be_committed(app):
    with app.app_context():
        factories.bind(_db.session)
        seller = factories.user_with_role("seller")
        asset = factories.IpAssetFactory(owned_by=seller.organization)
        _db.session.commit()
        asset_id, seller_id, org_id = asset.id, seller.id, seller.organization_id
        _db.session.remove()
    results: dict[str, str] = {}
    first_has_lock = threading.Event()
    release_first = threading.Event()

    def commit_deal(name: str, hold: bool) -> None:
        with app.app_context(), app.test_request_context("/api/v1/"):
            asset = _db.session.get(IpAsset, asset_id)
            actor = _db.session.get(User, seller_id)
            terms = DealTerms("license", license_type="exclusive", territory="黑龙江")
            try:
                if hold:
                    # Hold the asset's row lock until the other request is
                    # seen waiting for it.
                    services.lock_asset(asset)
                    first_has_lock.set()
                    assert release_first.wait(15)
                services.record_committed_deal(asset, terms, reference=f"HT-{name}", actor=actor)
                _db.session.commit()
                results[name] = "committed"
            except services.DealExcluded as exc:
                _db.session.rollback()
                results[name] = exc.check.codes[0]
            finally:
                _db.session.remove()

    first = threading.Thread(target=commit_deal, args=("A", True))
    second = threading.Thread(target=commit_deal, args=("B", False))
    first.start()
    try:
        assert first_has_lock.wait(5)
        second.start()
        with app.app_context():
            wait_for_a_lock_waiter("ip_assets")  # B blocks on A's lock, not on a timer
    finally:
        release_first.set()
        first.join(10)
        if second.is_alive() or second.ident is not None:
            second.join(10)
    try:
        assert results == {"A": "committed", "B": "licence_conflict"}
    finally:
        with app.app_context():
            _db.session.execute(
                delete(AuditEvent).where(
                    AuditEvent.subject_type == "ip_asset", AuditEvent.subject_id == asset_id
                )
            )
            for model in (Encumbrance, TitleEvent, AssetOwner):
                _db.session.execute(delete(model).where(model.asset_id == asset_id))
            _db.session.execute(delete(IpAsset).where(IpAsset.id == asset_id))
            _db.session.execute(delete(User).where(User.id == seller_id))
            _db.session.execute(delete(Organization).where(Organization.id == org_id))
            _db.session.commit()
            _db.session.remove()
