"""The rules of paying contract milestones.

Services add and flush; the view commits. Two verbs are deliberate
exceptions and commit themselves: `start_stripe_payment` and
`record_refund` (Stripe) save the row with its idempotency key and commit it
BEFORE calling Stripe, so that a crash or a retry after the call finds the
key again and Stripe answers with the same object instead of charging or
refunding twice.

Overpayment is decided in the database: every change that can add to what a
milestone holds (pending + confirmed - refunded) first locks the milestone
row (SELECT ... FOR UPDATE on PostgreSQL; SQLite serializes writers), then
sums and writes in the same transaction.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from ..accounts.models import Organization, User
from ..contracts.models import Contract, ContractMilestone
from ..contracts.states import ON_RECORD
from ..core.catalog import PROVINCE_CODE
from ..core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..core.locking import lock
from ..core.models import record_audit
from ..core.money import MAX_FEN, format_yuan
from ..core.states import transition
from ..core.timeutil import today_shanghai, utcnow
from ..extensions import db
from ..notifications.services import N_, notify
from ..storage.uploads import save_upload
from . import permissions
from .gateway import (
    GatewayError,
    Intent,
    RefundResult,
    WebhookSignatureError,
    gateway_for,
    stripe_gateway,
)
from .models import Payment, Refund, StripeEvent
from .states import (
    RESERVING,
    MilestoneStatus,
    PaymentMethod,
    PaymentStatus,
    RefundStatus,
)

log = logging.getLogger(__name__)

BP_DENOMINATOR = 10_000
COMMISSION_TERMS_KEY = "agency_commission_bp"


# -- Figures ---------------------------------------------------------------
@dataclass(frozen=True)
class MilestoneFigures:
    milestone: ContractMilestone
    amount_fen: int
    paid_fen: int  # confirmed minus refunded
    pending_fen: int  # recorded or under way, not yet confirmed
    open_fen: int  # what may still be paid: amount - (pending + paid)
    status: str
    commission_bp: int | None
    commission_due_fen: int | None  # the agency's receivable on the milestone amount
    commission_earned_fen: int | None  # on the cash actually received

    @property
    def seq(self) -> int:
        return self.milestone.seq

    @property
    def due_on(self) -> date:
        return self.milestone.due_on


def agency_commission_bp(contract: Contract) -> int | None:
    """The agency's commission rate in basis points, from the recorded terms.

    A `agency_commission_bp` attribute of the contract wins if the contract
    model has one; otherwise the key `agency_commission_bp` of the contract's
    terms JSON. None without an agency or without a valid rate (0-10000).
    """
    if contract.agency_org_id is None:
        return None
    value: Any = getattr(contract, COMMISSION_TERMS_KEY, None)
    if value is None:
        value = (contract.terms or {}).get(COMMISSION_TERMS_KEY) if isinstance(contract.terms, dict) else None
    if isinstance(value, bool):
        return None
    try:
        bp = int(value)
    except (TypeError, ValueError):
        return None
    if str(bp) != str(value).strip() and not isinstance(value, int):
        return None
    return bp if 0 <= bp <= BP_DENOMINATOR else None


def commission_fen(amount_fen: int, bp: int) -> int:
    """amount x bp / 10000, rounded half up to the fen, in integers."""
    return (amount_fen * bp + BP_DENOMINATOR // 2) // BP_DENOMINATOR


def _sums(milestone_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """milestone id -> (confirmed, pending, refunded) in fen."""
    if not milestone_ids:
        return {}
    out: dict[int, list[int]] = {mid: [0, 0, 0] for mid in milestone_ids}
    rows = db.session.execute(
        select(Payment.milestone_id, Payment.status, func.coalesce(func.sum(Payment.amount_fen), 0))
        .where(Payment.milestone_id.in_(milestone_ids), Payment.status.in_([s.value for s in RESERVING]))
        .group_by(Payment.milestone_id, Payment.status)
    )
    for mid, status, total in rows:
        out[mid][0 if status == PaymentStatus.CONFIRMED else 1] += int(total)
    refunded = db.session.execute(
        select(Payment.milestone_id, func.coalesce(func.sum(Refund.amount_fen), 0))
        .join(Refund, Refund.payment_id == Payment.id)
        .where(Payment.milestone_id.in_(milestone_ids), Refund.status == RefundStatus.SUCCEEDED.value)
        .group_by(Payment.milestone_id)
    )
    for mid, total in refunded:
        out[mid][2] += int(total)
    return {mid: (c, p, r) for mid, (c, p, r) in out.items()}


def milestone_status(amount_fen: int, paid_fen: int, due_on: date, today: date | None = None) -> str:
    if paid_fen >= amount_fen:
        return MilestoneStatus.PAID.value
    if due_on < (today or today_shanghai()):
        return MilestoneStatus.OVERDUE.value
    if paid_fen > 0:
        return MilestoneStatus.PARTLY_PAID.value
    return MilestoneStatus.UNPAID.value


def milestone_figures(contract: Contract, today: date | None = None) -> list[MilestoneFigures]:
    milestones = list(contract.milestones)
    sums = _sums([m.id for m in milestones])
    bp = agency_commission_bp(contract)
    figures = []
    for m in milestones:
        confirmed, pending, refunded = sums.get(m.id, (0, 0, 0))
        paid = confirmed - refunded
        figures.append(
            MilestoneFigures(
                milestone=m,
                amount_fen=m.amount_fen,
                paid_fen=paid,
                pending_fen=pending,
                open_fen=max(0, m.amount_fen - paid - pending),
                status=milestone_status(m.amount_fen, paid, m.due_on, today),
                commission_bp=bp,
                commission_due_fen=commission_fen(m.amount_fen, bp) if bp is not None else None,
                commission_earned_fen=commission_fen(paid, bp) if bp is not None else None,
            )
        )
    return figures


def paid_fen_of_milestones(milestone_ids) -> dict[int, int]:
    """Confirmed cash net of refunds per milestone, for many at once (a contracts port)."""
    ids = [mid for mid in milestone_ids if mid is not None]
    return {mid: confirmed - refunded for mid, (confirmed, _pending, refunded) in _sums(ids).items()}


def paid_fen(milestone: ContractMilestone) -> int:
    """Confirmed cash on a milestone, net of refunds (a contracts port)."""
    if milestone.id is None:
        return 0
    confirmed, _pending, refunded = _sums([milestone.id])[milestone.id]
    return confirmed - refunded


def cash_received_fen(scope: str, as_of: datetime | None = None) -> int:
    """Cash received on contracts on record whose seller is in `scope` (a ledger port).

    Confirmed payments up to `as_of`, minus refunds that succeeded up to `as_of`.
    Payments never change turnover; this figure is shown beside it.
    """
    as_of = as_of or utcnow()
    seller = select(Organization.id)
    if scope == PROVINCE_CODE:
        seller = seller.where(Organization.region_code.like("23%"))
    else:
        seller = seller.where(Organization.region_code.like(scope[:4] + "%"))
    in_scope = (
        select(Payment.id)
        .join(Contract, Contract.id == Payment.contract_id)
        .where(
            Contract.status.in_([s.value for s in ON_RECORD]),
            Contract.seller_org_id.in_(seller),
            Payment.status == PaymentStatus.CONFIRMED.value,
            Payment.confirmed_at <= as_of,
        )
    )
    received = db.session.scalar(
        select(func.coalesce(func.sum(Payment.amount_fen), 0)).where(Payment.id.in_(in_scope))
    )
    refunded = db.session.scalar(
        select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(
            Refund.payment_id.in_(in_scope),
            Refund.status == RefundStatus.SUCCEEDED.value,
            Refund.succeeded_at <= as_of,
        )
    )
    return int(received or 0) - int(refunded or 0)


# -- Finding things ----------------------------------------------------------
def milestone_of(contract: Contract, seq: Any) -> ContractMilestone:
    try:
        seq = int(seq)
    except (TypeError, ValueError):
        raise NotFound(_l("This contract has no such milestone.")) from None
    for m in contract.milestones:
        if m.seq == seq:
            return m
    raise NotFound(_l("This contract has no milestone %(n)s.", n=seq))


def payments_of_contract(contract: Contract) -> list[Payment]:
    return list(
        db.session.scalars(
            select(Payment)
            .where(Payment.contract_id == contract.id)
            .order_by(Payment.created_at.desc(), Payment.id.desc())
        ).unique()
    )


def payments_visible_to(user: User, *, status: str | None = None, method: str | None = None) -> Select:
    """The payments a user's history shows: their organization's as payer, payee or
    brokering agency; a regulator's in scope; every payment for an admin."""
    stmt = select(Payment).join(Contract, Contract.id == Payment.contract_id)
    if user.is_admin:
        pass
    elif user.acts_as("regulator"):
        scope = user.scope_region or ""
        seller = select(Organization.id).where(
            Organization.region_code.like("23%" if scope == PROVINCE_CODE else scope[:4] + "%")
        )
        stmt = stmt.where(Contract.seller_org_id.in_(seller))
    else:
        org = user.organization_id
        conditions = []
        if user.acts_as("seller", "buyer"):
            conditions += [Payment.payer_org_id == org, Payment.payee_org_id == org]
        if user.acts_as("agency"):
            conditions.append(Contract.agency_org_id == org)
        if not conditions:
            return stmt.where(False)
        stmt = stmt.where(or_(*conditions))
    if status:
        stmt = stmt.where(Payment.status == status)
    if method:
        stmt = stmt.where(Payment.method == method)
    return stmt.order_by(Payment.created_at.desc(), Payment.id.desc())


def contracts_to_pay(user: User) -> list[tuple[Contract, int]]:
    """The buyer's signed contracts with something still open, and how much (for the history page)."""
    if not user.acts_as("seller", "buyer"):
        return []
    contracts = db.session.scalars(
        select(Contract)
        .where(
            Contract.buyer_org_id == user.organization_id,
            Contract.status.in_([s.value for s in permissions.PAYABLE]),
        )
        .order_by(Contract.id.desc())
        .limit(50)
    ).unique()
    out = []
    for contract in contracts:
        open_fen = sum(f.open_fen for f in milestone_figures(contract))
        if open_fen > 0:
            out.append((contract, open_fen))
    return out


def totals_for(user: User) -> dict[str, int]:
    """Cash paid and received by the user's organization (net of refunds), and what waits."""
    org = user.organization_id
    refunded = (
        select(func.coalesce(func.sum(Refund.amount_fen), 0))
        .where(Refund.payment_id == Payment.id, Refund.status == RefundStatus.SUCCEEDED.value)
        .scalar_subquery()
    )
    net = case((Payment.status == PaymentStatus.CONFIRMED.value, Payment.amount_fen - refunded), else_=0)
    pending = case((Payment.status == PaymentStatus.PENDING.value, Payment.amount_fen), else_=0)
    row = db.session.execute(
        select(
            func.coalesce(func.sum(case((Payment.payer_org_id == org, net), else_=0)), 0),
            func.coalesce(func.sum(case((Payment.payee_org_id == org, net), else_=0)), 0),
            func.coalesce(func.sum(case((Payment.payer_org_id == org, pending), else_=0)), 0),
            func.coalesce(func.sum(case((Payment.payee_org_id == org, pending), else_=0)), 0),
        ).where(or_(Payment.payer_org_id == org, Payment.payee_org_id == org))
    ).one()
    return {
        "paid_fen": int(row[0]),
        "received_fen": int(row[1]),
        "outgoing_pending_fen": int(row[2]),
        "incoming_pending_fen": int(row[3]),
    }


# -- Guards ----------------------------------------------------------------
def _refundable_fen(payment: Payment) -> int:
    """Confirmed amount minus refunds done or under way, read from the database."""
    if payment.status != PaymentStatus.CONFIRMED:
        return 0
    taken = db.session.scalar(
        select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(
            Refund.payment_id == payment.id,
            Refund.status.in_([RefundStatus.PENDING.value, RefundStatus.SUCCEEDED.value]),
        )
    )
    return payment.amount_fen - int(taken or 0)


def _open_fen(milestone: ContractMilestone) -> int:
    confirmed, pending, refunded = _sums([milestone.id])[milestone.id]
    return milestone.amount_fen - (confirmed - refunded) - pending


def ensure_can_pay(contract: Contract, actor: User) -> None:
    """Clear refusals for someone who may see the contract but may not pay it."""
    if not permissions.is_buyer(actor, contract):
        raise PermissionDenied(_l("Only the buyer of this contract can pay its milestones."))
    if not permissions.is_payable(contract):
        raise Conflict(
            _l("Milestones can be paid once both parties have signed the contract."),
            code="contract_not_payable",
        )


def _check_amount(amount_fen: Any, open_fen: int) -> int:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise ValidationError(fields={"amount_fen": [_l("Enter the amount as a whole number of fen.")]})
    if amount_fen <= 0:
        raise ValidationError(fields={"amount_fen": [_l("The amount must be more than zero.")]})
    if amount_fen > MAX_FEN:
        raise ValidationError(fields={"amount_fen": [_l("The amount is too large.")]})
    if open_fen <= 0:
        raise Conflict(
            _l(
                "Nothing is left to pay on this milestone: it is paid, or payments waiting for confirmation cover it."
            ),
            code="milestone_settled",
        )
    if amount_fen > open_fen:
        raise ValidationError(
            fields={
                "amount_fen": [
                    _l(
                        "The amount is more than what is still open on this milestone (%(open)s); "
                        "overpayment is not accepted.",
                        open=format_yuan(open_fen),
                    )
                ]
            }
        )
    return amount_fen


def _members(org_id: int | None, *roles: str) -> list[User]:
    if org_id is None:
        return []
    users = db.session.scalars(select(User).where(User.organization_id == org_id)).all()
    return [u for u in users if u.is_active and u.acts_as(*roles)]


def _payment_link(payment: Payment) -> str | None:
    try:
        return url_for("payments.detail", payment_id=payment.id)
    except RuntimeError:
        return None


def _notify_org(org_id: int | None, roles: tuple[str, ...], message: str, payment: Payment) -> None:
    params = {
        "contract": payment.contract.title,
        "seq": payment.milestone.seq,
        "amount": format_yuan(payment.amount_fen),
    }
    for user in _members(org_id, *roles):
        notify(user, "payment", message, params=params, link=_payment_link(payment))


# -- Bank transfer -----------------------------------------------------------
def record_bank_transfer(
    contract: Contract,
    seq: Any,
    *,
    amount_fen: int,
    paid_on: date,
    reference: str,
    payer_account_name: str,
    actor: User,
    receipt: FileStorage | None = None,
) -> Payment:
    """The buyer records a transfer it made; it waits for the seller's confirmation."""
    ensure_can_pay(contract, actor)
    milestone = milestone_of(contract, seq)
    errors: dict[str, list] = {}
    reference = (reference or "").strip()
    payer_account_name = (payer_account_name or "").strip()
    if not reference:
        errors["reference"] = [_l("Enter the bank's reference of the transfer.")]
    if not payer_account_name:
        errors["payer_account_name"] = [_l("Enter the name of the account the money came from.")]
    if paid_on is None:
        errors["paid_on"] = [_l("Enter the date of the transfer.")]
    elif paid_on > today_shanghai():
        errors["paid_on"] = [_l("The transfer date cannot be in the future.")]
    if errors:
        raise ValidationError(fields=errors)
    milestone = lock(milestone)
    amount_fen = _check_amount(amount_fen, _open_fen(milestone))
    payment = Payment(
        contract_id=contract.id,
        milestone_id=milestone.id,
        method=PaymentMethod.BANK_TRANSFER.value,
        status=PaymentStatus.PENDING.value,
        amount_fen=amount_fen,
        payer_org_id=actor.organization_id,
        payee_org_id=contract.seller_org_id,
        created_by_id=actor.id,
        payer_account_name=payer_account_name[:200],
        paid_on=paid_on,
        reference=reference[:100],
    )
    db.session.add(payment)
    db.session.flush()
    if receipt is not None and receipt.filename:
        save_upload(receipt, subject=payment, actor=actor, purpose="receipt", field="receipt")
    record_audit(
        "payment.recorded",
        payment,
        actor=actor,
        to_state=payment.status,
        data={"method": payment.method, "amount_fen": amount_fen, "milestone": milestone.seq},
    )
    _notify_org(
        contract.seller_org_id,
        ("seller",),
        N_(
            "A bank transfer of %(amount)s on milestone %(seq)s of “%(contract)s” waits for your confirmation."
        ),
        payment,
    )
    return payment


def attach_receipt(payment: Payment, receipt: FileStorage, *, actor: User):
    if not permissions.can_upload_receipt(actor, payment):
        raise PermissionDenied(_l("Only the payer can add a receipt to a bank transfer not yet confirmed."))
    attachment = save_upload(receipt, subject=payment, actor=actor, purpose="receipt", field="receipt")
    record_audit("payment.receipt_added", payment, actor=actor, data={"attachment_id": attachment.id})
    return attachment


def confirm_payment(payment: Payment, *, actor: User) -> Payment:
    """The seller confirms that a bank transfer arrived."""
    if not permissions.is_seller(actor, payment.contract):
        raise PermissionDenied(_l("Only the seller (the payee) can confirm that a transfer arrived."))
    if payment.method != PaymentMethod.BANK_TRANSFER:
        raise Conflict(_l("Online payments are confirmed by the payment provider, not by hand."))
    lock(payment.milestone)
    payment = lock(payment)
    if payment.status == PaymentStatus.DISPUTED and payment.amount_fen > _open_fen(payment.milestone):
        raise Conflict(
            _l("Confirming this transfer would pay more than the milestone amount; other payments cover it.")
        )
    src, dst = transition(payment, PaymentStatus.CONFIRMED)
    payment.confirmed_at = utcnow()
    payment.confirmed_by_id = actor.id
    record_audit("payment.confirmed", payment, actor=actor, from_state=src.value, to_state=dst.value)
    _notify_org(
        payment.payer_org_id,
        ("buyer", "seller"),
        N_("Your bank transfer of %(amount)s on milestone %(seq)s of “%(contract)s” was confirmed."),
        payment,
    )
    return payment


def dispute_payment(payment: Payment, *, reason: str, actor: User) -> Payment:
    """The seller says the transfer did not arrive (or not as recorded), with a reason."""
    if not permissions.is_seller(actor, payment.contract):
        raise PermissionDenied(_l("Only the seller (the payee) can dispute a transfer."))
    if payment.method != PaymentMethod.BANK_TRANSFER:
        raise Conflict(_l("Online payments cannot be disputed here; refund them instead."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(fields={"reason": [_l("Say why the transfer is disputed.")]})
    payment = lock(payment)
    src, dst = transition(payment, PaymentStatus.DISPUTED)
    payment.disputed_at = utcnow()
    payment.disputed_by_id = actor.id
    payment.dispute_reason = reason[:2000]
    record_audit(
        "payment.disputed",
        payment,
        actor=actor,
        from_state=src.value,
        to_state=dst.value,
        data={"reason": reason},
    )
    _notify_org(
        payment.payer_org_id,
        ("buyer", "seller"),
        N_("The seller disputes your transfer of %(amount)s on milestone %(seq)s of “%(contract)s”."),
        payment,
    )
    return payment


def cancel_payment(payment: Payment, *, actor: User) -> Payment:
    """The payer withdraws a payment that was not confirmed (Stripe: the PaymentIntent is cancelled first)."""
    if not permissions.is_buyer(actor, payment.contract):
        raise PermissionDenied(_l("Only the payer can cancel a payment."))
    payment = lock(payment)
    if payment.method == PaymentMethod.STRIPE and payment.status == PaymentStatus.PENDING:
        intent = gateway_for(PaymentMethod.STRIPE.value).cancel(payment)
        if intent is not None:
            apply_intent(payment, intent)
            if payment.status == PaymentStatus.CONFIRMED:
                raise Conflict(_l("This payment has already gone through; ask the seller for a refund."))
            if payment.status == PaymentStatus.CANCELED:
                return payment
    src, dst = transition(payment, PaymentStatus.CANCELED)
    payment.closed_at = utcnow()
    record_audit("payment.canceled", payment, actor=actor, from_state=src.value, to_state=dst.value)
    return payment


# -- Stripe ----------------------------------------------------------------
def start_stripe_payment(
    contract: Contract, seq: Any, *, actor: User, amount_fen: int | None = None
) -> tuple[Payment, Intent]:
    """Begin a card (or Alipay / WeChat Pay) payment; answer the PaymentIntent to complete.

    The payment row and its idempotency key are committed before Stripe is
    called. A buyer who asks again while a card payment is under way on the
    milestone gets the same payment and PaymentIntent back (never a second one).
    """
    ensure_can_pay(contract, actor)
    gateway = gateway_for(PaymentMethod.STRIPE.value)  # 409 when Stripe is not configured
    milestone = milestone_of(contract, seq)
    milestone = lock(milestone)
    under_way = db.session.scalars(
        select(Payment).where(
            Payment.milestone_id == milestone.id,
            Payment.method == PaymentMethod.STRIPE.value,
            Payment.status == PaymentStatus.PENDING.value,
            Payment.payer_org_id == actor.organization_id,
        )
    ).first()
    if under_way is not None and amount_fen not in (None, under_way.amount_fen):
        raise Conflict(
            _l(
                "An online payment of %(amount)s is already under way on this milestone; "
                "complete or cancel it first.",
                amount=format_yuan(under_way.amount_fen),
            ),
            code="payment_under_way",
        )
    if under_way is not None and under_way.stripe_payment_intent_id:
        intent = refresh_stripe_payment(under_way)
        if under_way.status == PaymentStatus.PENDING and intent is not None:
            return under_way, intent
        under_way = None if under_way.status != PaymentStatus.PENDING else under_way
    if under_way is None:
        open_fen = _open_fen(milestone)
        amount = _check_amount(open_fen if amount_fen is None else amount_fen, open_fen)
        under_way = Payment(
            contract_id=contract.id,
            milestone_id=milestone.id,
            method=PaymentMethod.STRIPE.value,
            status=PaymentStatus.PENDING.value,
            amount_fen=amount,
            payer_org_id=actor.organization_id,
            payee_org_id=contract.seller_org_id,
            created_by_id=actor.id,
            idempotency_key=f"hljpay-{uuid.uuid4().hex}",
        )
        db.session.add(under_way)
        db.session.flush()
        record_audit(
            "payment.started",
            under_way,
            actor=actor,
            to_state=under_way.status,
            data={"method": under_way.method, "amount_fen": amount, "milestone": milestone.seq},
        )
    payment = under_way
    # The key is durable before anything is created at Stripe.
    db.session.commit()
    try:
        intent = gateway.start(payment)
    except GatewayError as exc:
        if exc.definitive:
            payment = lock(payment)
            transition(payment, PaymentStatus.FAILED)
            payment.last_error = (exc.detail or str(exc))[:500]
            payment.closed_at = utcnow()
            record_audit(
                "payment.failed", payment, actor=actor, to_state=payment.status, data={"error": exc.detail}
            )
            db.session.commit()
        raise
    payment = lock(payment)
    payment.stripe_payment_intent_id = intent.id
    apply_intent(payment, intent)
    return payment, intent


def apply_intent(payment: Payment, intent: Intent) -> str:
    """Bring a payment in line with its PaymentIntent as Stripe has it now.

    Arrival order of webhooks does not matter: callers pass the intent just
    read from Stripe, and this applies its current status.
    """
    if intent.amount_fen != payment.amount_fen or intent.currency != "cny":
        log.error(
            "PaymentIntent %s does not match payment %s (%s %s vs %s cny); not applied",
            intent.id,
            payment.id,
            intent.amount_fen,
            intent.currency,
            payment.amount_fen,
        )
        return "amount_mismatch"
    if payment.stripe_payment_intent_id is None:
        payment.stripe_payment_intent_id = intent.id
    payment.stripe_status = intent.status
    if intent.last_error and intent.status != "succeeded":
        payment.last_error = intent.last_error[:500]
    status = PaymentStatus(payment.status)
    if intent.status == "succeeded":
        if status == PaymentStatus.CONFIRMED:
            return "unchanged"
        if status != PaymentStatus.PENDING:
            log.error(
                "PaymentIntent %s succeeded but payment %s is %s: refund it by hand",
                intent.id,
                payment.id,
                status,
            )
            return "succeeded_after_close"
        src, dst = transition(payment, PaymentStatus.CONFIRMED)
        payment.confirmed_at = utcnow()
        payment.last_error = None
        record_audit(
            "payment.confirmed",
            payment,
            from_state=src.value,
            to_state=dst.value,
            data={"payment_intent": intent.id, "by": "stripe"},
        )
        _notify_org(
            payment.payee_org_id,
            ("seller",),
            N_("An online payment of %(amount)s on milestone %(seq)s of “%(contract)s” was received."),
            payment,
        )
        return "confirmed"
    if intent.status == "canceled":
        if status == PaymentStatus.PENDING:
            src, dst = transition(payment, PaymentStatus.CANCELED)
            payment.closed_at = utcnow()
            record_audit(
                "payment.canceled", payment, from_state=src.value, to_state=dst.value, data={"by": "stripe"}
            )
            return "canceled"
        return "unchanged"
    # requires_payment_method (perhaps after a decline), requires_action, processing...:
    # still pending; the payer may try again with the same client secret, or cancel.
    return "pending"


def refresh_stripe_payment(payment: Payment) -> Intent | None:
    """Read the PaymentIntent from Stripe and apply its status (the card page's "check" button)."""
    if payment.method != PaymentMethod.STRIPE or not payment.stripe_payment_intent_id:
        return None
    intent = gateway_for(PaymentMethod.STRIPE.value).retrieve_intent(payment.stripe_payment_intent_id)  # type: ignore[attr-defined]
    if intent is None:
        return None
    apply_intent(lock(payment), intent)
    return intent


def client_secret_for(payment: Payment) -> str | None:
    """The PaymentIntent's client secret, read again from Stripe (it is not stored)."""
    intent = refresh_stripe_payment(payment)
    return intent.client_secret if intent is not None else None


# -- Refunds ---------------------------------------------------------------
def record_refund(
    payment: Payment,
    *,
    amount_fen: int,
    reason: str,
    actor: User,
    refunded_on: date | None = None,
    reference: str | None = None,
) -> Refund:
    """Give part or all of a confirmed payment back: a refund row of its own.

    Bank transfer: the seller records the transfer back (date, reference).
    Stripe: the refund row and its idempotency key are committed, then Stripe
    is asked to refund with that key.
    """
    if not permissions.is_seller(actor, payment.contract):
        raise PermissionDenied(_l("Only the seller (the payee) can refund a payment."))
    payment = lock(payment)
    if payment.status != PaymentStatus.CONFIRMED:
        raise Conflict(_l("Only a confirmed payment can be refunded."))
    reason = (reason or "").strip()
    errors: dict[str, list] = {}
    if not reason:
        errors["reason"] = [_l("Say why the money is refunded.")]
    is_bank = payment.method == PaymentMethod.BANK_TRANSFER
    if is_bank:
        if not (reference or "").strip():
            errors["reference"] = [_l("Enter the bank's reference of the refund transfer.")]
        if refunded_on is None:
            errors["refunded_on"] = [_l("Enter the date of the refund transfer.")]
        elif refunded_on > today_shanghai():
            errors["refunded_on"] = [_l("The refund date cannot be in the future.")]
    refundable = _refundable_fen(payment)
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        errors["amount_fen"] = [_l("The amount must be more than zero.")]
    elif amount_fen > refundable:
        errors["amount_fen"] = [
            _l("At most %(amount)s of this payment can still be refunded.", amount=format_yuan(refundable))
        ]
    if errors:
        raise ValidationError(fields=errors)
    refund = Refund(
        amount_fen=amount_fen,
        status=RefundStatus.PENDING.value,
        reason=reason[:2000],
        refunded_on=refunded_on if is_bank else None,
        reference=(reference or "").strip()[:100] or None,
        idempotency_key=None if is_bank else f"hljrefund-{uuid.uuid4().hex}",
        created_by_id=actor.id,
    )
    payment.refunds.append(refund)
    db.session.flush()
    record_audit(
        "payment.refund_recorded",
        payment,
        actor=actor,
        data={"refund_id": refund.id, "amount_fen": amount_fen},
    )
    gateway = gateway_for(payment.method)
    if not is_bank:
        db.session.commit()  # the key is durable before Stripe is asked
    try:
        result = gateway.refund(payment, refund)
    except GatewayError as exc:
        if exc.definitive:
            transition(refund, RefundStatus.FAILED)
            refund.failure_reason = (exc.detail or str(exc))[:500]
            db.session.commit()
        raise
    apply_refund_result(refund, result)
    _notify_org(
        payment.payer_org_id,
        ("buyer", "seller"),
        N_("The seller refunded part of your payment of %(amount)s on milestone %(seq)s of “%(contract)s”."),
        payment,
    )
    return refund


def apply_refund_result(refund: Refund, result: RefundResult) -> str:
    if result.id and refund.stripe_refund_id is None:
        refund.stripe_refund_id = result.id
    if refund.status != RefundStatus.PENDING:
        return "unchanged"
    if result.status == "succeeded":
        transition(refund, RefundStatus.SUCCEEDED)
        refund.succeeded_at = utcnow()
        return "refunded"
    if result.status in ("failed", "canceled"):
        transition(refund, RefundStatus.FAILED)
        refund.failure_reason = (result.failure_reason or result.status)[:500]
        return "refund_failed"
    return "pending"


def sync_stripe_refunds(payment: Payment, results: list[RefundResult]) -> str:
    """Apply the refunds Stripe has for a payment's PaymentIntent, including ones
    made outside the platform (in Stripe's dashboard)."""
    outcomes = []
    for result in results:
        refund = None
        if result.id:
            refund = db.session.scalar(select(Refund).where(Refund.stripe_refund_id == result.id))
        if refund is None and result.metadata.get("refund_id", "").isdigit():
            candidate = db.session.get(Refund, int(result.metadata["refund_id"]))
            if (
                candidate is not None
                and candidate.payment_id == payment.id
                and candidate.stripe_refund_id is None
            ):
                refund = candidate
        if refund is None:
            if result.status not in ("succeeded", "pending"):
                continue
            refund = Refund(
                amount_fen=result.amount_fen,
                status=RefundStatus.PENDING.value,
                reason="Refunded at Stripe, outside the platform",
                stripe_refund_id=result.id,
            )
            payment.refunds.append(refund)
            db.session.flush()
            record_audit("payment.refund_recorded", payment, data={"refund_id": refund.id, "by": "stripe"})
        outcomes.append(apply_refund_result(refund, result))
    return ",".join(outcomes) or "unchanged"


# -- Webhook ---------------------------------------------------------------
@dataclass(frozen=True)
class WebhookAnswer:
    status: int
    outcome: str


REFUND_EVENTS = frozenset(
    {"charge.refunded", "charge.refund.updated", "refund.created", "refund.updated", "refund.failed"}
)


def _payment_for_intent(intent_id: str | None, intent: Intent | None) -> Payment | None:
    if intent_id:
        payment = db.session.scalar(select(Payment).where(Payment.stripe_payment_intent_id == intent_id))
        if payment is not None:
            return payment
    if intent is not None and intent.metadata.get("payment_id", "").isdigit():
        # Created by us, but the webhook came before we stored the PaymentIntent's id.
        payment = db.session.get(Payment, int(intent.metadata["payment_id"]))
        if (
            payment is not None
            and payment.method == PaymentMethod.STRIPE
            and payment.stripe_payment_intent_id is None
            and payment.amount_fen == intent.amount_fen
        ):
            return payment
    return None


def handle_stripe_webhook(payload: bytes, signature: str | None) -> WebhookAnswer:
    """Verify, de-duplicate and apply one webhook delivery. The caller commits.

    - bad signature: 400, nothing stored;
    - an event id already stored: 200, nothing changes;
    - an unknown PaymentIntent (or an event type we do not use): 200, logged, nothing stored;
    - otherwise the PaymentIntent (or its refunds) is read again from Stripe and its
      current state applied, and the event id is stored in the same transaction.
    """
    gateway = stripe_gateway()
    if gateway is None:
        log.warning("Stripe webhook received but Stripe is not configured")
        return WebhookAnswer(400, "not_configured")
    try:
        event = gateway.construct_event(payload, signature)
    except WebhookSignatureError as exc:
        log.warning("Stripe webhook refused: %s", exc)
        return WebhookAnswer(400, "bad_signature")
    if db.session.scalar(select(StripeEvent.id).where(StripeEvent.event_id == event.id)) is not None:
        log.info("Stripe event %s delivered again; ignored", event.id)
        return WebhookAnswer(200, "duplicate")
    is_intent_event = event.type.startswith("payment_intent.")
    if not is_intent_event and event.type not in REFUND_EVENTS:
        log.info("Stripe event %s of type %s not used; ignored", event.id, event.type)
        return WebhookAnswer(200, "ignored_type")
    intent_id = event.payment_intent_id
    intent = gateway.retrieve_intent(intent_id) if intent_id else None  # GatewayError: 502, Stripe retries
    payment = _payment_for_intent(intent_id, intent)
    if payment is None or intent is None:
        log.info(
            "Stripe event %s (%s) for unknown PaymentIntent %s; ignored", event.id, event.type, intent_id
        )
        return WebhookAnswer(200, "ignored_unknown")
    # Store the event id first: a concurrent delivery of the same event waits on
    # the unique index and then fails, so only one applies it.
    stored = StripeEvent(
        event_id=event.id,
        type=event.type,
        object_id=event.object_id,
        payment_id=payment.id,
        outcome="received",
    )
    db.session.add(stored)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        log.info("Stripe event %s applied concurrently; ignored", event.id)
        return WebhookAnswer(200, "duplicate")
    payment = lock(payment)
    if is_intent_event:
        outcome = apply_intent(payment, intent)
    else:
        outcome = sync_stripe_refunds(payment, gateway.list_refunds(intent.id))
    stored.outcome = outcome[:200]
    log.info("Stripe event %s (%s) on payment %s: %s", event.id, event.type, payment.id, outcome)
    return WebhookAnswer(200, outcome)
