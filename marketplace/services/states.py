"""Codes and states of the policy library, service providers, requests and evaluations.

Service request::

    requested ──quote (provider)──> quoted ──accept (requester)──> accepted ──complete (provider)──> completed
        │                             │  └─quote again (provider)─> quoted
        ├─decline (provider)──────────┴─> declined
        └─cancel (requester, before acceptance)──> cancelled

A completed request takes one rating (1-5, with a comment) from the requester.

Evaluation::

    requested ──result (the evaluation body)──> completed
        └──decline (the body, with a reason)──> declined
"""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from ..core.i18n import label_text
from ..core.states import StateMachine


class RequestStatus(enum.StrEnum):
    REQUESTED = "requested"
    QUOTED = "quoted"
    ACCEPTED = "accepted"
    COMPLETED = "completed"
    DECLINED = "declined"
    CANCELLED = "cancelled"


R = RequestStatus
REQUEST_TRANSITIONS: dict[RequestStatus, list[RequestStatus]] = {
    R.REQUESTED: [R.QUOTED, R.DECLINED, R.CANCELLED],
    R.QUOTED: [R.QUOTED, R.ACCEPTED, R.DECLINED, R.CANCELLED],
    R.ACCEPTED: [R.COMPLETED],
    R.COMPLETED: [],
    R.DECLINED: [],
    R.CANCELLED: [],
}
request_machine = StateMachine(RequestStatus, REQUEST_TRANSITIONS)
OPEN_REQUESTS = (R.REQUESTED.value, R.QUOTED.value, R.ACCEPTED.value)


class EvaluationStatus(enum.StrEnum):
    REQUESTED = "requested"
    COMPLETED = "completed"
    DECLINED = "declined"


E = EvaluationStatus
EVALUATION_TRANSITIONS: dict[EvaluationStatus, list[EvaluationStatus]] = {
    E.REQUESTED: [E.COMPLETED, E.DECLINED],
    E.COMPLETED: [],
    E.DECLINED: [],
}
evaluation_machine = StateMachine(EvaluationStatus, EVALUATION_TRANSITIONS)

REQUEST_STATUS_LABELS: dict[str, object] = {
    R.REQUESTED: lazy_pgettext("service request", "Requested"),
    R.QUOTED: lazy_pgettext("service request", "Quoted"),
    R.ACCEPTED: lazy_pgettext("service request", "Accepted"),
    R.COMPLETED: lazy_pgettext("service request", "Completed"),
    R.DECLINED: lazy_pgettext("service request", "Declined"),
    R.CANCELLED: lazy_pgettext("service request", "Cancelled"),
}
EVALUATION_STATUS_LABELS: dict[str, object] = {
    E.REQUESTED: lazy_pgettext("evaluation", "Awaiting the evaluation"),
    E.COMPLETED: lazy_pgettext("evaluation", "Evaluated"),
    E.DECLINED: lazy_pgettext("evaluation", "Declined"),
}

#: What a provider does (API.md); `finance` covers banks, guarantors, insurers and funds.
PROVIDER_KINDS: dict[str, object] = {
    "patent_agency": _l("Patent agency"),
    "law_firm": _l("Law firm"),
    "valuation": _l("Valuation firm"),
    "evaluation": _l("Evaluation body (科技成果评价)"),
    "testing": _l("Testing laboratory"),
    "pilot_base": _l("Pilot-scale base (中试基地)"),
    "incubator": _l("Incubator"),
    "finance": _l("Financial institution"),
}

POLICY_LEVELS: dict[str, object] = {
    "national": lazy_pgettext("policy level", "National"),
    "provincial": lazy_pgettext("policy level", "Provincial"),
    "city": lazy_pgettext("policy level", "City"),
}
POLICY_TOPICS: dict[str, object] = {
    "tax": lazy_pgettext("policy topic", "Tax"),
    "ownership": lazy_pgettext("policy topic", "Ownership of results"),
    "incentives": lazy_pgettext("policy topic", "Incentives"),
    "registration": lazy_pgettext("policy topic", "Contract registration"),
    "finance": lazy_pgettext("policy topic", "Finance"),
    "talent": lazy_pgettext("policy topic", "Talent"),
    "platform": lazy_pgettext("policy topic", "Platforms and services"),
}
#: The seller kinds a policy can be limited to (organization kinds of the three sources and others).
SELLER_KINDS = ("university", "research_institute", "enterprise", "individual", "other")

NOVELTY: dict[str, object] = {
    "international_leading": _l("International leading (国际领先)"),
    "international_advanced": _l("International advanced (国际先进)"),
    "domestic_leading": _l("Domestic leading (国内领先)"),
    "domestic_advanced": _l("Domestic advanced (国内先进)"),
}
#: Maturity as the evaluation body states it (the listings' stages).
EVAL_MATURITY: dict[str, object] = {
    "lab": lazy_pgettext("maturity", "Laboratory"),
    "pilot": lazy_pgettext("maturity", "Pilot"),
    "small_batch": lazy_pgettext("maturity", "Small-batch production"),
    "mass_production": lazy_pgettext("maturity", "Mass production"),
}
TRL_LEVELS = tuple(range(1, 10))


def label(table: dict, code: str | None) -> str:
    return label_text(table, code)
