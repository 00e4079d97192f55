"""Ledger test helpers."""

from __future__ import annotations

import pytest


@pytest.fixture
def in_request(app):
    """A request context, so services' translated messages can be rendered."""
    with app.test_request_context("/"):
        yield
