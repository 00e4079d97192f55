"""The hand-off to the turnover ledger (marketplace/ledger/services.py).

Every registration, amendment and cancellation becomes one ledger entry,
appended with `append_entry` in the registering transaction: if the append
fails, the registration is rolled back with it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from ..ledger import services as ledger


@dataclass(frozen=True)
class LedgerEventData:
    """The fields of the ledger's `LedgerEvent`: what the registering modules hand
    over (converted at the hand-off, so that they name no ledger type)."""

    kind: str
    contract_id: int
    registration_no: str
    turnover_delta_fen: int
    tech_income_delta_fen: int
    effective_on: date
    seller_region: str
    seller_org_kind: str
    industry: str
    category: str
    event_key: str


def append(event: LedgerEventData, *, actor: Any, recorded_at: datetime | None = None) -> Any:
    """Append the event to the ledger (flush only; the caller's transaction).

    `recorded_at`: historical registrations (imports, the demo) are recorded at
    their time; None records them now."""
    return ledger.append_entry(ledger.LedgerEvent(**asdict(event)), actor=actor, recorded_at=recorded_at)


def append_many(events: list[LedgerEventData], *, actor: Any, recorded_at: list[datetime | None]) -> int:
    """Append the events in order under one take of the ledger's lock (an import);
    answers how many were appended (flush only; the caller's transaction)."""
    return ledger.append_entries(
        [ledger.LedgerEvent(**asdict(event)) for event in events], actor=actor, recorded_at=recorded_at
    )


def may_record(actor: Any, seller_region: str) -> bool:
    """Whether `actor` may put a registration of a seller in this region on the ledger."""
    return ledger.can_append(actor, seller_region)


def contract_totals(contract_id: int) -> tuple[int, int]:
    """What the ledger holds as the contract's registered turnover and income."""
    return ledger.contract_totals(contract_id)
