"""Fixtures of the ip tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def request_ctx(app, db):
    """A request context, so translatable messages can be read as text (in English)."""
    with app.test_request_context("/api/v1/", headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def english(client):
    """Web pages in English for this test client (the web ignores Accept-Language)."""
    with client.session_transaction() as sess:
        sess["lang"] = "en"
