"""Attachments: PDF and images, type and size checked, stored with a random
name in the upload storage (``UPLOAD_STORAGE``: a folder of this host, or the
database for several app servers; see :mod:`marketplace.storage`), served only
through a domain view that checks permission first, in chunks."""

from __future__ import annotations

import hashlib
import io
import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import abort, current_app, send_file
from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.datastructures import FileStorage

from ..core.errors import ValidationError
from ..core.timeutil import utcnow
from ..core.types import UTCDateTime
from ..extensions import db
from . import CHUNK_SIZE, FilesystemStorage, StoredFileMissing, get_storage

# Accepted types, recognised by their first bytes (the name and the browser's
# claimed type are not trusted).
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}


class Attachment(db.Model):
    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    storage_name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    original_name: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(64), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    subject_type: Mapped[str] = mapped_column(String(32), nullable=False)
    subject_id: Mapped[int] = mapped_column(nullable=False)
    purpose: Mapped[str] = mapped_column(String(32), nullable=False, default="document")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    @property
    def path(self) -> Path:
        """Where the file system storage keeps it (the file is there only with that storage)."""
        return Path(current_app.config["UPLOAD_DIR"]) / self.storage_name[:2] / self.storage_name


def sniff_content_type(head: bytes) -> str | None:
    for content_type, prefixes in SIGNATURES.items():
        if any(head.startswith(p) for p in prefixes):
            return content_type
    return None


def save_upload(
    file: FileStorage, *, subject: Any, actor: Any, purpose: str = "document", field: str = "file"
) -> Attachment:
    """Check and store an uploaded file for `subject`; raise ValidationError when refused.

    With the file system storage the bytes are written before the database
    row is committed: a rolled-back request leaves an unreferenced file behind,
    never a row without a file. The database storage writes them in the same
    transaction as the row.
    """
    if file is None or not file.filename:
        raise ValidationError(fields={field: [_l("Choose a file to upload.")]})
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    data = file.stream.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(
            fields={field: [_l("The file is larger than %(mb)s MB.", mb=limit // (1024 * 1024))]}
        )
    if not data:
        raise ValidationError(fields={field: [_l("The file is empty.")]})
    content_type = sniff_content_type(data[:16])
    if content_type is None:
        raise ValidationError(fields={field: [_l("Only PDF, PNG and JPEG files are accepted.")]})
    if subject.id is None:
        db.session.flush()
    storage_name = secrets.token_hex(16) + EXTENSIONS[content_type]
    sha256 = hashlib.sha256(data).hexdigest()
    get_storage().save(storage_name, data, content_type=content_type, sha256=sha256)
    attachment = Attachment(
        storage_name=storage_name,
        original_name=os.path.basename(file.filename)[:255],
        content_type=content_type,
        size=len(data),
        sha256=sha256,
        subject_type=getattr(subject, "__audit_type__", subject.__tablename__),
        subject_id=subject.id,
        purpose=purpose,
        uploaded_by_id=getattr(actor, "id", None),
    )
    db.session.add(attachment)
    db.session.flush()
    return attachment


def attachments_of(subject: Any, purpose: str | None = None) -> list[Attachment]:
    stmt = db.select(Attachment).where(
        Attachment.subject_type == getattr(subject, "__audit_type__", subject.__tablename__),
        Attachment.subject_id == subject.id,
    )
    if purpose:
        stmt = stmt.where(Attachment.purpose == purpose)
    return list(db.session.scalars(stmt.order_by(Attachment.uploaded_at, Attachment.id)))


class _ChunkReader(io.RawIOBase):
    """A read-only file over an iterator of chunks (what send_file streams from)."""

    def __init__(self, chunks) -> None:
        self._chunks = iter(chunks)
        self._rest = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._rest:
            try:
                self._rest = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._rest))
        buffer[:n] = self._rest[:n]
        self._rest = self._rest[n:]
        return n


def removal_of(attachment: Attachment):
    """Forget the stored file of an attachment being deleted; the returned
    object's ``unlink(missing_ok=True)`` is to be called after the commit."""
    after = get_storage().remove(attachment.storage_name)

    class _Removal:
        def unlink(self, missing_ok: bool = True) -> None:
            after()

    return _Removal()


def send_attachment(attachment: Attachment, download_name: str | None = None):
    """The file as a download, read in chunks. Call only after checking the user may see its subject."""
    storage = get_storage()
    try:
        source = (
            attachment.path
            if isinstance(storage, FilesystemStorage)
            else io.BufferedReader(_ChunkReader(storage.chunks(attachment.storage_name)), CHUNK_SIZE)
        )
    except StoredFileMissing:
        abort(404)
    response = send_file(
        source,
        mimetype=attachment.content_type,
        as_attachment=attachment.content_type == "application/pdf",
        download_name=download_name or attachment.original_name,
        max_age=0,
        etag=attachment.sha256,
    )
    if not isinstance(source, Path):
        response.content_length = attachment.size
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
