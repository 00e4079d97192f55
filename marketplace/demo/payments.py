"""Demo data of the payments domain."""

from __future__ import annotations

from .context import DemoContext


def seed(ctx: DemoContext) -> None:
    """Nothing to add for this domain yet."""
