"""Commands of public trading: `flask biddings settle` (cron, every minute), `flask biddings
forfeit` (daily), `flask biddings refunds` (online deposits released, every few minutes),
`flask biddings verify ID`, `flask biddings notices` (ends due notices)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ..core.errors import DomainError
from ..core.timeutil import shanghai_date
from ..extensions import db
from . import chain, clock
from .models import BiddingSession, TradingNotice

biddings_cli = AppGroup("biddings", help="Online bidding (网络竞价) and public notices.")


def _each(ids, action, label: str) -> tuple[int, int]:
    """Each in its own transaction: one that cannot be settled does not stop the others.
    An action answering False did nothing (not counted)."""
    done = failed = 0
    for ident in ids:
        try:
            result = action(ident)
            db.session.commit()
            done += result is not False
        except DomainError as exc:
            db.session.rollback()
            failed += 1
            click.echo(f"{label} {ident}: {exc.message}", err=True)
    return done, failed


@biddings_cli.command("settle")
def settle_command():
    """Settle every session whose effective end has passed (safe to run again)."""
    from .settlement import due_sessions, settle

    now = clock.now()
    done, failed = _each(due_sessions(now), lambda i: settle(db.session.get(BiddingSession, i), now=now),
                         "session")  # fmt: skip
    click.echo(f"biddings: {done} settled, {failed} not")


@biddings_cli.command("forfeit")
def forfeit_command():
    """Winners who did not sign by the deadline forfeit their deposits; listings of signed deals close."""
    from .settlement import close_if_signed, forfeit, overdue_sessions, signed_to_close

    now = clock.now()
    closed = 0
    for ident in signed_to_close():
        closed += bool(close_if_signed(db.session.get(BiddingSession, ident), now=now))
        db.session.commit()
    done, failed = _each(overdue_sessions(shanghai_date(now)),
                         lambda i: forfeit(db.session.get(BiddingSession, i), now=now).status == "forfeited",
                         "session")  # fmt: skip
    click.echo(f"biddings: {done} forfeited, {failed} not; {closed} listings closed after signing")


@biddings_cli.command("refunds")
def refunds_command():
    """Ask Stripe for the refunds of released online deposits not asked yet (safe to run again)."""
    from .online_deposits import refund_now, refunds_to_ask

    outcomes = [refund_now(ident) for ident in refunds_to_ask()]
    done = sum(o in ("succeeded", "pending") for o in outcomes)
    click.echo(f"deposits: {done} refunds asked, {len(outcomes) - done} not")


@biddings_cli.command("notices")
def notices_command():
    """End every public notice whose period is over (and whose objections are answered)."""
    from .notices import due_notices, finish_if_due

    now = clock.now()
    done, failed = _each(due_notices(shanghai_date(now)),
                         lambda i: finish_if_due(db.session.get(TradingNotice, i), now), "notice")  # fmt: skip
    click.echo(f"notices: {done} looked at, {failed} not ended")


@biddings_cli.command("verify")
@click.argument("session_id", type=int)
def verify_command(session_id: int):
    """Check one session's hash-chained log; exit status 1 when it is broken."""
    session = db.session.get(BiddingSession, session_id)
    if session is None:
        raise click.ClickException(f"no bidding session {session_id}")
    result = chain.verify(session)
    if result.ok:
        click.echo(f"ok: {result.entries} entries, {session.bids_count} bids, head {result.head}")
        return
    click.echo(f"BROKEN at entry {result.first_bad_seq}: {result.reason} ({result.entries} entries verified)")
    raise SystemExit(1)


def register(app: Flask) -> None:
    app.cli.add_command(biddings_cli)
