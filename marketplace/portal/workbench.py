"""The workbench: what needs the user now, with counts, and where each is done.

One list of `WorkItem` per user, by the role in force. The web page
(/workbench, the landing page after log-in) and the API (GET /api/v1/workbench)
show the same list. Counts use the domains' own visibility rules (the same
statements their list pages use), so a count never includes what the user
could not open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, or_, select

from ..accounts.models import Membership, Organization, OrgStatus, User
from ..contracts import services as contracts
from ..contracts.models import Contract, ContractMilestone
from ..contracts.states import ContractStatus
from ..core.timeutil import today_shanghai
from ..extensions import db
from ..finance import workbench as finance_workbench
from ..ip.models import AssetOwner, OwnershipProposal, OwnershipVote
from ..ip.states import ProposalStatus
from ..listings.models import Listing
from ..network import workbench as network_workbench
from ..offers import services as offers
from ..offers.models import Mandate, Offer
from ..offers.states import LIVE_STATES, MandateStatus
from ..payments import services as payments
from ..payments.models import Payment
from ..payments.states import PaymentMethod, PaymentStatus
from ..services import workbench as services_workbench

#: Milestones due within this many days count as due now.
DUE_SOON_DAYS = 30

#: Contracts whose milestones are being paid.
_PAYING = (
    ContractStatus.SIGNED,
    ContractStatus.SUBMITTED,
    ContractStatus.REGISTERED,
    ContractStatus.AMENDMENT_PENDING,
    ContractStatus.CANCELLATION_PENDING,
)


@dataclass(frozen=True)
class WorkItem:
    """One kind of thing waiting for the user: how many, and the page where it is done.

    `overdue` is how many of them are past a deadline (None where no deadline applies)."""

    key: str
    label: Any
    count: int
    url: str
    overdue: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": str(self.label),
            "count": self.count,
            "overdue": self.overdue,
            "url": self.url,
        }


def _count(stmt: Select) -> int:
    return int(db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)


def _offers_my_turn(user: User) -> Select:
    """Live offers whose latest version waits for the user's side (as a party or its agency)."""
    org = user.organization_id
    return offers.offers_visible_to(user).where(
        Offer.status.in_(sorted(LIVE_STATES)),
        or_(
            and_(Offer.turn == "seller", or_(Offer.seller_org_id == org, Offer.seller_agency_org_id == org)),
            and_(Offer.turn == "buyer", or_(Offer.buyer_org_id == org, Offer.buyer_agency_org_id == org)),
        ),
    )


def _contracts_to_sign(user: User) -> Select:
    """Contracts of the user's organization waiting for its confirmation or signature."""
    org = user.organization_id
    return select(Contract.id).where(
        or_(
            and_(
                Contract.status == ContractStatus.AWAITING_CONFIRMATION.value,
                or_(
                    and_(Contract.seller_org_id == org, Contract.seller_confirmed_at.is_(None)),
                    and_(Contract.buyer_org_id == org, Contract.buyer_confirmed_at.is_(None)),
                ),
            ),
            and_(
                Contract.status == ContractStatus.SIGNING.value,
                or_(
                    and_(Contract.seller_org_id == org, Contract.seller_signed_at.is_(None)),
                    and_(Contract.buyer_org_id == org, Contract.buyer_signed_at.is_(None)),
                ),
            ),
        )
    )


def _contracts_in(user: User, *statuses: ContractStatus) -> Select:
    return contracts.visible_contracts_stmt(user).where(Contract.status.in_([s.value for s in statuses]))


def _milestones_due(user: User, today: date) -> tuple[int, int]:
    """(due within DUE_SOON_DAYS and not fully paid, of which past due) for the buyer."""
    rows = db.session.execute(
        select(ContractMilestone.id, ContractMilestone.due_on, ContractMilestone.amount_fen)
        .join(Contract, Contract.id == ContractMilestone.contract_id)
        .where(
            Contract.buyer_org_id == user.organization_id,
            Contract.status.in_([s.value for s in _PAYING]),
            ContractMilestone.due_on <= today + timedelta(days=DUE_SOON_DAYS),
        )
    ).all()
    paid = payments.paid_fen_of_milestones([row.id for row in rows])
    open_rows = [row for row in rows if paid.get(row.id, 0) < row.amount_fen]
    return len(open_rows), sum(1 for row in open_rows if row.due_on < today)


def _proposals_awaiting_vote(user: User) -> Select:
    """Open co-ownership proposals on assets the user's organization co-owns, by
    another organization, that it has not answered yet."""
    org = user.organization_id
    owned = select(AssetOwner.asset_id).where(AssetOwner.org_id == org)
    answered = select(OwnershipVote.proposal_id).where(OwnershipVote.org_id == org)
    return select(OwnershipProposal.id).where(
        OwnershipProposal.status == ProposalStatus.PROPOSED.value,
        OwnershipProposal.asset_id.in_(owned),
        OwnershipProposal.proposer_org_id != org,
        OwnershipProposal.id.not_in(answered),
    )


def items_for(user: User, *, today: date | None = None) -> list[WorkItem]:
    """What waits for `user`, by the role in force (an empty list for a pending member)."""
    today = today or today_shanghai()
    items: list[WorkItem] = []
    add = items.append
    if user.is_admin:
        add(
            WorkItem(
                "people_to_approve",
                _l("People waiting for approval"),
                _count(select(User.id).where(User.membership == Membership.PENDING.value)),
                url_for("admin.users"),
            )
        )
        add(
            WorkItem(
                "organizations_to_approve",
                _l("Organizations waiting for approval"),
                _count(select(Organization.id).where(Organization.status == OrgStatus.PENDING.value)),
                url_for("admin.organizations", status="pending"),
            )
        )
        return items
    if user.acts_as("regulator"):
        add(
            WorkItem(
                "registrations_to_decide",
                _l("Contracts waiting for registration"),
                _count(contracts.queue_stmt(user, today=today)),
                url_for("contracts.queue"),
                overdue=_count(contracts.queue_stmt(user, overdue_only=True, today=today)),
            )
        )
        add(
            WorkItem(
                "amendments_to_decide",
                _l("Amendments and cancellations waiting"),
                _count(
                    _contracts_in(user, ContractStatus.AMENDMENT_PENDING, ContractStatus.CANCELLATION_PENDING)
                ),
                url_for("contracts.queue"),
            )
        )
        return items
    if user.acts_as("seller", "buyer", "agency"):
        add(
            WorkItem(
                "offers_to_answer",
                _l("Offers waiting for your answer"),
                _count(_offers_my_turn(user)),
                url_for("offers.index"),
            )
        )
    if user.acts_as("seller", "buyer"):
        add(
            WorkItem(
                "contracts_to_sign",
                _l("Contracts to confirm or sign"),
                _count(_contracts_to_sign(user)),
                url_for("contracts.index", status=ContractStatus.SIGNING.value),
            )
        )
    if user.acts_as("seller", "agency"):
        add(
            WorkItem(
                "contracts_to_complete",
                _l("Contract drafts to complete"),
                _count(_contracts_in(user, ContractStatus.DRAFT)),
                url_for("contracts.index", status=ContractStatus.DRAFT.value),
            )
        )
        add(
            WorkItem(
                "contracts_returned",
                _l("Contracts returned by the registration office"),
                _count(_contracts_in(user, ContractStatus.RETURNED)),
                url_for("contracts.index", status=ContractStatus.RETURNED.value),
            )
        )
        org_column = Listing.agency_org_id if user.acts_as("agency") else Listing.org_id
        add(
            WorkItem(
                "listings_returned",
                _l("Listings returned for changes"),
                _count(
                    select(Listing.id).where(org_column == user.organization_id, Listing.status == "returned")
                ),
                url_for("listings.my_listings"),
            )
        )
    if user.acts_as("seller"):
        add(
            WorkItem(
                "payments_to_confirm",
                _l("Bank transfers to confirm"),
                _count(
                    payments.payments_visible_to(
                        user, status=PaymentStatus.PENDING.value, method=PaymentMethod.BANK_TRANSFER.value
                    ).where(Payment.payee_org_id == user.organization_id)
                ),
                url_for(
                    "payments.index",
                    status=PaymentStatus.PENDING.value,
                    method=PaymentMethod.BANK_TRANSFER.value,
                ),
            )
        )
        add(
            WorkItem(
                "ownership_proposals",
                _l("Co-ownership proposals waiting for your answer"),
                _count(_proposals_awaiting_vote(user)),
                url_for("ip.my_assets"),
            )
        )
    if user.acts_as("buyer"):
        due, overdue = _milestones_due(user, today)
        add(
            WorkItem(
                "milestones_due",
                _l("Milestones due within %(days)d days", days=DUE_SOON_DAYS),
                due,
                url_for("payments.index"),
                overdue=overdue,
            )
        )
    if user.acts_as("agency"):
        add(
            WorkItem(
                "listings_to_review",
                _l("Listings waiting for review"),
                _count(
                    select(Listing.id).where(
                        Listing.status == "submitted",
                        (Listing.agency_org_id.is_(None)) | (Listing.agency_org_id == user.organization_id),
                    )
                ),
                url_for("listings.review_queue"),
            )
        )
        add(
            WorkItem(
                "mandates_to_answer",
                _l("Mandates waiting for your answer"),
                _count(
                    select(Mandate.id).where(
                        Mandate.agency_org_id == user.organization_id,
                        Mandate.status == MandateStatus.PROPOSED.value,
                    )
                ),
                url_for("offers.mandates"),
            )
        )
        add(
            WorkItem(
                "offline_deals_unconfirmed",
                _l("Offline deals waiting for the parties' confirmation"),
                _count(
                    select(Contract.id).where(
                        Contract.agency_org_id == user.organization_id,
                        Contract.status == ContractStatus.AWAITING_CONFIRMATION.value,
                    )
                ),
                url_for("contracts.index", status=ContractStatus.AWAITING_CONFIRMATION.value),
            )
        )
    items.extend(WorkItem(*item) for item in services_workbench.items_for(user, today))
    items.extend(
        WorkItem(i.key, i.label, i.count, i.url, i.overdue)
        for i in finance_workbench.items_for(user, today=today)
    )
    from ..trading.workbench import items_for as trading_items

    items.extend(WorkItem(*row) for row in trading_items(user, today))
    items += [WorkItem(**item) for item in network_workbench.items_for(user, today=today)]
    return items


def waiting_reason(user: User) -> Any | None:
    """Why a logged-in user has nothing to do yet (their membership or organization awaits
    an administrator), or None."""
    if user.is_admin or user.has_powers:
        return None
    if user.organization is not None and user.organization.status == OrgStatus.PENDING.value:
        return _l(
            "Your organization is waiting for approval by the platform administrator. "
            "Until then you can browse, but not act for it."
        )
    if user.membership == Membership.PENDING.value:
        return _l(
            "Your membership of the organization is waiting for approval by the platform "
            "administrator. Until then you can browse, but not act for it."
        )
    if user.status != "active":
        return _l("Your account is suspended. Please contact the platform administrator.")
    return None
