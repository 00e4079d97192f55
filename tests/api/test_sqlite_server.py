"""The embedded default (SQLite) serves concurrent requests.

The real server as production runs it - gunicorn, 2 workers with 4 threads
each - on a SQLite file migrated with `flask db upgrade`, then seeded with just
what the bursts need. Each round fires at once: 30 authenticated reads of
`GET /api/v1/contracts`, 16 demand posts, and two acceptances of offers on an
exclusive licence of the same asset. No answer is a 5xx; the acceptances
answer 200 and 409, and the rest of the round is all 200 / 201.

Runs on every database setting (the server always uses its own SQLite file).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 3
READS = 30
WRITES = 16


def seed() -> None:
    """Run in the server's environment: users, tokens and offers, printed as JSON."""
    from datetime import timedelta

    from marketplace import create_app
    from marketplace.accounts.services import issue_token
    from marketplace.core.timeutil import today_shanghai
    from marketplace.extensions import db
    from marketplace.offers import services
    from marketplace.offers.services import TermsInput
    from tests import factories

    app = create_app()
    out: dict = {"readers": [], "writers": [], "accepts": []}
    with app.test_request_context("/"):
        factories.bind(db.session)
        seller = factories.user_with_role("seller")
        for _ in range(4):
            factories.ContractFactory(seller_org=seller.organization)
        out["readers"] = [issue_token(seller, "read", actor=seller)[1]]
        for _ in range(3):
            reader = factories.user_with_role("buyer")
            out["readers"].append(issue_token(reader, "read", actor=reader)[1])
        for _ in range(4):
            writer = factories.user_with_role("buyer")
            out["writers"].append(issue_token(writer, "write", actor=writer)[1])
        terms = TermsInput(
            deal_kind="license", license_type="exclusive", upfront_fen=10_000_000, territory="黑龙江"
        )
        countered = TermsInput(**{**terms.__dict__, "upfront_fen": 12_000_000})
        kinds = [{"deal_kind": "license", "license_type": "exclusive", "upfront_fen": 1}]
        for _ in range(ROUNDS):
            asset = factories.IpAssetFactory(owned_by=seller.organization)
            pair = []
            for _ in range(2):
                listing = factories.ListingFactory(
                    seller=seller, published=True, assets=[asset], deal_terms=kinds
                )
                buyer = factories.user_with_role("buyer")
                offer = services.make_offer(
                    listing, terms, expires_on=today_shanghai() + timedelta(days=9), actor=buyer
                )
                services.counter_offer(offer, countered, actor=seller)
                pair.append({"offer": offer.id, "token": issue_token(buyer, "accept", actor=buyer)[1]})
            out["accepts"].append(pair)
        fresh = factories.user_with_role("buyer")
        out["fresh"] = issue_token(fresh, "fresh", actor=fresh)[1]
        db.session.commit()
    print(json.dumps(out))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sqlite_server():
    folder = tempfile.mkdtemp(prefix="marketplace-sqlite-")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder}/server.db",
        "INSTANCE_PATH": folder,
        "SEARCH_INDEX_DIR": f"{folder}/search",
        "UPLOAD_DIR": f"{folder}/uploads",
        "SECRET_KEY": "sqlite-server-test",
        "MARKETPLACE_ENV": "development",
    }
    env.pop("TEST_DATABASE_URL", None)

    def run(args: list[str]) -> str:
        done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"])
    seeded = run([sys.executable, "-c", "from tests.api.test_sqlite_server import seed; seed()"])
    data = json.loads(seeded.strip().splitlines()[-1])
    port = _free_port()
    log_path = Path(folder) / "server.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "2",
            "--threads",
            "4",
            "--graceful-timeout",
            "5",
            "-b",
            f"127.0.0.1:{port}",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError("the server did not start: " + log_path.read_text()) from None
            time.sleep(0.2)
    try:
        yield base, data, log_path
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def _call(base: str, method: str, path: str, token: str, body: dict | None = None) -> int:
    request = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _burst(base: str, calls: list[tuple]) -> list[tuple[str, int]]:
    """Every call (kind, method, path, token, body) at the same moment, each in its own thread."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple[str, int]] = [("", 0)] * len(calls)
    slowest: dict[str, float] = {}

    def run(i: int) -> None:
        kind, method, path, token, body = calls[i]
        barrier.wait(30)
        started = time.monotonic()
        results[i] = (kind, _call(base, method, path, token, body))
        slowest[kind] = max(slowest.get(kind, 0.0), time.monotonic() - started)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    print("slowest answer (s):", {kind: round(t, 2) for kind, t in sorted(slowest.items())})  # shown with -s
    return results


def test_concurrent_reads_writes_and_conflicting_accepts(sqlite_server):
    base, data, log_path = sqlite_server
    readers, writers = data["readers"], data["writers"]
    for round_no, accepts in enumerate(data["accepts"]):
        calls = [("read", "GET", "/api/v1/contracts", readers[i % len(readers)], None) for i in range(READS)]
        calls += [
            (
                "write",
                "POST",
                "/api/v1/demands",
                writers[i % len(writers)],
                {"title": f"需求 {round_no}-{i}", "description": "寻找寒地技术", "industry": "digital"},
            )
            for i in range(WRITES)
        ]
        calls += [
            ("accept", "POST", f"/api/v1/offers/{a['offer']}/accept", a["token"], None) for a in accepts
        ]
        results = _burst(base, calls)
        tally = sorted(Counter(results).items())
        print(f"round {round_no}: {tally}")  # shown with -s
        errors = [r for r in results if r[1] >= 500 or r[1] == 0]
        assert not errors, f"round {round_no}: {tally}\n{log_path.read_text()[-12000:]}"
        assert sorted(status for kind, status in results if kind == "accept") == [200, 409], tally
        assert {status for kind, status in results if kind == "read"} == {200}, tally
        assert {status for kind, status in results if kind == "write"} == {201}, tally
    assert "database is locked" not in log_path.read_text()


def test_token_use_is_recorded_by_a_read_and_kept(sqlite_server):
    """A GET records a token's use in a commit of its own, at most once a minute."""
    base, data, log_path = sqlite_server
    token = data["fresh"]
    db_file = log_path.parent / "server.db"
    digest = hashlib.sha256(token.encode()).hexdigest()

    def last_used():
        with sqlite3.connect(db_file) as connection:
            return connection.execute(
                "SELECT last_used_at FROM api_tokens WHERE token_hash = ?", (digest,)
            ).fetchone()[0]

    assert last_used() is None
    assert _call(base, "GET", "/api/v1/me", token) == 200
    first = last_used()
    assert first is not None
    assert _call(base, "GET", "/api/v1/contracts", token) == 200
    assert last_used() == first  # within the minute: not written again
