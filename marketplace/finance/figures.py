"""The figures regulators report: pledge loans (count, amount, outstanding, defaults,
risk shared) and confirmed investments, by year, region or institution.

A loan counts in the year it was signed (Asia/Shanghai date); an investment in
the year it was made. A city regulator sees its city; the provincial one all.
A fixed number of queries whatever the number of rows (aggregated in SQL).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from ..accounts.models import Organization, User
from ..core.catalog import PROVINCE_CODE, industry_label, region_label
from ..core.errors import ValidationError
from ..extensions import db
from .models import DefaultProceeds, Investment, PledgeLoan, RiskShare
from .states import DEFAULT_STATES, LENT_STATES, InvestmentStatus, LoanStatus

GROUPS = ("year", "region", "bank", "industry")
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass
class Row:
    key: Any
    label: str
    loans: int = 0
    amount_fen: int = 0
    outstanding_fen: int = 0
    defaults: int = 0
    default_amount_fen: int = 0
    proceeds_fen: int = 0
    risk_shared_fen: int = 0
    investments: int = 0
    investment_fen: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "loans": self.loans,
            "amount_fen": self.amount_fen,
            "outstanding_fen": self.outstanding_fen,
            "defaults": self.defaults,
            "default_amount_fen": self.default_amount_fen,
            "proceeds_fen": self.proceeds_fen,
            "risk_shared_fen": self.risk_shared_fen,
            "investments": self.investments,
            "investment_fen": self.investment_fen,
        }


@dataclass
class Summary:
    group_by: str
    year: int | None
    rows: list[Row] = field(default_factory=list)
    total: Row = field(default_factory=lambda: Row(key=None, label=""))

    def to_dict(self) -> dict[str, Any]:
        return {
            "group_by": self.group_by,
            "year": self.year,
            "rows": [r.to_dict() for r in self.rows],
            "total": self.total.to_dict(),
        }


def parse_args(year: Any, group_by: Any) -> tuple[int | None, str]:
    errors: dict[str, list] = {}
    parsed_year = None
    if year not in (None, ""):
        try:
            parsed_year = int(year)
        except (TypeError, ValueError):
            parsed_year = None
        if parsed_year is None or not MIN_YEAR <= parsed_year <= MAX_YEAR:
            errors["year"] = [_l("Enter a year from %(low)s to %(high)s.", low=MIN_YEAR, high=MAX_YEAR)]
    group = group_by or "year"
    if group not in GROUPS:
        errors["group_by"] = [_l("Group by year, region, bank or industry.")]
    if errors:
        raise ValidationError(fields=errors)
    return parsed_year, group


def _scope_filter(column, user: User | None):
    scope = user.scope_region if user is not None and not user.is_admin else None
    if scope is None or scope == PROVINCE_CODE:
        return None
    return column.like(scope[:4] + "%")


def summary(*, year: int | None = None, group_by: str = "year", user: User | None = None) -> Summary:
    loan_year = func.extract("year", PledgeLoan.signed_on)
    inv_year = func.extract("year", Investment.invested_on)
    loan_key = {
        "year": loan_year,
        "region": PledgeLoan.region_code,
        "bank": PledgeLoan.bank_org_id,
        "industry": PledgeLoan.industry,
    }[group_by]
    inv_key = {
        "year": inv_year,
        "region": Investment.region_code,
        "bank": Investment.investor_org_id,
        "industry": Investment.industry,
    }[group_by]

    def loan_filters(stmt):
        stmt = stmt.where(PledgeLoan.status.in_([s.value for s in LENT_STATES]))
        if year is not None:
            stmt = stmt.where(loan_year == year)
        scoped = _scope_filter(PledgeLoan.region_code, user)
        return stmt.where(scoped) if scoped is not None else stmt

    is_signed = PledgeLoan.status == LoanStatus.SIGNED.value
    is_defaulted = PledgeLoan.status.in_([s.value for s in DEFAULT_STATES])
    loans = db.session.execute(
        loan_filters(
            select(
                loan_key,
                func.count(),
                func.coalesce(func.sum(PledgeLoan.amount_fen), 0),
                func.coalesce(func.sum(case((is_signed | is_defaulted, PledgeLoan.amount_fen), else_=0)), 0),
                func.coalesce(func.sum(case((is_defaulted, 1), else_=0)), 0),
                func.coalesce(func.sum(case((is_defaulted, PledgeLoan.amount_fen), else_=0)), 0),
            )
        ).group_by(loan_key)
    ).all()
    proceeds = dict(
        db.session.execute(
            loan_filters(
                select(loan_key, func.coalesce(func.sum(DefaultProceeds.amount_fen), 0)).join(
                    DefaultProceeds, DefaultProceeds.loan_id == PledgeLoan.id
                )
            )
            .where(is_defaulted)
            .group_by(loan_key)
        ).all()
    )
    shared = dict(
        db.session.execute(
            loan_filters(
                select(
                    loan_key, func.coalesce(func.sum(PledgeLoan.amount_fen * RiskShare.share_bp // 10_000), 0)
                ).join(RiskShare, RiskShare.loan_id == PledgeLoan.id)
            ).group_by(loan_key)
        ).all()
    )
    inv_stmt = select(inv_key, func.count(), func.coalesce(func.sum(Investment.amount_fen), 0)).where(
        Investment.status == InvestmentStatus.CONFIRMED.value
    )
    if year is not None:
        inv_stmt = inv_stmt.where(inv_year == year)
    scoped = _scope_filter(Investment.region_code, user)
    if scoped is not None:
        inv_stmt = inv_stmt.where(scoped)
    investments = db.session.execute(inv_stmt.group_by(inv_key)).all()

    rows: dict[Any, Row] = {}

    def row(key) -> Row:
        key = int(key) if group_by in ("year", "bank") and key is not None else key
        if key not in rows:
            rows[key] = Row(key=key, label="")
        return rows[key]

    for key, count, amount, exposed, defaults, default_amount in loans:
        r = row(key)
        r.loans, r.amount_fen, r.defaults, r.default_amount_fen = (
            int(count),
            int(amount),
            int(defaults),
            int(default_amount),
        )
        r.outstanding_fen = int(exposed)
    for key, value in proceeds.items():
        r = row(key)
        r.proceeds_fen = int(value)
        r.outstanding_fen = max(r.outstanding_fen - int(value), 0)
    for key, value in shared.items():
        row(key).risk_shared_fen = int(value)
    for key, count, amount in investments:
        r = row(key)
        r.investments, r.investment_fen = int(count), int(amount)
    names: dict[int, str] = {}
    if group_by == "bank" and rows:
        names = dict(
            db.session.execute(
                select(Organization.id, Organization.name).where(Organization.id.in_(list(rows)))
            )
            .tuples()
            .all()
        )
    for key, r in rows.items():
        if group_by == "year":
            r.label = str(key)
        elif group_by == "region":
            r.label = region_label(key)
        elif group_by == "industry":
            r.label = industry_label(key) if key else str(_l("Not given"))
        else:
            r.label = names.get(key, str(key))
    ordered = sorted(
        rows.values(), key=lambda r: (r.key is None, r.key if group_by in ("year", "region") else r.label)
    )
    total = Row(key=None, label=str(_l("Total")))
    for r in ordered:
        for name in (
            "loans",
            "amount_fen",
            "outstanding_fen",
            "defaults",
            "default_amount_fen",
            "proceeds_fen",
            "risk_shared_fen",
            "investments",
            "investment_fen",
        ):
            setattr(total, name, getattr(total, name) + getattr(r, name))
    return Summary(group_by=group_by, year=year, rows=ordered, total=total)
