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


def register(app: Flask) -> None:
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
