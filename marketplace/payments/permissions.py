"""Who may see and do what with payments: pure predicates for views, the API
and templates. Whoever may not see the contract gets 404 for its payments."""

from __future__ import annotations

from ..contracts.models import Contract
from ..contracts.permissions import can_view as can_view_contract
from ..contracts.permissions import is_contract_agency, party_side, regulator_in_scope
from ..contracts.states import ContractStatus
from .models import Payment
from .states import PaymentMethod, PaymentStatus

#: Contract states in which milestones are paid: signed, and on the way to or on the register.
PAYABLE = frozenset(
    {
        ContractStatus.SIGNED,
        ContractStatus.SUBMITTED,
        ContractStatus.REGISTERED,
        ContractStatus.AMENDMENT_PENDING,
        ContractStatus.CANCELLATION_PENDING,
    }
)


def is_payable(contract: Contract) -> bool:
    return contract.status in PAYABLE


def can_view_payments(user, contract: Contract) -> bool:
    """Parties, the deal's agency, regulators in scope (read only), admins."""
    return can_view_contract(user, contract)


def can_view_payment(user, payment: Payment) -> bool:
    return can_view_contract(user, payment.contract)


def is_buyer(user, contract: Contract) -> bool:
    return party_side(user, contract) == "buyer"


def is_seller(user, contract: Contract) -> bool:
    return party_side(user, contract) == "seller"


def can_pay(user, contract: Contract) -> bool:
    return is_buyer(user, contract) and is_payable(contract)


def can_confirm(user, payment: Payment) -> bool:
    """The payee confirms a bank transfer it received (also after disputing it)."""
    return (
        is_seller(user, payment.contract)
        and payment.method == PaymentMethod.BANK_TRANSFER
        and payment.status in (PaymentStatus.PENDING, PaymentStatus.DISPUTED)
    )


def can_dispute(user, payment: Payment) -> bool:
    return (
        is_seller(user, payment.contract)
        and payment.method == PaymentMethod.BANK_TRANSFER
        and payment.status == PaymentStatus.PENDING
    )


def can_cancel(user, payment: Payment) -> bool:
    """The payer withdraws a payment not confirmed: a wrong record, or an abandoned card payment."""
    if not is_buyer(user, payment.contract):
        return False
    if payment.method == PaymentMethod.BANK_TRANSFER:
        return payment.status in (PaymentStatus.PENDING, PaymentStatus.DISPUTED)
    return payment.status == PaymentStatus.PENDING


def can_refund(user, payment: Payment) -> bool:
    return is_seller(user, payment.contract) and payment.refundable_fen > 0


def can_see_commission(user, contract: Contract) -> bool:
    return can_view_contract(user, contract)


def can_upload_receipt(user, payment: Payment) -> bool:
    return (
        is_buyer(user, payment.contract)
        and payment.method == PaymentMethod.BANK_TRANSFER
        and payment.status in (PaymentStatus.PENDING, PaymentStatus.DISPUTED)
    )


def role_on(user, contract: Contract) -> str | None:
    """How the user relates to the contract: buyer, seller, agency, regulator, admin."""
    side = party_side(user, contract)
    if side:
        return side
    if is_contract_agency(user, contract):
        return "agency"
    if regulator_in_scope(user, contract):
        return "regulator"
    if user is not None and user.is_authenticated and user.is_admin:
        return "admin"
    return None
