"""Command-line commands of the contracts domain: `flask contracts import FILE`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from ..accounts.models import User
from ..extensions import db

contracts_cli = AppGroup("contracts", help="Technology contracts.")


def _actor(email: str | None) -> User:
    if email:
        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise click.ClickException(f"no user {email}")
    else:
        user = db.session.scalar(
            select(User).where(User.role == "admin", User.status == "active").order_by(User.id)
        )
        if user is None:
            raise click.ClickException(
                "no administrator: pass --actor EMAIL (an admin or the provincial regulator)"
            )
    if not user.acts_as("admin", "regulator"):
        raise click.ClickException(f"{user.email} is neither an administrator nor a regulator")
    return user


@contracts_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--actor", "actor_email", help="Who records the import (default: the first administrator).")
@click.option(
    "--locale",
    type=click.Choice(["zh_Hans", "en"]),
    default="zh_Hans",
    show_default=True,
    help="Language of the rejection reasons.",
)
def import_command(file: Path, actor_email: str | None, locale: str) -> None:
    """Import contracts registered offline from FILE (.csv or .xlsx): all or nothing.

    Columns are described in the README ("Importing contracts registered offline").
    """
    with force_locale(locale):
        _import(file, actor_email)


def _import(file: Path, actor_email: str | None) -> None:
    from .importer import ImportFileError, import_contracts, read_rows

    actor = _actor(actor_email)
    try:
        total, rows = read_rows(file)
    except ImportFileError as exc:
        raise click.ClickException(str(exc)) from None
    writing: dict = {}

    def progress(written: int, of: int) -> None:
        if "bar" not in writing:
            writing["bar"] = click.progressbar(
                length=of, label=f"Writing {of} contract(s) and their ledger entries"
            )
            writing["bar"].__enter__()
            writing["done"] = 0
        writing["bar"].update(written - writing["done"])
        writing["done"] = written

    try:
        with click.progressbar(rows, length=total, label=f"Checking {file.name}") as bar:
            report = import_contracts(bar, actor=actor, source=file.name, progress=progress)
    except BaseException:
        db.session.rollback()  # interrupted (Ctrl-C) or failed: nothing half-imported
        raise
    finally:
        if "bar" in writing:
            writing["bar"].__exit__(None, None, None)
    imported, skipped = report.count("imported"), report.count("skipped")
    if not report.ok:
        db.session.rollback()
        click.echo(f"{len(report.rejected)} row(s) rejected; nothing was imported:", err=True)
        for row in report.rejected:
            click.echo(f"  line {row.line} {row.registration_no or '-'}: {'; '.join(row.reasons)}", err=True)
        raise SystemExit(1)
    db.session.commit()
    click.echo(f"{imported} contract(s) imported, {skipped} already there (skipped).")


def register(app: Flask) -> None:
    app.cli.add_command(contracts_cli)
