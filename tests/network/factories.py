"""Factories of the docking network tests: a small network (the core node, the
Harbin and Daqing regional nodes, a professional node) with operators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from marketplace.core.timeutil import utcnow
from marketplace.extensions import db
from marketplace.network import nodes
from marketplace.network.models import DockingEvent, Node
from tests import factories

HARBIN, DAQING = "230100", "230600"


@dataclass
class Net:
    core: Node
    harbin: Node
    daqing: Node
    core_op: object
    harbin_op: object
    daqing_op: object


def operator(node: Node, **kwargs):
    user = factories.UserFactory(role="agency", organization=node.organization, **kwargs)
    db.session.flush()
    nodes.add_operator(node, user)
    return user


def build_net() -> Net:
    core_org = factories.OrganizationFactory(name="黑龙江省技术市场", kind="agency", region_code="230000")
    orgs = {
        HARBIN: factories.OrganizationFactory(name="哈尔滨技术市场", kind="agency", region_code=HARBIN),
        DAQING: factories.OrganizationFactory(name="大庆技术市场", kind="agency", region_code=DAQING),
    }
    built = nodes.ensure_network(core_org, orgs)
    core = built[0]
    harbin = nodes.regional_node(HARBIN)
    daqing = nodes.regional_node(DAQING)
    return Net(core, harbin, daqing, operator(core), operator(harbin), operator(daqing))


def seller_in(region: str, kind: str = "university"):
    org = factories.OrganizationFactory(kind=kind, region_code=region)
    return factories.UserFactory(role="seller", organization=org)


def buyer_in(region: str):
    org = factories.OrganizationFactory(kind="enterprise", region_code=region)
    return factories.UserFactory(role="buyer", organization=org)


def matching_pair(region: str = HARBIN, *, listing_region: str | None = None):
    """A demand and a published listing that score well above 45 (same industry, same words)."""
    buyer = buyer_in(region)
    seller = seller_in(listing_region or region)
    listing = factories.ListingFactory(
        seller=seller,
        published=True,
        title_zh="大豆蛋白高效提取工艺",
        abstract_zh="提高大豆蛋白提取率的深加工工艺。",
        keywords=["大豆", "蛋白", "提取"],
    )
    listing.industry = "agri_processing"
    demand = factories.DemandFactory(
        buyer=buyer,
        title="大豆蛋白提取工艺",
        description="需要提高大豆蛋白提取率的工艺。",
        industry="agri_processing",
    )
    db.session.flush()
    return demand, listing


def event(node: Node, creator, *, capacity: int = 10, days: int = 7, **kwargs) -> DockingEvent:
    start = utcnow() + timedelta(days=days)
    row = DockingEvent(
        node_id=node.id,
        kind=kwargs.pop("kind", "roadshow"),
        title=kwargs.pop("title", "寒地农业技术路演"),
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        place=kwargs.pop("place", "哈尔滨市南岗区"),
        capacity=capacity,
        created_by_id=creator.id,
        **kwargs,
    )
    db.session.add(row)
    db.session.flush()
    return row
