"""Model mixins and the audit trail shared by every domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .timeutil import utcnow
from .types import UTCDateTime


def sql_in(column: str, values) -> str:
    """The SQL of a check constraint `column IN ('a', 'b', ...)` over a code list."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


class AuditEvent(db.Model):
    """Who did what to which object, when, from which state to which.

    Appended by services through `record_audit`; never edited.
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    subject_type: Mapped[str] = mapped_column(String(32), nullable=False)
    subject_id: Mapped[int] = mapped_column(nullable=False)
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    actor = db.relationship("User", lazy="joined")


def record_audit(
    action: str,
    subject: Any,
    *,
    actor: Any = None,
    from_state: str | None = None,
    to_state: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event for `subject` (any model with an integer `id`)."""
    if subject.id is None:
        db.session.flush()
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        subject_type=getattr(subject, "__audit_type__", subject.__tablename__),
        subject_id=subject.id,
        from_state=from_state,
        to_state=to_state,
        data=data,
    )
    db.session.add(event)
    return event


def audit_trail(subject: Any) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            db.select(AuditEvent)
            .where(
                AuditEvent.subject_type == getattr(subject, "__audit_type__", subject.__tablename__),
                AuditEvent.subject_id == subject.id,
            )
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )
