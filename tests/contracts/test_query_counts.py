"""The contract pages and endpoints run as many SQL statements for 20 rows as for 1:
the paid sums of all milestones come in one query, the assets in one, and each
relation the page shows is loaded by the query (no statement per row)."""

from __future__ import annotations

from datetime import date

import pytest

from marketplace.contracts.models import Contract, ContractAsset

from ..factories import (
    ContractFactory,
    IpAssetFactory,
    OrganizationFactory,
    PaymentFactory,
    user_with_role,
)

ROW_FEN = 10_000_00


def _contract_with(rows: int, seller_org, buyer_org) -> Contract:
    """A contract with `rows` milestones (each with a confirmed payment) and `rows` assets."""
    contract = ContractFactory(
        seller_org=seller_org,
        buyer_org=buyer_org,
        turnover_fen=rows * ROW_FEN,
        tech_income_fen=rows * ROW_FEN,
        milestones=[(date(2025, 1 + i % 12, 1 + i // 12), ROW_FEN) for i in range(rows)],
    )
    for _i in range(rows):
        asset = IpAssetFactory(owned_by=seller_org)
        contract.asset_links.append(ContractAsset(asset_id=asset.id))
    for milestone in contract.milestones:
        PaymentFactory(milestone=milestone, confirmed=True, amount_fen=ROW_FEN // 2)
    return contract


@pytest.fixture
def two_contracts(db):
    """One seller with a contract of 1 row and one of 20 rows."""
    seller_org = OrganizationFactory(kind="university")
    buyer_org = OrganizationFactory(kind="enterprise")
    one = _contract_with(1, seller_org, buyer_org)
    twenty = _contract_with(20, seller_org, buyer_org)
    seller = user_with_role("seller", org=seller_org)
    db.session.flush()
    return seller, one, twenty


def _measure(count_queries, call, urls: list[str]) -> list[int]:
    """The statements of each call, after one call of each to warm up."""
    for url in urls:
        assert call(url).status_code == 200
    counts = []
    for url in urls:
        with count_queries() as q:
            response = call(url)
        assert response.status_code == 200
        counts.append(q.count)
    return counts


def test_the_contract_page_does_not_grow_with_milestones_and_assets(
    client, login_as, count_queries, two_contracts
):
    seller, one, twenty = two_contracts
    login_as(seller)
    q1, q20 = _measure(count_queries, client.get, [f"/contracts/{one.id}", f"/contracts/{twenty.id}"])
    assert q20 == q1


def test_the_contract_page_shows_what_it_loaded(client, login_as, two_contracts):
    seller, _one, twenty = two_contracts
    login_as(seller)
    html = client.get(f"/contracts/{twenty.id}").get_data(as_text=True)
    assert html.count("寒地作物测试专利") == 20
    assert html.count("5,000.00") >= 20  # what was paid on each milestone


def test_the_milestones_api_does_not_grow_with_milestones(api, count_queries, two_contracts):
    seller, one, twenty = two_contracts
    caller = api(seller)
    urls = [f"/api/v1/contracts/{one.id}/milestones", f"/api/v1/contracts/{twenty.id}/milestones"]
    q1, q20 = _measure(count_queries, caller.get, urls)
    assert q20 == q1
    items = caller.get(urls[1]).get_json()["items"]
    assert len(items) == 20 and all(item["paid_fen"] == ROW_FEN // 2 for item in items)


def test_the_contract_api_does_not_grow_with_milestones(api, count_queries, two_contracts):
    seller, one, twenty = two_contracts
    caller = api(seller)
    urls = [f"/api/v1/contracts/{one.id}", f"/api/v1/contracts/{twenty.id}"]
    q1, q20 = _measure(count_queries, caller.get, urls)
    assert q20 == q1


def test_the_contract_list_does_not_grow_with_contracts(client, login_as, count_queries, db):
    readers = []
    for rows in (1, 20):
        seller_org = OrganizationFactory(kind="university")
        for _i in range(rows):
            ContractFactory(seller_org=seller_org, buyer_org=OrganizationFactory(kind="enterprise"))
        readers.append(user_with_role("seller", org=seller_org))
    db.session.flush()
    counts = []
    for reader, rows in zip(readers, (1, 20), strict=True):
        login_as(reader)
        assert client.get("/contracts").status_code == 200
        with count_queries() as q:
            html = client.get("/contracts").get_data(as_text=True)
        assert html.count("石墨烯负极材料专利实施许可合同") == rows
        counts.append(q.count)
    q1, q20 = counts
    assert q20 == q1
