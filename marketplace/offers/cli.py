"""Command-line commands of negotiation: `flask offers expire`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ..extensions import db

offers_cli = AppGroup("offers", help="Offers and negotiation.")


@offers_cli.command("expire")
def expire_command():
    """Mark every open or countered offer past its date as expired (safe to run again)."""
    from .services import expire_due_offers

    try:
        count = expire_due_offers()
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    click.echo(f"offers: {count} expired")


def register(app: Flask) -> None:
    app.cli.add_command(offers_cli)
