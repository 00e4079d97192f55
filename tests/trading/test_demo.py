"""The demo seed of public trading: a settled session with a premium, a running one
ending within hours, an announced one, a notice with an answered objection; idempotent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from marketplace.core.timeutil import utcnow
from marketplace.demo import accounts, trading
from marketplace.demo.context import DemoContext
from marketplace.trading import chain
from marketplace.trading.models import BiddingSession, TradingNotice


def test_demo_seed_covers_the_cases_and_runs_twice(db, app):
    with app.test_request_context("/"):
        ctx = DemoContext(echo=lambda *_: None)
        accounts.seed(ctx)
        trading.seed(ctx)
        now = utcnow()
        by_phase = {s.phase(now): s for s in db.session.scalars(select(BiddingSession))}
        assert set(by_phase) == {"settled", "open", "announced", "failed"}
        settled = by_phase["settled"]
        assert settled.bids_count >= 5 and settled.premium_bp() > 0 and settled.contract_id
        assert settled.effective_ends_at > settled.ends_at  # a last-minute bid extended it
        running = by_phase["open"]
        assert now < running.effective_ends_at < now + timedelta(hours=12) and running.bids_count
        for s in by_phase.values():
            assert chain.verify(s).ok
        notice = db.session.scalars(select(TradingNotice)).one()
        assert notice.status == "running" and notice.objections[0].answer and not notice.open_objections
        trading.seed(DemoContext(echo=lambda *_: None, orgs=ctx.orgs, users=ctx.users))
        assert db.session.scalar(select(func.count(BiddingSession.id))) == 4
        assert db.session.scalar(select(func.count(TradingNotice.id))) == 1
