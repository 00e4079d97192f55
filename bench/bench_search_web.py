"""Benchmark facetted search through the web page and the API at scale.

Usage::

    python -m bench.bench_search_web --n 100000 [--repeat 20] [--keep DIR] [--procs 2]

Builds (or, with ``--keep DIR`` and an existing DIR, reuses) a SQLite database
of ``--n`` published listings from ``bench.gen_listings`` (with their deal
terms and organizations) and a Whoosh index of the same listings, then sends
the same facetted queries to ``GET /listings`` (the HTML page) and
``GET /api/v1/listings`` through the Flask test client (the full Flask stack:
routing, parameter checks, backend search, re-checking hits against the
database, templates/JSON; no network). Prints the median and 95th percentile
per surface and per query. The pure-backend benchmark is ``bench.bench_search``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from urllib.parse import unquote_plus, urlencode

QUERIES: list[dict] = [
    {"q": "大豆"},
    {"q": "大豆蛋白提取", "region": "230100,231200"},
    {"q": "石墨烯负极材料", "deal_kind": "license"},
    {"q": "玉米深加工", "industry": "agri_processing", "maturity": "pilot,small_batch"},
    {"q": "graphene anode"},
    {"q": "soybean protein extraction", "ip_kind": "invention_patent", "sort": "price_asc"},
    {"q": "石墨烯 anode", "source_kind": "university"},
    {"q": "技术", "page": "5"},
    {},
    {"industry": "new_materials", "region": "230100", "sort": "newest"},
    {"deal_kind": "equity", "sort": "price_desc", "min_price_fen": "10000000"},
]


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def _build_database(app, n: int) -> None:
    from sqlalchemy import insert

    from bench.gen_listings import generate
    from marketplace.accounts.models import Organization, User
    from marketplace.extensions import db
    from marketplace.listings.models import Listing, ListingTerms

    db.create_all()
    orgs: dict[tuple[str, str], int] = {}
    started = time.perf_counter()
    batch_listings: list[dict] = []
    batch_terms: list[dict] = []
    seller = None

    def org_for(kind: str, region: str) -> int:
        key = (kind, region)
        if key not in orgs:
            org = Organization(
                name=f"基准测试机构 {kind} {region}", kind=kind, region_code=region, status="approved"
            )
            db.session.add(org)
            db.session.flush()
            orgs[key] = org.id
        return orgs[key]

    def flush() -> None:
        if batch_listings:
            db.session.execute(insert(Listing), batch_listings)
            db.session.execute(insert(ListingTerms), batch_terms)
            db.session.commit()
            batch_listings.clear()
            batch_terms.clear()

    for count, doc in enumerate(generate(n), start=1):
        org_id = org_for(doc.source_kind, doc.region)
        if seller is None:
            seller = User(
                email="bench@example.cn",
                name="基准",
                password_hash="x",
                role="seller",
                organization_id=org_id,
            )
            db.session.add(seller)
            db.session.flush()
        batch_listings.append(
            {
                "id": doc.id,
                "org_id": org_id,
                "status": "published",
                "title_zh": doc.title_zh or None,
                "title_en": doc.title_en or None,
                "abstract_zh": doc.abstract_zh or None,
                "abstract_en": doc.abstract_en or None,
                "keywords": doc.keywords,
                "problem": doc.problem or None,
                "comparison": "比现有方案效率提高 20%",
                "price_fen": doc.price_fen,
                "industry": doc.industry,
                "ip_kind": doc.ip_kinds[0] if doc.ip_kinds else None,
                "source_kind": doc.source_kind,
                "region_code": doc.region,
                "maturity": doc.maturity,
                "submitted_at": doc.published_at,
                "published_at": doc.published_at,
                "created_at": doc.published_at,
                "updated_at": doc.published_at,
            }
        )
        for kind in doc.deal_kinds:
            terms = {"listing_id": doc.id, "deal_kind": kind, "field_of_use": "", "territory": ""}
            terms["license_type"] = "non_exclusive" if kind == "license" else None
            batch_terms.append(terms)
        if count % 5000 == 0:
            flush()
            print(f"  database: {count:,} listings ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--procs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", help="folder to keep (and reuse) the database and index in")
    args = parser.parse_args()

    folder = args.keep or tempfile.mkdtemp(prefix="bench-search-web-")
    os.makedirs(folder, exist_ok=True)
    db_path = os.path.join(folder, "bench.db")
    index_dir = os.path.join(folder, "index")
    fresh = not os.path.exists(db_path)

    from marketplace import create_app
    from marketplace.config import Config

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{db_path}"
        SEARCH_INDEX_DIR = index_dir
        RATELIMIT_ENABLED = False
        SERVER_NAME = "localhost"

    app = create_app(BenchConfig)
    from bench.gen_listings import generate
    from marketplace.search.service import set_backend
    from marketplace.search.whoosh_backend import WhooshBackend

    try:
        with app.app_context():
            backend = WhooshBackend(index_dir, procs=args.procs)
            set_backend(backend)
            if fresh:
                print(f"Building a database of {args.n:,} published listings in {folder}", file=sys.stderr)
                started = time.perf_counter()
                _build_database(app, args.n)
                print(f"  database built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            if backend.count() != args.n:
                print(f"Indexing {args.n:,} listings with {args.procs} process(es)", file=sys.stderr)
                started = time.perf_counter()
                backend.rebuild(
                    generate(args.n),
                    progress=lambda k: print(f"  index: {k:,}", file=sys.stderr) if k % 10000 == 0 else None,
                )
                print(f"  index built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            print(f"Index holds {backend.count():,} listings", file=sys.stderr)

        client = app.test_client()
        surfaces = {"page": "/listings", "api": "/api/v1/listings"}
        overall: dict[str, list[float]] = {name: [] for name in surfaces}
        rows = []
        for query in QUERIES:
            qs = urlencode(query)
            row = [unquote_plus(qs) or "(browse)"]
            for name, path in surfaces.items():
                url = f"{path}?{qs}" if qs else path
                response = client.get(url)  # warm-up (cold term caches)
                assert response.status_code == 200, (url, response.status_code)
                times = []
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200
                overall[name].extend(times)
                row += [statistics.median(times), _percentile(times, 95)]
            rows.append(row)

        print(f"\nFacetted search at {args.n:,} published listings, {args.repeat} warm runs per query (ms)")
        print(f"{'query':<70} {'page med':>9} {'page p95':>9} {'api med':>9} {'api p95':>9}")
        for qs, pm, pp, am, ap in rows:
            print(f"{qs[:60]:<70} {pm:9.1f} {pp:9.1f} {am:9.1f} {ap:9.1f}")
        for name, times in overall.items():
            print(
                f"{name:>4}: median {statistics.median(times):.1f} ms, p95 {_percentile(times, 95):.1f} ms over {len(times)} requests"
            )
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
