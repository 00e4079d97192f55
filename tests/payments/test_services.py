"""Bank transfers, refunds and the milestone figures, through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.contracts.ports import paid_fen_for
from marketplace.core.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationError
from marketplace.core.models import audit_trail
from marketplace.core.timeutil import utcnow
from marketplace.ledger import ports as ledger_ports
from marketplace.notifications.models import Notification
from marketplace.payments import services
from marketplace.payments.models import Payment, Refund
from marketplace.payments.states import (
    PAYMENT_TRANSITIONS,
    REFUND_TRANSITIONS,
    PaymentStatus,
    RefundStatus,
    payment_machine,
    refund_machine,
)
from tests import factories

pytestmark = pytest.mark.usefixtures("in_request")


def _pay(deal, seq=1, amount=100_000, actor=None, **kwargs):
    values = {
        "paid_on": deal.contract.signed_on,
        "reference": "HRB2025000123",
        "payer_account_name": deal.contract.buyer_org.name,
    }
    values.update(kwargs)
    return services.record_bank_transfer(
        deal.contract, seq, amount_fen=amount, actor=actor or deal.buyer, **values
    )


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Payment))


def test_a_bank_transfer_waits_for_the_seller_then_counts(db, make_deal):
    deal = make_deal()
    payment = _pay(deal, amount=120_000)
    assert payment.status == "pending"
    figures = services.milestone_figures(deal.contract)[0]
    assert (figures.paid_fen, figures.pending_fen, figures.open_fen) == (0, 120_000, 180_000)
    assert figures.status == "unpaid"
    # The seller's members are told.
    notes = db.session.scalars(select(Notification).where(Notification.user_id == deal.seller.id)).all()
    assert len(notes) == 1

    services.confirm_payment(payment, actor=deal.seller)
    assert payment.status == "confirmed" and payment.confirmed_by_id == deal.seller.id
    figures = services.milestone_figures(deal.contract)[0]
    assert (figures.paid_fen, figures.pending_fen, figures.status) == (120_000, 0, "partly_paid")
    assert paid_fen_for(deal.milestones[0]) == 120_000  # the contracts hook is wired
    assert [e.action for e in audit_trail(payment)] == ["payment.recorded", "payment.confirmed"]


def test_partial_payments_accumulate_to_paid(db, make_deal):
    deal = make_deal()
    for amount in (100_000, 150_000, 50_000):
        services.confirm_payment(_pay(deal, amount=amount), actor=deal.seller)
    figures = services.milestone_figures(deal.contract)[0]
    assert (figures.paid_fen, figures.open_fen, figures.status) == (300_000, 0, "paid")


def test_overpayment_is_refused_counting_pending_payments(db, make_deal):
    deal = make_deal()
    _pay(deal, amount=200_000)  # pending, not confirmed
    with pytest.raises(ValidationError) as exc:
        _pay(deal, amount=100_001)
    assert "amount_fen" in exc.value.fields
    assert "1,000.00" in str(exc.value.fields["amount_fen"][0])  # what is still open
    assert _count(db) == 1
    _pay(deal, amount=100_000)  # exactly what is open
    with pytest.raises(Conflict):
        _pay(deal, amount=1)


@pytest.mark.parametrize("amount", [0, -100, True, 12.5, "100"])
def test_amounts_that_are_not_positive_whole_fen_are_refused(db, make_deal, amount):
    deal = make_deal()
    with pytest.raises(ValidationError) as exc:
        _pay(deal, amount=amount)
    assert "amount_fen" in exc.value.fields
    assert _count(db) == 0


def test_only_the_buyer_pays(db, make_deal):
    deal = make_deal()
    for user in (deal.seller, deal.agency, factories.user_with_role("regulator")):
        with pytest.raises(PermissionDenied) as exc:
            _pay(deal, actor=user)
        assert "买方" in str(exc.value) or "buyer" in str(exc.value)
    assert _count(db) == 0


def test_a_contract_not_yet_signed_cannot_be_paid(db, make_deal):
    deal = make_deal(status="signing")
    with pytest.raises(Conflict) as exc:
        _pay(deal)
    assert exc.value.code == "contract_not_payable"
    assert _count(db) == 0


def test_a_milestone_of_another_contract_is_not_found(db, make_deal):
    deal = make_deal(milestones=((30, 300_000),))
    with pytest.raises(NotFound):
        _pay(deal, seq=2)
    with pytest.raises(NotFound):
        _pay(deal, seq="x")
    assert _count(db) == 0


def test_transfer_details_are_required_and_the_date_not_in_the_future(db, make_deal, today):
    deal = make_deal()
    with pytest.raises(ValidationError) as exc:
        _pay(deal, reference=" ", payer_account_name="", paid_on=today + timedelta(days=1))
    assert set(exc.value.fields) == {"reference", "payer_account_name", "paid_on"}
    assert _count(db) == 0


def test_the_seller_disputes_with_a_reason_and_may_confirm_later(db, make_deal):
    deal = make_deal()
    payment = _pay(deal, amount=300_000)
    with pytest.raises(ValidationError):
        services.dispute_payment(payment, reason="  ", actor=deal.seller)
    with pytest.raises(PermissionDenied):
        services.dispute_payment(payment, reason="未到账", actor=deal.buyer)
    services.dispute_payment(payment, reason="账户未收到该笔款项", actor=deal.seller)
    assert payment.status == "disputed" and payment.dispute_reason == "账户未收到该笔款项"
    # A disputed transfer no longer holds the milestone: the buyer may record the right one.
    assert services.milestone_figures(deal.contract)[0].open_fen == 300_000
    right = _pay(deal, amount=300_000, reference="HRB2025000999")
    # Confirming the disputed one now would overpay.
    with pytest.raises(Conflict):
        services.confirm_payment(payment, actor=deal.seller)
    services.cancel_payment(right, actor=deal.buyer)
    services.confirm_payment(payment, actor=deal.seller)
    assert payment.status == "confirmed"


def test_a_confirmed_payment_is_reversed_only_by_refunds(db, make_deal, today):
    deal = make_deal()
    payment = _pay(deal, amount=300_000)
    services.confirm_payment(payment, actor=deal.seller)
    with pytest.raises(InvalidTransition):
        services.cancel_payment(payment, actor=deal.buyer)
    with pytest.raises(PermissionDenied):
        services.record_refund(payment, amount_fen=1, reason="x", actor=deal.buyer)
    with pytest.raises(ValidationError) as exc:
        services.record_refund(payment, amount_fen=300_001, reason="多付", actor=deal.seller)
    assert set(exc.value.fields) == {"amount_fen", "reference", "refunded_on"}
    refund = services.record_refund(
        payment, amount_fen=50_000, reason="验收扣减", refunded_on=today, reference="RF001", actor=deal.seller
    )
    assert refund.status == "succeeded" and refund.succeeded_at is not None
    assert payment.amount_fen == 300_000 and payment.status == "confirmed"  # never edited
    figures = services.milestone_figures(deal.contract)[0]
    assert (figures.paid_fen, figures.open_fen, figures.status) == (250_000, 50_000, "partly_paid")
    assert payment.refundable_fen == 250_000
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 1


def test_overdue_milestones(db, make_deal):
    deal = make_deal(milestones=((-5, 100_000), (-3, 100_000), (10, 100_000)))
    services.confirm_payment(_pay(deal, seq=2, amount=100_000), actor=deal.seller)
    statuses = [f.status for f in services.milestone_figures(deal.contract)]
    assert statuses == ["overdue", "paid", "unpaid"]
    assert services.milestone_status(100, 50, deal.milestones[0].due_on) == "overdue"
    assert services.milestone_status(100, 50, deal.milestones[2].due_on) == "partly_paid"


def test_agency_commission_from_the_terms(db, make_deal):
    deal = make_deal(milestones=((30, 333_333), (60, 100_000)), commission_bp=250)
    services.confirm_payment(_pay(deal, amount=100_000), actor=deal.seller)
    first, second = services.milestone_figures(deal.contract)
    assert first.commission_bp == 250
    assert first.commission_due_fen == 8_333  # 333,333 x 2.5 % = 8,333.325 -> 8,333
    assert first.commission_earned_fen == 2_500
    assert second.commission_due_fen == 2_500 and second.commission_earned_fen == 0
    assert services.commission_fen(1, 5_000) == 1  # half up


@pytest.mark.parametrize("value", [None, "abc", -1, 10_001, True, 2.5])
def test_no_commission_without_a_valid_rate(db, make_deal, value):
    deal = make_deal()
    deal.contract.terms = {**deal.contract.terms, "agency_commission_bp": value}
    assert services.agency_commission_bp(deal.contract) is None
    assert services.milestone_figures(deal.contract)[0].commission_due_fen is None


def test_no_commission_without_an_agency(db, make_deal):
    deal = make_deal(agency=False)
    assert services.agency_commission_bp(deal.contract) is None


def test_cash_received_for_the_ledger_by_scope_and_time(db, make_deal, today):
    harbin = make_deal(status="registered")
    qiqihar = make_deal(status="registered", seller_region="230200")
    signed_only = make_deal(status="signed")
    for deal in (harbin, qiqihar, signed_only):
        services.confirm_payment(_pay(deal, amount=100_000), actor=deal.seller)
    before = utcnow()
    payment = _pay(harbin, seq=2, amount=200_000)
    services.confirm_payment(payment, actor=harbin.seller)
    services.record_refund(
        payment, amount_fen=30_000, reason="退款", refunded_on=today, reference="R1", actor=harbin.seller
    )
    assert ledger_ports.cash_received_fen("230000", None) == 100_000 + 100_000 + 200_000 - 30_000
    assert ledger_ports.cash_received_fen("230100", None) == 100_000 + 170_000
    assert ledger_ports.cash_received_fen("230200", None) == 100_000
    assert ledger_ports.cash_received_fen("230100", before) == 100_000
    _pay(harbin, seq=2, amount=1)  # pending: not cash received
    assert ledger_ports.cash_received_fen("230100", None) == 270_000


def test_payment_history_by_organization(db, make_deal):
    deal = make_deal()
    other = make_deal()
    mine = _pay(deal, amount=100_000)
    _pay(other, amount=100_000)
    visible = lambda user: db.session.scalars(services.payments_visible_to(user)).all()  # noqa: E731
    assert visible(deal.buyer) == [mine]
    assert visible(deal.seller) == [mine]
    assert visible(deal.agency) == [mine]
    assert visible(factories.user_with_role("buyer")) == []
    assert len(visible(factories.user_with_role("regulator"))) == 2  # provincial
    assert visible(factories.user_with_role("regulator", region="230200")) == []
    services.confirm_payment(mine, actor=deal.seller)
    assert services.totals_for(deal.buyer)["paid_fen"] == 100_000
    assert services.totals_for(deal.seller)["received_fen"] == 100_000


@pytest.mark.parametrize("src", list(PaymentStatus))
@pytest.mark.parametrize("dst", list(PaymentStatus))
def test_every_payment_transition(src, dst):
    payment = Payment(status=src.value)
    if dst in PAYMENT_TRANSITIONS[src]:
        payment_machine.apply(payment, dst)
        assert payment.status == dst.value
    else:
        with pytest.raises(InvalidTransition):
            payment_machine.apply(payment, dst)
        assert payment.status == src.value


@pytest.mark.parametrize("src", list(RefundStatus))
@pytest.mark.parametrize("dst", list(RefundStatus))
def test_every_refund_transition(src, dst):
    refund = Refund(status=src.value)
    if dst in REFUND_TRANSITIONS[src]:
        refund_machine.apply(refund, dst)
    else:
        with pytest.raises(InvalidTransition):
            refund_machine.apply(refund, dst)
