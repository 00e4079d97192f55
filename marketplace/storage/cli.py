"""`flask uploads migrate --to database|filesystem`: move the stored files of
every attachment from one storage to the other, verified by SHA-256."""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, field

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from . import STORAGES, make_storage

uploads_cli = AppGroup("uploads", help="Uploaded files (receipts, contracts, evidence, attachments).")


@dataclass
class MigrationResult:
    copied: int = 0
    present: int = 0  #: already in the target with the right hash (an earlier, interrupted run)
    missing: list[str] = field(default_factory=list)  #: not in the source
    corrupt: list[str] = field(default_factory=list)  #: in the source with another hash


def migrate_files(source, target, progress=None, batch: int = 100) -> MigrationResult:
    """Copy every attachment's file from ``source`` to ``target``.

    Each file is read from the source, checked against the SHA-256 and size
    recorded when it was uploaded, written to the target, committed and read
    back from the target for the same check. Files already in the target with
    the right hash are skipped, so an interrupted run resumes where it stopped.
    The source is left as it is.
    """
    from ..extensions import db
    from .uploads import Attachment

    result = MigrationResult()
    last = 0
    done = 0
    while True:
        rows = list(
            db.session.execute(
                select(
                    Attachment.id,
                    Attachment.storage_name,
                    Attachment.size,
                    Attachment.sha256,
                    Attachment.content_type,
                )
                .where(Attachment.id > last)
                .order_by(Attachment.id)
                .limit(batch)
            )
        )
        if not rows:
            return result
        for row in rows:
            last = row.id
            done += 1
            if target.info(row.storage_name) == (row.size, row.sha256):
                result.present += 1
            else:
                try:
                    data = b"".join(source.chunks(row.storage_name))
                except LookupError:
                    result.missing.append(row.storage_name)
                    data = None
                if data is not None:
                    if len(data) != row.size or hashlib.sha256(data).hexdigest() != row.sha256:
                        result.corrupt.append(row.storage_name)
                    else:
                        target.save(row.storage_name, data, content_type=row.content_type, sha256=row.sha256)
                        db.session.commit()
                        stored = b"".join(target.chunks(row.storage_name))
                        if hashlib.sha256(stored).hexdigest() != row.sha256:
                            result.corrupt.append(row.storage_name)
                        else:
                            result.copied += 1
            if progress is not None:
                progress(done)
        db.session.expunge_all()


@uploads_cli.command("migrate")
@click.option(
    "--to", "to", type=click.Choice(STORAGES), required=True, help="The storage to move the files to."
)
def migrate_command(to: str):
    """Copy every uploaded file to another storage (resumable; verified by SHA-256).

    Then set UPLOAD_STORAGE to the new storage and restart the app servers.
    The files stay in the old storage until you remove them yourself.
    """
    from ..extensions import db
    from .uploads import Attachment

    origin = "database" if to == "filesystem" else "filesystem"
    source, target = make_storage(origin, current_app), make_storage(to, current_app)
    total = db.session.scalar(select(func.count()).select_from(Attachment)) or 0
    with click.progressbar(
        length=total, label=f"Copying files from {origin} to {to}", file=sys.stderr
    ) as bar:
        seen = [0]

        def progress(n: int) -> None:
            bar.update(n - seen[0])
            seen[0] = n

        try:
            result = migrate_files(source, target, progress)
        except KeyboardInterrupt:
            click.echo("Interrupted: files copied so far stay; run the command again to go on.", err=True)
            sys.exit(130)
    click.echo(f"Copied {result.copied} files; {result.present} were already there.")
    for name in result.missing:
        click.echo(f"missing in {origin}: {name}", err=True)
    for name in result.corrupt:
        click.echo(f"hash mismatch: {name}", err=True)
    if result.missing or result.corrupt:
        sys.exit(1)


def register(app: Flask) -> None:
    app.cli.add_command(uploads_cli)
