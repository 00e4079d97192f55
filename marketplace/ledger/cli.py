"""Command-line commands of the ledger domain."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Add this domain's commands to the app (none yet)."""
