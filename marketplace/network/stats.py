"""Node statistics by month (Asia/Shanghai): listings published, demands posted,
matches followed up (distinct pairs), follow-ups, events, offers, contracts
signed and registered turnover; and the core node's side-by-side comparison of
the regional nodes. One grouped query per figure, whatever the number of rows."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, cast, distinct, false, func, literal_column, or_, select

from ..accounts.models import Organization
from ..contracts.models import Contract
from ..core.catalog import CITY_CODES
from ..core.timeutil import start_of_day_utc, today_shanghai, utcnow
from ..extensions import db
from ..ledger.models import LedgerEntry
from ..listings.models import Demand, Listing
from ..offers.models import Offer
from . import routing
from .models import DockingEvent, FollowUp, Node, NodeOperator
from .states import NodeLevel, OperatorStatus

FIGURES = ("listings", "demands", "matches", "follow_ups", "events", "offers", "contracts", "turnover_fen")


def _month(col, *, is_date: bool = False):
    """'YYYY-MM' of a UTC timestamp in Beijing time (or of a date), on SQLite and PostgreSQL."""
    if db.engine.dialect.name == "postgresql":
        if is_date:
            return func.to_char(col, "YYYY-MM")
        return func.to_char(func.timezone("Asia/Shanghai", col), "YYYY-MM")
    if is_date:
        return func.strftime("%Y-%m", col)
    return func.strftime("%Y-%m", col, "+8 hours")


def months_back(n: int, today: date | None = None) -> list[str]:
    today = today or today_shanghai()
    y, m = today.year, today.month
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        m -= 1
        if m == 0:
            y, m = y - 1, 12
    return list(reversed(out))


def _start(months: list[str]) -> date:
    y, m = months[0].split("-")
    return date(int(y), int(m), 1)


def _grouped(month, count, *where) -> dict[str, int]:
    """{month: n} for the rows `where` selects."""
    return {
        r[0]: int(r[1] or 0) for r in db.session.execute(select(month, count).where(*where).group_by(month))
    }


def _pair():
    """One number per (demand, listing) pair, to count distinct pairs on SQLite and PostgreSQL."""
    return cast(FollowUp.demand_id, BigInteger) * literal_column("2147483648") + FollowUp.listing_id


def node_monthly(node: Node, *, months: int = 12, today: date | None = None) -> list[dict]:
    """One row per month, oldest first, with the eight figures."""
    labels = months_back(months, today)
    start = _start(labels)
    cond_listing = routing.listing_condition(node)
    cond_demand = routing.demand_condition(node)
    since = start_of_day_utc(start)
    mine = [] if node.level == NodeLevel.CORE.value else [FollowUp.node_id == node.id]
    mine_ev = [] if node.level == NodeLevel.CORE.value else [DockingEvent.node_id == node.id]
    m_fu = _month(FollowUp.created_at)
    out = {
        "listings": _grouped(
            _month(Listing.published_at), func.count(Listing.id), cond_listing, Listing.published_at >= since
        ),
        "demands": _grouped(
            _month(Demand.created_at), func.count(Demand.id), cond_demand, Demand.created_at >= since
        ),
        "follow_ups": _grouped(m_fu, func.count(FollowUp.id), FollowUp.created_at >= since, *mine),
        "matches": _grouped(m_fu, func.count(distinct(_pair())), FollowUp.created_at >= since, *mine),
        "events": _grouped(
            _month(DockingEvent.starts_at),
            func.count(DockingEvent.id),
            DockingEvent.starts_at >= since,
            *mine_ev,
        ),
        "offers": _grouped(
            _month(Offer.created_at),
            func.count(Offer.id),
            Offer.listing_id.in_(select(Listing.id).where(cond_listing)),
            Offer.created_at >= since,
        ),
        "contracts": _grouped(
            _month(Contract.signed_on, is_date=True),
            func.count(Contract.id),
            _seller_condition(node),
            Contract.signed_on >= start,
        ),
    }
    out["turnover_fen"] = _turnover(node, start)
    return [{"month": m, **{f: out[f].get(m, 0) for f in FIGURES}} for m in labels]


def _seller_condition(node: Node):
    if node.level == NodeLevel.CORE.value:
        return Contract.id.isnot(None)
    if node.level == NodeLevel.REGIONAL.value:
        return Contract.seller_org_id.in_(
            select(Organization.id).where(Organization.region_code == node.region_code)
        )
    ids = list(node.institution_org_ids or [])
    parts = []
    if ids:
        parts.append(Contract.seller_org_id.in_(ids))
    if node.industries:
        parts.append(Contract.industry.in_(list(node.industries)))
    return or_(*parts) if parts else false()


def _turnover(node: Node, start: date) -> dict:
    m = _month(LedgerEntry.effective_on, is_date=True)
    where = [LedgerEntry.effective_on >= start]
    if node.level == NodeLevel.REGIONAL.value:
        where.append(LedgerEntry.seller_region == node.region_code)
    elif node.level == NodeLevel.PROFESSIONAL.value:
        contract_ids = select(Contract.id).where(_seller_condition(node))
        where.append(LedgerEntry.contract_id.in_(contract_ids))
    return {
        r[0]: int(r[1] or 0)
        for r in db.session.execute(
            select(m, func.sum(LedgerEntry.turnover_delta_fen)).where(*where).group_by(m)
        )
    }


def regional_comparison(*, months: int = 12, today: date | None = None) -> list[dict]:
    """The regional nodes side by side: each figure summed over the last `months` months."""
    labels = months_back(months, today)
    start = _start(labels)
    since = start_of_day_utc(start)
    nodes = {
        n.region_code: n
        for n in db.session.scalars(select(Node).where(Node.level == NodeLevel.REGIONAL.value))
    }
    by_region = {code: dict.fromkeys(FIGURES, 0) for code in CITY_CODES}

    def add(rows, figure):
        for region, n in rows:
            if region in by_region:
                by_region[region][figure] += int(n or 0)

    org_region = Organization.region_code
    add(
        db.session.execute(
            select(org_region, func.count(Listing.id))
            .join(Organization, Organization.id == Listing.org_id)
            .where(Listing.published_at >= since)
            .group_by(org_region)
        ),
        "listings",
    )
    add(
        db.session.execute(
            select(org_region, func.count(Demand.id))
            .join(Organization, Organization.id == Demand.org_id)
            .where(Demand.created_at >= since)
            .group_by(org_region)
        ),
        "demands",
    )
    add(
        db.session.execute(
            select(org_region, func.count(Offer.id))
            .join(Organization, Organization.id == Offer.seller_org_id)
            .where(Offer.created_at >= since)
            .group_by(org_region)
        ),
        "offers",
    )
    add(
        db.session.execute(
            select(org_region, func.count(Contract.id))
            .join(Organization, Organization.id == Contract.seller_org_id)
            .where(Contract.signed_on >= start)
            .group_by(org_region)
        ),
        "contracts",
    )
    add(
        db.session.execute(
            select(LedgerEntry.seller_region, func.sum(LedgerEntry.turnover_delta_fen))
            .where(LedgerEntry.effective_on >= start)
            .group_by(LedgerEntry.seller_region)
        ),
        "turnover_fen",
    )
    node_region = {n.id: code for code, n in nodes.items()}
    for node_id, n, pairs in db.session.execute(
        select(FollowUp.node_id, func.count(FollowUp.id), func.count(distinct(_pair())))
        .where(FollowUp.created_at >= since)
        .group_by(FollowUp.node_id)
    ):
        region = node_region.get(node_id)
        if region:
            by_region[region]["follow_ups"] += int(n)
            by_region[region]["matches"] += int(pairs)
    for node_id, n in db.session.execute(
        select(DockingEvent.node_id, func.count(DockingEvent.id))
        .where(DockingEvent.starts_at >= since)
        .group_by(DockingEvent.node_id)
    ):
        region = node_region.get(node_id)
        if region:
            by_region[region]["events"] += int(n)
    return [{"region": code, "node": nodes.get(code), **by_region[code]} for code in CITY_CODES]


def node_counts(node_ids: list[int]) -> dict[int, dict]:
    """Counts the node list shows: operators and upcoming/all events (two queries)."""

    out = {i: {"operators": 0, "events": 0} for i in node_ids}
    for nid, n in db.session.execute(
        select(NodeOperator.node_id, func.count())
        .where(NodeOperator.status == OperatorStatus.APPROVED.value)
        .group_by(NodeOperator.node_id)
    ):
        if nid in out:
            out[nid]["operators"] = int(n)
    for nid, n in db.session.execute(
        select(DockingEvent.node_id, func.count())
        .where(DockingEvent.ends_at >= utcnow())
        .group_by(DockingEvent.node_id)
    ):
        if nid in out:
            out[nid]["events"] = int(n)
    return out
