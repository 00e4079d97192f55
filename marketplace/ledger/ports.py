"""What the ledger's reports ask of the domains above it (see core.wiring).

Each port answers "not known yet" (None) until the app factory plugs in the
domain that knows: contracts (links to contract pages), industrialization
(achievements counted as industrialized) and payments (cash received).
Reports show None honestly as "not yet tracked".
"""

from __future__ import annotations

from datetime import datetime

from ..core.wiring import Port


def _no_link(contract_id: int) -> str | None:
    return None


def _not_tracked(scope: str, as_of: datetime | None = None) -> int | None:
    return None


def _not_counted(as_of: datetime | None = None) -> dict[str, int] | None:
    return None


#: contract id -> the URL of its page (None: the entry shows the number without a link).
contract_link: Port = Port("ledger.contract_link", _no_link)

#: Cash received on registered contracts of sellers in `scope` (a region code;
#: 230000 is the whole province) up to `as_of` (None: now); None: not tracked.
cash_received_fen: Port = Port("ledger.cash_received_fen", _not_tracked)

#: Achievements counted as industrialized by source kind of their owner:
#: {"university": n, "research_institute": n, "enterprise": n}; None: not counted.
industrialized_counts: Port = Port("ledger.industrialized_counts", _not_counted)


def _no_plan(slug: str | None) -> dict | None:
    return None


#: A plan period (slug; None: the current one) with its progress, for GET /targets;
#: None: plan periods are not known (raises NotFound for an unknown slug).
plan_targets: Port = Port("ledger.plan_targets", _no_plan)
