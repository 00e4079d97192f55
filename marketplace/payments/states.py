"""States of payments and refunds, as tables of allowed transitions.

::

    pending ──confirm (payee, or Stripe says succeeded)──> confirmed
       │  └──dispute (payee, bank transfer)──> disputed ──confirm──> confirmed
       │                                          └──cancel (payer)──> canceled
       ├──cancel (payer; Stripe: after Stripe cancelled the PaymentIntent)──> canceled
       └──fail (Stripe refused to create the PaymentIntent)──> failed

A confirmed payment is never edited; it is reversed by refunds (rows of
their own): pending ──> succeeded | failed for Stripe, succeeded at once for
a refund made by bank transfer.
"""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from ..core.states import StateMachine


class PaymentMethod(enum.StrEnum):
    BANK_TRANSFER = "bank_transfer"
    STRIPE = "stripe"


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"
    CANCELED = "canceled"
    FAILED = "failed"


P = PaymentStatus

PAYMENT_TRANSITIONS: dict[PaymentStatus, list[PaymentStatus]] = {
    P.PENDING: [P.CONFIRMED, P.DISPUTED, P.CANCELED, P.FAILED],
    P.DISPUTED: [P.CONFIRMED, P.CANCELED],
    P.CONFIRMED: [],
    P.CANCELED: [],
    P.FAILED: [],
}
payment_machine = StateMachine(PaymentStatus, PAYMENT_TRANSITIONS)

#: Payments that hold part of a milestone's amount: pending + confirmed never exceed it.
RESERVING = frozenset({P.PENDING, P.CONFIRMED})


class RefundStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


R = RefundStatus
REFUND_TRANSITIONS: dict[RefundStatus, list[RefundStatus]] = {
    R.PENDING: [R.SUCCEEDED, R.FAILED],
    R.SUCCEEDED: [],
    R.FAILED: [],
}
refund_machine = StateMachine(RefundStatus, REFUND_TRANSITIONS)


class MilestoneStatus(enum.StrEnum):
    UNPAID = "unpaid"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    OVERDUE = "overdue"


METHOD_LABELS = {
    PaymentMethod.BANK_TRANSFER: _l("Bank transfer"),
    PaymentMethod.STRIPE: _l("Online (Stripe)"),
}
PAYMENT_STATUS_LABELS = {
    P.PENDING: _l("Awaiting confirmation"),
    P.CONFIRMED: _l("Confirmed"),
    P.DISPUTED: _l("Disputed"),
    P.CANCELED: _l("Cancelled"),
    P.FAILED: _l("Failed"),
}
REFUND_STATUS_LABELS = {
    R.PENDING: _l("Refund in progress"),
    R.SUCCEEDED: _l("Refunded"),
    R.FAILED: _l("Refund failed"),
}
MILESTONE_STATUS_LABELS = {
    MilestoneStatus.UNPAID: _l("Unpaid"),
    MilestoneStatus.PARTLY_PAID: _l("Partly paid"),
    MilestoneStatus.PAID: _l("Paid"),
    MilestoneStatus.OVERDUE: _l("Overdue"),
}


def _label(table: dict, code: str | None) -> str:
    label = table.get(code) if code else None
    return str(label) if label is not None else (code or "")


def method_label(code: str | None) -> str:
    return _label(METHOD_LABELS, code)


def payment_status_label(code: str | None) -> str:
    return _label(PAYMENT_STATUS_LABELS, code)


def refund_status_label(code: str | None) -> str:
    return _label(REFUND_STATUS_LABELS, code)


def milestone_status_label(code: str | None) -> str:
    return _label(MILESTONE_STATUS_LABELS, code)


#: The names of payee and payer by the contract's registration category: a
#: licence has a licensor and a licensee, a transfer an assignor and an
#: assignee; any other contract a neutral seller and buyer.
_PARTY_ROLES: dict[str, tuple[object, object]] = {
    "license": (_l("Licensor (payee)"), _l("Licensee (payer)")),
    "transfer": (_l("Assignor (payee)"), _l("Assignee (payer)")),
}
_NEUTRAL_ROLES: tuple[object, object] = (_l("Seller (payee)"), _l("Buyer (payer)"))


def party_roles(category: str | None) -> tuple[str, str]:
    """(payee, payer) labels for a contract of this category."""
    kind = (category or "").split("_", 1)[0]
    payee, payer = _PARTY_ROLES.get(kind, _NEUTRAL_ROLES)
    return str(payee), str(payer)
