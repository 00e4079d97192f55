"""Codes and state machines of offers and mandates (../shared/DOMAIN.md,
"Offers and negotiation")."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from ..core.i18n import label_text
from ..core.states import StateMachine


class OfferStatus(enum.Enum):
    OPEN = "open"
    COUNTERED = "countered"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


OFFER_STATUS_LABELS: dict[str, object] = {
    # The catalogues of all domains are merged: a context keeps this "Open" apart.
    "open": lazy_pgettext("offer status", "Open"),
    "countered": _l("Countered"),
    "accepted": _l("Accepted"),
    "rejected": _l("Rejected"),
    "withdrawn": _l("Withdrawn"),
    "expired": _l("Expired"),
}

#: open -> countered (either side, again and again) -> accepted / rejected (seller) /
#: withdrawn (buyer) / expired (the offerer's date passed).
OFFER_MACHINE = StateMachine(
    OfferStatus,
    {
        "open": ["countered", "accepted", "rejected", "withdrawn", "expired"],
        "countered": ["countered", "accepted", "rejected", "withdrawn", "expired"],
        "accepted": [],
        "rejected": [],
        "withdrawn": [],
        "expired": [],
    },
)

#: States in which the negotiation goes on.
LIVE_STATES = frozenset({"open", "countered"})
FINAL_STATES = frozenset({"accepted", "rejected", "withdrawn", "expired"})


class Side(enum.Enum):
    BUYER = "buyer"
    SELLER = "seller"


SIDE_LABELS: dict[str, object] = {"buyer": _l("Buyer"), "seller": _l("Seller")}


def other_side(side: str) -> str:
    return "seller" if side == "buyer" else "buyer"


#: What each side may do on its turn (withdraw: the buyer, also while waiting; see services).
ACTIONS: dict[str, frozenset[str]] = {
    "seller": frozenset({"counter", "accept", "reject"}),
    "buyer": frozenset({"counter", "accept", "withdraw"}),
}
ACTION_TARGETS: dict[str, OfferStatus] = {
    "counter": OfferStatus.COUNTERED,
    "accept": OfferStatus.ACCEPTED,
    "reject": OfferStatus.REJECTED,
    "withdraw": OfferStatus.WITHDRAWN,
}


class MandateStatus(enum.Enum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    DECLINED = "declined"
    REVOKED = "revoked"


MANDATE_STATUS_LABELS: dict[str, object] = {
    "proposed": _l("Waiting for the agency"),
    "active": _l("Active"),
    "declined": _l("Declined"),
    "revoked": _l("Revoked"),
}

#: The client proposes; the agency accepts or declines; the client (or the agency) ends it.
MANDATE_MACHINE = StateMachine(
    MandateStatus,
    {
        "proposed": ["active", "declined", "revoked"],
        "active": ["revoked"],
        "declined": [],
        "revoked": [],
    },
)


def label(table: dict[str, object], code: str | None) -> str:
    return label_text(table, code)
