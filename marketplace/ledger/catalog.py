"""Code lists of the ledger: entry kinds, contract categories, report
dimensions, and the action plan's targets (../shared/DOMAIN.md)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ..core.catalog import (
    CITY_CODES,
    INDUSTRIES,
    ORG_KINDS,
    OUT_OF_PROVINCE,
    REGIONS,
    industry_label,
    org_kind_label,
    region_label,
)
from ..core.money import FEN_PER_YI

ENTRY_KINDS: dict[str, object] = {
    "registration": _l("Registration"),
    "amendment": _l("Amendment"),
    "cancellation": _l("Cancellation"),
}

# Technology-contract categories of the national registration rules.
CATEGORIES: dict[str, object] = {
    "development_commissioned": _l("Technology development (commissioned)"),
    "development_cooperative": _l("Technology development (cooperative)"),
    "transfer_patent": _l("Technology transfer: patent right"),
    "transfer_patent_application": _l("Technology transfer: patent application right"),
    "transfer_technical_secret": _l("Technology transfer: technical secret"),
    "transfer_other": _l("Technology transfer: other rights"),
    "license_patent": _l("Technology licensing: patent"),
    "license_technical_secret": _l("Technology licensing: technical secret"),
    "license_software_copyright": _l("Technology licensing: software copyright"),
    "license_ic_layout": _l("Technology licensing: IC layout design"),
    "license_plant_variety": _l("Technology licensing: new plant variety"),
    "consulting": _l("Technology consulting"),
    "service": _l("Technology service"),
    "service_training": _l("Technology service: training"),
    "service_intermediary": _l("Technology service: intermediary"),
}

# Regions a seller registering here can be in (not "outside the province").
SELLER_REGIONS = tuple(code for code in REGIONS if code != OUT_OF_PROVINCE)

# The report dimensions: name of the `group_by` parameter -> entry column.
GROUP_BY = {
    "year": "year",
    "region": "seller_region",
    "industry": "industry",
    "org_kind": "seller_org_kind",
    "category": "category",
}
GROUP_BY_LABELS: dict[str, object] = {
    "year": _l("Year"),
    "region": _l("City"),
    "industry": _l("Industry"),
    "org_kind": _l("Organization kind"),
    "category": _l("Contract category"),
}


def entry_kind_label(code: str | None) -> str:
    label = ENTRY_KINDS.get(code or "")
    return str(label) if label is not None else (code or "")


def category_label(code: str | None) -> str:
    label = CATEGORIES.get(code or "")
    return str(label) if label is not None else (code or "")


def dimension_label(group_by: str, key: object) -> str:
    """The label a reader sees for a group key."""
    if group_by == "year":
        return str(key)
    if group_by == "region":
        return region_label(str(key))
    if group_by == "industry":
        return industry_label(str(key))
    if group_by == "org_kind":
        return org_kind_label(str(key))
    if group_by == "category":
        return category_label(str(key))
    return str(key)


def dimension_order(group_by: str) -> tuple:
    """Every key of a dimension, in the order reports list them (years excluded)."""
    if group_by == "region":
        return ("230000", *CITY_CODES)
    if group_by == "industry":
        return tuple(INDUSTRIES)
    if group_by == "org_kind":
        return tuple(ORG_KINDS)
    if group_by == "category":
        return tuple(CATEGORIES)
    return ()


# --- The action plan (2022-2025) ---------------------------------------------

PLAN_FIRST_YEAR = 2022
PLAN_LAST_YEAR = 2025
PLAN_YEARS = tuple(range(PLAN_FIRST_YEAR, PLAN_LAST_YEAR + 1))
TURNOVER_TARGET_FEN = 2 * 10**13  # 200 billion yuan, 2022-2025 together

# The plan sets only the four-year total. Our yearly path (an assumption,
# shown on the dashboard and in the README): growth of about 15 % a year
# from 400 亿元 in 2022, which sums exactly to the 2,000 亿元 target.
TURNOVER_PATH_FEN: dict[int, int] = {
    2022: 400 * FEN_PER_YI,
    2023: 460 * FEN_PER_YI,
    2024: 530 * FEN_PER_YI,
    2025: 610 * FEN_PER_YI,
}
assert sum(TURNOVER_PATH_FEN.values()) == TURNOVER_TARGET_FEN


@dataclass(frozen=True)
class Target:
    """One target of the action plan."""

    code: str
    label: object
    target: int  # a count, or basis points for a share (1 % = 100)
    unit: str  # "count" or "share_bp"
    at_least: bool = False  # "more than" rather than "reach"
    counted: bool = False  # the platform counts it itself (not entered by hand)


# Targets the provincial regulator enters (the platform cannot count them).
ENTERED_TARGETS: tuple[Target, ...] = (
    Target("high_tech_enterprises", _l("High-tech enterprises"), 5000, "count"),
    Target("specialized_smes", _l('"Specialized and special new" SMEs'), 3000, "count"),
    Target("innovation_platforms", _l("Provincial-level innovation platforms"), 100, "count", at_least=True),
    Target("transfer_institutions", _l("Technology transfer institutions in the province"), 100, "count"),
    Target("industrialization_bases", _l("Achievement industrialization bases"), 10, "count"),
    Target("incubated_startups", _l("Start-up technology enterprises incubated"), 2000, "count"),
    Target(
        "hightech_investment_share",
        _l("High-tech industry investment, share of fixed-asset investment"),
        1100,
        "share_bp",
    ),
    Target(
        "new_product_share",
        _l(
            "New-product sales revenue, share of operating revenue (industrial enterprises above designated size)"
        ),
        2100,
        "share_bp",
    ),
)
ENTERED_TARGET_CODES = tuple(t.code for t in ENTERED_TARGETS)
TARGETS_BY_CODE = {t.code: t for t in ENTERED_TARGETS}

# Achievements industrialized by 2025: 1,200 = 600 / 300 / 300 by source kind.
INDUSTRIALIZED_TARGET = 1200
INDUSTRIALIZED_BY_SOURCE = {"university": 600, "research_institute": 300, "enterprise": 300}
