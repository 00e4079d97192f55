"""Language switch, health check, favicon (the home page is in marketplace.portal)."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import text

from ..extensions import csrf, db
from .web import safe_next

bp = Blueprint("core", __name__)


@bp.post("/lang/<code>")
@csrf.exempt
def set_language(code: str):
    """Switch the language: a POST, never a GET, since it writes the session.

    A logged-in user's switch also writes the account's preference: it needs the
    CSRF token like every form. A visitor's sets the session's language only, and
    needs none, so that public pages carry no token and start no session (a shared
    cache may keep them, see core/httpcache.py); another site that makes a
    visitor's browser switch the language changes nothing else."""
    if current_user.is_authenticated and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated and current_user.locale != code:
            current_user.locale = code  # committed by the request's boundary
    target = request.form.get("next") or request.args.get("next")
    return redirect(safe_next(target, url_for("portal.index")))


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        db.session.rollback()
        return jsonify({"status": "unavailable"}), 503
    return jsonify({"status": "ok"})


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page links to."""
    return send_from_directory(
        current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400
    )
