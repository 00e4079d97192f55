"""Benchmark of one bidding session (网络竞价) on PostgreSQL (not a test): how many
bids per second one session takes, every bid decided under the session's row lock.

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE bench_bidding'
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_bidding \\
        .venv/bin/python bench/bench_bidding.py [--bidders 20] [--seconds 10] [--writers 1,4,8]

What it does (and prints):
1. Empties the database (tables dropped and created again), makes a seller, a
   published listing, one open session and ``--bidders`` buyers enrolled with
   confirmed deposits, through the services.
2. For each number of ``--writers`` (threads, each with its own connection):
   every writer bids as the next of its share of the buyers, for ``--seconds``: reads the session
   (no lock, as a page does), bids the minimum next bid through
   ``POST /api/v1/biddings/{id}/bids`` (token auth, JSON body, an
   Idempotency-Key, the bid under SELECT ... FOR UPDATE, two log entries at most,
   one commit), and counts accepted and refused bids. A refused bid (someone
   was faster) costs the server as much as an accepted one.
3. The same with ``place_bid`` called directly (no HTTP, token or
   Idempotency-Key): what the lock and the log cost by themselves.
4. Verifies the session's hash chain and times it.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from marketplace import create_app  # noqa: E402
from marketplace.config import Config  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_bidding"


def _app(url: str):
    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 20}
        SECRET_KEY = "bench"
        TESTING = True
        RATELIMIT_ENABLED = False

    return create_app(BenchConfig)


def setup(app, bidders: int) -> tuple[int, list[str]]:
    from marketplace.accounts.services import issue_token
    from marketplace.core.timeutil import shanghai_date, utcnow
    from marketplace.extensions import db
    from marketplace.trading import enrolment, sessions
    from tests import factories  # the test data builders: valid organizations, assets, listings

    with app.app_context(), app.test_request_context("/"):
        db.drop_all()
        db.create_all()
        factories.bind(db.session)
        seller = factories.user_with_role("seller")
        listing = factories.ListingFactory(seller=seller, published=True,
                                           deal_terms=[{"deal_kind": "transfer", "price_fen": 100_000_000}])  # fmt: skip
        past = utcnow() - timedelta(days=8)
        session = sessions.create_session(
            listing,
            sessions.SessionInput(starting_price_fen=100_000_000, increment_fen=100, deposit_fen=10_000_000,
                                  announce_on=shanghai_date(past), starts_at=past + timedelta(days=7, hours=23),
                                  ends_at=past + timedelta(days=9, hours=23)),
            actor=seller, now=past,
        )  # fmt: skip
        tokens = []
        for _ in range(bidders):
            buyer = factories.user_with_role("buyer")
            e = enrolment.enrol(session, actor=buyer, now=past)
            enrolment.confirm_deposit(e.deposit, actor=seller, now=past)
            _token, plain = issue_token(buyer, "bench", actor=buyer)
            tokens.append(plain)
        db.session.commit()
        return session.id, tokens


def run(app, session_id: int, tokens: list[str], writers: int, seconds: float) -> tuple[int, int, float]:
    from marketplace.extensions import db
    from marketplace.trading.models import BiddingSession

    accepted = refused = 0
    lock = threading.Lock()
    stop = time.perf_counter() + seconds
    barrier = threading.Barrier(writers)

    def writer(i: int) -> None:
        nonlocal accepted, refused
        client = app.test_client()
        ok = no = 0
        k = 0
        barrier.wait()
        while time.perf_counter() < stop:
            # The writers share the bidders out, each taking its next one after every bid.
            headers = {"Authorization": f"Bearer {tokens[(i + k * writers) % len(tokens)]}"}
            k += 1
            with app.app_context():
                amount = db.session.get(BiddingSession, session_id).min_next_bid()
                db.session.remove()
            r = client.post(f"/api/v1/biddings/{session_id}/bids", json={"amount_fen": amount},
                            headers={**headers, "Idempotency-Key": uuid.uuid4().hex})  # fmt: skip
            if r.status_code == 201:
                ok += 1
            elif r.status_code == 409:
                no += 1
            else:
                raise SystemExit(f"unexpected {r.status_code}: {r.get_data(as_text=True)[:300]}")
        with lock:
            accepted += ok
            refused += no

    t0 = time.perf_counter()
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return accepted, refused, time.perf_counter() - t0


def run_service(app, session_id: int, writers: int, seconds: float) -> tuple[int, int, float]:
    """The same through `place_bid` directly (no HTTP, token or idempotency): the lock's own cost."""
    from marketplace.accounts.models import User
    from marketplace.core.errors import DomainError
    from marketplace.core.timeutil import utcnow
    from marketplace.extensions import db
    from marketplace.trading import bidding
    from marketplace.trading.models import BiddingEnrolment, BiddingSession

    with app.app_context():
        user_ids = [
            db.session.get(BiddingEnrolment, e).user_id
            for e in db.session.scalars(
                db.select(BiddingEnrolment.id).where(BiddingEnrolment.session_id == session_id)
            )
        ]
    accepted = refused = 0
    lock = threading.Lock()
    stop = time.perf_counter() + seconds
    barrier = threading.Barrier(writers)

    def writer(i: int) -> None:
        nonlocal accepted, refused
        ok = no = k = 0
        barrier.wait()
        while time.perf_counter() < stop:
            with app.test_request_context("/"):
                user = db.session.get(User, user_ids[(i + k * writers) % len(user_ids)])
                k += 1
                session = db.session.get(BiddingSession, session_id)
                try:
                    bidding.place_bid(session, session.min_next_bid(), actor=user, now=utcnow())
                    db.session.commit()
                    ok += 1
                except DomainError:
                    db.session.rollback()
                    no += 1
                finally:
                    db.session.remove()
        with lock:
            accepted += ok
            refused += no

    t0 = time.perf_counter()
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return accepted, refused, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bidders", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--writers", default="1,4,8")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    app = _app(url)
    session_id, tokens = setup(app, args.bidders)
    print(f"one session, {args.bidders} bidders with confirmed deposits, {url.rsplit('/', 1)[-1]}")
    print(f"{'path':>8} {'writers':>8} {'accepted/s':>11} {'refused/s':>10} {'bids/s':>8}")
    for path, runner in (("api", lambda w: run(app, session_id, tokens, w, args.seconds)),
                         ("service", lambda w: run_service(app, session_id, w, args.seconds))):  # fmt: skip
        for writers in [int(w) for w in args.writers.split(",")]:
            accepted, refused, elapsed = runner(writers)
            print(f"{path:>8} {writers:>8} {accepted / elapsed:>11.1f} {refused / elapsed:>10.1f} "
                  f"{(accepted + refused) / elapsed:>8.1f}")  # fmt: skip
    from marketplace.extensions import db
    from marketplace.trading import chain
    from marketplace.trading.models import BiddingSession

    with app.app_context():
        session = db.session.get(BiddingSession, session_id)
        t0 = time.perf_counter()
        result = chain.verify(session)
        took = time.perf_counter() - t0
        print(f"verify: ok={result.ok} {result.entries} entries in {took * 1000:.0f} ms")


if __name__ == "__main__":
    main()
