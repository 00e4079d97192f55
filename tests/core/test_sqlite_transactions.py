"""SQLite (the embedded default): WAL, and a transaction that will write takes
the write lock when it begins, so that a concurrent writer waits (busy timeout)
instead of failing with "database is locked" when it upgrades."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from sqlalchemy import text

from marketplace import create_app
from marketplace.config import TestConfig
from marketplace.core.dbsetup import write_transaction
from marketplace.extensions import db as _db


@pytest.fixture(scope="module")
def file_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sqlite-transactions")

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder}/tx.db"
        SQLALCHEMY_ENGINE_OPTIONS: dict = {}
        SQLITE_BUSY_TIMEOUT_MS = 5000
        UPLOAD_DIR = str(folder / "uploads")
        SEARCH_INDEX_DIR = str(folder / "search")

    app = create_app(Config)
    with app.app_context():
        _db.create_all()
    app.db_file = folder / "tx.db"
    yield app
    with app.app_context():
        _db.engine.dispose()


def _write_lock_free(app) -> bool:
    other = sqlite3.connect(app.db_file, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


def _in_request(app, method: str, path: str = "/api/v1/contracts") -> bool:
    """Whether a transaction begun in this request holds the write lock."""
    with app.test_request_context(path, method=method):
        _db.session.execute(text("SELECT count(*) FROM users"))
        free = _write_lock_free(app)
        _db.session.remove()
    return not free


def test_the_journal_is_wal(file_app):
    with file_app.app_context():
        assert _db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        _db.session.remove()


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_request_that_writes_begins_immediate(file_app, method):
    assert _in_request(file_app, method) is True
    assert _write_lock_free(file_app)  # released at the end of the request


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_read_begins_deferred_and_does_not_hold_the_lock(file_app, method):
    assert _in_request(file_app, method) is False


def test_a_get_view_marked_as_writing_begins_immediate(file_app):
    assert _in_request(file_app, "GET", "/offers") is True  # expires due negotiations


def test_outside_a_request_transactions_write(file_app):
    with file_app.app_context():
        _db.session.execute(text("SELECT 1"))
        assert not _write_lock_free(file_app)
        _db.session.remove()


def test_write_transaction_in_a_read_takes_the_lock_and_commits(file_app):
    with file_app.test_request_context("/api/v1/contracts"):
        _db.session.execute(text("SELECT count(*) FROM users"))
        assert _write_lock_free(file_app)
        with write_transaction():
            _db.session.execute(text("UPDATE api_tokens SET name = name WHERE id = -1"))
            assert not _write_lock_free(file_app)
        assert _write_lock_free(file_app)
        _db.session.remove()


def test_a_write_in_a_read_transaction_is_reported(file_app, caplog):
    with file_app.test_request_context("/api/v1/contracts"), caplog.at_level(logging.WARNING):
        _db.session.execute(text("SELECT count(*) FROM users"))
        _db.session.execute(text("UPDATE api_tokens SET name = name WHERE id = -1"))
        _db.session.remove()
    assert "GET /api/v1/contracts" in caplog.text and "writes_on_read" in caplog.text


def test_a_second_writer_waits_instead_of_failing(file_app):
    """Without IMMEDIATE, two read-then-write transactions fail at once; here the
    second waits for the first (within the busy timeout) and both succeed."""
    import threading
    import time

    order: list[str] = []
    started = threading.Event()

    def second():
        with file_app.test_request_context("/api/v1/demands", method="POST"):
            started.set()
            _db.session.execute(text("SELECT count(*) FROM users"))  # waits for the lock
            order.append("second")
            _db.session.commit()
            _db.session.remove()

    with file_app.test_request_context("/api/v1/demands", method="POST"):
        _db.session.execute(text("SELECT count(*) FROM users"))
        thread = threading.Thread(target=second)
        thread.start()
        started.wait(5)
        time.sleep(0.3)  # a deferred second transaction would read meanwhile
        order.append("first")
        _db.session.commit()
        _db.session.remove()
    thread.join(5)
    assert order == ["first", "second"]


def test_a_writing_request_reads_its_body_before_any_query(file_app):
    from flask import request

    with file_app.test_request_context("/api/v1/demands", method="POST", json={"title": "需求"}):
        file_app.preprocess_request()
        assert request.stream.read() == b""  # already read from the client...
        assert request.get_json() == {"title": "需求"}  # ...and kept
        _db.session.remove()
