"""Engine settings per database.

SQLite (the embedded default) is made to serve concurrent requests:

- WAL journal: readers never block the writer, nor the writer them.
- A transaction that will write begins ``BEGIN IMMEDIATE``: it takes the write
  lock at its start, waiting up to the busy timeout when another writer holds
  it. A deferred ``BEGIN`` that reads and then writes would have to upgrade its
  lock, and SQLite refuses an upgrade at once (no busy timeout) when another
  connection writes, answering "database is locked".
- Which transactions write: everything outside a request (commands, the test
  fixtures), every request of an unsafe method (POST, PUT, PATCH, DELETE), and
  the few GET views marked `writes_on_read`. Other GET requests read in a
  deferred transaction, in parallel; `write_transaction()` gives such a
  request a write of its own (the API's record of token use).

PostgreSQL needs none of this: its row locks decide (`SELECT ... FOR UPDATE`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from flask import Flask, current_app, g, has_app_context, has_request_context, request
from sqlalchemy import event

from ..extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")

F = TypeVar("F", bound=Callable)


def writes_on_read(view: F) -> F:
    """Mark a GET view that writes (and commits): on SQLite its transactions
    begin IMMEDIATE like those of a POST. Order among decorators does not matter."""
    view.writes_on_read = True  # type: ignore[attr-defined]
    return view


def _transaction_will_write() -> bool:
    if not has_request_context():
        return True
    if g.get("db_write_transaction"):
        return True
    if request.method not in SAFE_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return bool(getattr(view, "writes_on_read", False))


@contextmanager
def write_transaction() -> Iterator[None]:
    """Run the block in a transaction of its own, committed at its end (rolled back
    if it raises), whatever the request does afterwards.

    The session's current transaction is ended first, so it must hold no
    unflushed or uncommitted change of the request's own (checked)."""
    session = db.session
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("write_transaction() would commit the request's pending changes")
    session.commit()  # ends what was only read so far
    previous = g.get("db_write_transaction", False) if has_app_context() else False
    if has_app_context():
        g.db_write_transaction = True
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        if has_app_context():
            g.db_write_transaction = previous


def configure_engines(app: Flask) -> None:
    """SQLite: foreign keys, WAL, a busy timeout, and transactions begun by
    SQLAlchemy itself (the documented pysqlite recipe, so SAVEPOINT works),
    IMMEDIATE when they will write."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            return
        busy_timeout_ms = int(app.config.get("SQLITE_BUSY_TIMEOUT_MS", 30000))

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
            cursor.execute("PRAGMA journal_mode=WAL")  # kept in the file; "memory" for :memory:
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection):
            writes = _transaction_will_write()
            connection.info["sqlite_reading"] = not writes
            connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

        @event.listens_for(engine, "before_cursor_execute")
        def _on_execute(connection, _cursor, statement, _parameters, _context, _executemany):
            # A write in a deferred (reading) transaction must upgrade its lock, which
            # fails at once under concurrency: say which view does it, once per transaction.
            if connection.info.get("sqlite_reading") and statement.lstrip()[:7].upper().startswith(
                _WRITE_VERBS
            ):
                connection.info["sqlite_reading"] = False
                where = f"{request.method} {request.path}" if has_request_context() else "?"
                app.logger.warning(
                    "A read-only transaction writes (%s): mark the view @writes_on_read "
                    "or use write_transaction(), else it fails under concurrent writes on SQLite",
                    where,
                )

        @app.before_request
        def _read_body_before_the_lock():
            # A writing request holds SQLite's one write lock from its first query to
            # its end: read a slow client's body first, not while others wait.
            if request.method not in SAFE_METHODS:
                request.get_data(parse_form_data=True)
