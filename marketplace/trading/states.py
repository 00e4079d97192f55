"""States of bidding sessions (网络竞价), their enrolments and deposits, and of public
notices (挂牌公示, 成果公示) (../shared/DOMAIN.md, "Trading modes")."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from ..core.i18n import label_text
from ..core.states import StateMachine


class BiddingStatus(enum.Enum):
    ANNOUNCED = "announced"
    OPEN = "open"
    ENDED = "ended"
    SETTLED = "settled"
    FAILED = "failed"
    CANCELLED = "cancelled"
    FORFEITED = "forfeited"


BIDDING_STATUS_LABELS: dict[str, object] = {
    "announced": _l("Announced"),
    "open": lazy_pgettext("bidding status", "Bidding"),
    "ended": lazy_pgettext("bidding status", "Ended"),
    "settled": _l("Settled: a winner"),
    "failed": _l("Failed: no valid bid"),
    "cancelled": lazy_pgettext("bidding status", "Cancelled"),
    "forfeited": _l("Forfeited: the winner did not sign"),
}

#: announced -> open (its start) -> ended (its effective end) -> settled / failed;
#: settled -> forfeited (the winner did not sign in time); cancelled before any bid.
BIDDING_MACHINE = StateMachine(
    BiddingStatus,
    {
        "announced": ["open", "ended", "cancelled"],
        "open": ["ended", "cancelled"],
        "ended": ["settled", "failed"],
        "settled": ["forfeited"],
        "failed": [],
        "cancelled": [],
        "forfeited": [],
    },
)

#: Sessions that hold the listing's assets: no other deal on them meanwhile.
LIVE_BIDDING = frozenset({"announced", "open", "ended"})
#: Sessions after which the listing may be bid again (with a lower starting price at most 20 % off).
RERUN_AFTER = frozenset({"failed", "forfeited"})


class DepositStatus(enum.Enum):
    AWAITING = "awaiting"
    CONFIRMED = "confirmed"
    RELEASED = "released"
    APPLIED = "applied"
    FORFEITED = "forfeited"


DEPOSIT_STATUS_LABELS: dict[str, object] = {
    "awaiting": _l("Awaiting the deposit"),
    "confirmed": _l("Deposit received"),
    "released": _l("Released for refund"),
    "applied": _l("Counts toward the price"),
    "forfeited": _l("Deposit forfeited"),
}

#: The refund at Stripe of a released online deposit.
REFUND_STATUS_LABELS: dict[str, object] = {
    "pending": _l("refund under way at Stripe"),
    "succeeded": _l("refunded through Stripe"),
    "failed": _l("Stripe refused the refund: refund it by hand"),
}

DEPOSIT_MACHINE = StateMachine(
    DepositStatus,
    {
        "awaiting": ["confirmed", "released"],
        "confirmed": ["released", "applied"],
        "applied": ["forfeited"],
        "released": [],
        "forfeited": [],
    },
)


class NoticeStatus(enum.Enum):
    RUNNING = "running"
    NO_BUYER = "no_buyer"
    CONTRACTED = "contracted"
    TO_BIDDING = "to_bidding"
    PASSED = "passed"  # a result notice (成果公示) ended with every objection answered
    CANCELLED = "cancelled"


NOTICE_STATUS_LABELS: dict[str, object] = {
    "running": _l("On public notice"),
    "no_buyer": _l("Ended without a buyer: back to negotiation"),
    "contracted": _l("Ended with one buyer: contract draft created"),
    "to_bidding": _l("Ended with several buyers: bidding among them"),
    "passed": _l("Notice ended: the contract may be signed"),
    "cancelled": lazy_pgettext("notice status", "Cancelled"),
}

NOTICE_MACHINE = StateMachine(
    NoticeStatus,
    {
        "running": ["no_buyer", "contracted", "to_bidding", "passed", "cancelled"],
        "passed": [],
        "no_buyer": [],
        "contracted": [],
        "to_bidding": [],
        "cancelled": [],
    },
)


class NoticeKind(enum.Enum):
    LISTING = "listing"  # 挂牌公示: a listed price that buyers accept
    RESULT = "result"  # 成果公示: a state-funded seller's agreed deal before signing


LOG_KINDS = ("open", "bid", "extension", "outcome")


def label(table: dict[str, object], code: str | None) -> str:
    return label_text(table, code)
