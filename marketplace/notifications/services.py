"""Notify users in the app (and by e-mail through the pluggable sender)."""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale, gettext
from sqlalchemy import func, select, update

from ..core.mail import send_email
from ..core.timeutil import utcnow
from ..core.transaction import after_commit
from ..extensions import db
from .models import Notification


def N_(message: str) -> str:
    """Mark a message for translation without translating it now (stored, shown later)."""
    return message


def notify(
    user,
    kind: str,
    message_id: str,
    *,
    params: dict[str, Any] | None = None,
    link: str | None = None,
    email: bool = True,
) -> Notification:
    """Add a notification for `user`; the e-mail goes out once the transaction commits
    (never if it rolls back), from a request or a command alike."""
    note = Notification(user_id=user.id, kind=kind, message_id=message_id, params=params or {}, link=link)
    db.session.add(note)
    if email and user.email:
        locale = user.locale or "zh_Hans"
        address = user.email

        def _send() -> None:
            with force_locale(locale):
                text = gettext(message_id, **(params or {}))
            send_email(address, text, text + (f"\n\n{link}" if link else ""))

        after_commit(_send)
    return note


def unread_count(user) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def notifications_for(user):
    return (
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


def mark_all_read(user) -> int:
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount or 0
