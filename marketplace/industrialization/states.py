"""States of an industrialization report, as a table of allowed transitions.

::

    pending ──confirm (seller side or the contract's agency)──> confirmed
       └──────return (same people, with a reason)──────────────> returned

Both outcomes are final. A returned report stays on record; the buyer files a
new report with the corrected facts. A confirmed report is what counts toward
the plan's target (once per asset: a unique index on confirmed reports).
"""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from ..core.states import StateMachine


class ReportStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    RETURNED = "returned"


S = ReportStatus

TRANSITIONS: dict[ReportStatus, list[ReportStatus]] = {
    S.PENDING: [S.CONFIRMED, S.RETURNED],
    S.CONFIRMED: [],
    S.RETURNED: [],
}
report_machine = StateMachine(ReportStatus, TRANSITIONS)


class Stage(enum.StrEnum):
    """What the receiving enterprise reports."""

    PRODUCTION_STARTED = "production_started"
    FIRST_SALES = "first_sales"


STATUS_LABELS: dict[str, object] = {
    S.PENDING: _l("Awaiting confirmation"),
    S.CONFIRMED: _l("Confirmed"),
    S.RETURNED: _l("Returned"),
}
STAGE_LABELS: dict[str, object] = {
    Stage.PRODUCTION_STARTED: _l("Production started"),
    Stage.FIRST_SALES: _l("First sales"),
}
#: Who confirmed or returned a report.
DECIDED_AS_LABELS: dict[str, object] = {
    "seller": _l("the seller"),
    "agency": _l("the agency"),
}


def _label(table: dict, code: str | None) -> str:
    label = table.get(code) if code else None
    return str(label) if label is not None else (code or "")


def status_label(code: str | None) -> str:
    return _label(STATUS_LABELS, code)


def stage_label(code: str | None) -> str:
    return _label(STAGE_LABELS, code)


def decided_as_label(code: str | None) -> str:
    return _label(DECIDED_AS_LABELS, code)
