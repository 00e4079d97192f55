"""Where a page's time goes: time per request through the test client, and a profile.

Usage (on a database built by bench/bench_pages.py --keep DIR, with its environment)::

    python -m bench.profile_pages [--login EMAIL] [--runs 200] [--profile] PATH [PATH ...]

For each PATH it prints the median milliseconds per request and the mean CPU
time of one (after warming up), the Python function calls one request makes
(the steadiest figure on a busy machine), the SQL statements it runs, and with
--profile a pyinstrument profile of --runs requests. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PASSWORD = "demo-pass-2025"


def _client(app, email: str | None):
    client = app.test_client()
    if email:
        with app.test_request_context():
            from sqlalchemy import select

            from marketplace.accounts.models import User
            from marketplace.extensions import db

            user_id = db.session.scalar(select(User.id).where(User.email == email))
        with client.session_transaction() as session:
            session["_user_id"] = str(user_id)
            session["_fresh"] = True
    return client


def _statements(app, client, path: str) -> int:
    from sqlalchemy import event

    from marketplace.extensions import db

    count = 0

    def _count(*_args):
        nonlocal count
        count += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", _count)
    try:
        client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", _count)
    return count


def _function_calls(client, path: str, runs: int = 10) -> int:
    """Python function calls one request makes (a steady measure of work on a busy machine)."""
    import cProfile
    import pstats

    profile = cProfile.Profile()
    profile.enable()
    for _ in range(runs):
        client.get(path)
    profile.disable()
    return pstats.Stats(profile).total_calls // runs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--login", help="e-mail of the demo user to load the pages as")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    from wsgi import app

    client = _client(app, args.login)
    for path in args.paths:
        response = client.get(path)
        if response.status_code != 200:
            print(f"{path}: HTTP {response.status_code}", file=sys.stderr)
            continue
        for _ in range(20):
            client.get(path)
        times, cpu = [], []
        for _ in range(args.runs):
            t0, c0 = time.perf_counter(), time.process_time()
            client.get(path)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        statements = _statements(app, client, path)
        calls = _function_calls(client, path)
        print(
            f"{path:40} median {statistics.median(times) * 1000:6.2f} ms"
            f"  CPU {statistics.mean(cpu) * 1000:6.2f} ms  {calls:,} calls  {statements} SQL"
            f"  {len(response.data):,} bytes"
        )
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0002)
            profiler.start()
            for _ in range(args.runs):
                client.get(path)
            profiler.stop()
            print(
                profiler.output_text(
                    unicode=True, color=False, show_all=bool(__import__("os").environ.get("PROFILE_ALL"))
                )
            )


if __name__ == "__main__":
    main()
