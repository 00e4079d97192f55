"""The ledger's figures "as of" any moment: turnover, technology income and
contracts, grouped by year, region or dimension, read from the summaries or
summed from the entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from ..core.errors import ValidationError
from ..core.requestcache import per_request
from ..core.timeutil import start_of_day_utc, utcnow
from ..extensions import db
from .append import SUMMARY_DIMS, ledger_head, period_of
from .catalog import (
    GROUP_BY,
    dimension_order,
)
from .filters import EntryFilter
from .models import LedgerEntry, LedgerSummary

_ENTRIES = LedgerEntry.__table__
_SUMMARY = LedgerSummary.__table__


@dataclass
class Figures:
    turnover_fen: int = 0
    tech_income_fen: int = 0
    contracts: int = 0
    entries: int = 0

    def add(self, turnover: Any, income: Any, contracts: Any, entries: Any) -> None:
        self.turnover_fen += int(turnover or 0)
        self.tech_income_fen += int(income or 0)
        self.contracts += int(contracts or 0)
        self.entries += int(entries or 0)


@dataclass
class Summary:
    group_by: str
    totals: Figures
    groups: list[tuple[Any, Figures]]
    as_of: datetime
    as_of_seq: int  # the last entry the figures include
    filter: EntryFilter | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _sums(table, key_col, conds) -> Select:
    c = table.c
    if table is _ENTRIES:
        turnover, income, contracts, entries = (
            func.sum(c.turnover_delta_fen),
            func.sum(c.tech_income_delta_fen),
            func.sum(c.contracts_delta),
            func.count(),
        )
    else:
        turnover, income, contracts, entries = (
            func.sum(c.turnover_fen),
            func.sum(c.tech_income_fen),
            func.sum(c.contracts),
            func.sum(c.entries),
        )
    return select(key_col, turnover, income, contracts, entries).where(*conds).group_by(key_col)


def _cut_seq(as_of: datetime) -> int:
    """The last entry recorded up to ``as_of`` (times rise with sequence numbers,
    so the recorded_at index finds it without scanning the entries after it)."""
    seq = db.session.scalar(
        select(_ENTRIES.c.seq)
        .where(_ENTRIES.c.recorded_at <= as_of)
        .order_by(_ENTRIES.c.recorded_at.desc(), _ENTRIES.c.seq.desc())
        .limit(1)
    )
    return int(seq or 0)


@per_request
def summarize(flt: EntryFilter, *, group_by: str = "year", use_summaries: bool = True) -> Summary:
    """Turnover, technology income and contracts with positive turnover,
    grouped by one dimension, for the entries a filter covers, as of
    ``flt.as_of`` (None: now).

    Figures come from the summary table: every month's rows before the
    as-of month, plus the entries of that month recorded up to the moment.
    Filters on industry, organization kind or category (drill-down) are
    answered from the entries.
    ``use_summaries=False`` computes the same with a plain GROUP BY over the
    entries (tests and the benchmark compare the two).

    "contracts" adds each entry's contracts_delta: +1 when an entry made its
    contract's turnover positive (its registration), -1 when one brought it
    back to 0 (its cancellation). Over everything, it is exactly the number
    of contracts with positive registered turnover; within a group (a year, a
    city...) it is the contracts registered there less those cancelled there.
    """
    if group_by not in GROUP_BY:
        raise ValidationError(
            fields={"group_by": [_l("Group by one of: year, region, industry, org_kind, category.")]}
        )
    column = GROUP_BY[group_by]
    head_seq, _hash, head_at = ledger_head()
    as_of = flt.as_of
    now = utcnow()
    figures: dict[Any, Figures] = {}

    def collect(stmt: Select) -> None:
        for key, turnover, income, contracts, entries in db.session.execute(stmt):
            figures.setdefault(key, Figures()).add(turnover, income, contracts, entries)

    if group_by in SUMMARY_DIMS:
        summary_key, summary_conds = _SUMMARY.c.key, [_SUMMARY.c.dim == group_by]
    else:
        summary_key, summary_conds = _SUMMARY.c[column], [_SUMMARY.c.dim == "all"]
    summary_conds += flt.conditions(_SUMMARY)
    if not use_summaries or not flt.summarizable:
        collect(_sums(_ENTRIES, _ENTRIES.c[column], flt.conditions(_ENTRIES)))
        cut = head_seq if as_of is None else _cut_seq(as_of)
    elif as_of is None or head_at is None or as_of >= head_at:
        collect(_sums(_SUMMARY, summary_key, summary_conds))
        cut = head_seq
    else:
        period = period_of(as_of)
        collect(_sums(_SUMMARY, summary_key, [*summary_conds, _SUMMARY.c.period < period]))
        month_start = start_of_day_utc(period)
        collect(
            _sums(
                _ENTRIES,
                _ENTRIES.c[column],
                [*flt.conditions(_ENTRIES), _ENTRIES.c.recorded_at >= month_start],
            )
        )
        cut = _cut_seq(as_of)
    totals = Figures()
    for fig in figures.values():
        totals.add(fig.turnover_fen, fig.tech_income_fen, fig.contracts, fig.entries)
    order = dimension_order(group_by)
    if order:
        rank = {key: i for i, key in enumerate(order)}
        keys = sorted(figures, key=lambda k: (rank.get(k, len(rank)), str(k)))
    else:
        keys = sorted(figures)
    groups = [(key, figures[key]) for key in keys if figures[key].entries]
    return Summary(
        group_by=group_by,
        totals=totals,
        groups=groups,
        as_of=as_of or now,
        as_of_seq=cut,
        filter=flt,
    )
