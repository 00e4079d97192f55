"""Who may see and do what in finance: pure predicates for views, the API and
templates. Whoever may not see a loan or an investment gets 404.

- the owner side: sellers (role in force) of the applicant organization apply,
  provide documents, sign and withdraw; sellers of a co-owner consent;
- the bank: financiers (role in force) of the loan's bank decide, sign, record
  repayment, default, proceeds and risk shares;
- a risk sharer's financiers see the loans they share;
- regulators see the loans of applicants in their region scope, admins all;
- investors: financiers of an investment fund follow industries, show interest
  in equity listings and incubated start-ups and record investments; the
  counterpart's sellers confirm (a start-up's thread: its incubator's staff);
- a disposal: the bank puts a defaulted loan's pledged assets up for sale, the
  owner side starts (or refuses) it.
"""

from __future__ import annotations

from ..core.catalog import region_in_scope
from .models import Disposal, Investment, InvestmentInterest, PledgeLoan
from .states import DEFAULT_STATES, OPEN_LOAN_STATES, DisposalStatus, InvestmentStatus, LoanStatus

RISK_SHARE_STATES = frozenset({*OPEN_LOAN_STATES, LoanStatus.SIGNED})


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_financier_of(user, org_id: int | None) -> bool:
    return (
        _authenticated(user)
        and user.acts_as("financier")
        and org_id is not None
        and user.organization_id == org_id
    )


def is_bank_staff(user) -> bool:
    return _authenticated(user) and user.acts_as("financier") and user.organization.kind == "bank"


def is_investor(user) -> bool:
    return _authenticated(user) and user.acts_as("financier") and user.organization.kind == "investment_fund"


def can_apply(user) -> bool:
    return _authenticated(user) and user.acts_as("seller")


def is_owner_side(user, loan: PledgeLoan) -> bool:
    return _authenticated(user) and user.acts_as("seller") and user.organization_id == loan.applicant_org_id


def is_bank(user, loan: PledgeLoan) -> bool:
    return is_financier_of(user, loan.bank_org_id)


def consenting_org(user, loan: PledgeLoan) -> int | None:
    """The co-owner organization for which `user` may answer the consent, while it may change."""
    if not (_authenticated(user) and user.acts_as("seller")) or loan.status not in OPEN_LOAN_STATES:
        return None
    for consent in loan.consents:
        if consent.org_id == user.organization_id:
            return consent.org_id
    return None


def is_regulator_in_scope(user, loan: PledgeLoan) -> bool:
    scope = user.scope_region if _authenticated(user) else None
    return scope is not None and region_in_scope(scope, loan.region_code)


def can_view_loan(user, loan: PledgeLoan) -> bool:
    if not _authenticated(user):
        return False
    if user.is_admin or is_owner_side(user, loan) or is_bank(user, loan) or is_regulator_in_scope(user, loan):
        return True
    if user.acts_as("seller") and any(c.org_id == user.organization_id for c in loan.consents):
        return True
    return user.acts_as("financier") and any(
        s.sharer_org_id == user.organization_id for s in loan.risk_shares
    )


def can_request_documents(user, loan: PledgeLoan) -> bool:
    return is_bank(user, loan) and loan.status == LoanStatus.APPLIED


def can_decide(user, loan: PledgeLoan) -> bool:
    return is_bank(user, loan) and loan.status in (LoanStatus.APPLIED, LoanStatus.DOCUMENTS_REQUESTED)


def can_approve(user, loan: PledgeLoan) -> bool:
    return is_bank(user, loan) and loan.status == LoanStatus.APPLIED


def can_provide_documents(user, loan: PledgeLoan) -> bool:
    return is_owner_side(user, loan) and loan.status == LoanStatus.DOCUMENTS_REQUESTED


def can_withdraw(user, loan: PledgeLoan) -> bool:
    return is_owner_side(user, loan) and loan.status in OPEN_LOAN_STATES


def can_sign(user, loan: PledgeLoan) -> bool:
    if loan.status != LoanStatus.APPROVED:
        return False
    if is_bank(user, loan):
        return loan.bank_signed_at is None
    return is_owner_side(user, loan) and loan.owner_signed_at is None


def can_close(user, loan: PledgeLoan) -> bool:
    """Record repayment or default."""
    return is_bank(user, loan) and loan.status == LoanStatus.SIGNED


def can_record_proceeds(user, loan: PledgeLoan) -> bool:
    return is_bank(user, loan) and loan.status in DEFAULT_STATES


def can_request_disposal(user, loan: PledgeLoan) -> bool:
    """The bank puts a defaulted loan's pledged assets up for sale (one sale at a time)."""
    return is_bank(user, loan) and loan.status == LoanStatus.DEFAULTED and loan.live_disposal is None


def can_cancel_disposal(user, disposal: Disposal) -> bool:
    return is_bank(user, disposal.loan) and disposal.status == DisposalStatus.REQUESTED


def can_answer_disposal(user, disposal: Disposal) -> bool:
    """The owner side starts (or refuses) the sale the bank asked for."""
    return is_owner_side(user, disposal.loan) and disposal.status == DisposalStatus.REQUESTED


def can_add_risk_share(user, loan: PledgeLoan) -> bool:
    return is_bank(user, loan) and loan.status in RISK_SHARE_STATES


def can_answer_consent(user, loan: PledgeLoan) -> bool:
    return consenting_org(user, loan) is not None


def can_see_figures(user) -> bool:
    return _authenticated(user) and (user.acts_as("regulator") or user.is_admin)


# -- investments ---------------------------------------------------------------------
def is_interest_counterpart(user, interest: InvestmentInterest) -> bool:
    """The seller side of the listing, or the staff of the start-up's incubator."""
    if not _authenticated(user) or user.organization_id != interest.counterpart_org_id:
        return False
    return user.acts_as("seller") if interest.listing_id is not None else user.acts_as("provider")


def can_view_interest(user, interest: InvestmentInterest) -> bool:
    if not _authenticated(user):
        return False
    if user.is_admin:
        return True
    return can_write_interest(user, interest)


def can_write_interest(user, interest: InvestmentInterest) -> bool:
    """The two sides write in the thread (an admin only reads it)."""
    if not _authenticated(user):
        return False
    if user.acts_as("financier") and user.organization_id == interest.investor_org_id:
        return True
    return is_interest_counterpart(user, interest)


def can_view_investment(user, investment: Investment) -> bool:
    if not _authenticated(user):
        return False
    if user.is_admin:
        return True
    scope = user.scope_region
    if scope is not None and region_in_scope(scope, investment.region_code):
        return True
    if user.acts_as("financier") and user.organization_id == investment.investor_org_id:
        return True
    return user.acts_as("seller", "buyer") and user.organization_id == investment.counterpart_org_id


def can_decide_investment(user, investment: Investment) -> bool:
    return (
        _authenticated(user)
        and investment.status == InvestmentStatus.RECORDED
        and user.acts_as("seller", "buyer")
        and user.organization_id == investment.counterpart_org_id
    )
