"""API endpoints of the ledger domain (added to the shared /api/v1 blueprint)."""

from __future__ import annotations
