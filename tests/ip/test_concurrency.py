"""The exclusivity rule holds under concurrent requests (PostgreSQL row locks)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import delete

from marketplace.accounts.models import Organization, User
from marketplace.core.models import AuditEvent
from marketplace.extensions import db as _db
from marketplace.ip import services
from marketplace.ip.deals import DealTerms
from marketplace.ip.models import AssetOwner, Encumbrance, IpAsset, TitleEvent

from .. import factories


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

    def commit_deal(name: str, hold: float) -> None:
        with app.app_context(), app.test_request_context("/api/v1/"):
            asset = _db.session.get(IpAsset, asset_id)
            actor = _db.session.get(User, seller_id)
            terms = DealTerms("license", license_type="exclusive", territory="黑龙江")
            try:
                if hold:
                    services.lock_asset(asset)
                    first_has_lock.set()
                    time.sleep(hold)
                services.record_committed_deal(asset, terms, reference=f"HT-{name}", actor=actor)
                _db.session.commit()
                results[name] = "committed"
            except services.DealExcluded as exc:
                _db.session.rollback()
                results[name] = exc.check.codes[0]
            finally:
                _db.session.remove()

    first = threading.Thread(target=commit_deal, args=("A", 0.5))
    second = threading.Thread(target=commit_deal, args=("B", 0))
    first.start()
    assert first_has_lock.wait(5)
    second.start()
    first.join(10)
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
