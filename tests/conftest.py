"""Test fixtures: the app, a database schema created once per run, and each
test isolated in a transaction that is rolled back at the end.

On SQLite (the default) the database is in memory; CI sets TEST_DATABASE_URL
to PostgreSQL, and tests marked `postgres` run only there.
"""

from __future__ import annotations

import os
import tempfile

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FSASession
from sqlalchemy.pool import StaticPool

from marketplace import create_app
from marketplace.config import TestConfig
from marketplace.extensions import db as _db
from marketplace.extensions import limiter

from . import factories

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
#: In CI (CI=true) or with REQUIRE_SERVICES=1 a service the tests need
#: (PostgreSQL, localstripe, Chromium) that is missing fails the tests
#: instead of skipping them: a green run then means they ran.
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "") == "1" or os.environ.get("CI", "").lower() in (
    "1",
    "true",
    "yes",
)


def service_missing(reason: str) -> None:
    """Skip the test for `reason`, or fail it where services are required."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (required here: CI or REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(reason)


def pytest_collection_modifyitems(config, items):
    if ON_POSTGRES or REQUIRE_SERVICES:
        return  # where services are required, pytest_runtest_setup fails these instead
    skip = pytest.mark.skip(reason="needs PostgreSQL: set TEST_DATABASE_URL (CI does)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def pytest_runtest_setup(item):
    if not ON_POSTGRES and "postgres" in item.keywords:
        service_missing("needs PostgreSQL: set TEST_DATABASE_URL (CI does)")


class _BoundSession(FSASession):
    """A session that always uses the test's connection (Flask-SQLAlchemy's
    own get_bind would pick the engine and escape the test transaction)."""

    def get_bind(self, *args, **kwargs):
        return self.bind


class IsolatedClient(FlaskClient):
    """Each request runs in an application context (and so a session and `g`)
    of its own, as in production. The test's pending changes are flushed
    before the request, and its objects are expired after it, so they show
    what the request stored."""

    def open(self, *args, **kwargs):
        outer = _db.session() if has_app_context() else None
        if outer is not None:
            outer.flush()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
            _db.session.remove()
        if outer is not None:
            outer.expire_all()
        return response


@pytest.fixture(scope="session")
def app():
    tmp = tempfile.mkdtemp(prefix="marketplace-test-")

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = TEST_DATABASE_URL or "sqlite://"
        SQLALCHEMY_ENGINE_OPTIONS = (
            {} if ON_POSTGRES else {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        )
        UPLOAD_DIR = os.path.join(tmp, "uploads")
        SEARCH_INDEX_DIR = os.path.join(tmp, "search")

    app = create_app(Config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    """The database, with everything the test does rolled back afterwards.

    Services and views may commit: each commit only releases a savepoint
    inside the test's outer transaction.
    """
    with app.app_context():
        connection = _db.engine.connect()
        transaction = connection.begin()
        original = _db.session
        _db.session = _db._make_scoped_session(
            {"bind": connection, "join_transaction_mode": "create_savepoint", "class_": _BoundSession}
        )
        factories.bind(_db.session)
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session = original
            factories.bind(original)
            if transaction.is_active:
                transaction.rollback()
            connection.close()


@pytest.fixture(autouse=True)
def _reset_limits(request):
    # Only where the test uses the app: pure tests then run without building it.
    if "app" in request.fixturenames:
        limiter.reset()
    yield


@pytest.fixture
def client(app, db):
    return app.test_client()


@pytest.fixture
def login_as(client, db):
    """Log the test client in as a new user of `role` (or the given user); returns the user."""

    def _login(role_or_user="buyer", **kwargs):
        user = (
            role_or_user
            if not isinstance(role_or_user, str)
            else factories.user_with_role(role_or_user, **kwargs)
        )
        db.session.flush()
        with client.session_transaction() as sess:
            sess["_user_id"] = str(user.id)
            sess["_fresh"] = True
        return user

    return _login


@pytest.fixture
def api(client, db):
    """Call the API as a user: api(user).get(path) / .post(path, json=...)."""
    from marketplace.accounts.services import issue_token

    class _Caller:
        def __init__(self, user=None):
            self.headers = {}
            if user is not None:
                _token, plaintext = issue_token(user, "test", actor=user)
                db.session.flush()
                self.headers["Authorization"] = f"Bearer {plaintext}"

        def __getattr__(self, method):
            def call(path, **kwargs):
                headers = {**self.headers, **kwargs.pop("headers", {})}
                return getattr(client, method)(path, headers=headers, **kwargs)

            return call

    return _Caller


class QueryCounter:
    """The SQL statements run while the block runs (SAVEPOINT bookkeeping aside)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __call__(self, _conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            self.statements.append(statement)


@pytest.fixture
def count_queries(db):
    """`with count_queries() as q: ...` then `q.count`: the statements the block ran
    on the database (each request of the test client included). For tests that
    say a page or an endpoint runs as many queries for 20 rows as for 1."""
    from contextlib import contextmanager

    from sqlalchemy import event

    engine = _db.engine

    @contextmanager
    def _count():
        counter = QueryCounter()
        event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", counter)

    return _count
