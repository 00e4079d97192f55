"""Ports: how a lower domain asks a question that only a higher one can answer.

The arrows of the design point down (payments -> contracts -> ledger -> core).
When the ledger's report needs the cash received (a payments fact), the ledger
declares a `Port` with an honest default ("not known": None), and the app
factory plugs the payments answer into it (`plug_ports` in create_app). The
ledger never imports payments, and nothing swaps module globals: what is
plugged belongs to the app, so two apps in one process do not see each
other's wiring.

    cash_received = Port("ledger.cash_received_fen", default=lambda scope, as_of: None)
    cash_received.plug(app, payments.services.cash_received_fen)   # in create_app
    cash_received("230000", None)                                   # in the ledger
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from flask import Flask, current_app, has_app_context

F = TypeVar("F", bound=Callable[..., Any])

_EXTENSION = "marketplace.ports"


class Port(Generic[F]):
    """A named question with a default answer, answered per app by `plug`."""

    def __init__(self, name: str, default: F) -> None:
        self.name = name
        self.default = default

    def plug(self, app: Flask, answer: F) -> None:
        app.extensions.setdefault(_EXTENSION, {})[self.name] = answer

    def answer(self) -> F:
        """What is plugged into this app, or the default (outside an app too)."""
        if has_app_context():
            plugged = current_app.extensions.get(_EXTENSION, {}).get(self.name)
            if plugged is not None:
                return plugged
        return self.default

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.answer()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Port({self.name!r})"
