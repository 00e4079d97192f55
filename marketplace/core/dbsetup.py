"""Engine settings per database."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event

from ..extensions import db


def configure_engines(app: Flask) -> None:
    """SQLite: enforce foreign keys, and let SQLAlchemy manage transactions
    (BEGIN, SAVEPOINT) itself instead of the sqlite3 module's own guesswork."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            return

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection):
            connection.exec_driver_sql("BEGIN")
