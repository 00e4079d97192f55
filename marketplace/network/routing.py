"""Which listings and demands belong to a node, computed by query (nothing is
copied into the listings' tables):

- the core node: all of them;
- a regional node: those of organizations registered in its region;
- a professional node: those of the institutions it names, and those of the
  industries it names.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true

from ..accounts.models import Organization
from ..listings.models import Demand, Listing
from .models import Node
from .states import NodeLevel


def _condition(node: Node, org_id_col, industry_col) -> ColumnElement[bool]:
    if node.level == NodeLevel.CORE.value:
        return true()
    if node.level == NodeLevel.REGIONAL.value:
        return org_id_col.in_(select(Organization.id).where(Organization.region_code == node.region_code))
    parts = []
    if node.institution_org_ids:
        parts.append(org_id_col.in_(list(node.institution_org_ids)))
    if node.industries:
        parts.append(industry_col.in_(list(node.industries)))
    return or_(*parts) if parts else false()


def listing_condition(node: Node) -> ColumnElement[bool]:
    return _condition(node, Listing.org_id, Listing.industry)


def demand_condition(node: Node) -> ColumnElement[bool]:
    return _condition(node, Demand.org_id, Demand.industry)


def node_listings(node: Node, *, published_only: bool = True):
    stmt = select(Listing).where(listing_condition(node))
    if published_only:
        stmt = stmt.where(Listing.status == "published")
    return stmt.order_by(Listing.published_at.desc(), Listing.id.desc())


def node_demands(node: Node, *, open_only: bool = True):
    stmt = select(Demand).where(demand_condition(node))
    if open_only:
        stmt = stmt.where(Demand.status == "open")
    return stmt.order_by(Demand.created_at.desc(), Demand.id.desc())


def belongs(node: Node, *, org: Organization, industry: str | None) -> bool:
    """The same rule in Python, for one object already loaded."""
    if node.level == NodeLevel.CORE.value:
        return True
    if node.level == NodeLevel.REGIONAL.value:
        return org.region_code == node.region_code
    return org.id in (node.institution_org_ids or []) or (
        industry is not None and industry in (node.industries or [])
    )
