"""The seller confirms a bank transfer while a colleague disputes it (PostgreSQL
row locks), ROUNDS rounds over two real connections. A dispute decided first
may still be confirmed; a confirmation decided first cannot be disputed. So
the payment always ends confirmed, never disputed over a confirmation, and
the next step works: part of it can be refunded."""

from __future__ import annotations

import pytest

from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db as _db
from marketplace.payments import services
from marketplace.payments.models import Payment
from tests import factories
from tests.race import ROUNDS, act, audit_chain, committed, lead_of, race, rounds

pytestmark = pytest.mark.postgres


def _pending_transfer() -> dict[str, int]:
    contract = factories.ContractFactory(signed=True)
    seller = factories.user_with_role("seller", org=contract.seller_org)
    colleague = factories.user_with_role("seller", org=contract.seller_org)
    payment = factories.PaymentFactory(milestone=contract.milestones[0])
    return {"payment": payment.id, "seller": seller.id, "colleague": colleague.id}


def test_confirm_against_a_dispute(app):
    with rounds(app):
        for round_no in range(ROUNDS):
            with committed(app):
                ids = _pending_transfer()
            outcomes = race(
                app,
                act(Payment, ids["payment"], ids["seller"], services.confirm_payment),
                act(Payment, ids["payment"], ids["colleague"], services.dispute_payment, reason="未见到账"),
                lead=lead_of(round_no),
            )
            assert outcomes in (["ok", "ok"], ["ok", "invalid_transition"]), outcomes
            with app.test_request_context("/"):
                from marketplace.accounts.models import User

                payment = _db.session.get(Payment, ids["payment"])
                chain = audit_chain(payment)
                assert payment.status == "confirmed" and payment.confirmed_at is not None
                disputed_first = outcomes[1] == "ok"
                assert [(step[1], step[2]) for step in chain] == (
                    [("pending", "disputed"), ("disputed", "confirmed")]
                    if disputed_first
                    else [("pending", "confirmed")]
                )
                assert (payment.disputed_at is not None) == disputed_first
                refund = services.record_refund(
                    payment,
                    amount_fen=1_000,
                    reason="多付退回",
                    reference="REFUND1",
                    refunded_on=today_shanghai(),
                    actor=_db.session.get(User, ids["seller"]),
                )
                assert refund.status == "succeeded"
                _db.session.commit()
                _db.session.remove()
