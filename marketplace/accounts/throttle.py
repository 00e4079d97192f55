"""Limits on attempts (log-in, sign-up, password change and reset), counted in a
store every worker shares.

With `RATELIMIT_STORAGE_URI` (or `REDIS_URL`) set to a shared store such as Redis,
the counters live there (the `limits` library, fixed windows). Otherwise they live
in the database (`rate_limit_counters`, one row per key with its current fixed window,
updated by one atomic upsert), so the several gunicorn workers of the embedded default
count together. Limits are written as `"10 per minute"` (several separated by `;`).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app, request
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..core.dbsetup import write_transaction
from ..extensions import db
from .models import RateLimitCounter

_MEMORY = ("", "memory://")
_clock = time.time  # replaced by tests


@dataclass(frozen=True)
class Refused:
    """An attempt over its limit; `retry_after` in seconds."""

    retry_after: int


def client_address() -> str:
    return request.remote_addr or "unknown"


@lru_cache(maxsize=8)
def _shared_limiter(uri: str) -> FixedWindowRateLimiter:
    return FixedWindowRateLimiter(storage_from_string(uri))


def _storage_uri() -> str:
    return (current_app.config.get("RATELIMIT_STORAGE_URI") or "").strip()


def _hit_database(key: str, item: RateLimitItem, now: int) -> tuple[int, int]:
    """Count one attempt in the database; (count in the window, seconds left).

    A window starts with the first attempt and lasts the limit's period, as the
    `limits` library's fixed windows do in Redis.
    """
    period = item.get_expiry()
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = RateLimitCounter.__table__
    current = table.c.expires_at > now
    stmt = insert(table).values(key=key, window_start=now, count=1, expires_at=now + period)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            # Every expression reads the row as it was: an expired window starts again at 1.
            "count": case((current, table.c.count + 1), else_=1),
            "window_start": case((current, table.c.window_start), else_=now),
            "expires_at": case((current, table.c.expires_at), else_=now + period),
        },
    ).returning(table.c.count, table.c.expires_at)
    count, expires = db.session.execute(stmt).one()
    return count, max(1, expires - now)


def _purge_database(now: int) -> None:
    """Drop expired windows. On PostgreSQL rows another attempt holds are skipped, so
    two requests purging each other's keys never wait on each other (no deadlock)."""
    table = RateLimitCounter.__table__
    expired = table.c.expires_at < now
    if db.session.get_bind().dialect.name == "postgresql":
        victims = select(table.c.key).where(expired).limit(500).with_for_update(skip_locked=True)
        db.session.execute(delete(table).where(table.c.key.in_(victims.scalar_subquery())))
    else:
        db.session.execute(delete(table).where(expired))


def hit(scope: str, identity: str, limits: str) -> Refused | None:
    """Count an attempt of `identity` (an address, an e-mail, a user id) in `scope`.

    Returns None when it is within every limit, else how long to wait. In the
    database the count is written in a transaction of its own (`write_transaction`),
    committed at once whatever the request does next, so a failed attempt that
    rolls back still counts. It runs before the request changes anything.
    """
    if not current_app.config.get("RATELIMIT_ENABLED", True) or not limits or not identity:
        return None
    items = parse_many(limits)
    # Stored as a digest: no addresses or e-mails in the store, and any text (a NUL
    # byte, a lone surrogate, 10,000 characters) makes a short, valid key.
    text = (identity or "").strip().lower()
    identity = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    uri = _storage_uri()
    refused: Refused | None = None
    if uri not in _MEMORY:
        limiter = _shared_limiter(uri)
        for item in items:
            if not limiter.hit(item, "marketplace", scope, identity):
                reset = limiter.get_window_stats(item, "marketplace", scope, identity).reset_time
                wait = max(1, int(reset - time.time()))
                refused = Refused(max(wait, refused.retry_after if refused else 0))
        return refused
    now = int(_clock())
    # A transaction of its own, committed at once: a failed log-in answers 4xx and
    # the request rolls back, but its attempt must still count.
    with write_transaction():
        for item in items:
            key = f"{scope}:{item.get_expiry()}:{identity}"
            count, left = _hit_database(key, item, now)
            if count > item.amount:
                refused = Refused(max(left, refused.retry_after if refused else 0))
        _purge_database(now)
    return refused


def hit_all(*checks: tuple[str, str, str]) -> Refused | None:
    """Count several (scope, identity, limits) at once; refused if any is over."""
    refused = [r for r in (hit(*check) for check in checks) if r is not None]
    if not refused:
        return None
    return Refused(max(r.retry_after for r in refused))
