"""Idempotency-Key for API writes that create something.

The same key and body return the first answer; the same key with another
body is 409. The key and the answer are stored in the SAME transaction as the
effect: neither the view under `idempotent` nor the wrapper commits; the
request's boundary commits the effect, the key and the answer together. A request that failed (an error
raised, or an error answer returned) leaves no key behind and can be retried.

Only a service that must make something durable before it asks an outside
party (the card payment and refund paths commit before calling Stripe) commits
the key with it, unanswered: a retry meanwhile, or after a crash there, answers
409 "still being processed", as the outcome at Stripe is not known yet.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from functools import wraps
from typing import Any

from flask import Response, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .errors import Conflict, ValidationError
from .timeutil import utcnow
from .transaction import commit_early
from .types import UTCDateTime


class IdempotencyKey(db.Model):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    key: Mapped[str] = mapped_column(String(200), nullable=False)
    method: Mapped[str] = mapped_column(String(8), nullable=False)
    path: Mapped[str] = mapped_column(String(300), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[int | None] = mapped_column()
    response_body: Mapped[Any | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


def _request_hash() -> str:
    return hashlib.sha256(
        request.method.encode() + b" " + request.path.encode() + b"\n" + request.get_data()
    ).hexdigest()


def _stored(key: str, user_id: int) -> IdempotencyKey | None:
    return db.session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    )


def _replay(existing: IdempotencyKey, digest: str):
    if existing.request_hash != digest:
        raise Conflict(
            _l("This Idempotency-Key was used with another request."), code="idempotency_key_reused"
        )
    if existing.status_code is None:
        raise Conflict(_l("A request with this Idempotency-Key is still being processed."))
    return existing.response_body, existing.status_code


def _split(result) -> tuple[Any, int]:
    if isinstance(result, tuple):
        body, status = result[0], result[1]
    else:
        body, status = result, getattr(result, "status_code", 200)
    if isinstance(body, Response):
        body = body.get_json()
    return body, int(status)


def idempotent(view):
    """Wrap an API view taking `actor`; honour the Idempotency-Key header.

    Nothing here commits: the boundary commits what the view did, with the key
    and the stored answer when a key was sent (see the module's note on the
    services that commit before calling Stripe)."""

    @wraps(view)
    def wrapped(*args, actor, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if not key:
            return view(*args, actor=actor, **kwargs)
        if len(key) > 200:
            raise ValidationError(fields={"Idempotency-Key": [_l("At most 200 characters.")]})
        digest = _request_hash()
        existing = _stored(key, actor.id)
        if existing is not None:
            return _replay(existing, digest)
        record = IdempotencyKey(
            user_id=actor.id, key=key, method=request.method, path=request.path, request_hash=digest
        )
        db.session.add(record)
        try:
            db.session.flush()
        except IntegrityError:
            # The same key at the same moment: the other request has committed by now.
            db.session.rollback()
            existing = _stored(key, actor.id)
            if existing is not None:
                return _replay(existing, digest)
            raise Conflict(_l("A request with this Idempotency-Key is still being processed.")) from None
        result = view(*args, actor=actor, **kwargs)
        body, status = _split(result)
        if status >= 400:
            # An error the view answered itself: what it did is undone and the key may
            # be used again - unless a service had to commit it before asking an outside
            # party (a card payment); that key keeps this answer, as before.
            db.session.rollback()
            committed = _stored(key, actor.id)
            if committed is None or committed.status_code is not None:
                return result
            committed.status_code = status
            committed.response_body = json.loads(json.dumps(body, default=str))
            # An error answer rolls the request back: this answer belongs to the key
            # that was committed before the outside call, so it is made durable now.
            commit_early("the answer to an Idempotency-Key committed before a call to Stripe")
            return body, status
        record = db.session.merge(record)
        record.status_code = status
        record.response_body = json.loads(json.dumps(body, default=str))
        return body, status  # the boundary commits the effect, the key and the answer at once

    return wrapped
