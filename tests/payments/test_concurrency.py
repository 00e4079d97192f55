"""Overpayment under concurrent requests is decided by PostgreSQL's row lock."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, or_, select

from marketplace.accounts.models import Organization, User
from marketplace.contracts.models import Contract, ContractMilestone
from marketplace.core.errors import DomainError
from marketplace.core.models import AuditEvent
from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db as _db
from marketplace.notifications.models import Notification
from marketplace.payments import services
from marketplace.payments.models import Payment
from tests.factories import _PASSWORD_HASH, valid_uscc

pytestmark = pytest.mark.postgres


@pytest.fixture
def committed_deal(app):
    """A signed contract committed for real (threads need to see it), removed afterwards."""
    with app.app_context():
        seller_org = Organization(
            name="并发测试大学", kind="university", region_code="230100", uscc=valid_uscc()
        )
        buyer_org = Organization(
            name="并发测试企业", kind="enterprise", region_code="230100", uscc=valid_uscc()
        )
        _db.session.add_all([seller_org, buyer_org])
        _db.session.flush()
        seller = User(
            email="seller.concurrency@example.cn",
            name="卖方",
            password_hash=_PASSWORD_HASH,
            role="seller",
            organization_id=seller_org.id,
        )
        buyer = User(
            email="buyer.concurrency@example.cn",
            name="买方",
            password_hash=_PASSWORD_HASH,
            role="buyer",
            organization_id=buyer_org.id,
        )
        contract = Contract(
            status="signed",
            source="offer",
            title="并发付款测试合同",
            seller_org_id=seller_org.id,
            buyer_org_id=buyer_org.id,
        )
        contract.milestones.append(
            ContractMilestone(seq=1, due_on=today_shanghai() + timedelta(days=30), amount_fen=300_000)
        )
        _db.session.add_all([seller, buyer, contract])
        _db.session.commit()
        ids = (contract.id, buyer.id, seller.id, seller_org.id, buyer_org.id)
    yield ids
    with app.app_context():
        contract_id, buyer_id, seller_id, *org_ids = ids
        payment_ids = select(Payment.id).where(Payment.contract_id == contract_id)
        _db.session.execute(
            delete(AuditEvent).where(
                or_(AuditEvent.actor_id.in_([buyer_id, seller_id]), AuditEvent.subject_id.in_(payment_ids))
            )
        )
        _db.session.execute(delete(Notification).where(Notification.user_id.in_([buyer_id, seller_id])))
        _db.session.execute(delete(Payment).where(Payment.contract_id == contract_id))
        _db.session.execute(delete(ContractMilestone).where(ContractMilestone.contract_id == contract_id))
        _db.session.execute(delete(Contract).where(Contract.id == contract_id))
        _db.session.execute(delete(User).where(User.id.in_([buyer_id, seller_id])))
        _db.session.execute(delete(Organization).where(Organization.id.in_(org_ids)))
        _db.session.commit()
        _db.session.remove()


def test_two_concurrent_payments_cannot_overpay_a_milestone(app, committed_deal):
    contract_id, buyer_id, *_ = committed_deal
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def pay(n: int) -> None:
        with app.test_request_context("/"):
            contract = _db.session.get(Contract, contract_id)
            buyer = _db.session.get(User, buyer_id)
            barrier.wait()
            try:
                services.record_bank_transfer(
                    contract,
                    1,
                    amount_fen=200_000,
                    paid_on=today_shanghai(),
                    reference=f"RACE{n}",
                    payer_account_name="并发测试企业",
                    actor=buyer,
                )
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

    threads = [threading.Thread(target=pay, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["ok", "refused", "refused", "refused"]
    with app.app_context():
        total = _db.session.scalar(
            select(func.sum(Payment.amount_fen)).where(Payment.contract_id == contract_id)
        )
        _db.session.remove()
    assert total == 200_000
