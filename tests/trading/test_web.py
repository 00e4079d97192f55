"""The bidding and notice pages in Chinese and English, their forms with errors, and the polling endpoint."""

from __future__ import annotations

from datetime import timedelta

import pytest

from .conftest import T0
from .factories import INCREMENT, START, enrolled, make_session

OPEN = T0 + timedelta(days=8, hours=1)


@pytest.mark.parametrize("lang,word", [("zh", "网络竞价"), ("en", "Online bidding")])
def test_session_page_public_in_both_languages(world, client, clock, lang, word):
    s = make_session(world.listing, world.seller, T0)
    r = client.get(f"/biddings/{s.id}?lang={lang}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert word in html and s.reference in html and "js/bidding.js" in html and 'id="reload"' in html
    assert "拍卖" not in html
    assert client.get(f"/biddings?lang={lang}").status_code == 200


def test_enrol_confirm_and_bid_through_the_pages(world, client, login_as, clock):
    s = make_session(world.listing, world.seller, T0)
    login_as(world.buyers[0])
    r = client.post(f"/biddings/{s.id}/enrol", data={})
    assert r.status_code == 302
    page = client.get(f"/biddings/{s.id}?lang=en").get_data(as_text=True)
    assert "Your bidder code: 001" in page and s.reference + "-001" in page
    login_as(world.seller)
    page = client.get(f"/biddings/{s.id}?lang=en").get_data(as_text=True)
    assert 'id="deposits"' in page and world.buyers[0].organization.name not in page
    deposit = s.enrolments[0].deposit
    assert client.post(f"/biddings/{s.id}/deposits/{deposit.id}/confirm").status_code == 302
    assert deposit.status == "confirmed"
    login_as(world.buyers[0])
    clock.set(OPEN)
    r = client.post(f"/biddings/{s.id}/bid", data={"amount_fen": "999,999.99"})
    assert r.status_code == 409
    assert "现在出价至少 1,000,000.00 元" in r.get_data(as_text=True)
    r = client.post(f"/biddings/{s.id}/bid?lang=en", data={"amount_fen": "999,999.99"})
    assert "A bid now is at least" in r.get_data(as_text=True)
    r = client.post(f"/biddings/{s.id}/bid?lang=en", data={"amount_fen": "abc"})
    assert r.status_code == 422
    r = client.post(f"/biddings/{s.id}/bid", data={"amount_fen": "1000000"})
    assert r.status_code == 302 and s.current_price_fen == START


def test_state_json_etag_and_304(world, client, clock):
    s = make_session(world.listing, world.seller, T0)
    enrolled(s, world.buyers[0], world.seller, T0)
    clock.set(OPEN)
    r = client.get(f"/biddings/{s.id}/state.json")
    etag = r.headers["ETag"]
    assert r.status_code == 200 and r.get_json()["status"] == "open"
    again = client.get(f"/biddings/{s.id}/state.json", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["X-Server-Time"]
    from marketplace.trading import bidding

    bidding.place_bid(s, START + INCREMENT, actor=world.buyers[0], now=OPEN)
    changed = client.get(f"/biddings/{s.id}/state.json", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["bids"][0]["amount_fen"] == START + INCREMENT


def test_seller_form_shows_every_error(world, client, login_as, clock):
    login_as(world.seller)
    assert client.get(f"/listings/{world.listing.id}/biddings/new?lang=en").status_code == 200
    r = client.post(
        f"/listings/{world.listing.id}/biddings/new?lang=en",
        data={
            "deal_kind": "transfer",
            "starting_price_fen": "1000000",
            "increment_fen": "0",
            "deposit_fen": "1",
            "announce_on": "2026-11-02",
            "starts_at": "2026-11-03T10:00",
            "ends_at": "2026-11-03T12:00",
            "extension_minutes": "5",
            "priority_usccs": "NOPE",
        },
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "No organization has the code NOPE" in html
    r = client.post(
        f"/listings/{world.listing.id}/biddings/new?lang=en",
        data={
            "deal_kind": "transfer",
            "starting_price_fen": "1000000",
            "increment_fen": "0",
            "deposit_fen": "1",
            "announce_on": "2026-11-02",
            "starts_at": "2026-11-03T10:00",
            "ends_at": "2026-11-03T12:00",
            "extension_minutes": "5",
        },
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    for message in (
        "Give an increment above zero",
        "5 to 20 percent",
        "at least 7 days",
        "at least 24 hours",
    ):
        assert message in html
    r = client.post(
        f"/listings/{world.listing.id}/biddings/new",
        data={
            "deal_kind": "transfer",
            "starting_price_fen": "1000000",
            "increment_fen": "10000",
            "deposit_fen": "100000",
            "announce_on": "2026-11-02",
            "starts_at": "2026-11-10T10:00",
            "ends_at": "2026-11-11T10:00",
            "extension_minutes": "5",
        },
    )
    assert r.status_code == 302
    listing_page = client.get(f"/listings/{world.listing.id}").get_data(as_text=True)
    assert 'id="listing-bidding"' in listing_page
    login_as(world.buyers[0])
    assert client.get(f"/listings/{world.listing.id}/biddings/new").status_code == 404


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_notice_page_objection_answer_accept(world, client, login_as, clock, lang):
    login_as(world.seller)
    r = client.post(
        f"/listings/{world.listing.id}/notice/new",
        data={"deal_kind": "transfer", "listed_price_fen": "1000000", "notice_days": "15"},
    )
    assert r.status_code == 302
    nid = int(r.headers["Location"].rsplit("/", 1)[-1])
    login_as(world.buyers[2])
    assert client.post(f"/notices/{nid}/objections?lang={lang}", data={"reason": ""}).status_code == 422
    assert client.post(f"/notices/{nid}/objections", data={"reason": "估值依据不足"}).status_code == 302
    login_as(world.buyers[0])
    assert client.post(f"/notices/{nid}/accept").status_code == 302
    login_as(world.seller)
    page = client.get(f"/notices/{nid}?lang={lang}").get_data(as_text=True)
    assert "估值依据不足" in page and 'name="answer"' in page
    from marketplace.extensions import db
    from marketplace.trading.models import TradingNotice

    oid = db.session.get(TradingNotice, nid).objections[0].id
    assert (
        client.post(f"/notices/{nid}/objections/{oid}/answer", data={"answer": "附评估报告"}).status_code
        == 302
    )
    page = client.get(f"/notices/{nid}?lang={lang}").get_data(as_text=True)
    assert "附评估报告" in page


def test_workbench_shows_deposits_to_confirm_and_objections_to_answer(world, api, clock):
    from marketplace.trading import enrolment, notices

    s = make_session(world.listing, world.seller, T0)
    enrolment.enrol(s, actor=world.buyers[0], now=T0)

    def counts(user):
        return {i["key"]: i for i in api(user).get("/api/v1/workbench").get_json()["items"]}

    seller = counts(world.seller)
    assert seller["bidding_deposits_to_confirm"]["count"] == 1
    assert seller["bidding_deposits_to_confirm"]["url"].startswith(f"/biddings/{s.id}")
    assert counts(world.agent)["bidding_deposits_to_confirm"]["count"] == 1
    assert "bidding_deposits_to_confirm" not in counts(world.buyers[0])
    other = factories_listing(world)
    n = notices.start_notice(other, listed_price_fen=START, notice_days=15, actor=world.seller, now=T0)
    notices.object_to(n, "请说明权属", actor=world.buyers[1], now=T0)
    assert counts(world.seller)["notice_objections_to_answer"]["count"] == 1


def factories_listing(world):
    from .factories import transfer_listing

    return transfer_listing(world.seller)


def test_a_web_bid_after_the_end_is_refused_and_settles(world, client, login_as, db, clock):
    s = make_session(world.listing, world.seller, T0)
    enrolled(s, world.buyers[0], world.seller, T0)
    login_as(world.buyers[0])
    clock.set(s.effective_ends_at + timedelta(minutes=1))
    r = client.post(f"/biddings/{s.id}/bid", data={"amount_fen": "1000000"})
    assert r.status_code == 409
    db.session.expire_all()
    assert db.session.get(type(s), s.id).status == "failed"
