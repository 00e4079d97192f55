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

from ..extensions import db
from .web import safe_next

bp = Blueprint("core", __name__)


@bp.post("/lang/<code>")
def set_language(code: str):
    """Switch the language: a POST (with the CSRF token, like every form), never a GET,
    since it writes the session and the logged-in user's preference."""
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
