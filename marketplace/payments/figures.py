"""What a contract's milestones hold (paid, pending, open, commission) and the
lists of payments the pages show: sums read in one query per page, not per row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import selectinload

from ..accounts.models import Organization, User
from ..contracts.models import Contract, ContractMilestone
from ..contracts.states import ON_RECORD
from ..core.catalog import PROVINCE_CODE
from ..core.errors import NotFound
from ..core.timeutil import today_shanghai, utcnow
from ..extensions import db
from ..storage.uploads import Attachment
from . import permissions
from .models import Payment, Refund
from .states import (
    RESERVING,
    MilestoneStatus,
    PaymentStatus,
    RefundStatus,
)

BP_DENOMINATOR = 10_000
COMMISSION_TERMS_KEY = "agency_commission_bp"


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


def milestone_sums(milestone_ids: list[int]) -> dict[int, tuple[int, int, int]]:
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
    sums = milestone_sums([m.id for m in milestones])
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
    return {mid: confirmed - refunded for mid, (confirmed, _pending, refunded) in milestone_sums(ids).items()}


def paid_fen(milestone: ContractMilestone) -> int:
    """Confirmed cash on a milestone, net of refunds (a contracts port)."""
    if milestone.id is None:
        return 0
    confirmed, _pending, refunded = milestone_sums([milestone.id])[milestone.id]
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


# -- Finding things -----------------------------------------------------------
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
    """A contract's payments, newest first, with their refunds (one query for all).

    Their contract and milestones are the contract's own, already in the session."""
    return list(
        db.session.scalars(
            select(Payment)
            .where(Payment.contract_id == contract.id)
            .options(selectinload(Payment.refunds))
            .order_by(Payment.created_at.desc(), Payment.id.desc())
        )
    )


def receipts_of(payments: list[Payment]) -> dict[int, list[Attachment]]:
    """payment id -> its receipts, for many payments in one query (as `attachments_of` orders them)."""
    out: dict[int, list[Attachment]] = {p.id: [] for p in payments}
    if not out:
        return out
    rows = db.session.scalars(
        select(Attachment)
        .where(
            Attachment.subject_type == Payment.__audit_type__,
            Attachment.subject_id.in_(list(out)),
            Attachment.purpose == "receipt",
        )
        .order_by(Attachment.uploaded_at, Attachment.id)
    )
    for attachment in rows:
        out[attachment.subject_id].append(attachment)
    return out


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
    # The history lists payments of many contracts: their relations in one query each.
    stmt = stmt.options(
        selectinload(Payment.contract),
        selectinload(Payment.milestone),
        selectinload(Payment.refunds),
        selectinload(Payment.payer_org),
        selectinload(Payment.payee_org),
    )
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
