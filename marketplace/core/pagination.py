"""Pagination of SQLAlchemy selects, the same for pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from ..extensions import db
from .errors import ValidationError

T = TypeVar("T")
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20


@dataclass
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def to_dict(self, serialize) -> dict[str, Any]:
        return {
            "items": [serialize(item) for item in self.items],
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
        }


def read_page_args(args, *, default_per_page: int = DEFAULT_PER_PAGE) -> tuple[int, int]:
    """Read `page` and `per_page` from a query string; raise ValidationError when bad."""
    errors: dict[str, list] = {}
    values = {}
    for name, default, upper in (("page", 1, 10**6), ("per_page", default_per_page, MAX_PER_PAGE)):
        raw = args.get(name)
        if raw in (None, ""):
            values[name] = default
            continue
        try:
            value = int(raw)
        except (TypeError, ValueError):
            errors[name] = [_l("Must be a whole number.")]
            continue
        if value < 1 or value > upper:
            errors[name] = [_l("Must be between 1 and %(upper)s.", upper=upper)]
            continue
        values[name] = value
    if errors:
        raise ValidationError(fields=errors)
    return values["page"], values["per_page"]


def paginate(stmt: Select, page: int, per_page: int, *, scalars: bool = True) -> Page:
    total = db.session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    result = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    items = list(result.scalars()) if scalars else list(result)
    return Page(items=items, total=total, page=page, per_page=per_page)
