"""Pages against the framework's limit: requests per second under gunicorn, beside bare Flask.

Usage::

    python -m bench.bench_pages [--listings 10000] [--duration 8] [--rounds 2] [--keep DIR]

Builds a SQLite database with the demo data (`flask demo seed`) and its search
index in a temporary folder (or DIR, reused when it exists), then starts two
servers with the same settings (`gunicorn -w 2`, sync workers): a bare Flask
app that answers "hello", and the marketplace. Each page is loaded with
`wrk -t2 -c16` for --duration seconds, bare Flask and the page in turn, for
--rounds rounds; the table shows each page's requests per second (the median of
the rounds) and its share of bare Flask's rate measured next to it. Pages that
need a login are loaded with the session cookie of a demo user who may see them.

With --listings N, the same pages again after N generated published listings
(bench/gen_listings.py) are added to the demo data and indexed.

Needs `wrk` (Debian: apt-get install wrk); without it the script says so and stops.
Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PASSWORD = "demo-pass-2025"
REGULATOR = "gao.hong@demo.hljtech.cn"
BARE_APP = """
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite:///{folder / 'bench.db'}",
        SEARCH_INDEX_DIR=str(folder / "search"),
        UPLOAD_DIR=str(folder / "uploads"),
        INSTANCE_PATH=str(folder / "instance"),
        MARKETPLACE_ENV="production",  # as deployed (no template reloading)
        SECRET_KEY="bench-only-secret",
        ALLOW_PLAIN_HTTP="1",
        LOGIN_RATE_LIMIT="10000 per minute",
        LOGIN_ACCOUNT_RATE_LIMIT="10000 per minute",
        RATELIMIT_STORAGE_URI="memory://",
        MAIL_SENDER="console",
    )
    return env


def _flask(folder: Path, *args: str) -> None:
    subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=_env(folder),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def build_demo(folder: Path) -> None:
    if (folder / "bench.db").exists():
        return
    print(f"Building the demo data in {folder}", file=sys.stderr)
    _flask(folder, "db", "upgrade")
    _flask(folder, "demo", "seed")
    _flask(folder, "search", "reindex")


def add_listings(folder: Path, n: int) -> None:
    """N generated published listings, owned by organizations of the demo's kinds and cities."""
    env = _env(folder)
    code = f"""
import sys
from sqlalchemy import func, insert, select
from wsgi import app
from bench.gen_listings import generate
from marketplace.extensions import db
from marketplace.accounts.models import Organization
from marketplace.listings.models import Listing, ListingTerms

with app.app_context():
    if db.session.scalar(select(func.count()).select_from(Listing)) > {n}:
        sys.exit(0)
    offset = db.session.scalar(select(func.max(Listing.id))) or 0
    orgs = {{}}
    for org in db.session.scalars(select(Organization)):
        orgs.setdefault((org.kind, org.region_code), org.id)
    rows, terms = [], []
    for doc in generate({n}):
        key = (doc.source_kind, doc.region)
        if key not in orgs:
            org = Organization(name=f"基准机构 {{doc.source_kind}} {{doc.region}}", kind=doc.source_kind,
                               region_code=doc.region, status="approved")
            db.session.add(org)
            db.session.flush()
            orgs[key] = org.id
        lid = offset + doc.id
        rows.append(dict(id=lid, org_id=orgs[key], status="published", title_zh=doc.title_zh or None,
                         title_en=doc.title_en or None, abstract_zh=doc.abstract_zh or None,
                         abstract_en=doc.abstract_en or None, keywords=doc.keywords,
                         problem=doc.problem or None, comparison="比现有方案效率提高 20%",
                         price_fen=doc.price_fen, industry=doc.industry,
                         ip_kind=doc.ip_kinds[0] if doc.ip_kinds else None, source_kind=doc.source_kind,
                         region_code=doc.region, maturity=doc.maturity, submitted_at=doc.published_at,
                         published_at=doc.published_at, created_at=doc.published_at,
                         updated_at=doc.published_at))
        for kind in doc.deal_kinds:
            terms.append(dict(listing_id=lid, deal_kind=kind, field_of_use="", territory="",
                              license_type="non_exclusive" if kind == "license" else None))
    db.session.execute(insert(Listing), rows)
    db.session.execute(insert(ListingTerms), terms)
    db.session.commit()
"""
    print(f"Adding {n:,} generated listings", file=sys.stderr)
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
    _flask(folder, "search", "reindex")


class Server:
    def __init__(self, app: str, cwd: Path, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "-w",
                "2",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                app,
            ],
            cwd=cwd,
            env=env,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/", timeout=2).read()
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise SystemExit(f"{app} did not start on port {self.port}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def login_cookie(base: str, email: str) -> str:
    """The session cookie of a demo user, logged in through the login form."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    if token is None:
        token = re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page)
    data = urllib.parse.urlencode({"csrf_token": token.group(1), "email": email, "password": PASSWORD})
    opener.open(base + "/login", data.encode()).read()
    for cookie in jar:
        if cookie.name == "session":
            return f"session={cookie.value}"
    raise SystemExit(f"could not log in as {email}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def check_page(url: str, cookie: str | None) -> None:
    """The page answers 200 itself (not a redirect to the login page), warmed up on both workers."""
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    for _ in range(4):
        try:
            status = opener.open(request, timeout=60).status
        except urllib.error.HTTPError as exc:
            status = exc.code
        if status != 200:
            raise SystemExit(f"{url} answered {status}, not 200: nothing measured")


def wrk(url: str, duration: int, cookie: str | None = None) -> float:
    cmd = ["wrk", "-t2", "-c16", f"-d{duration}s", "--latency", url]
    if cookie:
        cmd[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise SystemExit(f"{url}: {non_2xx.group(1)} answers were not 2xx/3xx\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def pages(base: str, folder: Path) -> list[tuple[str, str, bool]]:
    """(label, path, needs the regulator's login) for each measured page."""
    env = _env(folder)
    code = """
from sqlalchemy import select
from wsgi import app
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.contracts.models import Contract
with app.app_context():
    listing = db.session.scalar(select(Listing.id).where(Listing.status == "published").order_by(Listing.id))
    contract = db.session.scalar(select(Contract.id).where(Contract.status == "registered").order_by(Contract.id))
    print(listing, contract)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    listing_id, contract_id = out.stdout.split()[-2:]
    query = urllib.parse.quote("大豆")
    return [
        ("home /", "/", False),
        ("browse /listings", "/listings", False),
        ("search /listings?q=大豆", f"/listings?q={query}", False),
        (f"listing /listings/{listing_id}", f"/listings/{listing_id}", False),
        ("API search /api/v1/listings?q=大豆", f"/api/v1/listings?q={query}", False),
        ("targets /targets", "/targets", False),
        (f"contract /contracts/{contract_id} (regulator)", f"/contracts/{contract_id}", True),
        ("dashboard /ledger/ (regulator)", "/ledger/", True),
    ]


def measure(folder: Path, duration: int, rounds: int, title: str) -> None:
    bare_dir = Path(tempfile.mkdtemp(prefix="bench-bare-"))
    (bare_dir / "hello.py").write_text(BARE_APP)
    env = _env(folder)
    bare = Server("hello:app", bare_dir, dict(os.environ))
    app = Server("wsgi:app", ROOT, env)
    try:
        cookie = login_cookie(app.base, REGULATOR)
        rows = []
        for label, path, logged_in in pages(app.base, folder):
            check_page(app.base + path, cookie if logged_in else None)
            bare_rates, page_rates = [], []
            for _ in range(rounds):
                bare_rates.append(wrk(bare.base + "/", duration))
                page_rates.append(wrk(app.base + path, duration, cookie if logged_in else None))
            shares = [p / b for p, b in zip(page_rates, bare_rates, strict=True)]
            rows.append(
                (
                    label,
                    statistics.median(page_rates),
                    statistics.median(bare_rates),
                    statistics.median(shares),
                )
            )
            print(f"  {label}: {rows[-1][1]:,.0f}/s", file=sys.stderr)
    finally:
        app.stop()
        bare.stop()
        shutil.rmtree(bare_dir, ignore_errors=True)
    print(f"\n{title}: gunicorn -w 2, wrk -t2 -c16 -d{duration}s, median of {rounds} rounds")
    print(f"{'page':<52} {'req/s':>9} {'bare/s':>9} {'share':>7}")
    for label, rate, bare_rate, share in rows:
        print(f"{label:<52} {rate:9,.0f} {bare_rate:9,.0f} {share:7.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--listings", type=int, default=10_000, help="generated listings for the second set (0: none)"
    )
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--keep", help="folder to keep (and reuse) the databases in")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk); nothing was measured.")
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-pages-"))
    demo = base / "demo"
    demo.mkdir(parents=True, exist_ok=True)
    build_demo(demo)
    measure(demo, args.duration, args.rounds, "Demo data")
    if args.listings:
        large = base / f"demo-plus-{args.listings}"
        if not (large / "bench.db").exists():
            large.mkdir(parents=True, exist_ok=True)
            # SQLite's backup API: the database with what its write-ahead log still holds.
            with sqlite3.connect(demo / "bench.db") as src, sqlite3.connect(large / "bench.db") as dst:
                src.backup(dst)
            add_listings(large, args.listings)
        measure(large, args.duration, args.rounds, f"Demo data and {args.listings:,} more listings")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
