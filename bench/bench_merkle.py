"""Benchmark of the ledger's Merkle tree on PostgreSQL (not a test).

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE bench_merkle'
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_merkle \\
        .venv/bin/python bench/bench_merkle.py [--leaves 1000000] [--from-ledger]

What it prints:
1. The tree's own cost per append, in the appending process: the leaf hash
   (canonical form + SHA-256), the frontier update and the nodes to store,
   and what they add to the append's write (a leaf and on average one inner
   node: two rows of ledger_merkle_nodes). The end-to-end figure (appends per
   second with and without the tree) comes from bench/bench_ledger.py
   ``--parts appends``, run on the code before and after.
2. Proofs at ``--leaves`` leaves: the stored tree (every perfect subtree's
   root, ``ledger_merkle_nodes``) is filled with synthetic leaf hashes by
   COPY, then inclusion proofs (random leaf, the whole tree and an older
   size), consistency proofs and roots of older sizes are timed (median of
   many), and compared with computing a root from the leaves on demand.
   With ``--from-ledger`` the leaves are instead the entries of a ledger
   loaded by bench_ledger.py's COPY loader (``--entries``), the tree is
   built by ``merkle.catch_up`` (what the migration does) and timed, and the
   monitor (``check_against_checkpoints``) is timed as well.
3. Signing a checkpoint (key loaded once; read the head, sign, insert, commit).

The database is emptied at the start (tables dropped and created again).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_ledger import _app, bulk_load, make_regulator, reset_schema  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_merkle"


def _median(fn, runs: int) -> float:
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:9.1f} µs"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:9.2f} ms"


def bench_append_cost() -> None:
    from datetime import UTC, date, datetime

    from marketplace.ledger import merkle
    from marketplace.ledger.chain import canonical_entry, entry_hash

    fields = {
        "seq": 123_456, "kind": "registration", "contract_id": 98_765, "registration_no": "2025230100012345",
        "turnover_delta_fen": 1_234_567_00, "tech_income_delta_fen": 1_000_000_00, "contracts_delta": 1,
        "effective_on": date(2025, 6, 1), "recorded_at": datetime(2025, 6, 1, 2, 3, 4, 5, tzinfo=UTC),
        "regulator_id": 7, "event_key": "contract:98765:registration",
        "dims": {"year": 2025, "seller_region": "230100", "seller_org_kind": "university",
                 "industry": "new_materials", "category": "transfer_patent"},
    }  # fmt: skip
    n = 20_000
    state = merkle.TreeState()
    for i in range(999_000):  # a tree of about a million leaves: the frontier has its full length
        state.append(hashlib.sha256(i.to_bytes(8, "big")).digest())
    size, packed = state.size, merkle.pack_frontier(state.frontier)
    leaf = merkle.entry_leaf_hash(fields)

    def frontier_work() -> None:
        nonlocal size, packed
        frontier = merkle.unpack_frontier(packed, size)
        nodes = merkle.extend_frontier(frontier, size, leaf)
        [list(column) for column in zip(*nodes, strict=True)]  # the statement's arrays
        size, packed = size + 1, merkle.pack_frontier(frontier)

    def per_call(fn) -> float:
        best = float("inf")
        for _round in range(5):  # interleaved rounds, the best of each: the least disturbed by other work
            t0 = time.perf_counter()
            for _ in range(n // 5):
                fn()
            best = min(best, (time.perf_counter() - t0) / (n // 5))
        return best

    before = per_call(lambda: entry_hash("0" * 64, fields))
    now = per_call(lambda: merkle.chain_hash_and_leaf("0" * 64, fields))
    tree = per_call(frontier_work)
    form = per_call(lambda: canonical_entry(fields))
    print("\nper append, in the appending process (Python, best of 5 rounds):")
    print(f"  before: the chain hash (canonical form + SHA-256)        {_us(before)}")
    print(f"  now: chain hash and leaf hash from one canonical form    {_us(now)}")
    print(f"  now: frontier update, nodes to store, their arrays       {_us(tree)}")
    print(f"  added by the tree                                        {_us(now - before + tree)}")
    print(f"  (the canonical form alone                                {_us(form)})")
    print("  rows written: 1 leaf + 1 inner node on average (2n - popcount(n) nodes for n leaves)")


def fill_synthetic(db, leaves: int) -> None:
    """COPY a tree of synthetic leaf hashes into ledger_merkle_nodes, and its head."""
    from marketplace.ledger import merkle

    t0 = time.perf_counter()
    raw = db.engine.raw_connection()
    conn = raw.driver_connection
    state = merkle.TreeState()
    rows = 0
    with conn.cursor() as cur:
        with cur.copy("COPY ledger_merkle_nodes (level, idx, hash) FROM STDIN") as copy:
            for i in range(leaves):
                for node in state.append(merkle.leaf_hash(i.to_bytes(8, "big"))):
                    copy.write_row(node)
                    rows += 1
        cur.execute(
            "UPDATE ledger_head SET tree_size = %s, tree_frontier = %s WHERE id = 1",
            (state.size, merkle.pack_frontier(state.frontier)),
        )
    conn.commit()
    with conn.cursor() as cur:
        cur.execute("ANALYZE ledger_merkle_nodes")
    conn.commit()
    raw.close()
    print(f"stored tree: {leaves:,} synthetic leaves, {rows:,} nodes, in {time.perf_counter() - t0:.0f} s")


def bench_proofs(app, leaves: int, runs: int) -> None:
    from marketplace.extensions import db
    from marketplace.ledger import merkle

    rng = random.Random(6962)
    with app.app_context():
        size, frontier = merkle.tree_head()
        assert size == leaves, (size, leaves)
        root = merkle.frontier_root(frontier)
        older = size - size // 3 - 7
        older_root = merkle.stored_root(older)

        def inclusion(tree_size: int):
            index = rng.randrange(tree_size)
            path = merkle.inclusion_proof(index, tree_size)
            leaf = merkle.stored_leaf(index)
            return index, path, leaf

        def check_inclusion(tree_size: int, tree_root: bytes) -> None:
            index, path, leaf = inclusion(tree_size)
            assert merkle.verify_inclusion(leaf, index, tree_size, path, tree_root)

        check_inclusion(size, root)
        check_inclusion(older, older_root)
        print(f"\nproofs at {size:,} leaves (median of {runs}; each reads the nodes it needs in one query):")
        t = _median(lambda: inclusion(size), runs)
        print(
            f"  inclusion proof, random leaf, whole tree        {_ms(t)}  ({len(inclusion(size)[1])} hashes)"
        )
        t = _median(lambda: inclusion(older), runs)
        print(f"  inclusion proof, random leaf, size {older:,}  {_ms(t)}")
        t = _median(lambda: merkle.consistency_proof(older, size), runs)
        proof = merkle.consistency_proof(older, size)
        assert merkle.verify_consistency(older, size, older_root, root, proof)
        print(f"  consistency proof {older:,} -> {size:,}     {_ms(t)}  ({len(proof)} hashes)")
        sizes = [rng.randrange(1, size) for _ in range(runs + 1)]
        t = _median(lambda: merkle.stored_root(sizes.pop()), runs)
        print(f"  root of a random older size                     {_ms(t)}")
        found = _args(inclusion(size), size, root)
        t = _median(lambda: merkle.verify_inclusion(*found), runs)
        print(f"  verifying an inclusion proof (client side)      {_ms(t)}")
        # On demand instead: every leaf hash read back and folded (the lower bound of not storing subtrees).
        t0 = time.perf_counter()
        state = merkle.TreeState()
        with db.engine.connect() as conn:
            result = conn.exec_driver_sql(
                "SELECT hash FROM ledger_merkle_nodes WHERE level = 0 ORDER BY idx"
            ).yield_per(50_000)
            for (h,) in result:
                state.append(bytes(h))
        assert state.root() == root
        print(f"  for comparison, the root from the {size:,} stored leaves: {time.perf_counter() - t0:.1f} s")


def _args(found, size: int, root: bytes):
    index, path, leaf = found
    return leaf, index, size, path, root


def bench_db_cost(url: str, n: int = 2000) -> None:
    """What the tree adds to the append's write statement in the database: the
    nodes' INSERT (two rows, as _PG_WRITE sends them) timed as a
    part of a statement against the same statement without it (one round trip
    each, alternated, in a transaction rolled back at the end)."""
    import psycopg

    with_tree = (
        "WITH ok AS (SELECT), m AS (INSERT INTO ledger_merkle_nodes (level, idx, hash) "
        "SELECT v.level, v.idx, v.hash FROM ok, (VALUES (%(l0)s::smallint, %(i0)s::bigint, %(h0)s::bytea), "
        "(%(l1)s::smallint, %(i1)s::bigint, %(h1)s::bytea)) AS v (level, idx, hash)) SELECT count(*) FROM ok"
    )
    without = "WITH ok AS (SELECT) SELECT count(*) FROM ok"
    h = hashlib.sha256(b"x").digest()
    times = {"with": [], "without": []}
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        for k in range(n):
            for name, sql in (("without", without), ("with", with_tree)):
                params = {"l0": 0, "i0": 2 * 10**9 + 2 * k, "h0": h, "l1": 1, "i1": 10**9 + k, "h1": h}
                t0 = time.perf_counter()
                conn.execute(sql, params).fetchone()
                times[name].append(time.perf_counter() - t0)
        conn.rollback()
    a, b = statistics.median(times["without"]), statistics.median(times["with"])
    print(f"\nin the database, per append (median of {n}, one round trip each):")
    print(f"  the write statement's frame without the nodes  {_us(a)}")
    print(f"  with the two nodes' INSERT                     {_us(b)}   (+{_us(b - a).strip()})")


def bench_checkpoint(app, runs: int) -> None:
    from marketplace.extensions import db
    from marketplace.ledger import checkpoints

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "key.pem"
        checkpoints.generate_key_file(path)
        app.config["LEDGER_SIGNING_KEY_FILE"] = str(path)
        with app.app_context():
            key = checkpoints.load_signing_key()

            def sign() -> None:
                checkpoints.create_checkpoint(key=key)
                db.session.commit()

            t = _median(sign, runs)
            t_load = _median(checkpoints.load_signing_key, runs)
            cp = checkpoints.latest_checkpoint()
            assert checkpoints.verify_signature(cp)
            print(f"\ncheckpoint at {cp.tree_size:,} leaves: read head, sign, insert, commit {_ms(t)}")
            print(f"  loading the key from its file                   {_ms(t_load)}")


def bench_monitor(app) -> None:
    from marketplace.ledger import checkpoints

    with app.app_context():
        t0 = time.perf_counter()
        result = checkpoints.check_against_checkpoints()
        elapsed = time.perf_counter() - t0
        print(
            f"\nverify --against-checkpoints: {result.tree_size:,} entries, {result.checkpoints} checkpoint(s), "
            f"ok={result.ok}, in {elapsed:.1f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--from-ledger", action="store_true", help="build the tree from a loaded ledger")
    parser.add_argument("--keep", action="store_true", help="reuse the stored tree (skip the load)")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgresql"):
        raise SystemExit("The benchmark runs on PostgreSQL: set BENCH_DATABASE_URL.")
    bench_append_cost()
    app = _app(url)
    from marketplace.extensions import db
    from marketplace.ledger import merkle

    with app.app_context():
        if not (args.keep and merkle.tree_head()[0]):
            reset_schema(db)
            if args.from_ledger:
                regulator_id = make_regulator(db)
                print(f"\nloading {args.leaves:,} ledger entries (bench_ledger's COPY loader) ...")
                n, seconds = bulk_load(db, regulator_id, args.leaves)
                print(f"loaded {n:,} entries in {seconds:.0f} s")
                t0 = time.perf_counter()
                added = merkle.catch_up(db.session, progress=None)
                db.session.commit()
                print(f"tree built from the entries (merkle.catch_up, as the migration): {added:,} leaves "
                      f"in {time.perf_counter() - t0:.0f} s")  # fmt: skip
            else:
                fill_synthetic(db, args.leaves)
        db.session.remove()
        leaves = merkle.tree_head()[0]
    bench_db_cost(url)
    bench_proofs(app, leaves, args.runs)
    bench_checkpoint(app, min(args.runs, 50))
    if args.from_ledger:
        bench_monitor(app)


if __name__ == "__main__":
    main()
