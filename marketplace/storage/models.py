"""Uploaded files kept in the database (``UPLOAD_STORAGE=database``), so that
every app server sees them. A file is one row of metadata and its content in
chunks, read one chunk at a time when it is downloaded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..core.timeutil import utcnow
from ..core.types import UTCDateTime
from ..extensions import db


class StoredFile(db.Model):
    __tablename__ = "stored_files"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(64), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    chunk_size: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class StoredFileChunk(db.Model):
    __tablename__ = "stored_file_chunks"

    file_name: Mapped[str] = mapped_column(
        String(64), ForeignKey("stored_files.name", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
