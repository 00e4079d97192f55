"""Commands of finance: `flask finance disposals` (cron, after `flask biddings settle`)
records the outcome of every sale of pledged assets that public trading has decided."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ..core.errors import DomainError
from ..extensions import db
from . import disposals
from .models import Disposal

finance_cli = AppGroup("finance", help="IP pledge loans and equity investment.")


@finance_cli.command("disposals")
def disposals_command():
    """Bring every sale of pledged assets under way up to date (safe to run again)."""
    done = failed = 0
    for ident in disposals.on_sale_ids():
        try:
            disposal = disposals.sync_disposal(db.session.get(Disposal, ident))
            db.session.commit()
            done += disposal.status != "on_sale"
        except DomainError as exc:
            db.session.rollback()
            failed += 1
            click.echo(f"disposal {ident}: {exc.message}", err=True)
    click.echo(f"finance: {done} sales decided, {failed} not")


def register(app: Flask) -> None:
    app.cli.add_command(finance_cli)
