"""What the dashboard and the targets page show, assembled from the
ledger's summaries (read-only; every figure "as of" a moment)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _

from ..core import money as amounts
from ..core.catalog import PROVINCE_CODE
from ..core.money import FEN_PER_MILLION, FEN_PER_WAN, format_wan, format_yi
from ..core.timeutil import to_shanghai
from . import ports
from .catalog import (
    ENTERED_TARGETS,
    INDUSTRIALIZED_BY_SOURCE,
    INDUSTRIALIZED_TARGET,
    PLAN_FIRST_YEAR,
    PLAN_LAST_YEAR,
    TURNOVER_PATH_FEN,
    TURNOVER_TARGET_FEN,
    dimension_label,
)
from .services import EntryFilter, Figures, Summary, latest_target_values, summarize

BREAKDOWNS = ("region", "industry", "org_kind", "category")


def share_bp(part: int, whole: int) -> int | None:
    """part / whole in basis points (integer arithmetic, rounded half up)."""
    if whole <= 0:
        return None
    return (part * 10_000 * 2 + whole) // (whole * 2)


def percent_text(bp: int | None) -> str:
    if bp is None:
        return ""
    sign = "-" if bp < 0 else ""
    whole, frac = divmod(abs(bp), 100)
    return f"{sign}{whole}.{frac:02d} %"


def money(fen: int | None) -> dict[str, Any]:
    """An amount with its 万元 and 亿元 texts (for tables and the charts' JSON)."""
    return {"fen": fen, "wan": format_wan(fen), "yi": format_yi(fen)}


@dataclass(frozen=True)
class YearChoice:
    """The years a dashboard covers: the plan period, one year, or all."""

    value: str  # "plan", "all" or "2024"

    @property
    def bounds(self) -> tuple[int | None, int | None]:
        if self.value == "plan":
            return PLAN_FIRST_YEAR, PLAN_LAST_YEAR
        if self.value == "all":
            return None, None
        year = int(self.value)
        return year, year


def _group_rows(summary: Summary) -> list[dict[str, Any]]:
    total = summary.totals.turnover_fen
    return [
        {
            "key": key,
            "label": dimension_label(summary.group_by, key),
            "turnover": money(fig.turnover_fen),
            "tech_income": money(fig.tech_income_fen),
            "contracts": fig.contracts,
            "entries": fig.entries,
            "share": percent_text(share_bp(fig.turnover_fen, total)),
        }
        for key, fig in summary.groups
    ]


def dashboard_data(*, scope: str, as_of: datetime | None, years: YearChoice) -> dict[str, Any]:
    """Everything the dashboard shows, for a viewer's scope, as of a moment."""
    by_year = summarize(EntryFilter(scope=scope, as_of=as_of), group_by="year")
    year_figures: dict[int, Figures] = dict(by_year.groups)
    plan_rows = []
    cumulative = path_cumulative = 0
    for year in range(PLAN_FIRST_YEAR, PLAN_LAST_YEAR + 1):
        fig = year_figures.get(year, Figures())
        cumulative += fig.turnover_fen
        path_cumulative += TURNOVER_PATH_FEN[year]
        plan_rows.append(
            {
                "year": year,
                "turnover": money(fig.turnover_fen),
                "tech_income": money(fig.tech_income_fen),
                "contracts": fig.contracts,
                "path": money(TURNOVER_PATH_FEN[year]),
                "cumulative": money(cumulative),
                "path_cumulative": money(path_cumulative),
                "of_path": percent_text(share_bp(fig.turnover_fen, TURNOVER_PATH_FEN[year])),
            }
        )
    plan_turnover = sum(year_figures.get(y, Figures()).turnover_fen for y in TURNOVER_PATH_FEN)
    plan_income = sum(year_figures.get(y, Figures()).tech_income_fen for y in TURNOVER_PATH_FEN)
    other_years = [
        {
            "year": year,
            "turnover": money(fig.turnover_fen),
            "tech_income": money(fig.tech_income_fen),
            "contracts": fig.contracts,
        }
        for year, fig in by_year.groups
        if year not in TURNOVER_PATH_FEN
    ]
    year_from, year_to = years.bounds
    breakdowns = {}
    for group_by in BREAKDOWNS:
        summary = summarize(
            EntryFilter(scope=scope, as_of=as_of, year_from=year_from, year_to=year_to), group_by=group_by
        )
        breakdowns[group_by] = {"totals": summary.totals, "rows": _group_rows(summary)}
    cash = ports.cash_received_fen(scope, as_of)
    return {
        "scope": scope,
        "is_province": scope == PROVINCE_CODE,
        "as_of": by_year.as_of,
        "as_of_local": to_shanghai(by_year.as_of),
        "as_of_seq": by_year.as_of_seq,
        "target": money(TURNOVER_TARGET_FEN),
        "plan_turnover": money(plan_turnover),
        "plan_income": money(plan_income),
        "plan_progress": percent_text(share_bp(plan_turnover, TURNOVER_TARGET_FEN)),
        "plan_progress_bp": share_bp(plan_turnover, TURNOVER_TARGET_FEN),
        "plan_rows": plan_rows,
        "other_years": other_years,
        "all_years_total": by_year.totals,
        "cash_received": money(cash) if cash is not None else None,
        "breakdowns": breakdowns,
        "years": years,
    }


def chart_unit() -> dict[str, Any]:
    """The charts' unit: the one the tables use (万元 in Chinese, millions of yuan in English)."""
    locale = get_locale()
    if locale is not None and locale.language == "en":
        return {"fen": FEN_PER_MILLION, "label": _("CNY million")}
    return {"fen": FEN_PER_WAN, "label": _("10,000 yuan")}


def _amount(fen: int) -> str:
    """An amount as the pages write it in the active language (亿元 / 万元, or CNY billion / million)."""
    return amounts.for_locale(amounts.format_auto, amounts.format_auto_en)(fen)


def chart_summaries(data: dict[str, Any]) -> dict[str, str]:
    """One sentence per chart saying what it shows (its text alternative)."""
    first, last = data["plan_rows"][0]["year"], data["plan_rows"][-1]["year"]
    years = _(
        "Registered turnover %(first)s-%(last)s: %(amount)s, %(progress)s of the target of %(target)s.",
        first=first,
        last=last,
        amount=_amount(data["plan_turnover"]["fen"]),
        progress=data["plan_progress"] or "0.00 %",
        target=_amount(data["target"]["fen"]),
    )
    best = max(data["plan_rows"], key=lambda r: r["turnover"]["fen"])
    if best["turnover"]["fen"] > 0:
        years += " " + _(
            "The highest year is %(year)s with %(amount)s (%(share)s of that year's path).",
            year=best["year"],
            amount=_amount(best["turnover"]["fen"]),
            share=best["of_path"],
        )
    sentences = {"years": years}
    for group_by in BREAKDOWNS:
        block = data["breakdowns"][group_by]
        rows = [r for r in block["rows"] if r["turnover"]["fen"] > 0]
        if not rows:
            sentences[group_by] = _("No registered turnover in these years.")
            continue
        top = max(rows, key=lambda r: r["turnover"]["fen"])
        sentences[group_by] = _(
            "%(total)s in all; the largest is %(label)s with %(amount)s (%(share)s).",
            total=_amount(block["totals"].turnover_fen),
            label=top["label"],
            amount=_amount(top["turnover"]["fen"]),
            share=top["share"],
        )
    return sentences


def chart_json(data: dict[str, Any]) -> dict[str, Any]:
    """The figures the charts draw (fen as integers; labels for tooltips)."""

    def rows(group_by: str) -> list[dict[str, Any]]:
        return [
            {
                "label": r["label"],
                "turnover_fen": r["turnover"]["fen"],
                "tech_income_fen": r["tech_income"]["fen"],
            }
            for r in data["breakdowns"][group_by]["rows"]
        ]

    return {
        "unit": chart_unit(),
        "target_fen": TURNOVER_TARGET_FEN,
        "plan_turnover_fen": data["plan_turnover"]["fen"],
        "years": [
            {
                "year": r["year"],
                "turnover_fen": r["turnover"]["fen"],
                "tech_income_fen": r["tech_income"]["fen"],
                "path_fen": r["path"]["fen"],
                "cumulative_fen": r["cumulative"]["fen"],
                "path_cumulative_fen": r["path_cumulative"]["fen"],
            }
            for r in data["plan_rows"]
        ],
        "breakdowns": {group_by: rows(group_by) for group_by in BREAKDOWNS},
    }


def targets_overview(*, as_of: datetime | None = None) -> dict[str, Any]:
    """The plan's targets with current progress (the public targets page and API)."""
    by_year = summarize(
        EntryFilter(scope=PROVINCE_CODE, as_of=as_of, year_from=PLAN_FIRST_YEAR, year_to=PLAN_LAST_YEAR),
        group_by="year",
    )
    turnover = by_year.totals.turnover_fen
    latest = latest_target_values()
    entered = []
    for spec in ENTERED_TARGETS:
        row = latest.get(spec.code)
        entered.append(
            {
                "spec": spec,
                "latest": row,
                "progress_bp": share_bp(row.value, spec.target) if row else None,
            }
        )
    counts = ports.industrialized_counts()
    return {
        "as_of": by_year.as_of,
        "turnover": {
            "target": money(TURNOVER_TARGET_FEN),
            "registered": money(turnover),
            "tech_income": money(by_year.totals.tech_income_fen),
            "contracts": by_year.totals.contracts,
            "progress_bp": share_bp(turnover, TURNOVER_TARGET_FEN),
            "years": [
                {"year": y, "turnover": money(f.turnover_fen), "path": money(TURNOVER_PATH_FEN.get(y))}
                for y, f in by_year.groups
            ],
        },
        "industrialized": {
            "target": INDUSTRIALIZED_TARGET,
            "by_source": INDUSTRIALIZED_BY_SOURCE,
            "counts": counts,
        },
        "entered": entered,
    }


def value_text(unit: str, value: int | None) -> str:
    """A target's value as people read it: a count, or a percentage."""
    if value is None:
        return ""
    if unit == "share_bp":
        return percent_text(value)
    return f"{value:,}"
