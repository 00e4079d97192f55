"""Who may see and do what with industrialization reports: pure predicates for
views, the API and templates. Whoever may not see the contract gets 404.

- report: a member of the contract's buyer organization (acting as buyer or
  seller, with an approved membership), on an eligible contract;
- confirm or return: an approved member of the seller organization, or of the
  contract's own agency (not any agency: the one that brokered the deal knows
  it), while the report waits;
- see: the parties, the contract's agency, regulators whose scope covers the
  seller's region, admins.
"""

from __future__ import annotations

from ..contracts.models import Contract
from ..contracts.permissions import can_view as can_view_contract
from ..contracts.permissions import is_contract_agency, party_side
from ..contracts.states import ContractStatus
from .models import IndustrializationReport
from .states import ReportStatus

#: Contract states in which a report may be filed or decided: registered (an
#: amendment waiting does not undo the registration). A contract being
#: cancelled, or cancelled, takes no new reports.
ELIGIBLE_STATUSES = frozenset({ContractStatus.REGISTERED, ContractStatus.AMENDMENT_PENDING})


def is_eligible_category(category: str | None) -> bool:
    """Transfer (including equity contributions, registered as transfers) and licence contracts."""
    return bool(category) and (category.startswith("transfer_") or category.startswith("license_"))


def is_eligible(contract: Contract) -> bool:
    return (
        contract.status in ELIGIBLE_STATUSES
        and is_eligible_category(contract.category)
        and contract.buyer_org_id is not None
        and bool(contract.asset_links)
    )


def is_buyer(user, contract: Contract) -> bool:
    return party_side(user, contract) == "buyer"


def can_report(user, contract: Contract) -> bool:
    return is_buyer(user, contract) and is_eligible(contract)


def confirmer_side(user, contract: Contract) -> str | None:
    """ "seller" or "agency" when the user may confirm reports on this contract."""
    if party_side(user, contract) == "seller":
        return "seller"
    if is_contract_agency(user, contract):
        return "agency"
    return None


def can_view_report(user, report: IndustrializationReport) -> bool:
    return can_view_contract(user, report.contract)


def can_decide(user, report: IndustrializationReport) -> bool:
    return report.status == ReportStatus.PENDING and confirmer_side(user, report.contract) is not None


def can_add_evidence(user, report: IndustrializationReport) -> bool:
    return report.status == ReportStatus.PENDING and is_buyer(user, report.contract)
