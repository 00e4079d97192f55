"""Where uploaded files live: ``UPLOAD_STORAGE=filesystem`` (the default, under
``UPLOAD_DIR`` on this host) or ``UPLOAD_STORAGE=database`` (in the database,
seen by every app server).

Both keep a file under its storage name (a random hex name with an
extension), write it whole or not at all, and read it back in chunks, so a
download never holds the whole file in memory. The checks on what may be
uploaded (type, size) are made before, in :mod:`marketplace.storage.uploads`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Protocol, runtime_checkable

from flask import current_app
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

#: Bytes per chunk, on disk reads and in the database.
CHUNK_SIZE = 256 * 1024

STORAGES = ("filesystem", "database")


class StoredFileMissing(LookupError):
    """No file under that name."""


@runtime_checkable
class Storage(Protocol):
    kind: str

    def save(self, name: str, data: bytes, *, content_type: str, sha256: str) -> None:
        """Store ``data`` under ``name`` (replacing a file of that name)."""
        ...

    def chunks(self, name: str) -> Iterator[bytes]:
        """The file's bytes, chunk by chunk; StoredFileMissing if there is none."""
        ...

    def info(self, name: str) -> tuple[int, str] | None:
        """(size, SHA-256) of a stored file, or None when it is missing."""
        ...

    def remove(self, name: str) -> Callable[[], None]:
        """Forget a file; returns what to call after the commit (a file system
        cannot roll back, so it deletes then; the database deletes in the
        transaction and returns a no-op)."""
        ...


class FilesystemStorage:
    """Files under a folder of this host (``<dir>/<2 first characters>/<name>``)."""

    kind = "filesystem"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, name: str) -> Path:
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise StoredFileMissing(name)
        return self.root / name[:2] / name

    def save(self, name: str, data: bytes, *, content_type: str, sha256: str) -> None:
        path = self.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(name + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def chunks(self, name: str) -> Iterator[bytes]:
        try:
            handle = open(self.path(name), "rb")  # noqa: SIM115 - closed by the generator
        except FileNotFoundError:
            raise StoredFileMissing(name) from None

        def read() -> Iterator[bytes]:
            with handle:
                while chunk := handle.read(CHUNK_SIZE):
                    yield chunk

        return read()

    def info(self, name: str) -> tuple[int, str] | None:
        try:
            digest = hashlib.sha256()
            size = 0
            for chunk in self.chunks(name):
                digest.update(chunk)
                size += len(chunk)
        except StoredFileMissing:
            return None
        return size, digest.hexdigest()

    def remove(self, name: str) -> Callable[[], None]:
        path = self.path(name)
        return lambda: path.unlink(missing_ok=True)


class DatabaseStorage:
    """Files in ``stored_files`` / ``stored_file_chunks``, in the caller's transaction."""

    kind = "database"

    def __init__(self, session: Callable[[], Session], chunk_size: int = CHUNK_SIZE) -> None:
        self._session = session
        self.chunk_size = chunk_size

    def save(self, name: str, data: bytes, *, content_type: str, sha256: str) -> None:
        from .models import StoredFile, StoredFileChunk

        s = self._session()
        s.execute(delete(StoredFile).where(StoredFile.name == name))
        s.add(
            StoredFile(
                name=name,
                content_type=content_type,
                size=len(data),
                sha256=sha256,
                chunk_size=self.chunk_size,
            )
        )
        s.flush()
        for seq, start in enumerate(range(0, len(data), self.chunk_size)):
            s.add(StoredFileChunk(file_name=name, seq=seq, data=data[start : start + self.chunk_size]))
            s.flush()

    def chunks(self, name: str) -> Iterator[bytes]:
        from .models import StoredFile, StoredFileChunk

        s = self._session()
        if s.get(StoredFile, name) is None:
            raise StoredFileMissing(name)

        # The download is streamed after the view returns, when the request's
        # session may be gone: read the chunks through a connection of our own
        # (or the session's connection when it is bound to one, as in tests).
        bind = s.get_bind()

        def read() -> Iterator[bytes]:
            query = select(StoredFileChunk.data).where(StoredFileChunk.file_name == name)
            opened = bind.connect() if isinstance(bind, Engine) else nullcontext(bind)
            with opened as conn:
                seq = 0
                while True:
                    data = conn.execute(query.where(StoredFileChunk.seq == seq)).scalar()
                    if data is None:
                        return
                    yield bytes(data)
                    seq += 1

        return read()

    def info(self, name: str) -> tuple[int, str] | None:
        from .models import StoredFile

        row = self._session().get(StoredFile, name)
        return None if row is None else (row.size, row.sha256)

    def remove(self, name: str) -> Callable[[], None]:
        from .models import StoredFile, StoredFileChunk

        s = self._session()
        s.execute(delete(StoredFileChunk).where(StoredFileChunk.file_name == name))
        s.execute(delete(StoredFile).where(StoredFile.name == name))
        return lambda: None


def make_storage(kind: str, app=None) -> Storage:
    from ..extensions import db

    app = app or current_app
    if kind == "filesystem":
        return FilesystemStorage(app.config["UPLOAD_DIR"])
    if kind == "database":
        return DatabaseStorage(lambda: db.session)
    raise ValueError(f"UPLOAD_STORAGE must be one of {', '.join(STORAGES)}, not {kind!r}")


def get_storage() -> Storage:
    """The app's upload storage (``UPLOAD_STORAGE``), created on first use."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    storage = app.extensions.get("upload_storage")
    if storage is None:
        storage = app.extensions["upload_storage"] = make_storage(
            app.config.get("UPLOAD_STORAGE") or "filesystem", app
        )
    return storage


def set_storage(storage: Storage | None) -> None:
    """Replace the app's storage (tests; None forgets it)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if storage is None:
        app.extensions.pop("upload_storage", None)
    else:
        app.extensions["upload_storage"] = storage
