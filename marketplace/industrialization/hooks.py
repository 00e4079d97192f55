"""Industrialization fills in the hook the ledger offers:

- `ledger.hooks.industrialized_counts` is replaced by
  `services.industrialized_counts`: confirmed achievements by source kind,
  {"university": n, "research_institute": n, "enterprise": n} (the keys the
  public targets page lists and sums), optionally as of a moment.

`install()` runs once when the industrialization blueprint is registered; the
ledger calls the hook through its module attribute, so the replacement is seen.
"""

from __future__ import annotations


def install() -> None:
    from . import services

    try:
        from ..ledger import hooks as ledger_hooks
    except ImportError:  # pragma: no cover - the ledger domain is always there
        return
    if hasattr(ledger_hooks, "industrialized_counts"):
        ledger_hooks.industrialized_counts = services.industrialized_counts
