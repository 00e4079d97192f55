"""Where other domains plug into the ledger's reports.

Each function answers "not known yet" (None) until the domain that knows
fills it in: contracts (links to contract pages, industrialized
achievements) and payments (cash received). Reports show None honestly as
"not yet tracked" / "counted once contracts are registered on the platform".
"""

from __future__ import annotations

from datetime import datetime


def contract_link(contract_id: int) -> str | None:
    """The URL of a contract's page, for drill-down from ledger entries.

    Filled by the contracts domain; None until then (the entry list shows the
    registration number without a link).
    """
    return None


def cash_received_fen(scope: str, as_of: datetime | None) -> int | None:
    """Cash received on registered contracts of sellers in `scope` (a region
    code; 230000 is the whole province), recorded up to `as_of` (None: now).

    Filled by the payments domain; None means "not yet tracked".
    """
    return None


def industrialized_counts() -> dict[str, int] | None:
    """Achievements counted as industrialized, by source kind of their owner:
    {"university": n, "research_institute": n, "enterprise": n}.

    Filled by the contracts domain (it needs registered contracts and the
    buyers' industrialization reports); None until then.
    """
    return None
