"""Codes and state machines of listings and demands (../shared/DOMAIN.md,
"Listings and demands")."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from ..core.i18n import label_text
from ..core.states import StateMachine
from ..ip.states import DEAL_KIND_LABELS, DealKind, LicenseType  # noqa: F401 - shared codes


class ListingStatus(enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    RETURNED = "returned"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


LISTING_STATUS_LABELS: dict[str, object] = {
    "draft": _l("Draft"),
    "submitted": _l("Waiting for review"),
    "published": _l("Published"),
    "returned": _l("Returned for changes"),
    "closed": _l("Closed (deal signed)"),
    "withdrawn": _l("Withdrawn"),
}

#: draft -> submitted -> published (review by an agency or admin) -> closed / withdrawn;
#: a reviewer may return a submitted listing to the seller, who edits and submits again.
LISTING_MACHINE = StateMachine(
    ListingStatus,
    {
        "draft": ["submitted", "withdrawn"],
        "submitted": ["published", "returned", "withdrawn"],
        "returned": ["submitted", "withdrawn"],
        "published": ["closed", "withdrawn"],
        "closed": [],
        "withdrawn": [],
    },
)

#: States in which the seller may still edit the listing.
EDITABLE_STATES = frozenset({"draft", "returned"})


class DemandStatus(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


# The catalogues of all domains are merged: a context keeps this "Open" apart.
DEMAND_STATUS_LABELS: dict[str, object] = {
    "open": lazy_pgettext("demand status", "Open"),
    "closed": _l("Closed"),
}

DEMAND_MACHINE = StateMachine(DemandStatus, {"open": ["closed"], "closed": []})


# The deal kinds and licence types are the IP register's (one definition);
# listings label licence types in full ("exclusive licence").
LICENSE_TYPE_LABELS: dict[str, object] = {
    "exclusive": _l("Exclusive licence"),
    "sole": _l("Sole licence"),
    "non_exclusive": _l("Non-exclusive licence"),
}

#: Maturity codes an asset can have (the plan's stages, then TRL 1-9).
MATURITIES: tuple[str, ...] = (
    "lab",
    "pilot",
    "small_batch",
    "mass_production",
    *(f"trl{n}" for n in range(1, 10)),
)
MATURITY_LABELS: dict[str, object] = {
    "lab": _l("Laboratory"),
    "pilot": _l("Pilot"),
    "small_batch": _l("Small-batch production"),
    "mass_production": _l("Mass production"),
    **{f"trl{n}": _l("TRL %(n)s", n=n) for n in range(1, 10)},
}

IP_KIND_LABELS: dict[str, object] = {
    "invention_patent": _l("Invention patent"),
    "utility_model": _l("Utility model"),
    "design_patent": _l("Design patent"),
    "software_copyright": _l("Software copyright"),
    "ic_layout": _l("IC layout design"),
    "plant_variety": _l("Plant variety"),
    "technical_secret": _l("Technical secret"),
    "achievement": _l("Scientific and technological achievement"),
}


def label(table: dict[str, object], code: str | None) -> str:
    return label_text(table, code)
