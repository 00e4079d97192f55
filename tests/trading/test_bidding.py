"""The rules of a bidding session (网络竞价), decided by the service with an injected clock."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from marketplace.contracts.models import Contract
from marketplace.core.errors import Conflict, PermissionDenied, ValidationError
from marketplace.trading import bidding, chain, settlement
from marketplace.trading.models import BiddingDeposit

from .conftest import T0
from .factories import INCREMENT, START, enrolled, make_session

OPEN = T0 + timedelta(days=8, hours=1)


def _open_session(world, **kw):
    s = make_session(world.listing, world.seller, T0, **kw)
    a = enrolled(s, world.buyers[0], world.seller, T0)
    b = enrolled(s, world.buyers[1], world.seller, T0)
    return s, a, b


def test_bids_rise_by_the_increment_and_the_first_is_the_starting_price(world):
    s, a, b = _open_session(world)
    with pytest.raises(Conflict) as err:
        bidding.place_bid(s, START - 1, actor=world.buyers[0], now=OPEN)
    assert err.value.code == "below_minimum"
    bidding.place_bid(s, START, actor=world.buyers[0], now=OPEN)
    with pytest.raises(Conflict) as err:
        bidding.place_bid(s, START + INCREMENT - 1, actor=world.buyers[1], now=OPEN)
    assert err.value.code == "below_minimum"
    result = bidding.place_bid(s, START + INCREMENT, actor=world.buyers[1], now=OPEN)
    assert (s.current_price_fen, s.bids_count, s.leader_enrolment_id) == (START + INCREMENT, 2, b.id)
    assert result.entry.bidder_code == b.code and not result.extended
    with pytest.raises(Conflict) as err:
        bidding.place_bid(s, START + 5 * INCREMENT, actor=world.buyers[1], now=OPEN)
    assert err.value.code == "already_leading"


def test_no_deposit_no_bid_and_not_before_the_start(world):
    s = make_session(world.listing, world.seller, T0)
    enrolled(s, world.buyers[0], world.seller, T0, confirm=False)
    with pytest.raises(Conflict) as err:
        bidding.place_bid(s, START, actor=world.buyers[0], now=OPEN)
    assert err.value.code == "not_eligible"
    with pytest.raises(Conflict) as err:
        bidding.place_bid(s, START, actor=world.buyers[2], now=OPEN)
    assert err.value.code == "not_eligible"
    enrolled(s, world.buyers[1], world.seller, T0)
    with pytest.raises(Conflict) as err:
        bidding.place_bid(s, START, actor=world.buyers[1], now=T0 + timedelta(days=7))
    assert err.value.code == "not_open"
    with pytest.raises(ValidationError):
        bidding.place_bid(s, "100", actor=world.buyers[1], now=OPEN)


def test_a_deposit_confirmed_twice_is_one_and_enrolling_twice_is_one(world):
    from marketplace.trading import enrolment

    s = make_session(world.listing, world.seller, T0)
    e1 = enrolment.enrol(s, actor=world.buyers[0], now=T0)
    e2 = enrolment.enrol(s, actor=world.buyers[0], now=T0)
    assert e1.id == e2.id
    enrolment.confirm_deposit(e1.deposit, actor=world.seller, now=T0)
    enrolment.confirm_deposit(e1.deposit, actor=world.agent, now=T0)
    deposits = world.listing and list(
        enrolment.db.session.scalars(select(BiddingDeposit).where(BiddingDeposit.session_id == s.id))
    )
    assert [(d.status, d.amount_fen) for d in deposits] == [("confirmed", START // 10)]
    with pytest.raises(PermissionDenied):
        enrolment.confirm_deposit(e1.deposit, actor=world.buyers[1], now=T0)
    with pytest.raises(PermissionDenied):
        enrolment.enrol(s, actor=world.seller, now=T0)


def test_a_last_second_bid_extends_and_a_refused_one_does_not(world):
    s, a, b = _open_session(world)
    end = s.effective_ends_at
    bidding.place_bid(s, START, actor=world.buyers[0], now=end - timedelta(minutes=30))
    assert s.effective_ends_at == end
    last = end - timedelta(seconds=1)
    with pytest.raises(Conflict):
        bidding.place_bid(s, START, actor=world.buyers[1], now=last)  # refused: below the minimum
    assert s.effective_ends_at == end
    result = bidding.place_bid(s, START + INCREMENT, actor=world.buyers[1], now=last)
    assert result.extended and s.effective_ends_at == last + timedelta(minutes=5)
    # After the old end, before the new one: still open.
    bidding.place_bid(s, START + 2 * INCREMENT, actor=world.buyers[0], now=end + timedelta(minutes=1))
    assert s.effective_ends_at == end + timedelta(minutes=6)
    kinds = [e.kind for e in enrolment_entries(s)]
    assert kinds == ["open", "bid", "bid", "extension", "bid", "extension"]
    assert chain.verify(s).ok


def enrolment_entries(s):
    return list(chain.db.session.scalars(chain.entries(s)))


def test_a_priority_holder_matching_the_highest_bid_wins_the_tie(world):
    s = make_session(world.listing, world.seller, T0, priority_org_ids=[world.holder.organization_id])
    enrolled(s, world.buyers[0], world.seller, T0)
    h = enrolled(s, world.holder, world.seller, T0)
    assert h.priority
    bidding.place_bid(s, START + 3 * INCREMENT, actor=world.buyers[0], now=OPEN)
    with pytest.raises(Conflict):  # a bidder without the right cannot match
        bidding.place_bid(s, START + 3 * INCREMENT, actor=world.buyers[0], now=OPEN)
    bidding.place_bid(s, START + 3 * INCREMENT, actor=world.holder, now=OPEN)
    assert s.leader_enrolment_id == h.id
    with pytest.raises(Conflict):  # the other must now outbid by the increment
        bidding.place_bid(s, START + 3 * INCREMENT, actor=world.buyers[0], now=OPEN)
    settlement.settle(s, now=s.effective_ends_at + timedelta(seconds=1))
    assert s.status == "settled"
    contract = chain.db.session.get(Contract, s.contract_id)
    assert contract.buyer_org_id == world.holder.organization_id
    assert contract.terms["price_fen"] == START + 3 * INCREMENT


def test_settlement_makes_a_contract_and_releases_losing_deposits(world):
    s, a, b = _open_session(world)
    bidding.place_bid(s, START, actor=world.buyers[0], now=OPEN)
    bidding.place_bid(s, START + 2 * INCREMENT, actor=world.buyers[1], now=OPEN)
    after = s.effective_ends_at + timedelta(seconds=1)
    with pytest.raises(Conflict):
        bidding.place_bid(s, START + 5 * INCREMENT, actor=world.buyers[0], now=after)
    # the bid after the end settled the session (and was refused)
    assert s.status == "settled" and s.premium_bp() == 200
    contract = chain.db.session.get(Contract, s.contract_id)
    assert (contract.status, contract.buyer_org_id, contract.turnover_fen) == (
        "draft",
        world.buyers[1].organization_id,
        START + 2 * INCREMENT,
    )
    assert contract.source_ref == s.reference
    assert a.deposit.status == "released" and b.deposit.status == "applied"
    assert world.listing.status == "published"  # until the winner signs (test_rerun.py)
    assert settlement.settle(s, now=after).status == "settled"  # twice is once
    assert chain.verify(s).ok
    assert [e.kind for e in enrolment_entries(s)][-1] == "outcome"


def test_no_valid_bid_fails_and_a_rerun_starts_at_most_20_percent_lower(world):
    s, a, b = _open_session(world, reserve_fen=START * 2)
    bidding.place_bid(s, START, actor=world.buyers[0], now=OPEN)
    bidding.settle_if_due(s, s.effective_ends_at)
    assert s.status == "failed" and s.contract_id is None
    assert a.deposit.status == "released" and b.deposit.status == "released"
    later = s.effective_ends_at + timedelta(days=1)
    with pytest.raises(ValidationError) as err:
        make_session(
            world.listing, world.seller, later, starting_price_fen=START * 79 // 100, deposit_fen=START // 10
        )
    assert "starting_price_fen" in err.value.fields
    again = make_session(
        world.listing, world.seller, later, starting_price_fen=START * 80 // 100, deposit_fen=START // 10
    )
    assert again.previous_session_id == s.id


def test_creation_rules_all_at_once(world):
    with pytest.raises(ValidationError) as err:
        make_session(
            world.listing,
            world.seller,
            T0,
            deposit_fen=START,
            increment_fen=0,
            hours=23,
            reserve_fen=START - 1,
            start_in=timedelta(days=2),
            extension_minutes=0,
        )
    assert set(err.value.fields) >= {
        "deposit_fen",
        "increment_fen",
        "ends_at",
        "reserve_fen",
        "starts_at",
        "extension_minutes",
    }
    with pytest.raises(PermissionDenied):
        make_session(world.listing, world.buyers[0], T0)
    make_session(world.listing, world.agent, T0)
    with pytest.raises(Conflict):
        make_session(world.listing, world.seller, T0)


def test_a_running_session_blocks_other_deals_on_the_asset(world):
    from marketplace.ip.deals import DealTerms
    from marketplace.ip.services import record_committed_deal

    make_session(world.listing, world.seller, T0)
    asset = world.listing.assets[0]
    with pytest.raises(Conflict) as err:
        record_committed_deal(
            asset, DealTerms("license", license_type="non_exclusive"), reference="OFFER-1", actor=world.seller
        )
    assert err.value.code == "held_for_trading"


# --- public notice (挂牌公示) ---------------------------------------------------

from marketplace.trading import notices  # noqa: E402


def _notice(world, now=T0):
    return notices.start_notice(
        world.listing, listed_price_fen=START, notice_days=15, actor=world.seller, now=now
    )


def test_notice_with_one_buyer_gives_a_contract_at_the_listed_price(world):
    n = _notice(world)
    o = notices.object_to(n, "权属存在争议", actor=world.buyers[2], now=T0)
    notices.accept_listed_price(n, actor=world.buyers[0], now=T0)
    notices.accept_listed_price(n, actor=world.buyers[0], now=T0)  # twice is once
    after = T0 + timedelta(days=16)
    assert notices.finish_if_due(n, after).status == "running"  # an unanswered objection blocks
    with pytest.raises(PermissionDenied):
        notices.answer_objection(o, "已核实", actor=world.buyers[2], now=T0)
    notices.answer_objection(o, "专利权属清晰，已核实", actor=world.seller, now=after)
    notices.finish_if_due(n, after)
    assert n.status == "contracted"
    contract = chain.db.session.get(Contract, n.contract_id)
    assert (contract.buyer_org_id, contract.turnover_fen) == (world.buyers[0].organization_id, START)


def test_notice_without_buyer_goes_back_and_with_several_goes_to_bidding(world):
    n = _notice(world)
    with pytest.raises(Conflict):
        make_session(world.listing, world.seller, T0)  # the notice holds the listing
    after = T0 + timedelta(days=16)
    with pytest.raises(Conflict):
        notices.accept_listed_price(n, actor=world.buyers[0], now=after)
    assert notices.finish_if_due(n, after).status == "no_buyer"
    assert world.listing.status == "published"
    n2 = _notice(world, now=after)
    notices.accept_listed_price(n2, actor=world.buyers[0], now=after)
    notices.accept_listed_price(n2, actor=world.buyers[1], now=after)
    end = after + timedelta(days=16)
    notices.finish_if_due(n2, end)
    assert n2.status == "to_bidding"
    s = chain.db.session.get(bidding.BiddingSession, n2.bidding_session_id)
    assert sorted(s.invited_org_ids) == sorted(
        [world.buyers[0].organization_id, world.buyers[1].organization_id]
    )
    assert s.starting_price_fen == START and len(s.enrolments) == 2
    with pytest.raises(PermissionDenied):
        from marketplace.trading import enrolment

        enrolment.enrol(s, actor=world.buyers[2], now=end)


def test_notice_rules(world):
    with pytest.raises(ValidationError) as err:
        notices.start_notice(world.listing, listed_price_fen=0, notice_days=2, actor=world.seller, now=T0)
    assert set(err.value.fields) == {"listed_price_fen", "notice_days"}
    n = _notice(world)
    with pytest.raises(ValidationError):
        notices.object_to(n, "  ", actor=world.buyers[0], now=T0)
    with pytest.raises(PermissionDenied):
        notices.accept_listed_price(n, actor=world.seller, now=T0)


def test_a_settlement_refused_by_the_register_leaves_the_page_readable(world, api, clock):
    from marketplace.ip.services import EncumbranceData, add_encumbrance

    s, a, b = _open_session(world)
    bidding.place_bid(s, START, actor=world.buyers[0], now=OPEN)
    # A pledge registered meanwhile excludes the transfer (the register's rule, not ours).
    add_encumbrance(world.listing.assets[0], EncumbranceData(kind="pledge", counterparty="哈尔滨银行", amount_fen=START,
                                                                 term_start=date(2026, 1, 1)),
                    actor=world.seller)  # fmt: skip
    clock.set(s.effective_ends_at + timedelta(minutes=1))
    r = api().get(f"/api/v1/biddings/{s.id}")
    assert r.status_code == 200 and r.get_json()["status"] == "ended"
    with pytest.raises(Conflict):
        settlement.settle(s, now=s.effective_ends_at + timedelta(minutes=1))
