"""The search worker: with SEARCH_DRAIN_IN_REQUEST off no request writes the
Whoosh index, and `flask search worker` applies the outbox until stopped."""

from __future__ import annotations

import os
import signal
import threading

from marketplace.search import outbox
from marketplace.search.outbox import SearchOutbox

from .conftest import make_listing


def test_requests_leave_the_index_to_the_worker(app, api, db, seller, reviewer, search_index, monkeypatch):
    monkeypatch.setitem(app.config, "SEARCH_DRAIN_IN_REQUEST", False)
    listing = make_listing(seller, submitted=True)
    r = api(reviewer).post(f"/api/v1/listings/{listing.id}/publish")
    assert r.status_code == 200
    assert search_index.count() == 0  # the request did not write the index
    listing_id = listing.id
    assert [row.listing_id for row in SearchOutbox.query] == [listing_id]

    stop = threading.Event()
    seen = []

    def report(result):
        seen.append(result.upserted)
        stop.set()

    total = outbox.run_worker(stop, interval=0.05, report=report)
    assert seen == [1] and total.rows == 1
    assert search_index.count() == 1 and SearchOutbox.query.count() == 0
    assert [item["id"] for item in api().get("/api/v1/listings").get_json()["items"]] == [listing_id]


def test_the_request_drains_by_default(app, api, db, seller, reviewer, search_index):
    assert app.config["SEARCH_DRAIN_IN_REQUEST"] is True
    listing = make_listing(seller, submitted=True)
    assert api(reviewer).post(f"/api/v1/listings/{listing.id}/publish").status_code == 200
    assert search_index.count() == 1


def test_worker_command_stops_cleanly_on_sigterm(app, db, seller, reviewer, search_index, monkeypatch):
    from marketplace.listings import services

    # Where a worker runs, nothing else drains (commits, including this one, leave it the outbox).
    monkeypatch.setitem(app.config, "SEARCH_DRAIN_IN_REQUEST", False)
    listing = make_listing(seller, submitted=True)
    services.publish_listing(listing, actor=reviewer)
    db.session.commit()
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    try:
        result = app.test_cli_runner().invoke(args=["search", "worker", "--interval", "0.1"])
    finally:
        timer.cancel()
    assert result.exit_code == 0, result.output
    assert "Stopped after applying 1 changes." in result.output
    assert search_index.count() == 1
    assert signal.getsignal(signal.SIGTERM) is not None  # the previous handler is back
