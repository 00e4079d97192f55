"""Web sessions: who a session cookie belongs to, and ending every session of a user.

Flask-Login keeps `User.get_id()` in the (signed) session: the user's id and
session version, "12.3". Log-out, a password change and a password reset raise
the version, so every session cookie issued before, copied or not, stops
working at its next request. A bare id (a session from before versions existed)
counts as version 0.
"""

from __future__ import annotations

from flask import Flask, request
from flask_login import current_user, login_user

from ..extensions import db
from .models import User


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the active user whose session version matches."""
    ident, _dot, version = str(user_id or "").partition(".")
    try:
        user_id_number = int(ident)
        version_number = int(version) if version else 0
    except (TypeError, ValueError):
        return None
    if not 0 < user_id_number < 2**31:
        return None
    user = db.session.get(User, user_id_number)
    if user is None or (user.session_version or 0) != version_number:
        return None
    # A suspended account (or organization) is logged out at its next request.
    return user if user.is_active else None


def end_all_sessions(user: User) -> None:
    """Invalidate every session of the user (the caller commits)."""
    user.session_version = (user.session_version or 0) + 1


def renew_current_session(user: User) -> None:
    """After a password change: keep this browser logged in with the new version."""
    login_user(user, fresh=True)


def register(app: Flask) -> None:
    @app.after_request
    def _no_store_for_logged_in(response):
        # Pages shown to a logged-in person are not kept by the browser or any proxy
        # (the back button after log-out, a shared computer).
        if request.endpoint == "static":
            return response
        if current_user and current_user.is_authenticated:
            response.headers["Cache-Control"] = "no-store"
            response.headers.pop("Expires", None)
        return response
