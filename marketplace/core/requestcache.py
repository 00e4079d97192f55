"""Answers a read-only request computes more than once, computed once.

A page is made of parts that ask the same question (the plan periods, the
ledger's summary of a year, the platform's counts): each part stays
independent, and the request pays once. An answer is kept only while the
request cannot have changed it: in a request that does not write (a GET or
HEAD whose view is not marked `writes_on_read`, outside `write_transaction`,
see core/dbsetup.py), and until the request's next write all the same (a
flush of the session, or any INSERT, UPDATE or DELETE sent to the database).
Kept in the request's environment, so it ends with the request; a command or a test outside a request computes every
time.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .dbsetup import _WRITE_VERBS as _SQL_WRITE_VERBS
from .dbsetup import _transaction_will_write

F = TypeVar("F", bound=Callable[..., Any])

_WRITES = "marketplace.per_request_writes"
_CACHE = "marketplace.per_request_cache"
# The statements SQLite's guard counts as writes, and those that may write besides.
_WRITE_VERBS = (*_SQL_WRITE_VERBS, "WITH", "COPY", "SELECT SETVAL")


def _written() -> None:
    if has_request_context():
        request.environ[_WRITES] = request.environ.get(_WRITES, 0) + 1


@event.listens_for(Session, "after_flush")
def _count_flush(_session: Session, _context: Any) -> None:
    _written()


@event.listens_for(Engine, "before_cursor_execute")
def _count_write(_conn, _cursor, statement: str, _params, _context, _executemany) -> None:
    # Raw statements (the ledger's appends, bulk work) write without a flush.
    if statement.lstrip()[:12].upper().startswith(_WRITE_VERBS):
        _written()


def _reading_request() -> bool:
    return has_request_context() and not _transaction_will_write()


def per_request(fn: F) -> F:
    """Keep `fn`'s answer for the rest of a read-only request (arguments must be
    hashable; a call with others computes). Callers must not change the answer."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not _reading_request():
            return fn(*args, **kwargs)
        key = (fn, args, tuple(sorted(kwargs.items())), request.environ.get(_WRITES, 0))
        try:
            hash(key)
        except TypeError:
            return fn(*args, **kwargs)
        cache = request.environ.setdefault(_CACHE, {})
        if key not in cache:
            cache[key] = fn(*args, **kwargs)
        return cache[key]

    return wrapper  # type: ignore[return-value]
