"""API endpoints of the contracts domain (added to the shared /api/v1 blueprint)."""

from __future__ import annotations
