"""Benchmark of the turnover ledger on PostgreSQL (not a test).

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE bench_ledger'
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_ledger \\
        .venv/bin/python bench/bench_ledger.py [--entries 1000000] [--appends 2500] [--writers 4]

What it does (and prints):
1. Loads ``--entries`` realistic ledger entries (the generator of
   marketplace/demo/ledger.py: 2022 to today, cities, industries, source
   kinds, categories, ~12 % amendments, ~3 % cancellations). The load takes
   a fast bulk path: hashes, contract totals and summary cells are computed
   in Python exactly as append_entry does, and the rows go in with COPY.
   The verify step below proves the bulk-loaded chain is the same as one
   appended entry by entry.
2. Times the summaries the dashboard and GET /api/v1/ledger/summary use,
   from the summary table and with a plain GROUP BY over the entries, now
   and "as of" a past moment (median of several runs), and a whole dashboard.
3. Appends with ``--writers`` concurrent writers through append_entry, one
   transaction and commit per entry, and reports entries per second and the
   load average, ``--rounds`` times (a busy machine varies); after each round
   it checks that every entry appended is stored once and that the chain
   verifies from the checkpoint signed before the appends.
4. Verifies the whole chain (``verify_ledger``) and times it.

The database is emptied at the start (tables dropped and created again).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import namedtuple
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from marketplace import create_app  # noqa: E402
from marketplace.config import Config  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_ledger"

ENTRY_COLUMNS = (
    "seq", "kind", "contract_id", "registration_no", "turnover_delta_fen", "tech_income_delta_fen",
    "contracts_delta", "effective_on", "recorded_at", "regulator_id", "year", "seller_region",
    "seller_org_kind", "industry", "category", "event_key", "prev_hash", "hash",
)  # fmt: skip
Row = namedtuple("Row", ENTRY_COLUMNS)
SUMMARY_KEYS = ("dim", "period", "year", "seller_region", "key")


def _app(url: str):
    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 12}
        SECRET_KEY = "bench"
        TESTING = True

    return create_app(BenchConfig)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def _median_time(fn, runs: int = 5) -> float:
    fn()  # warm the caches once
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def reset_schema(db) -> None:
    db.drop_all()
    db.create_all()


def make_regulator(db) -> int:
    from marketplace.accounts.models import Organization, User

    org = Organization(name="黑龙江省技术市场管理办公室（基准测试）", kind="regulator", region_code="230000")
    db.session.add(org)
    db.session.flush()
    user = User(
        email="bench-regulator@example.cn",
        name="基准测试",
        password_hash="x",
        role="regulator",
        organization_id=org.id,
    )
    db.session.add(user)
    db.session.commit()
    return user.id


def bulk_load(db, regulator_id: int, total: int) -> tuple[int, float]:
    """COPY ``total`` generated entries, with hashes, totals and summaries computed in Python."""
    from marketplace.demo.ledger import generate_events
    from marketplace.ledger.chain import GENESIS_HASH, entry_hash
    from marketplace.ledger.services import entry_fields, summary_rows

    t0 = time.perf_counter()
    raw = db.engine.raw_connection()
    conn = raw.driver_connection
    totals: dict[int, list] = {}  # contract -> [turnover, income, entries, last_seq, cancelled, regno]
    cells: dict[tuple, list[int]] = {}
    prev = GENESIS_HASH
    seq = 0
    last_at = None
    with conn.cursor() as cur:
        with cur.copy(f"COPY ledger_entries ({', '.join(ENTRY_COLUMNS)}) FROM STDIN") as copy:
            for recorded_at, ev in generate_events(total, seed=7, contract_base=1, key_prefix="bench"):
                seq += 1
                state = totals.get(ev.contract_id)
                old_turnover = state[0] if state else 0
                new_turnover = old_turnover + ev.turnover_delta_fen
                row = Row(
                    seq, ev.kind, ev.contract_id, ev.registration_no, ev.turnover_delta_fen,
                    ev.tech_income_delta_fen, int(new_turnover > 0) - int(old_turnover > 0),
                    ev.effective_on, recorded_at, regulator_id, ev.effective_on.year, ev.seller_region,
                    ev.seller_org_kind, ev.industry, ev.category, ev.event_key, prev, "",
                )  # fmt: skip
                own = entry_hash(prev, entry_fields(row))
                copy.write_row(row._replace(hash=own))
                prev, last_at = own, recorded_at
                if state is None:
                    state = totals[ev.contract_id] = [0, 0, 0, seq, False, ev.registration_no]
                state[0] = new_turnover
                state[1] += ev.tech_income_delta_fen
                state[2] += 1
                state[3] = seq
                state[4] = ev.kind == "cancellation"
                for item in summary_rows(row):
                    cell = cells.setdefault(tuple(item[k] for k in SUMMARY_KEYS), [0, 0, 0, 0])
                    cell[0] += item["turnover_fen"]
                    cell[1] += item["tech_income_fen"]
                    cell[2] += item["contracts"]
                    cell[3] += 1
                if seq % 100_000 == 0:
                    print(f"  {seq:,} entries copied ({time.perf_counter() - t0:.0f} s)", flush=True)
        with cur.copy(
            "COPY ledger_contract_totals (contract_id, turnover_fen, tech_income_fen, entries, last_seq, "
            "cancelled, registration_no) FROM STDIN"
        ) as copy:
            for contract_id, state in totals.items():
                copy.write_row((contract_id, *state))
        with cur.copy(
            f"COPY ledger_summary ({', '.join(SUMMARY_KEYS)}, turnover_fen, tech_income_fen, contracts, entries) "
            "FROM STDIN"
        ) as copy:
            for key, cell in cells.items():
                copy.write_row((*key, *cell))
        cur.execute(
            "UPDATE ledger_head SET seq = %s, hash = %s, recorded_at = %s WHERE id = 1", (seq, prev, last_at)
        )
    conn.commit()
    with conn.cursor() as cur:
        cur.execute("ANALYZE")
    conn.commit()
    raw.close()
    print(f"  {len(cells):,} summary rows, {len(totals):,} contracts")
    return seq, time.perf_counter() - t0


def bench_summaries(app) -> dict[str, float]:
    from marketplace.ledger import reports, services
    from marketplace.ledger.services import EntryFilter

    results = {}
    with app.test_request_context("/"):
        head_at = services.ledger_head()[2]
        past = datetime(2024, 6, 15, 4, 0, tzinfo=UTC)
        print(f"\n{'summary':<44}{'summary table':>16}{'plain GROUP BY':>18}")
        for label, flt in (
            ("province, now", EntryFilter(scope="230000")),
            ("province, year 2024", EntryFilter(scope="230000", year=2024)),
            ("Harbin regulator, now", EntryFilter(scope="230100")),
            ("province, as of 2024-06-15 12:00", EntryFilter(scope="230000", as_of=past)),
        ):
            for group_by in ("year", "region", "industry", "org_kind", "category"):
                fast = _median_time(lambda f=flt, g=group_by: services.summarize(f, group_by=g))
                plain = _median_time(
                    lambda f=flt, g=group_by: services.summarize(f, group_by=g, use_summaries=False), runs=3
                )
                a = services.summarize(flt, group_by=group_by)
                b = services.summarize(flt, group_by=group_by, use_summaries=False)
                same = "same figures" if (a.totals, a.groups) == (b.totals, b.groups) else "DIFFERENT!"
                print(f"{label + ', by ' + group_by:<44}{_ms(fast):>16}{_ms(plain):>18}   {same}")
                results[f"{label}|{group_by}|fast"] = fast
                results[f"{label}|{group_by}|plain"] = plain
        for label, as_of in (("now", None), ("as of 2024-06-15", past)):
            whole = _median_time(
                lambda a=as_of: reports.dashboard_data(
                    scope="230000", as_of=a, years=reports.YearChoice("plan")
                )
            )
            print(f"{'whole dashboard (5 summaries), ' + label:<44}{_ms(whole):>16}")
            results[f"dashboard|{label}"] = whole
        del head_at
    return results


def _writer_process(url: str, regulator_id: int, chunk, barrier, out) -> None:
    """One writer (like one gunicorn worker): its own app, session and connection."""
    app = _app(url)
    from marketplace.accounts.models import User
    from marketplace.extensions import db
    from marketplace.ledger.services import append_entry

    done = 0
    try:
        with app.test_request_context("/"):
            db.session.get(User, regulator_id)  # connect before the start
            db.session.remove()
            barrier.wait()
            for ev in chunk:
                # Like one request: load the user, append, commit, end the session.
                actor = db.session.get(User, regulator_id)
                append_entry(ev, actor=actor)
                db.session.commit()
                db.session.remove()
                done += 1
    finally:
        out.put(done if done == len(chunk) else -1)  # the parent never waits for a writer that failed


class LockSampler:
    """Counts, every 10 ms, the sessions of the database waiting for a lock (the
    appenders waiting for the ledger's head): how much the lock holds them up."""

    def __init__(self, url: str) -> None:
        import threading

        self.url = url.replace("postgresql+psycopg://", "postgresql://")
        self.counts: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.wait(0.01):
                self.counts.append(
                    conn.execute(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    ).fetchone()[0]
                )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def samples(self) -> int:
        return len(self.counts)

    def mean_waiting(self) -> float:
        return statistics.fmean(self.counts) if self.counts else 0.0


def check_appends(url: str, prefix: str, done: int, head_before: int) -> None:
    """Every entry a round appended is there once, the head moved by exactly that
    many, and the chain verifies from the latest checkpoint to the head."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        stored, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT event_key) FROM ledger_entries WHERE event_key LIKE %s",
            (prefix + "%",),
        ).fetchone()
        head = conn.execute("SELECT seq FROM ledger_head WHERE id = 1").fetchone()[0]
    if not stored == distinct == done or head != head_before + done:
        raise SystemExit(
            f"appended {done:,}, stored {stored:,} ({distinct:,} keys), head {head_before:,} -> {head:,}"
        )
    print(f"        all {done:,} entries stored once, head {head_before:,} -> {head:,}", end="")


def bench_appends(url: str, regulator_id: int, writers: int, per_writer: int) -> float:
    import multiprocessing as mp

    # New contracts above every id in the ledger, new keys each run; registrations only.
    import psycopg

    from marketplace.demo.ledger import generate_events

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        base = conn.execute(
            "SELECT coalesce(max(contract_id), 0) + 1 FROM ledger_contract_totals"
        ).fetchone()[0]
        # Every append updates the head row and summary rows: clear the dead
        # versions earlier runs left, as autovacuum would (it may be off), so
        # that runs start alike.
        conn.execute("VACUUM (ANALYZE) ledger_head, ledger_summary, ledger_contract_totals")
        head_before = conn.execute("SELECT seq FROM ledger_head WHERE id = 1").fetchone()[0]
    events = [
        ev
        for _t, ev in generate_events(
            writers * per_writer * 2, seed=99, contract_base=base, key_prefix=f"append{base}"
        )
        if ev.kind == "registration"
    ][: writers * per_writer]
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(writers + 1)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_writer_process, args=(url, regulator_id, events[i::writers], barrier, out))
        for i in range(writers)
    ]
    for p in procs:
        p.start()
    load_before = os.getloadavg()[0]
    sampler = LockSampler(url)
    barrier.wait()
    t0 = time.perf_counter()
    sampler.start()
    counts = [out.get() for _ in procs]
    elapsed = time.perf_counter() - t0
    sampler.stop()
    load_after = os.getloadavg()[0]
    if -1 in counts:
        raise SystemExit("a writer failed (see its traceback above)")
    done = sum(counts)
    for p in procs:
        p.join()
        if p.exitcode:
            raise SystemExit(f"a writer failed (exit {p.exitcode})")
    rate = done / elapsed
    print(
        f"\nappend: {done:,} entries by {writers} concurrent writer processes through append_entry "
        f"(one transaction and commit each) in {elapsed:.1f} s = {rate:,.0f} entries/s "
        f"(load average {load_before:.1f} before, {load_after:.1f} after)"
    )
    print(
        f"        writers waiting for the ledger's lock: {sampler.mean_waiting():.2f} of {writers} on average "
        f"({sampler.samples} samples of pg_stat_activity)"
    )
    check_appends(url, f"append{base}", done, head_before)
    return rate


def sign_checkpoint(app) -> None:
    """A checkpoint over what is loaded now (a key of the benchmark's own), so the
    verify step can time checking only what was appended after it."""
    import tempfile

    from marketplace.extensions import db
    from marketplace.ledger import checkpoints

    key = os.path.join(tempfile.mkdtemp(prefix="bench-ledger-key-"), "signing.pem")
    checkpoints.generate_key_file(key)
    app.config["LEDGER_SIGNING_KEY_FILE"] = key
    with app.app_context():
        t0 = time.perf_counter()
        if checkpoints.bring_tree_up_to_date():
            db.session.commit()
        cp = checkpoints.create_checkpoint()
        db.session.commit()
        print(f"checkpoint {cp.id} signed over {cp.tree_size:,} entries in {time.perf_counter() - t0:.1f} s")
        db.session.remove()


def bench_verify(app) -> tuple[float, int]:
    from marketplace.ledger import services
    from marketplace.ledger.incremental import verify_since_checkpoint

    with app.test_request_context("/"):
        quick = verify_since_checkpoint()
        if quick.checkpoint_id is not None:
            print(
                f"\nverify since checkpoint {quick.checkpoint_id}: {quick.new_entries:,} new entries "
                f"(of {quick.tree_size:,}) in {quick.seconds:.2f} s -> ok={quick.ok}"
            )
            if not quick.ok:
                raise SystemExit(f"since the checkpoint: {quick.reason}: {quick.message}")
        t0 = time.perf_counter()
        check = services.verify_ledger()
        elapsed = time.perf_counter() - t0
        print(f"\nverify: {check.entries:,} entries in {elapsed:.1f} s -> ok={check.ok} head={check.head}")
        if not check.ok:
            raise SystemExit(f"chain broken at {check.first_bad_seq}: {check.reason}")
        assert services.summaries_match_entries(), "summary tables differ from the entries"
        print("        summary tables equal the plain sums over the entries")
    return elapsed, check.entries


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--appends", type=int, default=2500, help="entries per writer")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2, help="append rounds, each checked after it")
    parser.add_argument("--keep", action="store_true", help="reuse the loaded entries if any (skip the load)")
    parser.add_argument(
        "--parts", default="summaries,appends,verify", help="which of summaries,appends,verify to run"
    )
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgresql"):
        raise SystemExit("The benchmark runs on PostgreSQL: set BENCH_DATABASE_URL.")
    app = _app(url)
    from marketplace.extensions import db

    with app.app_context():
        if args.keep and db.session.execute(db.text("SELECT seq FROM ledger_head")).scalar():
            from marketplace.accounts.models import User

            regulator_id = db.session.scalar(
                db.select(User.id).where(User.email == "bench-regulator@example.cn")
            )
            print("reusing the loaded ledger")
        else:
            reset_schema(db)
            regulator_id = make_regulator(db)
            print(f"loading {args.entries:,} entries (bulk path: COPY, hashes computed in Python) ...")
            n, seconds = bulk_load(db, regulator_id, args.entries)
            print(f"loaded {n:,} entries in {seconds:.0f} s")
            from marketplace.ledger import merkle

            t0 = time.perf_counter()
            merkle.catch_up(db.session)  # the Merkle tree over the loaded entries, as the migration builds it
            db.session.commit()
            print(f"Merkle tree built over them in {time.perf_counter() - t0:.0f} s")
        db.session.remove()
    parts = set(args.parts.split(","))
    if "summaries" in parts:
        bench_summaries(app)
    if "verify" in parts and "appends" in parts:
        sign_checkpoint(app)
    if "appends" in parts:
        rates = []
        for _round in range(args.rounds):
            rates.append(bench_appends(url, regulator_id, args.writers, args.appends))
            with app.test_request_context("/"):
                from marketplace.ledger.incremental import verify_since_checkpoint

                quick = verify_since_checkpoint()
                if quick.checkpoint_id is None:
                    print("; no checkpoint to verify from (run with the verify part)")
                elif not quick.ok:
                    raise SystemExit(f"since the checkpoint: {quick.reason}: {quick.message}")
                else:
                    print(f"; chain verified since checkpoint {quick.checkpoint_id} in {quick.seconds:.2f} s")
        if len(rates) > 1:
            print(f"append rounds: {', '.join(f'{r:,.0f}' for r in rates)} entries/s")
    if "verify" in parts:
        bench_verify(app)


if __name__ == "__main__":
    main()
