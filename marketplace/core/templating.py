"""Template filters and globals shared by every page."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, request
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user

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


def register(app: Flask) -> None:
    app.jinja_env.filters.update(
        yuan=money.format_yuan,
        wan=money.format_wan,
        yi=money.format_yi,
        money=money.format_auto,
        yuan_input=money.fen_to_yuan_text,
        local_datetime=_local_datetime,
        local_date=_local_date,
        region=catalog.region_label,
        industry=catalog.industry_label,
        org_kind=catalog.org_kind_label,
        role=catalog.role_label,
    )
    from .nav import nav_items

    app.jinja_env.globals.update(catalog=catalog, nav_items=nav_items)

    @app.context_processor
    def _globals():
        locale = str(get_locale() or "zh_Hans")
        unread = 0
        if current_user and current_user.is_authenticated:
            from ..notifications.services import unread_count

            unread = unread_count(current_user)
        return {
            "current_locale": locale,
            "html_lang": html_lang(locale),
            "unread_notifications": unread,
            "current_path": request.full_path.rstrip("?") if request else "/",
        }
