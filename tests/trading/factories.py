"""Factories of the trading tests: sessions made through the service with an
injected clock (the rules are the service's), enrolments with confirmed deposits."""

from __future__ import annotations

from datetime import datetime, timedelta

from marketplace.core.timeutil import shanghai_date
from marketplace.trading import enrolment, sessions
from marketplace.trading.sessions import SessionInput
from tests import factories

TRANSFER = {"deal_kind": "transfer", "price_fen": 500_000_000}
START = 100_000_000  # 100 万元
INCREMENT = 1_000_000  # 1 万元


def transfer_listing(seller, **kwargs):
    return factories.ListingFactory(seller=seller, published=True, deal_terms=[TRANSFER], **kwargs)


def session_input(now: datetime, *, start_in=timedelta(days=8), hours=24, **overrides) -> SessionInput:
    starts = now + start_in
    values = {
        "starting_price_fen": START,
        "increment_fen": INCREMENT,
        "deposit_fen": START // 10,
        "announce_on": shanghai_date(now),
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=hours),
        "extension_minutes": 5,
    }
    values.update(overrides)
    return SessionInput(**values)


def make_session(listing, seller, now: datetime, **overrides):
    return sessions.create_session(listing, session_input(now, **overrides), actor=seller, now=now)


def enrolled(session, buyer, seller, now: datetime, *, confirm=True):
    e = enrolment.enrol(session, actor=buyer, now=now)
    if confirm:
        enrolment.confirm_deposit(e.deposit, actor=seller, now=now)
    return e
