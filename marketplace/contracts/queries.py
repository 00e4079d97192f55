"""Reading contracts: which a user may see, a regulator's queue, a contract's
assets and its milestones with what was paid, each in a fixed number of queries."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..accounts.models import Organization, User
from ..core.catalog import PROVINCE_CODE
from ..core.timeutil import shanghai_date, utcnow
from ..extensions import db
from ..ip.models import IpAsset
from .models import Contract, ContractMilestone, ContractRegistration
from .ports import paid_fen_of_milestones
from .states import IN_REVIEW

#: What a contract's page (and the API's full contract) shows besides its columns and
#: parties: each relation in one query of its own, whatever the number of rows.
CONTRACT_PAGE_LOADING = (
    selectinload(Contract.milestones),
    selectinload(Contract.cost_lines),
    selectinload(Contract.asset_links),
    selectinload(Contract.registrations).joinedload(ContractRegistration.registered_by),
)


def visible_contracts_stmt(user: User, *, status: str | None = None):
    """The contracts a user may see: their organization's (as party or agency);
    a regulator's, in scope; all for an admin. The same rule as
    `permissions.can_view`, as SQL (a test checks that the two agree)."""
    stmt = select(Contract)
    if user.is_admin:
        pass
    elif user.acts_as("regulator"):
        scope = user.scope_region or ""
        seller = select(Organization.id)
        if scope == PROVINCE_CODE:
            seller = seller.where(Organization.region_code.like("23%"))
        else:
            seller = seller.where(Organization.region_code.like(scope[:4] + "%"))
        stmt = stmt.where(Contract.seller_org_id.in_(seller))
    elif user.acts_as("agency"):
        stmt = stmt.where(Contract.agency_org_id == user.organization_id)
    elif user.acts_as("seller", "buyer"):
        stmt = stmt.where(
            (Contract.seller_org_id == user.organization_id) | (Contract.buyer_org_id == user.organization_id)
        )
    else:
        stmt = stmt.where(False)
    if status:
        stmt = stmt.where(Contract.status == status)
    return stmt.order_by(Contract.updated_at.desc(), Contract.id.desc())


def queue_stmt(user: User, *, overdue_only: bool = False, today: date | None = None):
    """What waits for this regulator's decision, the oldest deadline first."""
    stmt = visible_contracts_stmt(user).where(Contract.status.in_([s.value for s in IN_REVIEW]))
    if overdue_only:
        stmt = stmt.where(Contract.review_due_on < (today or shanghai_date(utcnow())))
    return stmt.order_by(None).order_by(Contract.review_due_on, Contract.submitted_at, Contract.id)


def contract_assets(contract: Contract) -> list[IpAsset]:
    """The IP assets the contract names, in one query (ordered by id, as its links are)."""
    ids = contract.asset_ids
    if not ids:
        return []
    return list(db.session.scalars(select(IpAsset).where(IpAsset.id.in_(ids)).order_by(IpAsset.id)))


def milestone_status(milestone: ContractMilestone, paid_fen: int, *, today: date | None = None) -> str:
    """`paid`, `partly_paid`, `overdue` (due date passed, not fully paid) or `due` (to come)."""
    today = today or shanghai_date(utcnow())
    if paid_fen >= milestone.amount_fen:
        return "paid"
    if milestone.due_on < today:
        return "overdue"
    if paid_fen > 0:
        return "partly_paid"
    return "due"


def milestone_rows(contract: Contract, *, today: date | None = None) -> list[dict[str, Any]]:
    """The contract's milestones with what was paid on each: one query for every sum."""
    milestones = list(contract.milestones)
    paid_by_id = paid_fen_of_milestones([m.id for m in milestones]) if milestones else {}
    rows = []
    for m in milestones:
        paid = int(paid_by_id.get(m.id) or 0)
        rows.append(
            {
                "id": m.id,
                "seq": m.seq,
                "due_on": m.due_on,
                "amount_fen": m.amount_fen,
                "description": m.description,
                "paid_fen": paid,
                "status": milestone_status(m, paid, today=today),
            }
        )
    return rows
