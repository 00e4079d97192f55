"""Demo data of the payments domain: bank transfers confirmed, pending and
disputed, a refund, and one online (Stripe) payment recorded as it stands after
Stripe's webhook - with a `pi_DEMO...` id that no Stripe account knows (no
network is used). Brokered demo contracts get the agency's commission rate in
their terms (`agency_commission_bp`), which is where payments read it.

Idempotent: every demo payment carries a reference (or idempotency key)
beginning with DEMO and is skipped when it exists.
"""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from ..contracts.models import Contract
from ..core.models import record_audit
from ..core.timeutil import today_shanghai, utcnow
from ..extensions import db
from ..payments import services
from ..payments.models import Payment
from ..payments.permissions import PAYABLE
from ..payments.states import PaymentMethod, PaymentStatus
from .context import DemoContext
from .contracts import BUYER_USERS, SELLER_USERS

#: Commission of the demo agencies on the deals they brokered, in basis points.
COMMISSION_BP = {"agency_hrb": 300, "agency_dq": 500}


def _receipt(text: str) -> FileStorage:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, "Bank transfer receipt (demo)", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 10, text)
    return FileStorage(
        io.BytesIO(bytes(pdf.output())), filename=f"{text}.pdf", content_type="application/pdf"
    )


def _exists(reference: str) -> bool:
    return (
        db.session.scalar(
            select(Payment.id).where(
                (Payment.reference == reference) | (Payment.idempotency_key == reference)
            )
        )
        is not None
    )


def _users(ctx: DemoContext, contract: Contract):
    seller_key = next((k for k, o in ctx.orgs.items() if o.id == contract.seller_org_id), None)
    buyer_key = next((k for k, o in ctx.orgs.items() if o.id == contract.buyer_org_id), None)
    seller = SELLER_USERS.get(seller_key or "")
    buyer = BUYER_USERS.get(buyer_key or "")
    if not seller or not buyer:
        return None, None
    return ctx.user(seller), ctx.user(buyer)


def _transfer(contract, seq, amount, ref, buyer, days_ago):
    return services.record_bank_transfer(
        contract,
        seq,
        amount_fen=amount,
        paid_on=today_shanghai() - timedelta(days=days_ago),
        reference=ref,
        payer_account_name=contract.buyer_org.name,
        receipt=_receipt(ref),
        actor=buyer,
    )


def seed(ctx: DemoContext) -> None:
    contracts = list(
        db.session.scalars(
            select(Contract).where(Contract.source_ref.like("demo:%")).order_by(Contract.source_ref)
        )
    )
    agency_keys = {o.id: k for k, o in ctx.orgs.items() if k in COMMISSION_BP}
    for contract in contracts:
        key = agency_keys.get(contract.agency_org_id)
        terms = dict(contract.terms or {})
        if key and "agency_commission_bp" not in terms:
            terms["agency_commission_bp"] = COMMISSION_BP[key]
            contract.terms = terms
    payable = [c for c in contracts if c.status in PAYABLE and len(c.milestones) >= 2 and c.buyer_org_id]
    created = 0
    scenarios = ["paid_and_pending", "disputed", "refunded", "stripe", "first_paid", "first_paid"]
    for contract, scenario in zip(payable, scenarios, strict=False):
        seller, buyer = _users(ctx, contract)
        if seller is None:
            continue
        tag = contract.source_ref.removeprefix("demo:").upper()
        m1, m2 = contract.milestones[0], contract.milestones[1]
        if scenario in ("paid_and_pending", "first_paid", "refunded"):
            ref = f"DEMO-{tag}-1"
            if not _exists(ref):
                payment = _transfer(contract, 1, m1.amount_fen, ref, buyer, 20)
                services.confirm_payment(payment, actor=seller)
                created += 1
                if scenario == "refunded":
                    services.record_refund(
                        payment,
                        amount_fen=m1.amount_fen // 10,
                        reason="首期验收发现部分指标未达标，经双方协商退还 10%。",
                        refunded_on=today_shanghai() - timedelta(days=5),
                        reference=f"DEMO-{tag}-R1",
                        actor=seller,
                    )
        if scenario == "paid_and_pending":
            ref = f"DEMO-{tag}-2"
            if not _exists(ref):
                _transfer(contract, 2, m2.amount_fen * 4 // 10, ref, buyer, 2)
                created += 1
        if scenario == "disputed":
            ref = f"DEMO-{tag}-1"
            if not _exists(ref):
                payment = _transfer(contract, 1, m1.amount_fen, ref, buyer, 12)
                services.dispute_payment(
                    payment, reason="我方账户未查到该笔款项，请核对汇款账号后重新提供回单。", actor=seller
                )
                created += 1
        if scenario == "stripe":
            key = f"DEMO-stripe-{tag}"
            if not _exists(key):
                payment = Payment(
                    contract_id=contract.id,
                    milestone_id=m1.id,
                    method=PaymentMethod.STRIPE.value,
                    status=PaymentStatus.CONFIRMED.value,
                    amount_fen=m1.amount_fen,
                    payer_org_id=contract.buyer_org_id,
                    payee_org_id=contract.seller_org_id,
                    created_by_id=buyer.id,
                    idempotency_key=key,
                    stripe_payment_intent_id=f"pi_DEMO{tag}notarealintent",
                    stripe_status="succeeded",
                    confirmed_at=utcnow(),
                )
                db.session.add(payment)
                db.session.flush()
                record_audit("payment.started", payment, actor=buyer, data={"demo": True})
                record_audit(
                    "payment.confirmed",
                    payment,
                    from_state="pending",
                    to_state="confirmed",
                    data={"by": "stripe", "demo": True},
                )
                created += 1
    db.session.flush()
    ctx.echo(f"payments: {created} demo payments created")
