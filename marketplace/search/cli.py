"""`flask search ...`: rebuild the index from the database, apply pending changes."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

search_cli = AppGroup("search", help="The search index of published listings.")


@search_cli.command("reindex")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def reindex_command(quiet: bool):
    """Rebuild the index from the database (interruptible: the old index stays until the end)."""
    from .service import published_count, reindex

    total = published_count()
    try:
        if quiet or total == 0:
            count = reindex()
        else:
            with click.progressbar(length=total, label="Indexing published listings", file=sys.stderr) as bar:
                done = [0]

                def progress(n: int) -> None:
                    bar.update(n - done[0])
                    done[0] = n

                count = reindex(progress)
    except KeyboardInterrupt:
        click.echo("Interrupted: the previous index is unchanged.", err=True)
        sys.exit(130)
    click.echo(f"Indexed {count} published listings.")


@search_cli.command("drain")
def drain_command():
    """Apply the pending index changes of the outbox (after a crash, or from cron)."""
    from .outbox import drain

    result = drain()
    click.echo(f"Applied {result.rows} pending changes: {result.upserted} indexed, {result.deleted} removed.")


@search_cli.command("worker")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between looks at the outbox.")
def worker_command(interval: float):
    """Apply the outbox to the index continuously, until Ctrl-C or SIGTERM.

    Run one per index (the Whoosh index is on one host); set
    SEARCH_DRAIN_IN_REQUEST=false on the web servers so that no request
    thread writes the index.
    """
    import signal
    import threading

    from .outbox import run_worker

    stop = threading.Event()

    def ask_to_stop(signum, frame):  # noqa: ARG001 - signal handler signature
        stop.set()

    previous = {sig: signal.signal(sig, ask_to_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    click.echo(f"Applying the search outbox every {interval:g} s; Ctrl-C or SIGTERM stops.", err=True)
    try:
        total = run_worker(
            stop,
            interval=interval,
            report=lambda r: click.echo(
                f"Applied {r.rows} changes: {r.upserted} indexed, {r.deleted} removed.", err=True
            ),
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo(f"Stopped after applying {total.rows} changes.")


def register(app: Flask) -> None:
    app.cli.add_command(search_cli)
