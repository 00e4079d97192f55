"""`flask users create` and `flask tokens issue`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from ..core.catalog import ORG_KINDS, REGIONS, ROLES
from ..core.errors import DomainError
from ..extensions import db
from . import services
from .models import User

users_cli = AppGroup("users", help="Manage user accounts.")
tokens_cli = AppGroup("tokens", help="Manage API tokens.")


def _fail(exc: DomainError) -> None:
    db.session.rollback()
    lines = [str(exc.message)]
    for field, messages in exc.fields.items():
        lines.extend(f"  {field}: {m}" for m in messages)
    raise click.ClickException("\n".join(lines))


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(list(ROLES)), required=True)
@click.option("--org", "org_name", required=True, help="Organization name (created if needed).")
@click.option(
    "--org-kind",
    type=click.Choice(list(ORG_KINDS)),
    default=None,
    help="Kind of a new organization (default: by role).",
)
@click.option("--region", type=click.Choice(list(REGIONS)), default="230100", show_default=True)
@click.option("--uscc", default=None, help="Unified Social Credit Code of the organization.")
@click.option("--place", default=None, help="Place, for an organization outside the province.")
@click.option("--name", default=None, help="The person's name (default: the e-mail's local part).")
@click.option("--password", default=None, help="Password (prompted for when not given).")
def create_user(email, role, org_name, org_kind, region, uscc, place, name, password):
    """Create an approved user; the organization is found by USCC or name, or created."""
    from ..accounts.models import Organization

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    default_kind = {
        "agency": "agency",
        "regulator": "regulator",
        "admin": "other",
        "buyer": "enterprise",
        "seller": "enterprise",
    }[role]
    existing = None
    if uscc:
        existing = db.session.scalar(
            select(Organization).where(Organization.uscc == uscc.strip().upper().replace(" ", ""))
        )
    if existing is None:
        existing = db.session.scalars(select(Organization).where(Organization.name == org_name)).first()
    org = (
        None
        if existing
        else services.OrgData(
            name=org_name, kind=org_kind or default_kind, region_code=region, uscc=uscc, place=place
        )
    )
    try:
        user = services.register_user(
            email=email,
            name=name or email.split("@")[0],
            password=password,
            role=role,
            org=org,
            join=existing,
            approved=True,
        )
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role}) in {user.organization.name} [id {user.id}]")


@tokens_cli.command("issue")
@click.argument("email")
@click.option("--name", default="CLI", show_default=True, help="A name for the token.")
def issue(email, name):
    """Print a new API token for EMAIL (only its hash is stored)."""
    user = db.session.scalar(select(User).where(User.email == services.normalize_email(email)))
    if user is None:
        raise click.ClickException(f"No user with e-mail {email}")
    try:
        _token, plaintext = services.issue_token(user, name, actor=user)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(plaintext)


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
