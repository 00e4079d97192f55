"""Which entries a page or an export shows: the "as of" moment read from a query
string and the filter of entries by year, region, dimension and kind."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from ..core.catalog import PROVINCE_CODE
from ..core.errors import ValidationError
from ..core.timeutil import SHANGHAI
from ..extensions import db
from .models import LedgerEntry

_ENTRIES = LedgerEntry.__table__
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_as_of(value: str | None, *, field_name: str = "as_of") -> datetime | None:
    """Read an "as of" moment: a date (the end of that day in Asia/Shanghai)
    or an ISO 8601 time (without an offset: Asia/Shanghai). Empty: None (now)."""
    if value is None or not str(value).strip():
        return None
    raw = str(value).strip()
    try:
        if _DATE_RE.fullmatch(raw):
            day = date.fromisoformat(raw)
            moment = datetime(day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=SHANGHAI)
        else:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            fields={field_name: [_l("Enter a date (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM).")]}
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    if not 2000 <= moment.year <= 2100:
        raise ValidationError(fields={field_name: [_l("The year must be between 2000 and 2100.")]})
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class EntryFilter:
    """Which entries a report or drill-down covers. ``scope`` is the viewer's
    region (230000: the whole province; a city's code: sellers in that city)."""

    scope: str
    year: int | None = None
    year_from: int | None = None
    year_to: int | None = None
    region: str | None = None
    industry: str | None = None
    org_kind: str | None = None
    category: str | None = None
    kind: str | None = None
    contract_id: int | None = None
    registration_no: str | None = None
    as_of: datetime | None = None
    max_seq: int | None = None  # entries up to this one (exports pin the head they state)

    @property
    def summarizable(self) -> bool:
        """Whether the summary table can answer (it has no cross-dimension filters)."""
        return not (self.industry or self.org_kind or self.category or self.kind or self.contract_id
                    or self.registration_no or self.max_seq is not None)  # fmt: skip

    def conditions(self, table) -> list:
        c = table.c
        conds: list = []
        if self.scope != PROVINCE_CODE:
            conds.append(c.seller_region.like(self.scope[:4] + "%"))
        if self.year is not None:
            conds.append(c.year == self.year)
        if self.year_from is not None:
            conds.append(c.year >= self.year_from)
        if self.year_to is not None:
            conds.append(c.year <= self.year_to)
        if self.region:
            conds.append(c.seller_region == self.region)
        if table is _ENTRIES:
            if self.industry:
                conds.append(c.industry == self.industry)
            if self.org_kind:
                conds.append(c.seller_org_kind == self.org_kind)
            if self.category:
                conds.append(c.category == self.category)
            if self.kind:
                conds.append(c.kind == self.kind)
            if self.contract_id is not None:
                conds.append(c.contract_id == self.contract_id)
            if self.registration_no:
                conds.append(c.registration_no == self.registration_no)
            if self.as_of is not None:
                conds.append(c.recorded_at <= self.as_of)
            if self.max_seq is not None:
                conds.append(c.seq <= self.max_seq)
        return conds


def filtered_entries(flt: EntryFilter) -> Select:
    """Entries matching a filter, in sequence order (for pages and exports)."""
    return select(LedgerEntry).where(*flt.conditions(_ENTRIES)).order_by(LedgerEntry.seq)


def entries_after(flt: EntryFilter, *, after_seq: int = 0, limit: int = 100) -> list[LedgerEntry]:
    """Up to ``limit`` entries after sequence number ``after_seq``, in order."""
    stmt = filtered_entries(flt).where(LedgerEntry.seq > after_seq).limit(limit)
    return list(db.session.scalars(stmt))
