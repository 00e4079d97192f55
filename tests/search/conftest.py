"""Backends over the test corpus, one of each kind: Whoosh in a temporary
folder, and (on PostgreSQL) the PostgreSQL backend in a transaction of the
test database that is rolled back at the end."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from marketplace.extensions import db as _db
from marketplace.search.whoosh_backend import WhooshBackend

from .corpus import CORPUS

KINDS = ["whoosh", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module")
def pg_connection(app):
    """A connection in a transaction of its own, rolled back after the module."""
    with app.app_context():
        connection = _db.engine.connect()
    transaction = connection.begin()
    yield connection
    transaction.rollback()
    connection.close()


def _pg_backend(connection):
    from marketplace.search.pg_backend import PostgresBackend

    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    return PostgresBackend(lambda: session), session


@pytest.fixture(scope="module", params=KINDS)
def backend(request, tmp_path_factory):
    """A read-only backend over CORPUS, shared by the module."""
    if request.param == "whoosh":
        b = WhooshBackend(str(tmp_path_factory.mktemp("search") / "index"))
        assert b.rebuild(CORPUS) == len(CORPUS)
        b.warm()
        yield b
        b.close()
        return
    connection = request.getfixturevalue("pg_connection")
    savepoint = connection.begin_nested()
    b, session = _pg_backend(connection)
    assert b.rebuild(CORPUS) == len(CORPUS)
    yield b
    session.close()
    savepoint.rollback()


def _fresh(request, tmp_path, corpus):
    if request.param == "whoosh":
        b = WhooshBackend(str(tmp_path / "index"), lock_timeout=0.2)
        b.rebuild(corpus)
        yield b
        b.close()
        return
    connection = request.getfixturevalue("pg_connection")
    savepoint = connection.begin_nested()
    b, session = _pg_backend(connection)
    b.rebuild(corpus)
    yield b
    session.close()
    savepoint.rollback()


@pytest.fixture(params=KINDS)
def fresh(request, tmp_path):
    """A backend over CORPUS that a test may modify."""
    yield from _fresh(request, tmp_path, CORPUS)


@pytest.fixture(params=KINDS)
def empty(request, tmp_path):
    """An empty backend."""
    yield from _fresh(request, tmp_path, [])


@pytest.fixture
def whoosh_fresh(tmp_path):
    """A Whoosh backend over CORPUS (tests of Whoosh's own machinery)."""
    b = WhooshBackend(str(tmp_path / "index"), lock_timeout=0.2)
    b.rebuild(CORPUS)
    yield b
    b.close()
