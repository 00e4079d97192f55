"""Where other domains plug into contracts, and where contracts plug into others.

- `paid_fen_for(milestone)`: how much of a milestone has been paid. 0 until
  the payments domain registers its provider with `set_paid_fen_provider`.
- `install_ledger_hooks()`: gives the ledger a link to contract pages
  (its `contract_link` hook), called once when the contracts blueprint is
  registered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_paid_fen_provider: Callable[[Any], int] | None = None


def set_paid_fen_provider(func: Callable[[Any], int] | None) -> None:
    """Payments call this once (e.g. at blueprint registration) with a function
    milestone -> fen paid and confirmed so far."""
    global _paid_fen_provider
    _paid_fen_provider = func


def paid_fen_for(milestone: Any) -> int:
    """Fen paid on a milestone so far (0 until payments land)."""
    if _paid_fen_provider is None:
        return 0
    return int(_paid_fen_provider(milestone) or 0)


def contract_url(contract_id: int) -> str | None:
    """The contract page's URL (relative), or None outside a request/app context."""
    from flask import has_app_context, url_for

    if not has_app_context():
        return None
    try:
        return url_for("contracts.detail", contract_id=contract_id)
    except RuntimeError:
        return None


def install_ledger_hooks() -> None:
    """Point the ledger's `contract_link` hook at the contract pages, if the
    ledger offers that hook."""
    try:
        from ..ledger import hooks as ledger_hooks
    except ImportError:  # the ledger domain is not there
        return
    if hasattr(ledger_hooks, "contract_link"):
        ledger_hooks.contract_link = contract_url
