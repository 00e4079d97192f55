"""The server's clock for public trading: every decision reads `now()` once per
request; tests replace it (monkeypatch) to control time."""

from __future__ import annotations

from datetime import datetime

from ..core.timeutil import utcnow


def now() -> datetime:
    return utcnow()
