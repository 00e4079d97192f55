"""Fixtures of the trading tests: a published listing offering a transfer, its
seller, buyers (one holding a right of first refusal) and an outsider."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from tests import factories
from tests.payments.conftest import localstripe, stripe_on  # noqa: F401 - localstripe for the deposit tests

from .factories import transfer_listing

#: The tests' clock: sessions are created "now" and bid at `T0 + ...`.
T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


@dataclass
class World:
    seller: object
    listing: object
    buyers: list
    holder: object
    agent: object


@pytest.fixture
def world(db):
    seller = factories.user_with_role("seller")
    agent = factories.user_with_role("agency")
    listing = transfer_listing(seller, agency_org_id=agent.organization_id)
    buyers = [factories.user_with_role("buyer") for _ in range(3)]
    holder = factories.user_with_role("buyer")
    return World(seller, listing, buyers, holder, agent)


@pytest.fixture
def clock(monkeypatch):
    """The server's clock of public trading, set by the test: clock.set(datetime)."""
    from marketplace.trading import clock as trading_clock

    class _Clock:
        value = T0

        def set(self, value):
            self.value = value

    c = _Clock()
    monkeypatch.setattr(trading_clock, "now", lambda: c.value)
    return c
