"""Locale selection and template helpers for both languages."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_babel.speaklater import LazyString
from flask_login import current_user
from markupsafe import Markup, escape


def select_locale() -> str:
    """zh_Hans by default; English when chosen (web) or asked for (API)."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        # Command line (seed, import): the default language.
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.path.startswith("/api/"):
        best = request.accept_languages.best_match(["zh-Hans", "zh-CN", "zh", "en"])
        return "en" if best == "en" else "zh_Hans"
    chosen = request.args.get("lang") if request.args.get("lang") in languages else None
    if chosen:
        return chosen
    if session.get("lang") in languages:
        return session["lang"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def html_lang(locale: str) -> str:
    return "zh-Hans" if str(locale).startswith("zh") else "en"


def _lazy_html(self: LazyString) -> Markup:
    return escape(str(self))


def escape_lazy_strings() -> None:
    """Make every lazy translated string plain text in templates.

    Flask-Babel's LazyString answers `__html__` with its text, so Jinja (and
    the session's flash messages) treat it as safe markup: a message such as
    _l("Unknown value(s): %(values)s.", values=user_text) would print the
    user's markup as is. Messages are text: escaped as a whole, arguments
    included. (gettext's plain strings are escaped by Jinja already.)
    """
    LazyString.__html__ = _lazy_html
