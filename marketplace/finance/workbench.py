"""What finance puts on the workbench (portal.workbench turns these into its items):
for bank staff the applications to review, the loans to sign and those falling due;
for the owner side the loans waiting for it and the co-owners' consents; for the
other side of an investment the records to confirm. Counts use the list pages' rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from ..accounts.models import User
from ..core.timeutil import today_shanghai
from ..extensions import db
from .models import Investment, PledgeConsent, PledgeLoan
from .states import OPEN_LOAN_STATES, ConsentStatus, InvestmentStatus, LoanStatus

DUE_SOON_DAYS = 30


@dataclass(frozen=True)
class Item:
    key: str
    label: Any
    count: int
    url: str
    overdue: int | None = None


def _count(stmt: Select) -> int:
    return int(db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)


def items_for(user: User, *, today: date | None = None) -> list[Item]:
    today = today or today_shanghai()
    items: list[Item] = []
    org = user.organization_id
    if user.acts_as("financier") and user.organization.kind == "bank":
        mine = select(PledgeLoan.id).where(PledgeLoan.bank_org_id == org)
        items.append(
            Item(
                "pledge_loans_to_review",
                _l("Pledge loan applications to review"),
                _count(mine.where(PledgeLoan.status == LoanStatus.APPLIED.value)),
                url_for("finance.index", box="to_decide", status=LoanStatus.APPLIED.value),
            )
        )
        items.append(
            Item(
                "pledge_loans_to_sign",
                _l("Approved pledge loans waiting for your signature"),
                _count(
                    mine.where(
                        PledgeLoan.status == LoanStatus.APPROVED.value, PledgeLoan.bank_signed_at.is_(None)
                    )
                ),
                url_for("finance.index", box="to_decide", status=LoanStatus.APPROVED.value),
            )
        )
        signed = mine.where(PledgeLoan.status == LoanStatus.SIGNED.value)
        items.append(
            Item(
                "pledge_loans_due",
                _l("Pledge loans due within %(days)d days", days=DUE_SOON_DAYS),
                _count(signed.where(PledgeLoan.due_on <= today + timedelta(days=DUE_SOON_DAYS))),
                url_for("finance.index", status=LoanStatus.SIGNED.value),
                overdue=_count(signed.where(PledgeLoan.due_on < today)),
            )
        )
    if user.acts_as("seller"):
        items.append(
            Item(
                "pledge_loans_waiting",
                _l("Pledge loans waiting for you"),
                _count(
                    select(PledgeLoan.id).where(
                        PledgeLoan.applicant_org_id == org,
                        (PledgeLoan.status == LoanStatus.DOCUMENTS_REQUESTED.value)
                        | (
                            (PledgeLoan.status == LoanStatus.APPROVED.value)
                            & PledgeLoan.owner_signed_at.is_(None)
                        ),
                    )
                ),
                url_for("finance.index", box="to_decide"),
            )
        )
        items.append(
            Item(
                "pledge_consents",
                _l("Co-owners' consents to pledges waiting for your answer"),
                _count(
                    select(PledgeConsent.id)
                    .join(PledgeLoan, PledgeLoan.id == PledgeConsent.loan_id)
                    .where(
                        PledgeConsent.org_id == org,
                        PledgeConsent.status == ConsentStatus.PENDING.value,
                        PledgeLoan.status.in_([s.value for s in OPEN_LOAN_STATES]),
                    )
                ),
                url_for("finance.index", box="to_decide"),
            )
        )
    if user.acts_as("seller", "buyer"):
        items.append(
            Item(
                "investments_to_confirm",
                _l("Investments to confirm"),
                _count(
                    select(Investment.id).where(
                        Investment.counterpart_org_id == org,
                        Investment.status == InvestmentStatus.RECORDED.value,
                    )
                ),
                url_for("finance.investors"),
            )
        )
    return items
