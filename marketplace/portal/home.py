"""What the home page shows beside its welcome: the newest listings and demands,
and this year's registered turnover and deals on the platform (the public
figures of the ledger, as the targets page shows them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload

from ..core.catalog import PROVINCE_CODE
from ..core.timeutil import today_shanghai
from ..extensions import db
from ..ledger.services import EntryFilter, summarize
from ..listings.models import Demand, Listing

#: How many listings and demands the home page shows.
LATEST = 6


def latest_listings(limit: int = LATEST) -> list[Listing]:
    """The newest published listings with their organization, in one query: the page
    shows a title, the organization, the industry and the price, so none of the
    listing's other relations (assets, terms, consents) is loaded."""
    return list(
        db.session.scalars(
            select(Listing)
            .where(Listing.status == "published")
            .options(lazyload("*"), joinedload(Listing.organization))
            .order_by(Listing.published_at.desc(), Listing.id.desc())
            .limit(limit)
        )
    )


def latest_demands(limit: int = LATEST) -> list[Demand]:
    return list(
        db.session.scalars(
            select(Demand)
            .where(Demand.status == "open")
            .options(lazyload("*"), joinedload(Demand.organization))
            .order_by(Demand.created_at.desc(), Demand.id.desc())
            .limit(limit)
        )
    )


def front_page() -> dict[str, Any]:
    year = today_shanghai().year
    totals = summarize(EntryFilter(scope=PROVINCE_CODE, year=year)).totals
    return {
        "latest_listings": latest_listings(),
        "latest_demands": latest_demands(),
        "year": year,
        "year_turnover_fen": totals.turnover_fen,
        "year_contracts": totals.contracts,
    }
