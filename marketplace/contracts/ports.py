"""What contracts ask of the domains above them (see core.wiring), and the
contract page's URL that contracts give to the ledger."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..core.wiring import Port


def _nothing_paid(milestone: Any) -> int:
    return 0


def _nothing_paid_on(milestone_ids: Iterable[int]) -> dict[int, int]:
    return {}


#: Fen paid and confirmed on a milestone so far, net of refunds (0 until payments
#: are plugged in).
paid_fen: Port = Port("contracts.paid_fen", _nothing_paid)

#: The same for many milestones in one query: milestone id -> fen (missing ids: 0).
paid_fen_of_milestones: Port = Port("contracts.paid_fen_of_milestones", _nothing_paid_on)


#: The checks public trading adds to a contract's checklist (成果公示 before signing):
#: (code, ok, message) triples; none until trading is plugged in.
trading_checks: Port = Port("contracts.trading_checks", lambda contract, today: [])


def paid_fen_for(milestone: Any) -> int:
    """Fen paid on a milestone so far (0 until payments are plugged in)."""
    return int(paid_fen(milestone) or 0)


def contract_url(contract_id: int) -> str | None:
    """The contract page's URL (relative), or None outside a request/app context."""
    from flask import has_app_context, url_for

    if not has_app_context():
        return None
    try:
        return url_for("contracts.detail", contract_id=contract_id)
    except RuntimeError:
        return None
