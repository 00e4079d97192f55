"""After a winner forfeits, the listing may be bid on again: it stays published while
the winner has its days to sign, the forfeited draft can no longer be signed, and
the session runs again starting at most the configured percentage lower. A signed
deal closes the listing (`flask biddings forfeit`, daily)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.contracts.models import Contract
from marketplace.contracts.services import checklist
from marketplace.core.errors import Conflict, ValidationError
from marketplace.core.timeutil import shanghai_date
from marketplace.trading import bidding, sessions, settlement, stats

from .conftest import T0
from .factories import INCREMENT, START, enrolled, make_session

OPEN = T0 + timedelta(days=8, hours=1)


def _won(world):
    s = make_session(world.listing, world.seller, T0)
    enrolled(s, world.buyers[0], world.seller, T0)
    enrolled(s, world.buyers[1], world.seller, T0)
    bidding.place_bid(s, START, actor=world.buyers[0], now=OPEN)
    bidding.place_bid(s, START + 2 * INCREMENT, actor=world.buyers[1], now=OPEN)
    settlement.settle(s, now=s.effective_ends_at + timedelta(seconds=1))
    assert s.status == "settled" and s.sign_by is not None
    return s


def _past_sign_by(s):
    from marketplace.core.timeutil import start_of_day_utc

    return start_of_day_utc(s.sign_by + timedelta(days=1)) + timedelta(hours=1)


def test_a_forfeit_leaves_the_listing_open_for_a_session_run_again(world, db):
    s = _won(world)
    assert world.listing.status == "published"
    # While the winner may still sign, the committed deal holds the asset: no new session.
    with pytest.raises(Conflict):
        make_session(world.listing, world.seller, s.effective_ends_at + timedelta(days=1))
    assert settlement.forfeit(s, now=s.effective_ends_at + timedelta(days=1)).status == "settled"  # not yet
    later = _past_sign_by(s)
    settlement.forfeit(s, now=later)
    assert s.status == "forfeited" and s.leader.deposit.status == "forfeited"
    assert world.listing.status == "published" and sessions.live_session_of(world.listing.id) is None
    contract = db.session.get(Contract, s.contract_id)
    item = next(i for i in checklist(contract, today=shanghai_date(later)) if i.code == "bidding_forfeited")
    assert not item.ok and s.reference in str(item.message)
    # Run again: at most 20 % below the forfeited session's starting price.
    with pytest.raises(ValidationError) as err:
        make_session(world.listing, world.seller, later, starting_price_fen=START * 79 // 100)
    assert "starting_price_fen" in err.value.fields
    again = make_session(world.listing, world.seller, later, starting_price_fen=START * 80 // 100,
                         deposit_fen=START // 10)  # fmt: skip
    assert again.status == "announced" and again.previous_session_id == s.id


def test_a_forfeited_draft_counts_as_no_deal_by_trading_mode(world):
    s = _won(world)
    before = stats.deals_by_mode()
    assert before["modes"]["bidding"]["contracts"] == 1 and before["premium_bp"] == 200
    settlement.forfeit(s, now=_past_sign_by(s))
    after = stats.deals_by_mode()
    assert after["modes"]["bidding"]["contracts"] == 0
    assert after["settled_sessions"] == 0 and after["premium_bp"] is None


def test_a_signed_deal_closes_the_listing(world, app, db, clock, client):
    s = _won(world)
    contract = db.session.get(Contract, s.contract_id)
    runner = app.test_cli_runner()
    clock.set(s.effective_ends_at + timedelta(days=1))
    assert "0 listings closed" in runner.invoke(args=["biddings", "forfeit"]).output
    assert world.listing.status == "published"
    contract.status = "signed"  # signed by both parties (the contracts service's part)
    db.session.flush()
    page = client.get(f"/listings/{world.listing.id}?lang=en").get_data(as_text=True)
    assert "the winner signs by" not in page
    clock.set(_past_sign_by(s))
    out = runner.invoke(args=["biddings", "forfeit"]).output
    assert "0 forfeited" in out and "1 listings closed" in out, out
    assert world.listing.status == "closed" and s.status == "settled"


def test_the_rerun_reduction_and_the_extension_come_from_the_configuration(world, app):
    app.config["BIDDING_RERUN_MAX_REDUCTION_PCT"] = 10
    app.config["BIDDING_EXTENSION_MINUTES"] = 7
    try:
        assert sessions.rerun_floor(START) == START * 90 // 100
        s = make_session(world.listing, world.seller, T0, extension_minutes=None, reserve_fen=START * 3)
        assert s.extension_minutes == 7
        enrolled(s, world.buyers[0], world.seller, T0)
        bidding.place_bid(s, START, actor=world.buyers[0], now=OPEN)
        settlement.settle(s, now=s.effective_ends_at)
        assert s.status == "failed"
        later = s.effective_ends_at + timedelta(days=1)
        with pytest.raises(ValidationError):
            make_session(world.listing, world.seller, later, starting_price_fen=START * 89 // 100)
        make_session(world.listing, world.seller, later, starting_price_fen=START * 90 // 100)
    finally:
        app.config["BIDDING_RERUN_MAX_REDUCTION_PCT"] = 20
        app.config["BIDDING_EXTENSION_MINUTES"] = 5


def test_the_listing_page_shows_the_signing_and_offers_trading_again_after_a_forfeit(
    world, client, login_as, clock
):
    s = _won(world)
    login_as(world.seller)
    clock.set(s.effective_ends_at + timedelta(days=1))
    page = client.get(f"/listings/{world.listing.id}?lang=en").get_data(as_text=True)
    assert "the winner signs by" in page and "Start an online bidding" not in page
    settlement.forfeit(s, now=_past_sign_by(s))
    clock.set(_past_sign_by(s))
    page = client.get(f"/listings/{world.listing.id}?lang=en").get_data(as_text=True)
    assert "the winner signs by" not in page and "Start an online bidding" in page
    assert client.get(f"/listings/{world.listing.id}/biddings/new").status_code == 200
