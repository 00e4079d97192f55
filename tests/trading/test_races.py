"""Concurrent bids on one session (PostgreSQL row locks): 50 bids from 10 bidders at
once over their own connections. The accepted sequence rises by at least the
increment each time, every accepted bid is in the log exactly once, the chain
verifies, and settlement gives exactly one winner."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.contracts.models import Contract
from marketplace.core.errors import DomainError
from marketplace.core.timeutil import utcnow
from marketplace.extensions import db as _db
from marketplace.trading import bidding, chain, settlement
from marketplace.trading.models import BiddingDeposit, BiddingLogEntry, BiddingSession
from tests import factories
from tests.race import committed, rounds

from .factories import INCREMENT, START, enrolled, make_session, transfer_listing

pytestmark = pytest.mark.postgres

BIDDERS = 10
BIDS_EACH = 5


def _world() -> dict:
    seller = factories.user_with_role("seller")
    listing = transfer_listing(seller)
    past = utcnow() - timedelta(days=8, hours=1)
    session = make_session(listing, seller, past)  # open since an hour, for 23 more
    buyers = [factories.user_with_role("buyer") for _ in range(BIDDERS)]
    for b in buyers:
        enrolled(session, b, seller, past)
    return {"session": session.id, "buyers": [b.id for b in buyers]}


def test_fifty_concurrent_bids_from_ten_bidders(app):
    with rounds(app):
        with committed(app):
            ids = _world()
        barrier = threading.Barrier(BIDDERS)
        outcomes: list[str] = []
        lock = threading.Lock()

        def bidder(user_id: int, seed: int) -> None:
            rng = random.Random(seed)
            with app.test_request_context("/"):
                try:
                    barrier.wait(20)
                    for _ in range(BIDS_EACH):
                        session = _db.session.get(BiddingSession, ids["session"])
                        user = _db.session.get(User, user_id)
                        # What a client sees (read without a lock), plus one to three increments.
                        amount = session.min_next_bid() + rng.randint(0, 2) * INCREMENT
                        try:
                            bidding.place_bid(session, amount, actor=user, now=utcnow())
                            _db.session.commit()
                            result = "ok"
                        except DomainError as exc:
                            _db.session.rollback()
                            result = exc.code
                        with lock:
                            outcomes.append(result)
                        _db.session.expire_all()
                finally:
                    _db.session.remove()

        threads = [threading.Thread(target=bidder, args=(uid, n)) for n, uid in enumerate(ids["buyers"])]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert len(outcomes) == BIDDERS * BIDS_EACH
        assert set(outcomes) <= {"ok", "below_minimum", "already_leading"}, outcomes
        accepted = outcomes.count("ok")
        assert accepted >= 5
        with app.test_request_context("/"):
            session = _db.session.get(BiddingSession, ids["session"])
            bids = list(_db.session.scalars(chain.entries(session, kind="bid")))
            amounts = [b.amount_fen for b in bids]
            assert len(bids) == accepted == session.bids_count
            assert amounts[0] >= START
            assert all(b - a >= INCREMENT for a, b in zip(amounts, amounts[1:], strict=False)), amounts
            assert session.current_price_fen == amounts[-1]
            codes = [b.bidder_code for b in bids]
            assert all(x != y for x, y in zip(codes, codes[1:], strict=False))  # nobody outbid itself
            assert chain.verify(session).ok
            settlement.settle(session, now=session.effective_ends_at + timedelta(seconds=1))
            _db.session.commit()
            session = _db.session.get(BiddingSession, ids["session"])
            assert session.status == "settled"
            applied = _db.session.scalar(select(func.count(BiddingDeposit.id)).where(
                BiddingDeposit.session_id == session.id, BiddingDeposit.status == "applied"))  # fmt: skip
            released = _db.session.scalar(select(func.count(BiddingDeposit.id)).where(
                BiddingDeposit.session_id == session.id, BiddingDeposit.status == "released"))  # fmt: skip
            assert (applied, released) == (1, BIDDERS - 1)
            contracts = _db.session.scalar(
                select(func.count(Contract.id)).where(Contract.source_ref == session.reference)
            )
            assert contracts == 1
            contract = _db.session.get(Contract, session.contract_id)
            assert (
                contract.buyer_org_id == session.leader.org_id and contract.terms["price_fen"] == amounts[-1]
            )
            assert chain.verify(session).ok
            assert _db.session.scalar(select(func.count(BiddingLogEntry.id)).where(
                BiddingLogEntry.session_id == session.id)) == session.last_seq  # fmt: skip
