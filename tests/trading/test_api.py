"""The bidding API (API.md "Online bidding"): create, enrol, deposit, bid, log, verify, settle on read."""

from __future__ import annotations

from datetime import timedelta

from marketplace.trading.models import BiddingLogEntry

from .conftest import T0
from .factories import INCREMENT, START, enrolled, make_session

STARTS = T0 + timedelta(days=8)


def _body(**kw):
    body = {
        "starting_price_fen": START,
        "increment_fen": INCREMENT,
        "reserve_fen": START + 5 * INCREMENT,
        "deposit_fen": START // 10,
        "announce_on": "2026-11-02",
        "starts_at": STARTS.isoformat(),
        "ends_at": (STARTS + timedelta(hours=24)).isoformat(),
    }
    body.update(kw)
    return body


def test_create_then_public_read_hides_the_reserve(world, api, clock):
    r = api(world.seller).post(f"/api/v1/listings/{world.listing.id}/biddings", json=_body())
    assert r.status_code == 201, r.get_json()
    sid = r.get_json()["id"]
    assert r.get_json()["reserve_fen"] == START + 5 * INCREMENT
    read = api().get(f"/api/v1/biddings/{sid}")
    assert read.headers["Cache-Control"] == "no-cache"  # live: never served stale by a proxy
    public = read.get_json()
    assert "reserve_fen" not in public and public["has_reserve"] and public["status"] == "announced"
    assert public["server_time"].startswith("2026-11-02T02:00")
    listing = api().get("/api/v1/biddings?status=announced").get_json()
    assert [s["id"] for s in listing["items"]] == [sid]
    assert api().get("/api/v1/biddings?status=nope").status_code == 422


def test_create_refuses_bad_input_with_every_field(world, api, clock):
    r = api(world.seller).post(
        f"/api/v1/listings/{world.listing.id}/biddings",
        json=_body(starts_at="tomorrow", deposit_fen=1, increment_fen=-5),
    )
    assert r.status_code == 422
    assert set(r.get_json()["error"]["fields"]) >= {"starts_at", "deposit_fen", "increment_fen"}
    assert (
        api(world.buyers[0]).post(f"/api/v1/listings/{world.listing.id}/biddings", json=_body()).status_code
        == 403
    )
    assert (
        api(world.seller).post(f"/api/v1/listings/{world.listing.id}/biddings", data="[").status_code == 400
    )


def test_enrol_deposit_bid_log_and_verify(world, api, clock):
    s = make_session(world.listing, world.seller, T0)
    buyer = api(world.buyers[0])
    r = buyer.post(f"/api/v1/biddings/{s.id}/enrol")
    assert r.status_code == 200 and r.get_json()["status"] == "awaiting_deposit"
    payment = r.get_json()["payment"]
    assert payment["amount_fen"] == START // 10 and payment["reference"].startswith(s.reference)
    clock.set(STARTS + timedelta(hours=1))
    assert buyer.post(f"/api/v1/biddings/{s.id}/bids", json={"amount_fen": START}).status_code == 409
    deposits = api(world.seller).get(f"/api/v1/biddings/{s.id}/deposits").get_json()["items"]
    assert [d["bidder_code"] for d in deposits] == [r.get_json()["code"]]
    assert buyer.get(f"/api/v1/biddings/{s.id}/deposits").status_code == 404
    for _ in range(2):
        c = api(world.agent).post(f"/api/v1/biddings/{s.id}/deposits/{payment['id']}/confirm")
        assert c.status_code == 200 and c.get_json()["status"] == "confirmed"
    key = {"Idempotency-Key": "bid-1"}
    first = buyer.post(f"/api/v1/biddings/{s.id}/bids", json={"amount_fen": START}, headers=key)
    again = buyer.post(f"/api/v1/biddings/{s.id}/bids", json={"amount_fen": START}, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["hash"] == again.get_json()["hash"]
    assert (
        buyer.post(
            f"/api/v1/biddings/{s.id}/bids", json={"amount_fen": START + INCREMENT}, headers=key
        ).status_code
        == 409
    )
    me = buyer.get(f"/api/v1/biddings/{s.id}").get_json()
    assert me["bids_count"] == 1 and me["my_code"] == first.get_json()["bidder_code"]
    bids = api().get(f"/api/v1/biddings/{s.id}/bids?kind=bid").get_json()["items"]
    assert [(b["seq"], b["amount_fen"]) for b in bids] == [(2, START)]
    assert "name" not in str(bids)
    v = api().get(f"/api/v1/biddings/{s.id}/verify").get_json()
    assert v == {"ok": True, "entries": 2, "bids": 1, "head": bids[0]["hash"]}
    assert buyer.post(f"/api/v1/biddings/{s.id}/bids", json={"amount_fen": "x"}).status_code == 422


def test_a_tampered_log_fails_verification(world, api, db, clock):
    s = make_session(world.listing, world.seller, T0)
    enrolled(s, world.buyers[0], world.seller, T0)
    clock.set(STARTS + timedelta(hours=1))
    api(world.buyers[0]).post(f"/api/v1/biddings/{s.id}/bids", json={"amount_fen": START})
    entry = db.session.query(BiddingLogEntry).filter_by(session_id=s.id, kind="bid").one()
    entry.amount_fen = START + 1
    db.session.flush()
    v = api().get(f"/api/v1/biddings/{s.id}/verify").get_json()
    assert v["ok"] is False and v["first_bad_seq"] == entry.seq and v["reason"] == "hash_mismatch"


def test_reading_after_the_end_settles(world, api, clock):
    s = make_session(world.listing, world.seller, T0)
    enrolled(s, world.buyers[0], world.seller, T0)
    clock.set(STARTS + timedelta(hours=1))
    api(world.buyers[0]).post(f"/api/v1/biddings/{s.id}/bids", json={"amount_fen": START + INCREMENT})
    clock.set(STARTS + timedelta(hours=25))
    body = api().get(f"/api/v1/biddings/{s.id}").get_json()
    assert body["status"] == "settled" and body["contract_id"] and body["premium_bp"] == 100
    assert body["winner_code"] == "001"


def test_not_announced_yet_is_404(world, api, clock):
    s = make_session(
        world.listing,
        world.seller,
        T0,
        announce_on=(T0 + timedelta(days=3)).date(),
        start_in=timedelta(days=12),
    )
    assert api().get(f"/api/v1/biddings/{s.id}").status_code == 404
    assert api(world.seller).get(f"/api/v1/biddings/{s.id}").status_code == 200


def test_notice_api(world, api, clock):
    r = api(world.seller).post(
        f"/api/v1/listings/{world.listing.id}/notice", json={"listed_price_fen": START}
    )
    assert r.status_code == 201 and r.get_json()["notice_days"] == 15
    nid = r.get_json()["id"]
    o = api(world.buyers[2]).post(
        f"/api/v1/listings/{world.listing.id}/objections", json={"reason": "价格偏低"}
    )
    assert o.status_code == 201
    assert (
        api(world.buyers[2])
        .post(f"/api/v1/listings/{world.listing.id}/objections", json={"reason": ""})
        .status_code
        == 422
    )
    assert api(world.buyers[0]).post(f"/api/v1/notices/{nid}/accept").status_code == 200
    a = api(world.seller).post(
        f"/api/v1/notices/{nid}/objections/{o.get_json()['id']}/answer", json={"answer": "经评估机构评估"}
    )
    assert a.status_code == 200 and a.get_json()["objections"][0]["answer"]
    clock.set(T0 + timedelta(days=16))
    assert api().get(f"/api/v1/notices/{nid}").get_json()["status"] == "contracted"


def test_list_queries_do_not_grow_with_sessions(world, api, db, clock, count_queries):
    from tests import factories

    from .factories import transfer_listing

    def add(n):
        for _ in range(n):
            seller = factories.user_with_role("seller")
            s = make_session(transfer_listing(seller), seller, T0)
            enrolled(s, world.buyers[0], seller, T0)
        db.session.expire_all()

    caller = api(world.buyers[0])
    add(1)
    caller.get("/api/v1/biddings")  # the token's first use is recorded once
    with count_queries() as one:
        assert len(caller.get("/api/v1/biddings").get_json()["items"]) == 1
    add(5)
    with count_queries() as six:
        body = caller.get("/api/v1/biddings").get_json()
    assert len(body["items"]) == 6 and all(s["my_code"] == "001" for s in body["items"])

    def selects(q):
        return [x for x in q.statements if x.lstrip().upper().startswith("SELECT")]

    assert len(selects(six)) == len(selects(one))


def test_stats_by_trading_mode_and_premium(world, api, login_as, client, clock):
    from marketplace.trading import bidding, settlement

    s = make_session(world.listing, world.seller, T0)
    enrolled(s, world.buyers[0], world.seller, T0)
    enrolled(s, world.buyers[1], world.seller, T0)
    bidding.place_bid(s, START, actor=world.buyers[0], now=STARTS)
    bidding.place_bid(s, START + 25 * INCREMENT, actor=world.buyers[1], now=STARTS)
    settlement.settle(s, now=s.effective_ends_at)
    body = api().get("/api/v1/biddings/stats").get_json()
    assert body["modes"]["bidding"]["contracts"] == 1 and body["premium_bp"] == 2500
    assert body["modes"]["bidding"]["turnover_fen"] == START + 25 * INCREMENT
    assert "25.0 %" in client.get("/biddings?lang=en").get_data(as_text=True)
    login_as("regulator")
    page = client.get("/ledger/?lang=en").get_data(as_text=True)
    assert 'id="trading-modes"' in page and "Online bidding" in page


def test_an_agency_enrols_and_bids_for_its_client_under_a_mandate(world, api, clock):
    from tests import factories

    client_buyer = world.buyers[1]
    broker = factories.user_with_role("agency")
    factories.MandateFactory(agency=broker.organization, client=client_buyer.organization, side="buyer")
    s = make_session(world.listing, world.seller, T0)
    body = {"client_org_id": client_buyer.organization_id}
    r = api(broker).post(f"/api/v1/biddings/{s.id}/enrol", json=body)
    assert r.status_code == 200, r.get_json()
    assert s.enrolments[0].org_id == client_buyer.organization_id
    assert s.enrolments[0].agency_org_id == broker.organization_id
    stranger = world.buyers[2].organization_id
    assert (
        api(broker).post(f"/api/v1/biddings/{s.id}/enrol", json={"client_org_id": stranger}).status_code
        == 403
    )
    api(world.seller).post(f"/api/v1/biddings/{s.id}/deposits/{r.get_json()['payment']['id']}/confirm")
    clock.set(STARTS + timedelta(hours=1))
    bid = api(broker).post(f"/api/v1/biddings/{s.id}/bids", json={"amount_fen": START, **body})
    assert bid.status_code == 201, bid.get_json()
    assert bid.get_json()["bidder_code"] == s.enrolments[0].code
    assert (
        api(broker).post(f"/api/v1/biddings/{s.id}/bids", json={"amount_fen": START * 2}).status_code == 409
    )


def test_a_bid_after_the_end_is_refused_and_settles(world, api, db, clock):
    s = make_session(world.listing, world.seller, T0)
    enrolled(s, world.buyers[0], world.seller, T0)
    enrolled(s, world.buyers[1], world.seller, T0)
    clock.set(STARTS + timedelta(hours=1))
    api(world.buyers[0]).post(f"/api/v1/biddings/{s.id}/bids", json={"amount_fen": START})
    clock.set(STARTS + timedelta(hours=25))
    r = api(world.buyers[1]).post(f"/api/v1/biddings/{s.id}/bids", json={"amount_fen": START * 2})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_open"
    db.session.expire_all()
    assert db.session.get(type(s), s.id).status == "settled"  # the refusal did not undo the settlement
