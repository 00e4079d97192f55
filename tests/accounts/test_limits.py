"""Attempt limits: counted in a store every worker shares (the database by default,
Redis when configured), per address and per account; sign-up, password change and
password reset are limited too."""

from __future__ import annotations

import os
import secrets
import tempfile

import pytest
from sqlalchemy import delete

from marketplace import create_app
from marketplace.accounts.models import RateLimitCounter
from marketplace.config import TestConfig
from marketplace.extensions import db as _db

from ..conftest import ON_POSTGRES, TEST_DATABASE_URL
from ..factories import PASSWORD, UserFactory
from .test_registration import form

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


def _attempt(client, email, address, password="wrong-pass-1"):
    return client.post(
        "/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def test_login_is_limited_per_account_across_addresses(client, db):
    UserFactory(email="target@example.cn")
    for i in range(10):
        assert _attempt(client, "target@example.cn", f"10.0.0.{i}").status_code == 200
    refused = _attempt(client, "target@example.cn", "10.0.1.1", password=PASSWORD)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "尝试次数过多" in refused.get_data(as_text=True)
    # Another account from the same addresses is not affected.
    assert _attempt(client, "other@example.cn", "10.0.1.1").status_code == 200


def test_login_is_limited_per_address_across_accounts(client, db):
    for i in range(10):
        assert _attempt(client, f"user{i}@example.cn", "10.0.2.1").status_code == 200
    assert _attempt(client, "user99@example.cn", "10.0.2.1").status_code == 429
    assert _attempt(client, "user99@example.cn", "10.0.2.2").status_code == 200


def test_the_account_limit_counts_unknown_addresses_like_known_ones(client, db):
    UserFactory(email="known@example.cn")
    answers = {}
    for email in ("known@example.cn", "unknown@example.cn"):
        codes = [_attempt(client, email, f"10.0.3.{i}").status_code for i in range(11)]
        answers[email] = codes
    assert answers["known@example.cn"] == answers["unknown@example.cn"] == [200] * 10 + [429]


def test_a_successful_login_counts_and_a_limit_stops_even_the_right_password(client, db):
    UserFactory(email="li@example.cn")
    for _ in range(10):
        _attempt(client, "li@example.cn", "10.0.4.1")
    assert _attempt(client, "li@example.cn", "10.0.4.1", password=PASSWORD).status_code == 429
    assert client.get("/account").status_code == 302


def test_the_counters_are_in_the_database(client, db):
    _attempt(client, "x@example.cn", "10.0.5.1")
    keys = db.session.scalars(
        RateLimitCounter.__table__.select().with_only_columns(RateLimitCounter.key)
    ).all()
    assert len(keys) >= 2  # the address and the account
    assert not any("x@example.cn" in key or "10.0.5.1" in key for key in keys)  # stored hashed


def test_sign_up_is_limited_per_address(client, db):
    for i in range(5):
        response = client.post(
            "/register",
            data=form(email=f"new{i}@example.cn", uscc=""),
            environ_base={"REMOTE_ADDR": "10.0.6.1"},
        )
        assert response.status_code == 200  # refused by the form (no code), but counted
    refused = client.post("/register", data=form(), environ_base={"REMOTE_ADDR": "10.0.6.1"})
    assert refused.status_code == 429
    assert client.post("/register", data=form(), environ_base={"REMOTE_ADDR": "10.0.6.2"}).status_code == 302


def test_password_change_is_limited_per_user(client, db, login_as):
    login_as("buyer")
    data = {"current_password": "wrong-pass-1", "new_password": "x", "new_password_confirm": "x"}
    codes = [
        client.post("/account/password", data=data, environ_base={"REMOTE_ADDR": f"10.0.7.{i}"}).status_code
        for i in range(6)
    ]
    assert codes == [302] * 5 + [429]


def test_password_reset_requests_are_limited_per_account(client, db, outbox):
    UserFactory(email="li@example.cn")
    codes = [
        client.post(
            "/password/forgot", data={"email": "li@example.cn"}, environ_base={"REMOTE_ADDR": f"10.0.8.{i}"}
        ).status_code
        for i in range(6)
    ]
    assert codes == [302] * 5 + [429]
    assert len(outbox) == 5


# --- Two application instances (two workers) sharing the store ---------------


def _shared_apps(uri: str, storage: str):
    tmp = tempfile.mkdtemp(prefix="marketplace-limits-")

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = uri
        SQLALCHEMY_ENGINE_OPTIONS: dict = {}
        RATELIMIT_STORAGE_URI = storage
        UPLOAD_DIR = os.path.join(tmp, "uploads")
        SEARCH_INDEX_DIR = os.path.join(tmp, "search")

    first, second = create_app(Config), create_app(Config)
    with first.app_context():
        _db.create_all()
    return first, second


def _two_workers_share_the_limits(first, second):
    """Attempts alternate between the two instances; the limit holds for their sum."""
    run = secrets.token_hex(4)
    workers = [first.test_client(), second.test_client()]
    # Per address: ten attempts in all, five through each instance, then refused by both.
    address = f"10.{int(run[:2], 16)}.{int(run[2:4], 16)}.9"
    codes = [_attempt(workers[i % 2], f"a{i}-{run}@example.cn", address).status_code for i in range(10)]
    assert codes == [200] * 10
    assert _attempt(workers[0], f"late-{run}@example.cn", address).status_code == 429
    assert _attempt(workers[1], f"late2-{run}@example.cn", address).status_code == 429
    # Per account, from a different address each time, through both instances.
    email = f"target-{run}@example.cn"
    codes = [_attempt(workers[i % 2], email, f"10.1.{i}.{int(run[4:6], 16)}").status_code for i in range(11)]
    assert codes == [200] * 10 + [429]


@pytest.mark.skipif(ON_POSTGRES, reason="the SQLite variant; on PostgreSQL the next test does it")
def test_two_instances_on_one_sqlite_file_share_the_login_limit(tmp_path):
    first, second = _shared_apps(f"sqlite:///{tmp_path / 'shared.db'}", "memory://")
    _two_workers_share_the_limits(first, second)
    for each in (first, second):
        with each.app_context():
            _db.engine.dispose()


@pytest.mark.postgres
def test_two_instances_on_one_postgresql_database_share_the_login_limit(app):
    first, second = _shared_apps(TEST_DATABASE_URL, "memory://")
    try:
        _two_workers_share_the_limits(first, second)
    finally:
        with first.app_context():
            _db.session.execute(delete(RateLimitCounter))
            _db.session.commit()
        for each in (first, second):
            with each.app_context():
                _db.session.remove()
                _db.engine.dispose()


@pytest.mark.skipif(
    not TEST_REDIS_URL, reason="set TEST_REDIS_URL to a Redis database to run it (.ci/run does)"
)
def test_two_instances_share_the_login_limit_in_redis(tmp_path):
    first, second = _shared_apps(f"sqlite:///{tmp_path / 'redis.db'}", TEST_REDIS_URL)
    _two_workers_share_the_limits(first, second)
    with first.app_context():
        assert _db.session.query(RateLimitCounter).count() == 0  # counted in Redis, not here
        _db.engine.dispose()
    with second.app_context():
        _db.engine.dispose()


def test_expired_windows_start_again_and_are_purged(client, db, monkeypatch):
    from marketplace.accounts import throttle

    clock = {"now": 1_800_000_000.0}
    monkeypatch.setattr(throttle, "_clock", lambda: clock["now"])
    for _ in range(10):
        _attempt(client, "late@example.cn", "10.0.9.1")
    assert _attempt(client, "late@example.cn", "10.0.9.1").status_code == 429
    clock["now"] += 61
    assert _attempt(client, "late@example.cn", "10.0.9.1").status_code == 200  # a new minute
    clock["now"] += 3601
    _attempt(client, "fresh@example.cn", "10.0.9.2")  # purges everything expired
    rows = db.session.scalars(RateLimitCounter.__table__.select()).all()
    assert len(rows) == 3  # 10.0.9.2 per minute; fresh@ per minute and per hour


def _concurrent_attempts_share_the_limit(first, second):
    """Twenty attempts on one account at once, through two instances: exactly ten pass."""
    from concurrent.futures import ThreadPoolExecutor

    run = secrets.token_hex(4)
    email = f"crowd-{run}@example.cn"

    def one(i):
        worker = (first, second)[i % 2].test_client()
        return _attempt(worker, email, f"10.2.{i}.{int(run[:2], 16)}").status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(one, range(20)))
    assert sorted(codes) == [200] * 10 + [429] * 10


@pytest.mark.postgres
def test_concurrent_attempts_through_two_instances_on_postgresql(app):
    first, second = _shared_apps(TEST_DATABASE_URL, "memory://")
    try:
        _concurrent_attempts_share_the_limit(first, second)
    finally:
        with first.app_context():
            _db.session.execute(delete(RateLimitCounter))
            _db.session.commit()
        for each in (first, second):
            with each.app_context():
                _db.session.remove()
                _db.engine.dispose()


@pytest.mark.skipif(ON_POSTGRES, reason="the SQLite variant; on PostgreSQL the test above does it")
def test_concurrent_attempts_through_two_instances_on_one_sqlite_file(tmp_path):
    first, second = _shared_apps(f"sqlite:///{tmp_path / 'crowd.db'}", "memory://")
    _concurrent_attempts_share_the_limit(first, second)
    for each in (first, second):
        with each.app_context():
            _db.engine.dispose()
