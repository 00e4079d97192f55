"""Idempotency-Key for API writes that create something.

The same key and body return the first answer; the same key with another
body is 409. The key is saved in the same transaction as the effect, so a
request that failed leaves no key behind and can be retried.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from functools import wraps
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ..core.errors import Conflict, ValidationError
from ..core.timeutil import utcnow
from ..core.types import UTCDateTime
from ..extensions import db


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


def idempotent(view):
    """Wrap an API view taking `actor`; honour the Idempotency-Key header."""

    @wraps(view)
    def wrapped(*args, actor, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if not key:
            return view(*args, actor=actor, **kwargs)
        if len(key) > 200:
            raise ValidationError(fields={"Idempotency-Key": [_l("At most 200 characters.")]})
        digest = _request_hash()
        existing = db.session.scalar(
            select(IdempotencyKey).where(IdempotencyKey.user_id == actor.id, IdempotencyKey.key == key)
        )
        if existing is not None:
            if existing.request_hash != digest:
                raise Conflict(
                    _l("This Idempotency-Key was used with another request."), code="idempotency_key_reused"
                )
            if existing.status_code is None:
                raise Conflict(_l("A request with this Idempotency-Key is still being processed."))
            return existing.response_body, existing.status_code
        record = IdempotencyKey(
            user_id=actor.id, key=key, method=request.method, path=request.path, request_hash=digest
        )
        db.session.add(record)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            raise Conflict(_l("A request with this Idempotency-Key is still being processed.")) from None
        result = view(*args, actor=actor, **kwargs)
        body, status = (result if isinstance(result, tuple) else (result, 200))[:2]
        if hasattr(body, "get_json"):
            body = body.get_json()
        # The view committed the effect together with the key; store the answer too.
        record = db.session.merge(record)
        record.status_code = status
        record.response_body = json.loads(json.dumps(body, default=str))
        db.session.commit()
        return body, status

    return wrapped
