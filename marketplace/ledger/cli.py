"""Command-line commands of the ledger domain: verify, export, signed checkpoints."""

from __future__ import annotations

import functools
import os
import sys
import tempfile

import click
from flask import Flask
from flask_babel import force_locale

from ..core.catalog import PROVINCE_CODE


def _in_chinese(command):
    """Labels and messages in the default locale (a command has no request to choose one)."""

    @functools.wraps(command)
    def wrapped(*args, **kwargs):
        with force_locale("zh_Hans"):
            return command(*args, **kwargs)

    return wrapped


def register(app: Flask) -> None:
    @app.cli.group("ledger")
    def ledger() -> None:
        """The registered-turnover ledger."""

    @ledger.command("verify")
    @_in_chinese
    @click.option(
        "--summaries/--no-summaries", default=False, help="Also compare the summary tables with the entries."
    )
    @click.option(
        "--against-checkpoints",
        is_flag=True,
        default=False,
        help="Also prove the Merkle tree consistent with every signed checkpoint; exit 1 naming the one it breaks.",
    )
    @click.option(
        "--since-checkpoint",
        is_flag=True,
        default=False,
        help="Only what is new: check the entries after the latest signed checkpoint against it and "
        "the stored tree (seconds at any size); the full walk stays the default.",
    )
    def verify(summaries: bool, against_checkpoints: bool, since_checkpoint: bool) -> None:
        """Recompute the hash chain; exit 1 naming the first bad entry."""
        from . import services

        if since_checkpoint:
            from .incremental import verify_since_checkpoint

            quick = verify_since_checkpoint()
            if not quick.ok:
                where = f" at entry {quick.first_bad_seq}" if quick.first_bad_seq else ""
                click.echo(f"BROKEN{where} ({quick.reason}): {quick.message}", err=True)
                sys.exit(1)
            click.echo(
                f"OK: {quick.new_entries} entries after checkpoint {quick.checkpoint_id} "
                f"({quick.signed_size} entries signed) extend it to the stored tree of {quick.tree_size} "
                f"entries (root {quick.root_hash}), in {quick.seconds:.2f} s"
            )
            if not (summaries or against_checkpoints):
                return

        check = services.verify_ledger()
        if not check.ok:
            click.echo(f"BROKEN at entry {check.first_bad_seq} ({check.reason}): {check.message}", err=True)
            click.echo(f"{check.entries} entries verified before it; last good hash {check.head}", err=True)
            if not against_checkpoints:
                sys.exit(1)
        else:
            click.echo(f"OK: {check.entries} entries, head {check.head}")
        if against_checkpoints:
            from .checkpoints import check_against_checkpoints

            result = check_against_checkpoints()
            if not result.ok:
                where = (
                    f"checkpoint {result.broken_id} (size {result.broken_size})"
                    if result.broken_id
                    else "tree"
                )
                click.echo(f"BROKEN at {where} ({result.reason}): {result.message}", err=True)
                click.echo(f"{result.checkpoints} checkpoint(s) held before it", err=True)
                sys.exit(1)
            click.echo(
                f"OK: the tree of {result.tree_size} entries (root {result.root_hash}) is consistent "
                f"with all {result.checkpoints} checkpoint(s)"
            )
            if not check.ok:
                sys.exit(1)
        if summaries:
            if not services.summaries_match_entries():
                click.echo("BROKEN: the summary tables differ from the entries", err=True)
                sys.exit(1)
            click.echo("OK: the summary tables equal the sums over the entries")

    @ledger.command("keygen")
    @click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False),
        required=True,
        help="Where to write the new private key (must not exist); point LEDGER_SIGNING_KEY_FILE at it.",
    )
    def keygen(output: str) -> None:
        """Create a new Ed25519 key for signing ledger checkpoints."""
        from .checkpoints import generate_key_file, key_id

        try:
            public = generate_key_file(output)
        except FileExistsError:
            raise click.BadParameter(
                f"{output} exists; a key is never overwritten", param_hint="--output"
            ) from None
        click.echo(f"Wrote the private key to {output} (mode 0600). Set LEDGER_SIGNING_KEY_FILE={output}")
        click.echo(f"Public key (Ed25519, raw, hex): {public.hex()}  key id {key_id(public)}")

    @ledger.command("checkpoint")
    def checkpoint() -> None:
        """Sign the Merkle tree's size and root with the platform's key and store the checkpoint."""
        import json

        from ..extensions import db
        from .checkpoints import SigningKeyError, bring_tree_up_to_date, checkpoint_json, create_checkpoint

        try:
            if bring_tree_up_to_date():  # entries loaded without the tree (bulk loads)
                db.session.commit()
            cp = create_checkpoint()
        except SigningKeyError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)
        db.session.commit()
        click.echo(json.dumps(checkpoint_json(cp), ensure_ascii=False, indent=2))

    @ledger.command("export")
    @click.option("--year", type=int, default=None, help="The report year (default: every year).")
    @click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
    @click.option(
        "--what",
        type=click.Choice(["entries", "summary"]),
        default="entries",
        show_default=True,
        help="Entries or summaries (in XLSX: the entries report or the summary report by dimension).",
    )
    @click.option(
        "--locale",
        type=click.Choice(["zh", "en"]),
        default="zh",
        show_default=True,
        help="Language of the XLSX report's headers and labels (the CSV's columns do not change).",
    )
    @click.option(
        "--as-of", "as_of", default=None, help="YYYY-MM-DD or ISO time (Beijing time if no offset)."
    )
    @click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False),
        default=None,
        help="File (default: stdout for CSV).",
    )
    def export(
        year: int | None, fmt: str, what: str, locale: str, as_of: str | None, output: str | None
    ) -> None:
        """Export the ledger for auditors, with the chain's head (entry count and last hash)."""
        with force_locale("en" if locale == "en" else "zh_Hans"):
            _export(year, fmt, what, as_of, output)

    def _export(year: int | None, fmt: str, what: str, as_of: str | None, output: str | None) -> None:
        from ..core.errors import DomainError
        from . import exports, services

        try:
            flt = services.EntryFilter(scope=PROVINCE_CODE, year=year, as_of=services.parse_as_of(as_of))
        except DomainError as exc:
            raise click.BadParameter(str(exc), param_hint="--as-of") from None

        def progress(n: int) -> None:
            click.echo(f"  {n:,} entries written", err=True)

        if output is None and fmt == "xlsx":
            output = exports.export_filename(flt, fmt=fmt, what=what)
        if output is None:
            meta = exports.write_csv(sys.stdout, flt, what=what, progress=progress)
        else:
            # Written to a temporary file and moved into place: an interrupted
            # export leaves no half file behind.
            folder = os.path.dirname(os.path.abspath(output))
            fd, tmp = tempfile.mkstemp(prefix=".ledger-export-", dir=folder)
            try:
                if fmt == "xlsx":
                    with os.fdopen(fd, "wb") as out:
                        meta = exports.write_xlsx(out, flt, what=what, progress=progress)
                else:
                    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
                        meta = exports.write_csv(out, flt, what=what, progress=progress)
                os.replace(tmp, output)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
            click.echo(f"Wrote {output}", err=True)
        click.echo(
            f"Chain: {meta['chain_entries']} entries, head {meta['chain_head_hash']}",
            err=True,
        )
