"""The life of a technology contract, as a table of allowed transitions.

::

    draft ──sign──> signing ──sign──> signed ──submit──> submitted ──register──> registered
      ^  (edit clears signatures)                            │                    │  │
      │                                                    return                 │  │
    awaiting_confirmation ──both confirm──> signing          v                    │  │
      (offline deal recorded by an agency)               returned ──resubmit──> submitted
                                                            │ (edit: back to draft)
    registered ──amend──> amendment_pending ──register / return──> registered
    registered ──cancel─> cancellation_pending ──register──> cancelled
                                               ──return───> registered

`signing` means "terms agreed, signatures being collected": one party has
signed, or both parties confirmed an offline deal. Changing the terms after a
signature clears the signatures and goes back to `draft`.
"""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from ..core.states import StateMachine


class ContractStatus(enum.StrEnum):
    DRAFT = "draft"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    SIGNING = "signing"
    SIGNED = "signed"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    REGISTERED = "registered"
    AMENDMENT_PENDING = "amendment_pending"
    CANCELLATION_PENDING = "cancellation_pending"
    CANCELLED = "cancelled"


S = ContractStatus

TRANSITIONS: dict[ContractStatus, list[ContractStatus]] = {
    S.DRAFT: [S.SIGNING],
    S.AWAITING_CONFIRMATION: [S.SIGNING],
    S.SIGNING: [S.SIGNED, S.DRAFT],
    S.SIGNED: [S.SUBMITTED, S.DRAFT],
    S.SUBMITTED: [S.REGISTERED, S.RETURNED],
    S.RETURNED: [S.SUBMITTED, S.DRAFT],
    S.REGISTERED: [S.AMENDMENT_PENDING, S.CANCELLATION_PENDING],
    S.AMENDMENT_PENDING: [S.REGISTERED],
    S.CANCELLATION_PENDING: [S.CANCELLED, S.REGISTERED],
    S.CANCELLED: [],
}

contract_machine = StateMachine(ContractStatus, TRANSITIONS)

#: States in which the parties may still change the terms.
EDITABLE = frozenset({S.DRAFT, S.AWAITING_CONFIRMATION, S.SIGNING, S.SIGNED, S.RETURNED})
#: States in which a party may sign.
SIGNABLE = frozenset({S.DRAFT, S.SIGNING})
#: States waiting for a regulator's decision (the registration queue).
IN_REVIEW = frozenset({S.SUBMITTED, S.AMENDMENT_PENDING, S.CANCELLATION_PENDING})
#: States in which the contract counts in the ledger (it has been registered).
ON_RECORD = frozenset({S.REGISTERED, S.AMENDMENT_PENDING, S.CANCELLATION_PENDING, S.CANCELLED})

STATUS_LABELS: dict[str, object] = {
    S.DRAFT: _l("Draft"),
    S.AWAITING_CONFIRMATION: _l("Awaiting confirmation by the parties"),
    S.SIGNING: _l("Being signed"),
    S.SIGNED: _l("Signed"),
    S.SUBMITTED: _l("Submitted for registration"),
    S.RETURNED: _l("Returned (not registered)"),
    S.REGISTERED: _l("Registered"),
    S.AMENDMENT_PENDING: _l("Amendment awaiting registration"),
    S.CANCELLATION_PENDING: _l("Cancellation awaiting registration"),
    S.CANCELLED: lazy_pgettext("contract status", "Cancelled"),
}


def status_label(code: str | None) -> str:
    label = STATUS_LABELS.get(code) if code else None
    return str(label) if label is not None else (code or "")


class RegistrationKind(enum.StrEnum):
    REGISTRATION = "registration"
    AMENDMENT = "amendment"
    CANCELLATION = "cancellation"


REGISTRATION_KIND_LABELS: dict[str, object] = {
    RegistrationKind.REGISTRATION: _l("Registration"),
    RegistrationKind.AMENDMENT: _l("Amendment"),
    RegistrationKind.CANCELLATION: _l("Cancellation"),
}
