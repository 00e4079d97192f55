"""Benchmark the PostgreSQL full-text backend beside the Whoosh backend.

Usage::

    python -m bench.bench_search_pg --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        --n 1000000 --whoosh-n 100000 [--procs 2] [--repeat 10] [--keep DIR]

On PostgreSQL (the database is emptied and filled): ``--n`` generated listings
(``bench.gen_listings``, the generator of ``bench.bench_search``) as published
listings with their terms, then a full ``rebuild`` of the search documents
(analysis in ``--procs`` processes, COPY, GIN index kept up to date), timed.
With Whoosh, in a SQLite database and an index in a temporary folder, the same
for ``--whoosh-n`` listings (0 skips it). Then, for each backend, the queries
of ``bench.bench_search`` through the backend and those of
``bench.bench_search_web`` through the search page (``GET /listings``, the
whole Flask stack), one cold run and ``--repeat`` warm runs each, and a table
of medians and 95th percentiles side by side. Targets (issue 14): facetted
query p95 at most 100 ms at 1,000,000 listings on PostgreSQL, at most 30 ms at
100,000; full reindex of 1,000,000 in at most 15 minutes.
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

from bench.bench_search import QUERIES, percentile
from bench.bench_search_web import QUERIES as PAGE_QUERIES
from bench.bench_search_web import _build_database


def _label(query) -> str:
    return f"{query.q[:16]!r} {query.filters or ''} {query.sort} p{query.page}"[:52]


def _time(fn, repeat: int) -> tuple[float, list[float]]:
    t0 = time.perf_counter()
    fn()
    cold = (time.perf_counter() - t0) * 1000
    warm = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        warm.append((time.perf_counter() - t0) * 1000)
    return cold, warm


def _run(app, backend, repeat: int) -> dict:
    """Backend and page timings: {"backend": [(label, total, cold, warm...)], "page": [...]}."""
    from marketplace.search.service import set_backend

    out: dict[str, list] = {"backend": [], "page": []}
    with app.app_context():
        set_backend(backend)
        for query in QUERIES:
            result = backend.search(query)
            cold, warm = _time(lambda q=query: backend.search(q), repeat)
            out["backend"].append((_label(query), result.total, cold, warm))
        from marketplace.extensions import db

        db.session.rollback()
    client = app.test_client()
    for query in PAGE_QUERIES:
        qs = urlencode(query)
        url = f"/listings?{qs}" if qs else "/listings"

        def get(u=url):
            response = client.get(u)
            assert response.status_code == 200, (u, response.status_code)

        cold, warm = _time(get, repeat)
        out["page"].append((unquote_plus(qs) or "(browse)", None, cold, warm))
    return out


def _app(uri: str, index_dir: str):
    from marketplace import create_app
    from marketplace.config import Config

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = uri
        SEARCH_INDEX_DIR = index_dir
        RATELIMIT_ENABLED = False
        SERVER_NAME = "localhost"

    return create_app(BenchConfig)


def _fill(app, n: int) -> float:
    from marketplace.extensions import db

    with app.app_context():
        db.drop_all()
        started = time.perf_counter()
        _build_database(app, n)
        return time.perf_counter() - started


def _fill_postgres(app, n: int) -> float:
    """The same rows as ``bench_search_web._build_database``, written with COPY
    (a million ORM inserts would take most of an hour on the 2-core machine)."""
    import json

    from bench.gen_listings import generate
    from marketplace.accounts.models import Organization, User
    from marketplace.extensions import db

    listing_cols = (
        "id, org_id, status, title_zh, title_en, abstract_zh, abstract_en, keywords, problem, comparison,"
        " price_fen, industry, ip_kind, source_kind, region_code, maturity, submitted_at, published_at,"
        " created_at, updated_at"
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        orgs: dict[tuple[str, str], int] = {}
        raw = db.session.connection().connection.dbapi_connection
        cursor = raw.cursor()
        listings: list[tuple] = []
        terms: list[tuple] = []

        def flush() -> None:
            with cursor.copy(f"COPY listings ({listing_cols}) FROM STDIN") as copy:
                for row in listings:
                    copy.write_row(row)
            with cursor.copy(
                "COPY listing_terms (listing_id, deal_kind, field_of_use, territory, license_type) FROM STDIN"
            ) as copy:
                for row in terms:
                    copy.write_row(row)
            listings.clear()
            terms.clear()

        for count, doc in enumerate(generate(n), start=1):
            key = (doc.source_kind, doc.region)
            if key not in orgs:
                org = Organization(
                    name=f"基准测试机构 {key[0]} {key[1]}", kind=key[0], region_code=key[1], status="approved"
                )
                db.session.add(org)
                db.session.flush()
                orgs[key] = org.id
                if len(orgs) == 1:
                    db.session.add(
                        User(
                            email="bench@example.cn",
                            name="基准",
                            password_hash="x",
                            role="seller",
                            organization_id=org.id,
                        )
                    )
                    db.session.flush()
            listings.append(
                (
                    doc.id, orgs[key], "published", doc.title_zh or None, doc.title_en or None,
                    doc.abstract_zh or None, doc.abstract_en or None, json.dumps(doc.keywords, ensure_ascii=False),
                    doc.problem or None, "比现有方案效率提高 20%", doc.price_fen, doc.industry,
                    doc.ip_kinds[0] if doc.ip_kinds else None, doc.source_kind, doc.region, doc.maturity,
                    doc.published_at, doc.published_at, doc.published_at, doc.published_at,
                )
            )  # fmt: skip
            for kind in doc.deal_kinds:
                terms.append((doc.id, kind, "", "", "non_exclusive" if kind == "license" else None))
            if count % 20_000 == 0:
                flush()
                print(
                    f"    {count:>9,} listings  {time.perf_counter() - started:7.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
        flush()
        db.session.execute(db.text("SELECT setval('listings_id_seq', (SELECT max(id) FROM listings))"))
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        return time.perf_counter() - started


def _progress(started: float, every: int = 50_000):
    def report(done: int) -> None:
        if done % every == 0:
            print(
                f"    {done:>9,} analysed  {time.perf_counter() - started:7.1f} s",
                file=sys.stderr,
                flush=True,
            )

    return report


def bench_postgres(url: str, n: int, procs: int, repeat: int, folder: str) -> dict:
    from bench.gen_listings import generate
    from marketplace.extensions import db
    from marketplace.search.pg_backend import PostgresBackend

    app = _app(url, os.path.join(folder, "unused-index"))
    print(f"PostgreSQL: {n:,} published listings", file=sys.stderr)
    fill = _fill_postgres(app, n)
    print(f"  listings written in {fill:.0f} s", file=sys.stderr)
    with app.app_context():
        backend = PostgresBackend(lambda: db.session, procs=procs)
        started = time.perf_counter()
        count = backend.rebuild(generate(n), progress=_progress(started))
        db.session.commit()
        build = time.perf_counter() - started
        db.session.execute(db.text("ANALYZE search_documents"))
        db.session.commit()
        size = db.session.scalar(db.text("SELECT pg_size_pretty(pg_total_relation_size('search_documents'))"))
        print(
            f"  rebuilt {count:,} documents in {build:.0f} s ({count / build:,.0f}/s); {size}",
            file=sys.stderr,
        )
    timings = _run(app, PostgresBackend(lambda: db.session), repeat)
    timings.update(n=n, build=build, fill=fill, size=size)
    with app.app_context():
        db.engine.dispose()
    return timings


def bench_whoosh(n: int, procs: int, repeat: int, folder: str) -> dict:
    from bench.gen_listings import generate
    from marketplace.search.whoosh_backend import WhooshBackend

    index_dir = os.path.join(folder, "whoosh-index")
    app = _app(f"sqlite:///{os.path.join(folder, 'whoosh.db')}", index_dir)
    print(f"Whoosh: {n:,} published listings", file=sys.stderr)
    fill = _fill(app, n)
    backend = WhooshBackend(index_dir, procs=procs, lock_timeout=60)
    started = time.perf_counter()
    count = backend.rebuild(generate(n), progress=_progress(started))
    build = time.perf_counter() - started
    print(f"  rebuilt {count:,} documents in {build:.0f} s ({count / build:,.0f}/s)", file=sys.stderr)
    backend.warm()
    timings = _run(app, backend, repeat)
    timings.update(n=n, build=build, fill=fill, size="")
    backend.close()
    return timings


def _summary(rows) -> tuple[float, float]:
    values = [v for row in rows for v in [row[2], *row[3]]]
    return statistics.median(values), percentile(values, 95)


def report(runs: list[tuple[str, dict]], repeat: int) -> None:
    names = [f"{name} {r['n']:,}" for name, r in runs]
    print(f"\nSearch benchmark, 1 cold + {repeat} warm runs per query, milliseconds (median / p95)")
    for name, r in runs:
        print(
            f"  {name} at {r['n']:,}: full rebuild {r['build']:.0f} s ({r['n'] / r['build']:,.0f} listings/s) {r['size']}"
        )
    for surface in ("backend", "page"):
        print(f"\nthrough the {surface}")
        header = f"{'query':<54} {'hits':>8}" + "".join(f" {n:>22}" for n in names)
        print(header)
        for i, row in enumerate(runs[0][1][surface]):
            hits = row[1]
            cells = ""
            for _, r in runs:
                _, _, cold, warm = r[surface][i]
                values = [cold, *warm]
                cells += f" {statistics.median(values):>10.1f} / {percentile(values, 95):>8.1f}"
            print(f"{row[0][:54]:<54} {'' if hits is None else f'{hits:,}':>8}{cells}")
        cells = ""
        for _, r in runs:
            med, p95 = _summary(r[surface])
            cells += f" {med:>10.1f} / {p95:>8.1f}"
        print(f"{'all queries':<54} {'':>8}{cells}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL"), help="PostgreSQL (emptied!)"
    )
    parser.add_argument("--n", type=int, default=1_000_000, help="listings on PostgreSQL")
    parser.add_argument("--whoosh-n", type=int, default=100_000, help="listings with Whoosh (0: skip)")
    parser.add_argument("--procs", type=int, default=2, help="analysis/indexing processes")
    parser.add_argument("--repeat", type=int, default=10, help="warm runs per query")
    parser.add_argument("--keep", help="folder for the Whoosh database and index (kept)")
    args = parser.parse_args()
    if not (args.database_url or "").startswith("postgresql"):
        parser.error(
            "--database-url (or BENCH_DATABASE_URL) must name a PostgreSQL database to empty and fill"
        )
    folder = args.keep or tempfile.mkdtemp(prefix="bench-search-pg-")
    os.makedirs(folder, exist_ok=True)
    try:
        runs = [("postgres", bench_postgres(args.database_url, args.n, args.procs, args.repeat, folder))]
        if args.whoosh_n:
            runs.append(("whoosh", bench_whoosh(args.whoosh_n, args.procs, args.repeat, folder)))
        report(runs, args.repeat)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
