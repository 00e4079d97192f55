"""`flask biddings settle / verify / forfeit / notices`."""

from __future__ import annotations

from datetime import timedelta

from marketplace.trading import bidding

from .conftest import T0
from .factories import START, enrolled, make_session


def test_settle_verify_and_forfeit(world, app, db, clock):
    s = make_session(world.listing, world.seller, T0)
    enrolled(s, world.buyers[0], world.seller, T0)
    bidding.place_bid(s, START, actor=world.buyers[0], now=T0 + timedelta(days=8, hours=1))
    runner = app.test_cli_runner()
    clock.set(s.effective_ends_at + timedelta(minutes=1))
    out = runner.invoke(args=["biddings", "settle"])
    assert "1 settled" in out.output, out.output
    assert s.status == "settled"
    out = runner.invoke(args=["biddings", "verify", str(s.id)])
    assert out.exit_code == 0 and out.output.startswith("ok: 3 entries, 1 bids")
    clock.set(s.effective_ends_at + timedelta(days=30))
    out = runner.invoke(args=["biddings", "forfeit"])
    assert "1 forfeited" in out.output, out.output
    assert s.status == "forfeited" and s.leader.deposit.status == "forfeited"
    assert runner.invoke(args=["biddings", "verify", "999999"]).exit_code != 0
    assert world.listing.status == "published"  # a new session may run (test_rerun.py)


def test_notices_command_ends_due_notices(world, app, db, clock):
    from marketplace.trading import notices

    n = notices.start_notice(
        world.listing, listed_price_fen=START, notice_days=15, actor=world.seller, now=T0
    )
    notices.accept_listed_price(n, actor=world.buyers[0], now=T0)
    runner = app.test_cli_runner()
    clock.set(T0 + timedelta(days=10))
    assert "0 looked at" in runner.invoke(args=["biddings", "notices"]).output
    clock.set(T0 + timedelta(days=16))
    out = runner.invoke(args=["biddings", "notices"])
    assert "1 looked at" in out.output, out.output
    assert n.status == "contracted" and n.contract_id
