"""Nodes, operators and routing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.core.errors import Conflict, PermissionDenied, ValidationError
from marketplace.extensions import db
from marketplace.network import nodes, permissions, routing
from marketplace.network.models import Node
from tests import factories

from .factories import DAQING, HARBIN, buyer_in, operator, seller_in


def test_ensure_network_is_idempotent_and_has_one_node_per_city(db):
    core_org = factories.OrganizationFactory(kind="agency", region_code="230000")
    from marketplace.core.catalog import CITY_CODES

    orgs = {code: factories.OrganizationFactory(kind="agency", region_code=code) for code in CITY_CODES}
    first = nodes.ensure_network(core_org, orgs)
    second = nodes.ensure_network(core_org, orgs)
    assert len(first) == 14 == len(second)
    assert [n.id for n in first] == [n.id for n in second]
    assert db.session.scalar(select(db.func.count()).select_from(Node)) == 14
    assert all(n.parent_id == first[0].id for n in first[1:])


def test_routing_by_region(net):
    harbin_listing = factories.ListingFactory(seller=seller_in(HARBIN), published=True)
    daqing_listing = factories.ListingFactory(seller=seller_in(DAQING), published=True)
    harbin_demand = factories.DemandFactory(buyer=buyer_in(HARBIN))
    ids = set(db.session.scalars(routing.node_listings(net.harbin).with_only_columns(factories.Listing.id)))
    assert harbin_listing.id in ids and daqing_listing.id not in ids
    core_ids = set(
        db.session.scalars(routing.node_listings(net.core).with_only_columns(factories.Listing.id))
    )
    assert {harbin_listing.id, daqing_listing.id} <= core_ids
    demand_ids = set(
        db.session.scalars(routing.node_demands(net.daqing).with_only_columns(factories.Demand.id))
    )
    assert harbin_demand.id not in demand_ids


def test_professional_node_routes_by_institution_and_industry(net):
    hit = factories.OrganizationFactory(name="哈尔滨工业大学", kind="university", region_code=HARBIN)
    node = nodes.create_professional_node(
        slug="hit-ttc",
        name="哈工大技术转移中心",
        name_en=None,
        org=hit,
        institution_org_ids=[hit.id],
        industries=["new_materials"],
        actor=net.core_op,
    )
    own = factories.ListingFactory(
        seller=factories.UserFactory(role="seller", organization=hit), published=True
    )
    other = factories.ListingFactory(seller=seller_in(DAQING), published=True)
    other.industry = "new_materials"
    third = factories.ListingFactory(seller=seller_in(DAQING), published=True)
    third.industry = "digital"
    db.session.flush()
    ids = set(db.session.scalars(routing.node_listings(node).with_only_columns(factories.Listing.id)))
    assert own.id in ids and other.id in ids and third.id not in ids
    assert node.parent_id == net.core.id
    # the core operator oversees it; Harbin's does not
    assert permissions.can_operate(net.core_op, node)
    assert not permissions.can_operate(net.harbin_op, node)


@pytest.mark.parametrize("who", ["harbin_op", "daqing_op"])
def test_only_the_core_node_creates_professional_nodes(net, who):
    with pytest.raises(PermissionDenied):
        nodes.create_professional_node(
            slug="x-node",
            name="X",
            name_en=None,
            org=net.harbin.organization,
            institution_org_ids=[],
            industries=["digital"],
            actor=getattr(net, who),
        )


def test_professional_node_fields_all_at_once(net):
    with pytest.raises(ValidationError) as err:
        nodes.create_professional_node(
            slug="A",
            name="",
            name_en=None,
            org=None,
            institution_org_ids=[],
            industries=["nope"],
            actor=net.core_op,
        )
    assert set(err.value.fields) == {"slug", "name", "org_id", "industries"}


def test_duplicate_slug_conflicts(net):
    kwargs = dict(
        name="N",
        name_en=None,
        org=net.harbin.organization,
        institution_org_ids=[],
        industries=["digital"],
        actor=net.core_op,
    )
    nodes.create_professional_node(slug="same-node", **kwargs)
    with pytest.raises(Conflict):
        nodes.create_professional_node(slug="same-node", **kwargs)


def test_operator_applies_and_the_node_above_approves(net):
    person = factories.UserFactory(role="agency", organization=net.daqing.organization)
    row = nodes.apply_as_operator(net.daqing, actor=person)
    assert row.status == "pending"
    assert not permissions.can_operate(person, net.daqing)
    # Harbin's operator is not above Daqing; Daqing's own operator neither
    for stranger in (net.harbin_op, net.daqing_op):
        with pytest.raises(PermissionDenied):
            nodes.decide_operator(row, approve=True, actor=stranger)
    nodes.decide_operator(row, approve=True, actor=net.core_op)
    assert permissions.can_operate(person, net.daqing)
    assert not permissions.can_operate(person, net.harbin)


def test_only_people_of_the_nodes_organization_apply(net):
    outsider = factories.UserFactory(role="agency")
    with pytest.raises(PermissionDenied):
        nodes.apply_as_operator(net.harbin, actor=outsider)


def test_core_operators_are_approved_by_an_admin(net):
    person = factories.UserFactory(role="agency", organization=net.core.organization)
    row = nodes.apply_as_operator(net.core, actor=person)
    with pytest.raises(PermissionDenied):
        nodes.decide_operator(row, approve=True, actor=net.core_op)
    admin = factories.user_with_role("admin")
    nodes.decide_operator(row, approve=True, actor=admin)
    assert row.status == "approved"


def test_revoked_operator_loses_the_node(net):
    extra = operator(net.harbin)
    row = nodes.operators_of(net.harbin)[-1]
    assert row.user_id == extra.id
    nodes.decide_operator(row, approve=False, actor=net.core_op)
    assert not permissions.can_operate(extra, net.harbin)
