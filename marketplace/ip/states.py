"""Codes and state machines of IP assets (../shared/DOMAIN.md, "IP assets and achievements").

Every code is stored as its string value; labels are translatable.
"""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from ..core.i18n import label_text
from ..core.states import StateMachine


class AssetKind(enum.Enum):
    INVENTION_PATENT = "invention_patent"
    UTILITY_MODEL = "utility_model"
    DESIGN_PATENT = "design_patent"
    SOFTWARE_COPYRIGHT = "software_copyright"
    IC_LAYOUT = "ic_layout"
    PLANT_VARIETY = "plant_variety"
    TECHNICAL_SECRET = "technical_secret"
    ACHIEVEMENT = "achievement"


#: Kinds whose identifier may be left empty: know-how has no public number,
#: and an achievement may not be registered anywhere yet.
KINDS_WITHOUT_IDENTIFIER = frozenset({"technical_secret", "achievement"})

ASSET_KIND_LABELS: dict[str, object] = {
    "invention_patent": _l("Invention patent"),
    "utility_model": _l("Utility model"),
    "design_patent": _l("Design patent"),
    "software_copyright": _l("Software copyright"),
    "ic_layout": _l("IC layout design"),
    "plant_variety": _l("Plant variety"),
    "technical_secret": _l("Technical secret"),
    "achievement": _l("Scientific and technological achievement"),
}


class LegalStatus(enum.Enum):
    PENDING = "pending"
    GRANTED = "granted"
    LAPSED = "lapsed"
    EXPIRED = "expired"
    INVALIDATED = "invalidated"


LEGAL_STATUS_LABELS: dict[str, object] = {
    "pending": _l("Pending"),
    "granted": _l("Granted"),
    "lapsed": _l("Lapsed"),
    "expired": lazy_pgettext("asset status", "Expired"),
    "invalidated": _l("Invalidated"),
}

#: Statuses in which no deal can be made on an asset.
DEAD_STATUSES = frozenset({"lapsed", "expired", "invalidated"})

#: How a legal status may change after registration.
#: - pending -> granted (grant), lapsed (rejected, withdrawn or deemed withdrawn), invalidated
#:   is not possible before grant;
#: - granted -> lapsed (annual fee unpaid, right abandoned), expired (end of term), invalidated;
#: - lapsed -> pending or granted: rights restored (恢复权利) within the legal period;
#: - invalidated -> granted: the invalidation decision is overturned in court;
#: - expired is final.
LEGAL_STATUS_MACHINE = StateMachine(
    LegalStatus,
    {
        "pending": ["granted", "lapsed"],
        "granted": ["lapsed", "expired", "invalidated"],
        "lapsed": ["pending", "granted"],
        "invalidated": ["granted"],
        "expired": [],
    },
    attribute="legal_status",
)


#: Maturity: the four stages of the plan, or a technology readiness level (TRL 1-9).
MATURITY_LABELS: dict[str, object] = {
    "lab": _l("Laboratory"),
    "pilot": _l("Pilot"),
    "small_batch": _l("Small-batch production"),
    "mass_production": _l("Mass production"),
    **{f"trl{n}": _l("TRL %(n)s", n=n) for n in range(1, 10)},
}


class EncumbranceKind(enum.Enum):
    LICENSE = "license"  # a licence granted before (off the platform)
    PLEDGE = "pledge"  # IP pledge financing
    COMMITTED_DEAL = "committed_deal"  # a deal committed on the platform by a contract


ENCUMBRANCE_KIND_LABELS: dict[str, object] = {
    "license": _l("Licence granted"),
    "pledge": _l("Pledge"),
    "committed_deal": _l("Deal committed on the platform"),
}


class DealKind(enum.Enum):
    LICENSE = "license"
    TRANSFER = "transfer"
    EQUITY = "equity"


DEAL_KIND_LABELS: dict[str, object] = {
    "license": _l("Licence"),
    "transfer": _l("Transfer"),
    "equity": _l("Equity contribution"),
}


class LicenseType(enum.Enum):
    EXCLUSIVE = "exclusive"
    SOLE = "sole"
    NON_EXCLUSIVE = "non_exclusive"


LICENSE_TYPE_LABELS: dict[str, object] = {
    "exclusive": _l("Exclusive"),
    "sole": _l("Sole"),
    "non_exclusive": _l("Non-exclusive"),
}

#: Licence types that keep every other licensee out of their field, territory and term.
EXCLUSIVE_TYPES = frozenset({"exclusive", "sole"})


class TitleEventKind(enum.Enum):
    REGISTRATION = "registration"
    TRANSFER = "transfer"  # under a transfer or equity contract
    OWNERSHIP_CHANGE = "ownership_change"  # agreed by the owners (or decided with evidence)


TITLE_EVENT_LABELS: dict[str, object] = {
    "registration": _l("Registered on the platform"),
    "transfer": _l("Ownership transferred"),
    "ownership_change": _l("Owners changed by agreement"),
}


class ProposalStatus(enum.Enum):
    """A proposal to change the owners of a co-owned asset."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"  # every current owner accepted, or an admin or agency decided: applied
    REJECTED = "rejected"  # an owner refused, or an admin or agency decided against it
    WITHDRAWN = "withdrawn"  # the proposing organization took it back


PROPOSAL_STATUS_LABELS: dict[str, object] = {
    "proposed": _l("Waiting for the owners"),
    "accepted": _l("Accepted and applied"),
    "rejected": _l("Rejected"),
    "withdrawn": _l("Withdrawn"),
}

#: proposed -> accepted (applied at once) / rejected / withdrawn; the three outcomes are final.
PROPOSAL_MACHINE = StateMachine(
    ProposalStatus,
    {
        "proposed": ["accepted", "rejected", "withdrawn"],
        "accepted": [],
        "rejected": [],
        "withdrawn": [],
    },
)


class VoteDecision(enum.Enum):
    ACCEPT = "accept"
    REJECT = "reject"


VOTE_LABELS: dict[str, object] = {"accept": lazy_pgettext("vote", "Accepted"), "reject": _l("Rejected")}


class DecisionBasis(enum.Enum):
    """Who decided a proposal: its owners' agreement, or an admin or an agency with evidence."""

    OWNERS = "owners"
    ADMIN = "admin"
    AGENCY = "agency"


DECISION_BASIS_LABELS: dict[str, object] = {
    "owners": _l("by the owners"),
    "admin": _l("by an administrator, on evidence"),
    "agency": _l("by a technology transfer agency, on evidence"),
}

#: Where an agency checks an asset's legal status.
VERIFICATION_SOURCES: dict[str, object] = {
    "cnipa_patent_search": _l("CNIPA patent examination information search (中国及多国专利审查信息查询)"),
    "cnipa_gazette": _l("CNIPA patent gazette (专利公布公告)"),
    "ccpc": _l("Copyright Protection Center of China (中国版权保护中心)"),
    "cnipa_ic_layout": _l("CNIPA IC layout design register (集成电路布图设计)"),
    "plant_variety_office": _l(
        "Plant variety protection office of the Ministry of Agriculture and Rural Affairs"
    ),
    "achievement_registry": _l("Provincial register of S&T achievements (科技成果登记)"),
    "other": _l("Other source (explain in the note)"),
}


def label(table: dict[str, object], code: str | None) -> str:
    return label_text(table, code)
