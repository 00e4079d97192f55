"""States of finance objects, as tables of allowed transitions.

Pledge loans (知识产权质押融资)::

    applied ──ask for documents──> documents_requested ──documents provided──> applied
       ├──approve (with conditions)──> approved ──sign (both sides)──> signed
       ├──decline (with a reason)──> declined              signed ──repay──> repaid
       └──withdraw (owner side, before signing)──> withdrawn   signed ──default──> defaulted

    defaulted ──the pledged assets sold in public trading──> disposed

declined, withdrawn, repaid and disposed are final. The pledges are entered in
the IP register when the loan becomes signed and released (never deleted) when
it is repaid or its assets are sold; a defaulted loan keeps them until then (or
until the bank records the proceeds of a disposal outside the platform).

Disposals (the bank puts a defaulted loan's pledged assets up for sale through
public trading: 网络竞价 or 挂牌公示; the owner side, the pledgor and seller of
record, starts the sale on its listing of the assets)::

    requested ──the owner side starts the sale──> on_sale ──a buyer──> sold
        ├──the owner side refuses (with a reason)──> refused      └──no buyer──> unsold
        └──the bank gives it up──> cancelled

Investments::

    recorded ──the other side confirms──> confirmed
        └────the other side rejects────> rejected
"""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from ..core.i18n import label_text
from ..core.states import StateMachine


class LoanStatus(enum.StrEnum):
    APPLIED = "applied"
    DOCUMENTS_REQUESTED = "documents_requested"
    APPROVED = "approved"
    DECLINED = "declined"
    SIGNED = "signed"
    REPAID = "repaid"
    DEFAULTED = "defaulted"
    DISPOSED = "disposed"
    WITHDRAWN = "withdrawn"


L = LoanStatus
LOAN_TRANSITIONS: dict[LoanStatus, list[LoanStatus]] = {
    L.APPLIED: [L.DOCUMENTS_REQUESTED, L.APPROVED, L.DECLINED, L.WITHDRAWN],
    L.DOCUMENTS_REQUESTED: [L.APPLIED, L.DECLINED, L.WITHDRAWN],
    L.APPROVED: [L.SIGNED, L.WITHDRAWN],
    L.DECLINED: [],
    L.SIGNED: [L.REPAID, L.DEFAULTED],
    L.REPAID: [],
    L.DEFAULTED: [L.DISPOSED],
    L.DISPOSED: [],
    L.WITHDRAWN: [],
}
loan_machine = StateMachine(LoanStatus, LOAN_TRANSITIONS)

#: Loans still being decided (before signing).
OPEN_LOAN_STATES = frozenset({L.APPLIED, L.DOCUMENTS_REQUESTED, L.APPROVED})
#: Loans that were lent (counted in the figures).
LENT_STATES = frozenset({L.SIGNED, L.REPAID, L.DEFAULTED, L.DISPOSED})
#: Loans that defaulted (counted as defaults in the figures), whether or not their assets were sold.
DEFAULT_STATES = frozenset({L.DEFAULTED, L.DISPOSED})


class DisposalStatus(enum.StrEnum):
    REQUESTED = "requested"
    ON_SALE = "on_sale"
    SOLD = "sold"
    UNSOLD = "unsold"
    REFUSED = "refused"
    CANCELLED = "cancelled"


D = DisposalStatus
DISPOSAL_TRANSITIONS: dict[DisposalStatus, list[DisposalStatus]] = {
    D.REQUESTED: [D.ON_SALE, D.REFUSED, D.CANCELLED],
    D.ON_SALE: [D.SOLD, D.UNSOLD],
    D.SOLD: [],
    D.UNSOLD: [],
    D.REFUSED: [],
    D.CANCELLED: [],
}
disposal_machine = StateMachine(DisposalStatus, DISPOSAL_TRANSITIONS)
#: A loan has at most one disposal in these states at a time.
LIVE_DISPOSAL = frozenset({D.REQUESTED, D.ON_SALE})


class DisposalMode(enum.StrEnum):
    BIDDING = "bidding"
    NOTICE = "notice"


class ConsentStatus(enum.StrEnum):
    PENDING = "pending"
    GIVEN = "given"
    REFUSED = "refused"


class SharerKind(enum.StrEnum):
    GUARANTEE_COMPANY = "guarantee_company"
    INSURER = "insurer"
    RISK_FUND = "risk_fund"


class InvestmentStatus(enum.StrEnum):
    RECORDED = "recorded"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


I = InvestmentStatus  # noqa: E741
INVESTMENT_TRANSITIONS: dict[InvestmentStatus, list[InvestmentStatus]] = {
    I.RECORDED: [I.CONFIRMED, I.REJECTED],
    I.CONFIRMED: [],
    I.REJECTED: [],
}
investment_machine = StateMachine(InvestmentStatus, INVESTMENT_TRANSITIONS)


LOAN_STATUS_LABELS: dict[str, object] = {
    L.APPLIED: _l("Applied"),
    L.DOCUMENTS_REQUESTED: _l("Documents requested"),
    L.APPROVED: _l("Approved"),
    L.DECLINED: _l("Declined"),
    L.SIGNED: _l("Signed (pledged)"),
    L.REPAID: _l("Repaid"),
    L.DEFAULTED: _l("Defaulted"),
    L.DISPOSED: _l("Defaulted; pledged assets sold"),
    L.WITHDRAWN: _l("Withdrawn"),
}
CONSENT_LABELS: dict[str, object] = {
    ConsentStatus.PENDING: _l("Awaiting consent"),
    ConsentStatus.GIVEN: _l("Consent given"),
    ConsentStatus.REFUSED: _l("Consent refused"),
}
SHARER_LABELS: dict[str, object] = {
    SharerKind.GUARANTEE_COMPANY: _l("Guarantee company"),
    SharerKind.INSURER: _l("Insurer"),
    SharerKind.RISK_FUND: _l("Provincial risk compensation fund"),
}
DISPOSAL_STATUS_LABELS: dict[str, object] = {
    D.REQUESTED: _l("Waiting for the owner side to start the sale"),
    D.ON_SALE: _l("On sale"),
    D.SOLD: _l("Sold"),
    D.UNSOLD: _l("Not sold"),
    D.REFUSED: _l("Refused by the owner side"),
    D.CANCELLED: _l("Given up by the bank"),
}
DISPOSAL_MODE_LABELS: dict[str, object] = {
    DisposalMode.BIDDING: _l("Online bidding (网络竞价)"),
    DisposalMode.NOTICE: _l("Public listing with notice (挂牌公示)"),
}
INVESTMENT_STATUS_LABELS: dict[str, object] = {
    I.RECORDED: _l("Awaiting confirmation"),
    I.CONFIRMED: _l("Confirmed"),
    I.REJECTED: _l("Rejected"),
}


def label(table: dict, code: str | None) -> str:
    return label_text(table, code)


def loan_status_label(code: str | None) -> str:
    return label(LOAN_STATUS_LABELS, code)


def investment_status_label(code: str | None) -> str:
    return label(INVESTMENT_STATUS_LABELS, code)


def sharer_label(code: str | None) -> str:
    return label(SHARER_LABELS, code)


def consent_label(code: str | None) -> str:
    return label(CONSENT_LABELS, code)


def disposal_status_label(code: str | None) -> str:
    return label(DISPOSAL_STATUS_LABELS, code)


def disposal_mode_label(code: str | None) -> str:
    return label(DISPOSAL_MODE_LABELS, code)
