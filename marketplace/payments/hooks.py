"""Payments fill in the hooks other domains offer:

- contracts: `contracts.hooks.set_paid_fen_provider(services.paid_fen)` - the
  milestones' `paid_fen` (confirmed cash net of refunds);
- ledger: `ledger.hooks.cash_received_fen` is replaced by
  `services.cash_received_fen` - cash received beside turnover on the
  regulators' dashboard (payments never change turnover).

`install()` runs once when the payments blueprint is registered.
"""

from __future__ import annotations


def install() -> None:
    from . import services

    try:
        from ..contracts import hooks as contract_hooks
    except ImportError:  # pragma: no cover - the contracts domain is always there
        contract_hooks = None
    if contract_hooks is not None and hasattr(contract_hooks, "set_paid_fen_provider"):
        contract_hooks.set_paid_fen_provider(services.paid_fen)
    try:
        from ..ledger import hooks as ledger_hooks
    except ImportError:  # pragma: no cover
        ledger_hooks = None
    if ledger_hooks is not None and hasattr(ledger_hooks, "cash_received_fen"):
        ledger_hooks.cash_received_fen = services.cash_received_fen
