"""Visibility is written twice: in Python (`permissions.can_view`, for one contract)
and in SQL (`visible_contracts_stmt`, for lists). Over a generated set of
contracts - every state, sellers in two cities and at province level, buyers on
and off the platform, with and without an agency - both must give the same
answer for everyone around them."""

from __future__ import annotations

import itertools

import pytest

from marketplace.contracts.models import Contract
from marketplace.contracts.permissions import can_view
from marketplace.contracts.services import visible_contracts_stmt
from marketplace.contracts.states import ContractStatus

from ..factories import ContractFactory, OrganizationFactory, UserFactory, user_with_role

HARBIN, DAQING, PROVINCE = "230100", "230600", "230000"


@pytest.fixture
def world(db):
    """Contracts in every state between a few organizations, and the people who
    may or may not see them."""
    harbin_uni = OrganizationFactory(kind="university", region_code=HARBIN)
    daqing_firm = OrganizationFactory(kind="enterprise", region_code=DAQING)
    provincial_institute = OrganizationFactory(kind="research_institute", region_code=PROVINCE)
    buyer_firm = OrganizationFactory(kind="enterprise", region_code=HARBIN)
    agency_org = OrganizationFactory(kind="agency", region_code=HARBIN)
    other_agency_org = OrganizationFactory(kind="agency", region_code=DAQING)

    contracts = []
    for status, seller, buyer, agency in itertools.product(
        ContractStatus,
        (harbin_uni, daqing_firm, provincial_institute),
        (buyer_firm, None),
        (agency_org, None),
    ):
        off_platform = {} if buyer else {"buyer_name": "深圳某科技有限公司", "buyer_place": "广东省深圳市"}
        contracts.append(
            ContractFactory(
                status=status.value,
                seller_org=seller,
                buyer_org=buyer,
                agency_org=agency,
                **off_platform,
            )
        )

    people = {
        "admin": user_with_role("admin"),
        "seller": user_with_role("seller", org=harbin_uni),
        "seller's colleague (buyer role)": user_with_role("buyer", org=harbin_uni),
        "seller's pending colleague": UserFactory(
            role="seller", organization=harbin_uni, membership="pending"
        ),
        "Daqing seller": user_with_role("seller", org=daqing_firm),
        "provincial seller": user_with_role("seller", org=provincial_institute),
        "buyer": user_with_role("buyer", org=buyer_firm),
        "buyer's colleague (seller role)": user_with_role("seller", org=buyer_firm),
        "outsider": user_with_role("buyer"),
        "agency": user_with_role("agency", org=agency_org),
        "agency's colleague": user_with_role("agency", org=agency_org),
        "another agency": user_with_role("agency", org=other_agency_org),
        "Harbin regulator": user_with_role("regulator", region=HARBIN),
        "Daqing regulator": user_with_role("regulator", region=DAQING),
        "provincial regulator": user_with_role("regulator", region=PROVINCE),
        "regulator of another city": user_with_role("regulator", region="230200"),
        "regulator not yet approved": user_with_role(
            "regulator", org=OrganizationFactory(kind="regulator", region_code=HARBIN, status="pending")
        ),
    }
    db.session.flush()
    return contracts, people


def test_the_set_covers_every_state(world):
    contracts, _people = world
    assert {c.status for c in contracts} == {s.value for s in ContractStatus}


def test_python_and_sql_visibility_agree_for_everyone(world, db):
    contracts, people = world
    ids = [c.id for c in contracts]
    seen_by_someone = set()
    for name, user in people.items():
        by_python = {c.id for c in contracts if can_view(user, c)}
        stmt = visible_contracts_stmt(user).where(Contract.id.in_(ids))
        by_sql = {c.id for c in db.session.scalars(stmt)}
        assert by_sql == by_python, name
        seen_by_someone |= by_python
        for status in ContractStatus:
            by_status = visible_contracts_stmt(user, status=status.value).where(Contract.id.in_(ids))
            got = {c.id for c in db.session.scalars(by_status)}
            want = {c.id for c in contracts if c.status == status.value and can_view(user, c)}
            assert got == want, (name, status)
    assert seen_by_someone == set(ids)


def test_the_generated_people_see_different_things(world):
    """The agreement is not empty: each kind of viewer sees some and not all."""
    contracts, people = world
    counts = {name: sum(can_view(user, c) for c in contracts) for name, user in people.items()}
    assert counts["admin"] == len(contracts)
    assert counts["outsider"] == counts["another agency"] == counts["regulator of another city"] == 0
    assert counts["seller's pending colleague"] == counts["regulator not yet approved"] == 0
    assert 0 < counts["Harbin regulator"] < counts["provincial regulator"] == len(contracts)
    assert 0 < counts["seller"] == counts["seller's colleague (buyer role)"] < len(contracts)
    assert 0 < counts["agency"] == counts["agency's colleague"] < len(contracts)
    assert counts["buyer"] == counts["buyer's colleague (seller role)"] > 0
