"""Template filters and globals shared by every page."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, request
from flask_babel import format_date, format_datetime, get_locale
from jinja2 import pass_context

from . import catalog, money
from .i18n import html_lang
from .timeutil import to_shanghai


def _local_datetime(value: datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(to_shanghai(value).replace(tzinfo=None), fmt, rebase=False)


def _local_date(value: date | datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_shanghai(value).date()
    return format_date(value, fmt)


def _per_request(func):
    """A filter Jinja must not evaluate when it compiles the template: Jinja folds a
    filter on a literal ({{ "agency"|org_kind }}) into the compiled template, in the
    language of the first request, unless the filter takes the context."""

    @pass_context
    def _filter(_context, value, *args, **kwargs):
        return func(value, *args, **kwargs)

    _filter.__name__ = getattr(func, "__name__", "filter")
    return _filter


_URL_CACHE_SIZE = 4096


def _cached_url_for(app: Flask):
    """`url_for` for templates, each address built once per app and script root.

    A page builds the same few dozen addresses (the menu, the footer, the static
    files) on every request; the routing map builds them the same way each time,
    since the app sets no URL defaults. Addresses with an option (`_external`,
    `_anchor`, ...) or an argument that is not a plain value are built each time.
    The cache is bounded: when full it starts again."""
    cache: dict = {}
    build = app.url_for

    def url_for(endpoint: str, **values) -> str:
        try:
            key = (request.script_root, endpoint, *sorted(values.items()))
            hash(key)
        except TypeError:
            return build(endpoint, **values)
        if any(name.startswith("_") for name in values):
            return build(endpoint, **values)
        url = cache.get(key)
        if url is None:
            if len(cache) >= _URL_CACHE_SIZE:
                cache.clear()
            url = cache[key] = build(endpoint, **values)
        return url

    return url_for


def register(app: Flask) -> None:
    app.jinja_env.globals["url_for"] = _cached_url_for(app)
    app.jinja_env.filters.update(
        # Chinese counts in 万元 and 亿元; English in yuan, millions and billions.
        yuan=_per_request(money.for_locale(money.format_yuan, money.format_yuan_en)),
        wan=_per_request(money.for_locale(money.format_wan, money.format_wan_en)),
        yi=_per_request(money.for_locale(money.format_yi, money.format_yi_en)),
        money=_per_request(money.for_locale(money.format_auto, money.format_auto_en)),
        yuan_input=money.fen_to_yuan_text,
        local_datetime=_per_request(_local_datetime),
        local_date=_per_request(_local_date),
        region=_per_request(catalog.region_label),
        industry=_per_request(catalog.industry_label),
        org_kind=_per_request(catalog.org_kind_label),
        role=_per_request(catalog.role_label),
    )
    from .nav import nav_items

    app.jinja_env.globals.update(catalog=catalog, nav_items=nav_items)

    @app.context_processor
    def _globals():
        locale = str(get_locale() or "zh_Hans")
        return {
            "current_locale": locale,
            "html_lang": html_lang(locale),
            "current_path": request.full_path.rstrip("?") if request else "/",
        }
