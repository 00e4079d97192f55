"""Locale selection and template helpers for both languages."""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app, has_request_context, request, session
from flask.globals import _cv_app
from flask_babel import Domain, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user
from jinja2 import pass_context
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


def _babel_state():
    """Flask-Babel's per-context namespace (g._flask_babel), or None outside an app context.

    Read through Flask's context variable instead of the `g` proxy: a page asks
    for its translations a few hundred times.
    """
    app_ctx = _cv_app.get(None)
    if app_ctx is None:
        return None
    return getattr(app_ctx.g, "_flask_babel", None)


class RequestCachedDomain(Domain):
    """The messages domain, its translations looked up once per context and locale.

    Flask-Babel finds the translations anew for every message (the context, the
    locale, the locale's name, a cache key). This keeps the translations found
    for the context's current locale object beside it; `force_locale` and
    `refresh` replace that object, so the next message looks them up again.
    """

    def get_translations(self):
        state = _babel_state()
        if state is not None:
            locale = getattr(state, "babel_locale", None)
            cached = getattr(state, "marketplace_translations", None)
            if cached is not None and locale is not None and cached[0] is locale:
                return cached[1]
        translations = super().get_translations()
        state = _babel_state()
        locale = getattr(state, "babel_locale", None) if state is not None else None
        if locale is not None:
            state.marketplace_translations = (locale, translations)
        return translations


def _template_callables(get) -> dict:
    """Jinja's new-style gettext functions (escaped, always %-formatted, `num` and
    `context` given to the format), calling the translations directly: Jinja's own
    wrappers reach them through two more calls each, on every message of a page."""

    @pass_context
    def gettext(__context, __string, **variables):
        rv = get().ugettext(__string)
        if __context.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables

    @pass_context
    def ngettext(__context, __singular, __plural, __num, **variables):
        variables.setdefault("num", __num)
        rv = get().ungettext(__singular, __plural, __num)
        if __context.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables

    @pass_context
    def pgettext(__context, __string_ctx, __string, **variables):
        variables.setdefault("context", __string_ctx)
        rv = get().upgettext(__string_ctx, __string)
        if __context.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables

    @pass_context
    def npgettext(__context, __string_ctx, __singular, __plural, __num, **variables):
        variables.setdefault("context", __string_ctx)
        variables.setdefault("num", __num)
        rv = get().unpgettext(__string_ctx, __singular, __plural, __num)
        if __context.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables

    return {
        "gettext": gettext,
        "_": gettext,
        "ngettext": ngettext,
        "pgettext": pgettext,
        "npgettext": npgettext,
    }


def install_translations(app) -> None:
    """The cached domain for the app, and the templates' gettext bound to it."""
    config = app.extensions["babel"]
    domain = RequestCachedDomain(domain=config.default_domain)
    # Flask-Babel's gettext and lazy strings find the domain on the Babel object.
    config.instance.domain_instance = domain
    app.jinja_env.newstyle_gettext = True
    app.jinja_env.globals.update(_template_callables(domain.get_translations))


def current_translations():
    """The current context's translations (what gettext reads), found once per locale."""
    state = _babel_state()
    if state is not None:
        cached = getattr(state, "marketplace_translations", None)
        if cached is not None and cached[0] is getattr(state, "babel_locale", None):
            return cached[1]
    return get_translations()


def _text_key(value: LazyString):
    try:
        return value._func, value._args, tuple(sorted(value._kwargs.items()))
    except (AttributeError, TypeError):
        return None


def label_text(table: Mapping[str, object], code: str | None) -> str:
    """The label of `code` in `table` (codes to lazy translated labels) in the current
    language: "" for no code, the code itself when the table does not know it.

    The text of each label is kept beside the catalogue it came from, keyed by the
    message and its arguments (a page shows the same few labels many times)."""
    if not code:
        return ""
    value = table.get(code)
    if value is None:
        return code
    if not isinstance(value, LazyString):
        return str(value)
    key = _text_key(value)
    try:
        hash(key)
    except TypeError:
        key = None
    if key is None:
        return str(value)
    translations = current_translations()
    texts = translations.__dict__.get("marketplace_texts")
    if texts is None:
        texts = translations.__dict__["marketplace_texts"] = {}
    text = texts.get(key)
    if text is None:
        text = texts[key] = str(value)
    return text
