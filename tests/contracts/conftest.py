"""Contract test helpers: the people around one contract."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from marketplace.accounts.models import User
from marketplace.contracts.models import Contract

from ..factories import ContractFactory, OrganizationFactory, user_with_role


@pytest.fixture
def in_request(app):
    """A request context, so translated messages and URLs can be rendered."""
    with app.test_request_context("/"):
        yield


@dataclass
class Cast:
    contract: Contract
    seller: User
    buyer: User
    agency: User
    regulator: User  # the seller city's authority (Harbin)
    province: User  # the provincial authority
    other_city: User  # Daqing's authority: out of scope
    outsider: User
    admin: User


@pytest.fixture
def cast(db):
    """A contract between a Harbin university and a Harbin enterprise, brokered by
    an agency, with everyone who may or may not see it."""

    def make(**kwargs) -> Cast:
        agency_org = OrganizationFactory(kind="agency", region_code="230100")
        contract = ContractFactory(agency_org=agency_org, **kwargs)
        cast = Cast(
            contract=contract,
            seller=user_with_role("seller", org=contract.seller_org),
            buyer=user_with_role("buyer", org=contract.buyer_org) if contract.buyer_org else None,
            agency=user_with_role("agency", org=agency_org),
            regulator=user_with_role("regulator", region="230100"),
            province=user_with_role("regulator", region="230000"),
            other_city=user_with_role("regulator", region="230600"),
            outsider=user_with_role("buyer"),
            admin=user_with_role("admin"),
        )
        db.session.flush()
        return cast

    return make
