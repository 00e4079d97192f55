"""Codes and state machines of the docking network (../shared/DOMAIN.md,
"The docking network")."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from ..core.i18n import label_text
from ..core.states import StateMachine


class NodeLevel(enum.StrEnum):
    CORE = "core"
    REGIONAL = "regional"
    PROFESSIONAL = "professional"


LEVEL_LABELS: dict[str, object] = {
    NodeLevel.CORE: _l("Provincial core node"),
    NodeLevel.REGIONAL: _l("Regional node"),
    NodeLevel.PROFESSIONAL: _l("Professional node"),
}


class OperatorStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REVOKED = "revoked"


OPERATOR_STATUS_LABELS: dict[str, object] = {
    OperatorStatus.PENDING: lazy_pgettext("node operator", "Waiting for approval"),
    OperatorStatus.APPROVED: lazy_pgettext("node operator", "Approved"),
    OperatorStatus.REVOKED: lazy_pgettext("node operator", "Revoked"),
}
operator_machine = StateMachine(
    OperatorStatus,
    {
        OperatorStatus.PENDING: [OperatorStatus.APPROVED, OperatorStatus.REVOKED],
        OperatorStatus.APPROVED: [OperatorStatus.REVOKED],
        OperatorStatus.REVOKED: [],
    },
)


class FollowUpKind(enum.StrEnum):
    CALL = "call"
    MEETING = "meeting"
    INTENT = "intent"
    NO_INTEREST = "no_interest"
    PUSHED = "pushed"


FOLLOW_UP_LABELS: dict[str, object] = {
    FollowUpKind.CALL: lazy_pgettext("follow-up", "Call"),
    FollowUpKind.MEETING: lazy_pgettext("follow-up", "Meeting"),
    FollowUpKind.INTENT: lazy_pgettext("follow-up", "Intent to deal"),
    FollowUpKind.NO_INTEREST: lazy_pgettext("follow-up", "No interest"),
    FollowUpKind.PUSHED: lazy_pgettext("follow-up", "Pushed to the parties"),
}


class MatchState(enum.StrEnum):
    """Where a (demand, listing) pair stands, derived from its follow-ups and offers."""

    NEW = "new"  # scoring >= 45, never followed up
    FOLLOWING = "following"  # followed up recently, or its next step is still ahead
    RAISED = "raised"  # the last follow-up is older than the configured days, no next step
    CLOSED = "closed"  # no interest
    CONVERTED = "converted"  # an offer or a contract came of it


MATCH_STATE_LABELS: dict[str, object] = {
    MatchState.NEW: lazy_pgettext("match", "Not followed up"),
    MatchState.FOLLOWING: lazy_pgettext("match", "Being followed up"),
    MatchState.RAISED: lazy_pgettext("match", "Raised again"),
    MatchState.CLOSED: lazy_pgettext("match", "Closed: no interest"),
    MatchState.CONVERTED: lazy_pgettext("match", "Became an offer"),
}


class EventKind(enum.StrEnum):
    DOCKING = "docking"
    ROADSHOW = "roadshow"


EVENT_KIND_LABELS: dict[str, object] = {
    EventKind.DOCKING: _l("Docking event"),
    EventKind.ROADSHOW: _l("Roadshow"),
}


class EventStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


EVENT_STATUS_LABELS: dict[str, object] = {
    EventStatus.SCHEDULED: lazy_pgettext("event", "Scheduled"),
    EventStatus.HELD: lazy_pgettext("event", "Held"),
    EventStatus.CANCELLED: lazy_pgettext("event", "Cancelled"),
}
event_machine = StateMachine(
    EventStatus,
    {
        EventStatus.SCHEDULED: [EventStatus.HELD, EventStatus.CANCELLED],
        EventStatus.HELD: [],
        EventStatus.CANCELLED: [],
    },
)


class OutcomeKind(enum.StrEnum):
    INTENT = "intent"
    OFFER = "offer"
    CONTRACT = "contract"


OUTCOME_LABELS: dict[str, object] = {
    OutcomeKind.INTENT: _l("Intent agreement"),
    OutcomeKind.OFFER: lazy_pgettext("event outcome", "Offer"),
    OutcomeKind.CONTRACT: lazy_pgettext("event outcome", "Contract"),
}


class ManagerLevel(enum.StrEnum):
    JUNIOR = "junior"
    INTERMEDIATE = "intermediate"
    SENIOR = "senior"


MANAGER_LEVEL_LABELS: dict[str, object] = {
    ManagerLevel.JUNIOR: _l("Junior (初级)"),
    ManagerLevel.INTERMEDIATE: _l("Intermediate (中级)"),
    ManagerLevel.SENIOR: _l("Senior (高级)"),
}


class ManagerStatus(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


MANAGER_STATUS_LABELS: dict[str, object] = {
    ManagerStatus.PENDING: lazy_pgettext("manager", "Waiting for verification"),
    ManagerStatus.VERIFIED: lazy_pgettext("manager", "Verified"),
    ManagerStatus.REJECTED: lazy_pgettext("manager", "Rejected"),
}
manager_machine = StateMachine(
    ManagerStatus,
    {
        ManagerStatus.PENDING: [ManagerStatus.VERIFIED, ManagerStatus.REJECTED],
        ManagerStatus.VERIFIED: [],
        ManagerStatus.REJECTED: [],
    },
)


def label(table: dict[str, object], code: str | None) -> str:
    return label_text(table, code)
