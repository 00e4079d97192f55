"""API endpoints of the listings domain (added to the shared /api/v1 blueprint)."""

from __future__ import annotations
