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


def register(app: Flask) -> None:
    app.cli.add_command(search_cli)
