"""Industrialization test helpers: a registered licence contract covering one
asset of the seller (a Harbin university), with its buyer and agency."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from marketplace.contracts.models import Contract
from marketplace.ip.models import IpAsset
from tests import factories

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Deal:
    contract: Contract
    asset: IpAsset
    seller: object
    buyer: object
    agency: object


@pytest.fixture
def in_request(app):
    with app.test_request_context("/"):
        yield


@pytest.fixture
def make_deal(db):
    def _make(
        *, category: str = "license_patent", status: str = "registered", asset=None, seller_kind="university"
    ):
        seller = factories.user_with_role("seller")
        seller.organization.kind = seller_kind
        buyer = factories.user_with_role("buyer")
        agency = factories.user_with_role("agency")
        asset = asset or factories.IpAssetFactory(owned_by=seller.organization)
        contract = factories.registered_contract(
            assets=[asset],
            category=category,
            status=status,
            seller_org=seller.organization,
            buyer_org=buyer.organization,
            agency_org=agency.organization,
        )
        return Deal(contract=contract, asset=asset, seller=seller, buyer=buyer, agency=agency)

    return _make


def report_kwargs(deal: Deal, **overrides):
    from datetime import date

    values = {
        "asset_id": deal.asset.id,
        "stage": "production_started",
        "achieved_on": date(2025, 3, 1),
        "output_value_fen": 5_000_000_00,
        "sales_fen": None,
        "units": 1200,
        "jobs": 35,
        "description": "新建生产线投产，年产负极材料1200吨。",
    }
    values.update(overrides)
    return values
