"""Plan periods: 2022-2025 (built into ledger.catalog, ended, with its final
result) and the periods after it, whose targets and yearly path the provincial
regulator enters with their source; the province's official registered turnover
per year beside what the platform recorded, with the coverage ratio.

The current period is the one containing today (Asia/Shanghai); when none does,
the latest one that has started; when none has started, the first."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..core.catalog import PROVINCE_CODE
from ..core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..core.requestcache import per_request
from ..core.timeutil import start_of_day_utc, today_shanghai, utcnow
from ..extensions import db
from ..ledger.catalog import (
    ENTERED_TARGETS,
    PLAN_FIRST_YEAR,
    PLAN_LAST_YEAR,
    TURNOVER_PATH_FEN,
    TURNOVER_TARGET_FEN,
    Target,
)
from ..ledger.permissions import can_record_targets
from ..ledger.services import EntryFilter, latest_target_values, summarize
from . import managers
from .models import DockingEvent, OfficialTurnover, PlanPeriod, PlanPeriodYear
from .states import EventStatus

BUILTIN_SLUG = f"{PLAN_FIRST_YEAR}-{PLAN_LAST_YEAR}"
MAX_FEN = 10**16  # 1,000,000 亿元: far above any province's turnover
_SLUG = re.compile(r"^\d{4}-\d{4}$")

#: Targets a period may set that the platform counts itself (beside the ones the
#: provincial authority reports, ledger.catalog.ENTERED_TARGETS).
COUNTED_TARGETS: tuple[Target, ...] = (
    Target("registered_managers", _l("Registered technology managers"), 100, "count", counted=True),
    Target(
        "registered_contracts", _l("Technology contracts registered in the period"), 0, "count", counted=True
    ),
    Target("docking_events", _l("Docking events and roadshows held in the period"), 0, "count", counted=True),
)
#: Every target a period may set, in the order the pages list them.
PERIOD_TARGETS: dict[str, Target] = {t.code: t for t in (*ENTERED_TARGETS, *COUNTED_TARGETS)}
#: The platform's own count beside a reported target (agencies approved on the platform).
_PLATFORM_ALSO = {"transfer_institutions"}


@dataclass
class Period:
    """A plan period as the pages and the API read it (built in or entered)."""

    slug: str
    title: str
    title_en: str | None
    starts_on: date
    ends_on: date
    turnover_target_fen: int
    yearly_path: dict[int, int]
    targets: dict[str, int]
    source: str
    builtin: bool = False
    current: bool = False
    years_official: dict[int, OfficialTurnover] = field(default_factory=dict)

    @property
    def display_title(self) -> str:
        locale = get_locale()
        if locale is not None and locale.language == "en" and self.title_en:
            return self.title_en
        return self.title

    @property
    def first_year(self) -> int:
        return self.starts_on.year

    @property
    def last_year(self) -> int:
        return self.ends_on.year

    def ended(self, today: date) -> bool:
        return self.ends_on < today

    def started(self, today: date) -> bool:
        return self.starts_on <= today


def builtin_period() -> Period:
    return Period(
        slug=BUILTIN_SLUG,
        title="黑龙江省科技成果产业化行动计划（2022-2025年）",
        title_en="Heilongjiang action plan for the industrialization of achievements (2022-2025)",
        starts_on=date(PLAN_FIRST_YEAR, 1, 1),
        ends_on=date(PLAN_LAST_YEAR, 12, 31),
        turnover_target_fen=TURNOVER_TARGET_FEN,
        yearly_path=dict(TURNOVER_PATH_FEN),
        targets={
            **{t.code: t.target for t in ENTERED_TARGETS},
            "registered_managers": managers.MANAGERS_TARGET,
        },
        source="黑龙江省人民政府办公厅《黑龙江省科技成果产业化行动计划（2022-2025年）》",
        builtin=True,
    )


def _from_row(row: PlanPeriod) -> Period:
    return Period(
        slug=row.slug,
        title=row.title,
        title_en=row.title_en,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        turnover_target_fen=row.turnover_target_fen,
        yearly_path={y.year: y.path_fen for y in row.years},
        targets=dict(row.targets or {}),
        source=row.source,
    )


@per_request
def all_periods(*, today: date | None = None) -> list[Period]:
    """Every period, oldest first, the current one marked."""
    today = today or today_shanghai()
    periods = [builtin_period()]
    periods += [_from_row(r) for r in db.session.scalars(select(PlanPeriod).order_by(PlanPeriod.starts_on))]
    periods.sort(key=lambda p: p.starts_on)
    current = next((p for p in periods if p.starts_on <= today <= p.ends_on), None)
    if current is None:
        started = [p for p in periods if p.started(today)]
        current = started[-1] if started else periods[0]
    current.current = True
    return periods


def get_period(slug: str | None, *, today: date | None = None) -> Period:
    """The period of that slug, or the current one for None/empty; NotFound otherwise."""
    periods = all_periods(today=today)
    if not slug:
        return next(p for p in periods if p.current)
    for period in periods:
        if period.slug == slug:
            return period
    raise NotFound(_l("There is no such plan period."))


def _check_fen(value, errors: dict, name: str, *, positive: bool = False) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < (1 if positive else 0):
        errors[name] = [
            _l("Enter a positive amount.") if positive else _l("Enter an amount that is not negative.")
        ]
    elif value > MAX_FEN:
        errors[name] = [_l("The amount is too large.")]


def create_period(
    *,
    slug: str,
    title: str,
    title_en: str | None,
    first_year: int,
    last_year: int,
    turnover_target_fen: int,
    yearly_path: dict[int, int],
    targets: dict[str, int] | None,
    source: str,
    actor: User,
) -> PlanPeriod:
    """Enter a plan period after 2022-2025 (the provincial regulator only)."""
    if not can_record_targets(actor):
        raise PermissionDenied(_l("Only the provincial registration authority enters plan periods."))
    errors: dict[str, list] = {}
    slug = (slug or "").strip()
    title = (title or "").strip()
    source = (source or "").strip()
    years_ok = isinstance(first_year, int) and isinstance(last_year, int)
    if not years_ok:
        errors["first_year"] = [_l("Enter the first and the last year.")]
    elif first_year <= PLAN_LAST_YEAR:
        errors["first_year"] = [_l("A new period starts after %(year)s.", year=PLAN_LAST_YEAR)]
    elif not first_year <= last_year <= first_year + 9:
        errors["last_year"] = [_l("The last year is the first year or up to nine years after it.")]
    if not slug and years_ok:
        slug = f"{first_year}-{last_year}"
    if not _SLUG.match(slug):
        errors["slug"] = [_l("Write the period as two years, such as 2026-2030.")]
    if not title:
        errors["title"] = [_l("Enter the title of the plan.")]
    elif len(title) > 200:
        errors["title"] = [_l("At most %(n)s characters.", n=200)]
    if title_en and len(title_en) > 300:
        errors["title_en"] = [_l("At most %(n)s characters.", n=300)]
    if not source:
        errors["source"] = [_l("Name the source of the targets.")]
    elif len(source) > 300:
        errors["source"] = [_l("At most %(n)s characters.", n=300)]
    _check_fen(turnover_target_fen, errors, "turnover_target_fen", positive=True)
    path = {}
    if years_ok and "first_year" not in errors and "last_year" not in errors:
        for year in range(first_year, last_year + 1):
            value = (yearly_path or {}).get(year)
            if value is None:
                errors.setdefault("yearly_path", []).append(_l("Enter the path of %(year)s.", year=year))
                continue
            _check_fen(value, errors, "yearly_path")
            path[year] = value
        extra = set(yearly_path or {}) - set(range(first_year, last_year + 1))
        if extra:
            errors.setdefault("yearly_path", []).append(_l("The path has years outside the period."))
    clean_targets: dict[str, int] = {}
    for code, value in (targets or {}).items():
        spec = PERIOD_TARGETS.get(code)
        if spec is None:
            errors.setdefault("targets", []).append(_l("Unknown target %(code)s.", code=code))
        elif not isinstance(value, int) or isinstance(value, bool) or value < 0 or value > 10**9:
            errors.setdefault("targets", []).append(
                _l("Enter a number that is not negative for %(target)s.", target=spec.label)
            )
        elif spec.unit == "share_bp" and value > 10_000:
            errors.setdefault("targets", []).append(_l("A share is at most 100 per cent."))
        else:
            clean_targets[code] = value
    if errors:
        raise ValidationError(fields=errors)
    # Two overlapping entries must not both pass the check, even into an empty table
    # (where locking the existing rows locks nothing): hold the table against writers.
    _lock_periods()
    others = list(db.session.scalars(select(PlanPeriod)))
    for other in others:
        if other.slug == slug:
            raise Conflict(_l("The period %(slug)s is already entered.", slug=slug))
        if other.starts_on.year <= last_year and first_year <= other.ends_on.year:
            raise Conflict(_l("The period overlaps %(slug)s.", slug=other.slug))
    row = PlanPeriod(
        slug=slug,
        title=title,
        title_en=(title_en or "").strip() or None,
        starts_on=date(first_year, 1, 1),
        ends_on=date(last_year, 12, 31),
        turnover_target_fen=turnover_target_fen,
        targets=clean_targets,
        source=source,
        recorded_by_id=actor.id,
    )
    row.years = [PlanPeriodYear(year=y, path_fen=v) for y, v in sorted(path.items())]
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:  # the unique slug, should a writer get past the lock
        raise Conflict(_l("The period %(slug)s is already entered.", slug=slug)) from None
    return row


def _lock_periods() -> None:
    """Until the transaction ends, no one else enters a period (PostgreSQL: a table
    lock that conflicts with itself and with inserts, readers are not held; SQLite:
    the write transaction already runs alone)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(f"LOCK TABLE {PlanPeriod.__tablename__} IN SHARE ROW EXCLUSIVE MODE"))


def record_official_turnover(
    *, year: int, turnover_fen: int, source: str, actor: User, today: date | None = None
) -> OfficialTurnover:
    """The province's official registered turnover of a year, with its source."""
    if not can_record_targets(actor):
        raise PermissionDenied(_l("Only the provincial registration authority enters the official turnover."))
    today = today or today_shanghai()
    errors: dict[str, list] = {}
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= today.year:
        errors["year"] = [_l("Enter a year from 2000 to this year.")]
    _check_fen(turnover_fen, errors, "turnover_fen")
    source = (source or "").strip()
    if not source:
        errors["source"] = [_l("Name the source of the figure.")]
    elif len(source) > 300:
        errors["source"] = [_l("At most %(n)s characters.", n=300)]
    if errors:
        raise ValidationError(fields=errors)
    row = OfficialTurnover(year=year, turnover_fen=turnover_fen, source=source, recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    return row


@per_request
def official_by_year() -> dict[int, OfficialTurnover]:
    """The latest official figure of each year."""
    latest = (
        select(OfficialTurnover.year, func.max(OfficialTurnover.id).label("id"))
        .group_by(OfficialTurnover.year)
        .subquery()
    )
    rows = db.session.scalars(select(OfficialTurnover).join(latest, OfficialTurnover.id == latest.c.id))
    return {r.year: r for r in rows}


def share_bp(part: int, whole: int) -> int | None:
    if whole <= 0:
        return None
    return (part * 10_000 * 2 + whole) // (whole * 2)


def period_progress(period: Period, *, today: date | None = None) -> dict:
    """A period's years: path, what the platform recorded, the official figure and
    the coverage (platform / official); totals against the target."""
    today = today or today_shanghai()
    summary = summarize(
        EntryFilter(scope=PROVINCE_CODE, year_from=period.first_year, year_to=period.last_year),
        group_by="year",
    )
    platform = {int(y): f.turnover_fen for y, f in summary.groups}
    official = official_by_year()
    rows = []
    platform_total = official_total = 0
    official_complete = True
    for year in range(period.first_year, period.last_year + 1):
        rec = platform.get(year, 0)
        off = official.get(year)
        platform_total += rec
        if off is not None:
            official_total += off.turnover_fen
        elif year <= today.year:
            official_complete = False
        rows.append(
            {
                "year": year,
                "path_fen": period.yearly_path.get(year),
                "platform_fen": rec,
                "official": off,
                "official_fen": off.turnover_fen if off else None,
                "coverage_bp": share_bp(rec, off.turnover_fen) if off else None,
                "future": year > today.year,
            }
        )
    # Progress by the official figures only when every year so far is published.
    use_official = bool(official_total) and official_complete
    best = official_total if use_official else platform_total
    return {
        "period": period,
        "ended": period.ended(today),
        "rows": rows,
        "platform_fen": platform_total,
        "official_fen": official_total if official_total else None,
        "official_complete": official_complete,
        "coverage_bp": share_bp(platform_total, official_total) if official_total else None,
        "progress_bp": share_bp(best, period.turnover_target_fen),
        "progress_basis": "official" if use_official else "platform",
        "official_years": sum(1 for r in rows if r["official"] is not None),
        "years_so_far": sum(1 for r in rows if not r["future"]),
        "targets": target_progress(period, today=today),
    }


def _period_bounds_utc(period: Period, today: date) -> tuple[datetime, datetime]:
    """From the period's first day to the end of today or of its last day (Beijing time), in UTC."""
    last = min(today, period.ends_on)
    return start_of_day_utc(period.starts_on), start_of_day_utc(last + timedelta(days=1))


def _events_held(period: Period, today: date) -> int:
    start, end = _period_bounds_utc(period, today)
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(DockingEvent)
            .where(
                DockingEvent.status != EventStatus.CANCELLED.value,
                DockingEvent.starts_at >= start,
                DockingEvent.starts_at < end,
                DockingEvent.starts_at <= utcnow(),
            )
        )
        or 0
    )


def target_progress(period: Period, *, today: date | None = None) -> list[dict]:
    """Each target the period sets, with what is known of it: the latest value the
    provincial authority reported (with its date and source), or the platform's own
    count; for counts, the progress toward the goal."""
    today = today or today_shanghai()
    reported = latest_target_values()
    counts = None
    contracts = None
    rows = []
    ordered = [c for c in PERIOD_TARGETS if c in period.targets]
    ordered += [c for c in period.targets if c not in PERIOD_TARGETS]
    for code in ordered:
        goal = period.targets[code]
        spec = PERIOD_TARGETS.get(code)
        if spec is None:  # a code no longer known: shown as entered, without progress
            rows.append(
                {
                    "code": code,
                    "spec": None,
                    "label": code,
                    "unit": "count",
                    "goal": goal,
                    "value": None,
                    "platform": None,
                    "basis": None,
                    "latest": None,
                    "progress_bp": None,
                }
            )
            continue
        value = platform = latest = None
        basis = None
        if spec.counted:
            basis = "platform"
            if code == "registered_managers":
                counts = counts or managers.plan_counts()
                value = counts["managers"]
            elif code == "registered_contracts":
                if contracts is None:
                    contracts = summarize(
                        EntryFilter(
                            scope=PROVINCE_CODE, year_from=period.first_year, year_to=period.last_year
                        ),
                        group_by="year",
                    ).totals.contracts
                value = contracts
            elif code == "docking_events":
                value = _events_held(period, today)
        else:
            latest = reported.get(code)
            if latest is not None:
                value, basis = latest.value, "reported"
            if code in _PLATFORM_ALSO:
                counts = counts or managers.plan_counts()
                platform = counts["institutions"]
        rows.append(
            {
                "code": code,
                "spec": spec,
                "label": spec.label,
                "unit": spec.unit,
                "goal": goal,
                "value": value,
                "platform": platform,
                "basis": basis,
                "latest": latest,
                "progress_bp": share_bp(value, goal) if spec.unit == "count" and value is not None else None,
            }
        )
    return rows


def target_json(row: dict) -> dict:
    latest = row["latest"]
    return {
        "code": row["code"],
        "label": str(row["label"]),
        "unit": row["unit"],
        "target": row["goal"],
        "value": row["value"],
        "basis": row["basis"],
        "platform_value": row["platform"],
        "measured_on": latest.measured_on.isoformat() if latest else None,
        "source": latest.source if latest else None,
        "progress_bp": row["progress_bp"],
    }


def period_json(period: Period) -> dict:
    return {
        "slug": period.slug,
        "title": period.title,
        "title_en": period.title_en,
        "starts_on": period.starts_on.isoformat(),
        "ends_on": period.ends_on.isoformat(),
        "turnover_target_fen": period.turnover_target_fen,
        "targets": period.targets,
        "yearly_path": [{"year": y, "path_fen": v} for y, v in sorted(period.yearly_path.items())],
        "source": period.source,
        "builtin": period.builtin,
        "current": period.current,
    }


def progress_json(progress: dict) -> dict:
    return {
        "plan": period_json(progress["period"]),
        "ended": progress["ended"],
        "platform_fen": progress["platform_fen"],
        "official_fen": progress["official_fen"],
        "coverage_bp": progress["coverage_bp"],
        "progress_bp": progress["progress_bp"],
        "progress_basis": progress["progress_basis"],
        "targets": [target_json(r) for r in progress["targets"]],
        "years": [
            {
                "year": r["year"],
                "path_fen": r["path_fen"],
                "platform_fen": r["platform_fen"],
                "official_fen": r["official_fen"],
                "official_source": r["official"].source if r["official"] else None,
                "coverage_bp": r["coverage_bp"],
            }
            for r in progress["rows"]
        ],
    }
