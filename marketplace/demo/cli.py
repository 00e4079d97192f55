"""`flask demo seed`: a realistic demo data set, safe to run again."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ..extensions import db
from . import (
    accounts,
    contracts,
    finance,
    industrialization,
    ip,
    ledger,
    listings,
    network,
    offers,
    payments,
    trading,
)
from . import services as services_demo
from .context import DEMO_PASSWORD, DemoContext

demo_cli = AppGroup("demo", help="Demo data.")

# In dependency order; each seeder adds only what is missing.
SEEDERS = (
    accounts.seed,
    ip.seed,
    listings.seed,
    offers.seed,
    contracts.seed,
    ledger.seed,
    payments.seed,
    industrialization.seed,
    trading.seed,
    services_demo.seed,
    finance.seed,
    network.seed,
    ledger.seed_checkpoints,  # last: over every entry the others appended
)


@demo_cli.command("seed")
def seed_command():
    """Create the demo organizations, people, assets, listings, deals and ledger."""
    ctx = DemoContext(echo=click.echo)
    try:
        for seeder in SEEDERS:
            seeder(ctx)
            db.session.flush()
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    click.echo(f"Demo data ready. Every demo account's password is: {DEMO_PASSWORD}")


def register(app: Flask) -> None:
    app.cli.add_command(demo_cli)
