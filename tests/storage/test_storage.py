"""Upload storages: the same behaviour from a folder and from the database,
downloads in chunks, and `flask uploads migrate` between the two."""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from marketplace.storage import (
    CHUNK_SIZE,
    DatabaseStorage,
    FilesystemStorage,
    StoredFileMissing,
    make_storage,
    set_storage,
)
from marketplace.storage.models import StoredFile, StoredFileChunk
from marketplace.storage.uploads import attachments_of

from ..factories import IpAssetFactory, user_with_role

BIG_PDF = b"%PDF-1.4\n" + os.urandom(CHUNK_SIZE * 2 + 1234)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(params=["filesystem", "database"])
def storage(request, app, db, tmp_path, monkeypatch):
    """The app's upload storage, of each kind."""
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))
    kind = make_storage(request.param, app)
    set_storage(kind)
    yield kind
    set_storage(None)


@pytest.fixture
def english(client):
    with client.session_transaction() as sess:
        sess["lang"] = "en"


@pytest.fixture
def owner(db):
    return user_with_role("seller")


@pytest.fixture
def asset(owner):
    return IpAssetFactory(owned_by=owner.organization)


def upload(client, asset, content, name):
    return client.post(
        f"/assets/{asset.id}/attachments",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_save_read_in_chunks_and_remove(storage):
    digest = hashlib.sha256(BIG_PDF).hexdigest()
    storage.save("ab12.pdf", BIG_PDF, content_type="application/pdf", sha256=digest)
    chunks = list(storage.chunks("ab12.pdf"))
    assert len(chunks) == 3 and all(len(c) <= CHUNK_SIZE for c in chunks)
    assert b"".join(chunks) == BIG_PDF
    assert storage.info("ab12.pdf") == (len(BIG_PDF), digest)
    storage.remove("ab12.pdf")()
    assert storage.info("ab12.pdf") is None
    with pytest.raises(StoredFileMissing):
        list(storage.chunks("ab12.pdf"))


def test_upload_and_download_the_same_bytes(client, db, login_as, owner, asset, storage):
    login_as(owner)
    assert upload(client, asset, BIG_PDF, "证书.pdf").status_code == 200
    [attachment] = attachments_of(asset)
    assert attachment.size == len(BIG_PDF)
    stored_rows = db.session.query(StoredFile).count()
    assert stored_rows == (1 if isinstance(storage, DatabaseStorage) else 0)
    assert attachment.path.exists() == isinstance(storage, FilesystemStorage)
    response = client.get(f"/assets/{asset.id}/attachments/{attachment.id}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Length"] == str(len(BIG_PDF))
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.get_data() == BIG_PDF
    response.close()


def test_database_download_is_streamed(client, db, login_as, owner, asset, app, monkeypatch):
    storage = make_storage("database", app)
    set_storage(storage)
    try:
        login_as(owner)
        upload(client, asset, BIG_PDF, "big.pdf")
        [attachment] = attachments_of(asset)
        reads = []
        real = storage.chunks

        def counting(name):
            for chunk in real(name):
                reads.append(len(chunk))
                yield chunk

        monkeypatch.setattr(storage, "chunks", counting)
        response = client.get(f"/assets/{asset.id}/attachments/{attachment.id}", buffered=False)
        assert response.is_streamed
        first = next(iter(response.response))
        assert len(reads) == 1 and len(first) < len(BIG_PDF)  # one chunk read, not the whole file
        response.close()
        assert len(reads) == 1
    finally:
        set_storage(None)


def test_refused_files_store_nothing(client, db, english, login_as, owner, asset, storage, app, monkeypatch):
    login_as(owner)
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1024)
    assert "larger than" in upload(client, asset, BIG_PDF, "big.pdf").get_data(as_text=True)
    assert "Only PDF" in upload(client, asset, b"MZ\x90\x00", "virus.pdf").get_data(as_text=True)
    assert attachments_of(asset) == []
    assert db.session.query(StoredFile).count() == 0


def test_removing_an_attachment_removes_its_file(client, db, login_as, owner, asset, storage):
    login_as(owner)
    upload(client, asset, PNG, "drawing.png")
    [attachment] = attachments_of(asset)
    name = attachment.storage_name
    assert storage.info(name) is not None
    assert client.post(f"/assets/{asset.id}/attachments/{attachment.id}/remove").status_code == 302
    assert storage.info(name) is None
    assert db.session.query(StoredFileChunk).count() == 0


def test_migrate_to_the_database_and_back(app, client, db, login_as, owner, asset, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))
    set_storage(make_storage("filesystem", app))
    try:
        login_as(owner)
        upload(client, asset, BIG_PDF, "a.pdf")
        upload(client, asset, PNG, "b.png")
    finally:
        set_storage(None)
    files = [(a.storage_name, a.size, a.sha256) for a in attachments_of(asset)]
    runner = app.test_cli_runner()
    result = runner.invoke(args=["uploads", "migrate", "--to", "database"])
    assert result.exit_code == 0, result.output
    assert "Copied 2 files; 0 were already there." in result.output
    # Resumable: a second run finds both already there (same hash) and copies nothing.
    result = runner.invoke(args=["uploads", "migrate", "--to", "database"])
    assert "Copied 0 files; 2 were already there." in result.output
    database = make_storage("database", app)
    for name, size, sha256 in files:
        assert database.info(name) == (size, sha256)
    # Back to an empty folder.
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "elsewhere"))
    result = runner.invoke(args=["uploads", "migrate", "--to", "filesystem"])
    assert result.exit_code == 0, result.output
    assert "Copied 2 files" in result.output
    folder = make_storage("filesystem", app)
    assert [folder.info(name) for name, _, _ in files] == [(size, sha256) for _, size, sha256 in files]


def test_migrate_refuses_a_file_whose_hash_changed(
    app, client, db, login_as, owner, asset, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))
    set_storage(make_storage("filesystem", app))
    try:
        login_as(owner)
        upload(client, asset, PNG, "b.png")
    finally:
        set_storage(None)
    [attachment] = attachments_of(asset)
    name = attachment.storage_name
    attachment.path.write_bytes(PNG + b"tampered")
    result = app.test_cli_runner().invoke(args=["uploads", "migrate", "--to", "database"])
    assert result.exit_code == 1
    assert f"hash mismatch: {name}" in result.output
    assert make_storage("database", app).info(name) is None
