"""Two confirmations of the same achievement at the same moment: PostgreSQL's
partial unique index lets exactly one count."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import delete, func, or_, select

from marketplace.accounts.models import Organization, User
from marketplace.contracts.models import Contract, ContractAsset
from marketplace.core.errors import DomainError
from marketplace.core.models import AuditEvent
from marketplace.core.timeutil import utcnow
from marketplace.extensions import db as _db
from marketplace.industrialization import services
from marketplace.industrialization.models import IndustrializationReport
from marketplace.ip.models import AssetOwner, IpAsset
from marketplace.notifications.models import Notification
from tests.factories import _PASSWORD_HASH, patent_number, valid_uscc

pytestmark = pytest.mark.postgres


@pytest.fixture
def committed_reports(app):
    """One asset under two registered licences, a pending report on each, committed for real."""
    with app.app_context():
        seller_org = Organization(
            name="并发转化测试大学", kind="university", region_code="230100", uscc=valid_uscc()
        )
        buyers = [
            Organization(
                name=f"并发转化测试企业{n}", kind="enterprise", region_code="230100", uscc=valid_uscc()
            )
            for n in range(2)
        ]
        _db.session.add_all([seller_org, *buyers])
        _db.session.flush()
        seller = User(
            email="seller.indus.race@example.cn",
            name="卖方",
            password_hash=_PASSWORD_HASH,
            role="seller",
            organization_id=seller_org.id,
        )
        asset = IpAsset(
            kind="invention_patent",
            identifier=patent_number(),
            title_zh="并发转化测试专利",
            industry="new_materials",
            legal_status="granted",
        )
        asset.owners.append(AssetOwner(org_id=seller_org.id, share_bp=10000))
        _db.session.add_all([seller, asset])
        _db.session.flush()
        reports = []
        for n, buyer in enumerate(buyers):
            contract = Contract(
                status="registered",
                source="offer",
                category="license_patent",
                title=f"并发转化测试专利实施许可合同{n}",
                seller_org_id=seller_org.id,
                buyer_org_id=buyer.id,
                registration_no=f"20242301009{n:05d}",
                registered_at=utcnow(),
            )
            contract.asset_links.append(ContractAsset(asset_id=asset.id))
            _db.session.add(contract)
            _db.session.flush()
            report = IndustrializationReport(
                contract_id=contract.id,
                asset_id=asset.id,
                buyer_org_id=buyer.id,
                stage="production_started",
                achieved_on=date(2025, 3, 1),
                units=100,
                description="投产",
            )
            _db.session.add(report)
            _db.session.flush()
            reports.append(report.id)
        _db.session.commit()
        ids = {
            "reports": reports,
            "seller": seller.id,
            "orgs": [seller_org.id, *(b.id for b in buyers)],
            "asset": asset.id,
        }
    yield ids
    with app.app_context():
        _db.session.execute(
            delete(AuditEvent).where(
                or_(AuditEvent.actor_id == ids["seller"], AuditEvent.subject_id.in_(ids["reports"]))
            )
        )
        _db.session.execute(delete(Notification).where(Notification.user_id == ids["seller"]))
        _db.session.execute(
            delete(IndustrializationReport).where(IndustrializationReport.asset_id == ids["asset"])
        )
        contract_ids = select(ContractAsset.contract_id).where(ContractAsset.asset_id == ids["asset"])
        contracts = list(_db.session.scalars(contract_ids))
        _db.session.execute(delete(ContractAsset).where(ContractAsset.asset_id == ids["asset"]))
        _db.session.execute(delete(Contract).where(Contract.id.in_(contracts)))
        _db.session.execute(delete(AssetOwner).where(AssetOwner.asset_id == ids["asset"]))
        _db.session.execute(delete(IpAsset).where(IpAsset.id == ids["asset"]))
        _db.session.execute(delete(User).where(User.id == ids["seller"]))
        _db.session.execute(delete(Organization).where(Organization.id.in_(ids["orgs"])))
        _db.session.commit()
        _db.session.remove()


def test_two_concurrent_confirmations_count_the_asset_once(app, committed_reports):
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm(report_id: int) -> None:
        with app.test_request_context("/"):
            report = _db.session.get(IndustrializationReport, report_id)
            seller = _db.session.get(User, committed_reports["seller"])
            barrier.wait()
            try:
                services.confirm_report(report, actor=seller)
                _db.session.commit()
                outcomes.append("ok")
            except DomainError:
                _db.session.rollback()
                outcomes.append("refused")
            except Exception as exc:  # noqa: BLE001 - reported by the assertion
                _db.session.rollback()
                outcomes.append(repr(exc))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=confirm, args=(rid,)) for rid in committed_reports["reports"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["ok", "refused"]
    with app.app_context():
        confirmed = _db.session.scalar(
            select(func.count()).where(
                IndustrializationReport.asset_id == committed_reports["asset"],
                IndustrializationReport.status == "confirmed",
            )
        )
        _db.session.remove()
    assert confirmed == 1
