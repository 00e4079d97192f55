"""Who may see and do what with a contract: pure predicates for views, the API
and templates. Anything a user may not see answers 404."""

from __future__ import annotations

from ..core.catalog import region_in_scope
from .models import Contract
from .states import EDITABLE, IN_REVIEW, SIGNABLE, ContractStatus


def _authed(user) -> bool:
    return bool(user is not None and user.is_authenticated)


def party_side(user, contract: Contract) -> str | None:
    """ "seller" or "buyer" when the user is a member of that party (acting as seller or buyer)."""
    if not _authed(user) or not user.acts_as("seller", "buyer"):
        return None
    if user.organization_id == contract.seller_org_id:
        return "seller"
    if contract.buyer_org_id is not None and user.organization_id == contract.buyer_org_id:
        return "buyer"
    return None


def is_contract_agency(user, contract: Contract) -> bool:
    return (
        _authed(user)
        and user.acts_as("agency")
        and contract.agency_org_id is not None
        and user.organization_id == contract.agency_org_id
    )


def regulator_in_scope(user, contract: Contract) -> bool:
    if not _authed(user) or not user.acts_as("regulator"):
        return False
    return region_in_scope(user.scope_region, contract.seller_org.region_code)


def can_view(user, contract: Contract) -> bool:
    if not _authed(user):
        return False
    return (
        user.is_admin
        or party_side(user, contract) is not None
        or is_contract_agency(user, contract)
        or regulator_in_scope(user, contract)
    )


def can_edit(user, contract: Contract) -> bool:
    """Parties and their agency complete the terms while the contract is not yet submitted.

    An offline deal awaiting confirmation is edited by the agency that recorded it.
    """
    status = ContractStatus(contract.status)
    if status not in EDITABLE:
        return False
    if status == ContractStatus.AWAITING_CONFIRMATION:
        return is_contract_agency(user, contract)
    return party_side(user, contract) is not None or is_contract_agency(user, contract)


def can_upload(user, contract: Contract) -> bool:
    """The signed document may be uploaded until the contract is submitted (and after a return)."""
    return can_edit(user, contract)


def can_confirm(user, contract: Contract) -> bool:
    side = party_side(user, contract)
    if side is None or contract.status != ContractStatus.AWAITING_CONFIRMATION:
        return False
    return getattr(contract, f"{side}_confirmed_at") is None


def can_sign(user, contract: Contract) -> bool:
    side = party_side(user, contract)
    if side is None or ContractStatus(contract.status) not in SIGNABLE:
        return False
    return getattr(contract, f"{side}_signed_at") is None


def can_submit(user, contract: Contract) -> bool:
    return party_side(user, contract) == "seller" and contract.status in (
        ContractStatus.SIGNED,
        ContractStatus.RETURNED,
    )


def can_review(user, contract: Contract) -> bool:
    """Register or return: a regulator in scope, while the contract waits for a decision."""
    return regulator_in_scope(user, contract) and ContractStatus(contract.status) in IN_REVIEW


def can_amend(user, contract: Contract) -> bool:
    return party_side(user, contract) == "seller" and contract.status == ContractStatus.REGISTERED


def can_cancel(user, contract: Contract) -> bool:
    return can_amend(user, contract)


def can_see_certificate(user, contract: Contract) -> bool:
    return can_view(user, contract) and contract.registration_no is not None


def can_create_offline(user) -> bool:
    return _authed(user) and user.acts_as("agency")


def can_see_queue(user) -> bool:
    return _authed(user) and user.acts_as("regulator")
