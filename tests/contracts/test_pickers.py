"""Choosing assets and organizations by name on the contract pages, and the licence
categories of software copyright, IC layout design and new plant variety (issue 19,
points 2 and 6)."""

from __future__ import annotations

import pytest

from marketplace.contracts.codes import CATEGORIES, suggest_category
from marketplace.contracts.models import Contract
from marketplace.contracts.pickers import LONG_LIST
from marketplace.ledger.catalog import CATEGORIES as LEDGER_CATEGORIES

from ..factories import IpAssetFactory, OrganizationFactory


@pytest.mark.parametrize(
    "deal_kind, kinds, expected",
    [
        ("license", ["software_copyright"], "license_software_copyright"),
        ("license", ["ic_layout"], "license_ic_layout"),
        ("license", ["plant_variety", "plant_variety"], "license_plant_variety"),
        ("license", ["invention_patent", "software_copyright"], "license_patent"),
        ("license", ["software_copyright", "ic_layout"], "license_technical_secret"),
        ("license", ["technical_secret"], "license_technical_secret"),
        ("transfer", ["software_copyright"], "transfer_other"),
        ("equity", ["utility_model"], "transfer_patent"),
    ],
)
def test_the_category_is_suggested_from_the_assets_kinds(deal_kind, kinds, expected):
    assert suggest_category(deal_kind, kinds) == expected


def test_the_ledger_knows_every_contract_category():
    assert list(LEDGER_CATEGORIES) == list(CATEGORIES)
    assert {"license_software_copyright", "license_ic_layout", "license_plant_variety"} <= set(CATEGORIES)


def _software(owner):
    return IpAssetFactory(
        kind="software_copyright",
        identifier="2023SR0123456",
        title_zh="寒地温室环境监控软件V2.0",
        legal_status="granted",
        owned_by=owner,
    )


def _offline(c, asset, **extra):
    data = {
        "seller_org_id": str(c.contract.seller_org_id),
        "buyer_org_id": str(c.contract.buyer_org_id),
        "asset_ids": [str(asset.id)],
        "deal_kind": "license",
        "title": "寒地温室环境监控软件著作权许可合同",
        "turnover_fen": "300000",
        "tech_income_fen": "300000",
    }
    data.update(extra)
    return data


def test_the_offline_deal_page_offers_names_not_numbers(client, login_as, cast, db):
    c = cast()
    asset = _software(c.contract.seller_org)
    login_as(c.agency)
    page = client.get("/contracts/new?lang=en").get_data(as_text=True)
    assert "organization number" not in page and "comma-separated" not in page
    assert f'<option value="{c.contract.seller_org_id}">{c.contract.seller_org.name}' in page
    assert f'value="{asset.id}"' in page and "寒地温室环境监控软件V2.0" in page
    assert 'type="checkbox" name="asset_ids"' in page
    assert c.agency.organization.name in page  # the agencies, by name


def test_a_software_licence_recorded_offline_gets_the_software_licence_category(client, login_as, cast, db):
    c = cast()
    asset = _software(c.contract.seller_org)
    login_as(c.agency)
    r = client.post("/contracts/new", data=_offline(c, asset, category=""))
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    contract = db.session.query(Contract).filter_by(source="offline").one()
    assert contract.category == "license_software_copyright" and contract.asset_ids == [asset.id]


def test_a_category_the_agency_chose_is_kept(client, login_as, cast, db):
    c = cast()
    asset = _software(c.contract.seller_org)
    login_as(c.agency)
    r = client.post("/contracts/new", data=_offline(c, asset, category="license_technical_secret"))
    assert r.status_code == 302
    assert db.session.query(Contract).filter_by(source="offline").one().category == "license_technical_secret"


def test_refusals_speak_of_names(client, login_as, cast, db):
    c = cast()
    other = _software(OrganizationFactory(kind="university"))
    login_as(c.agency)
    r = client.post("/contracts/new?lang=en", data=_offline(c, other, seller_org_id="999999"))
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and "Choose the seller from the list." in text
    r = client.post("/contracts/new?lang=en", data=_offline(c, other))
    text = r.get_data(as_text=True)
    assert "“寒地温室环境监控软件V2.0” does not belong to the seller." in text
    r = client.post("/contracts/new?lang=en", data=_offline(c, other, asset_ids=["424242"]))
    assert "Choose the IP assets from the list." in r.get_data(as_text=True)
    assert db.session.query(Contract).filter_by(source="offline").count() == 0


def test_the_edit_page_ticks_the_contracts_assets_and_saves_a_choice(client, login_as, cast, db):
    c = cast(status="draft")
    asset = _software(c.contract.seller_org)
    login_as(c.seller)
    page = client.get(f"/contracts/{c.contract.id}/edit?lang=en").get_data(as_text=True)
    assert "寒地温室环境监控软件V2.0" in page and "Agency (organization number)" not in page
    assert f'<option selected value="{c.contract.agency_org_id}">' in page
    from .test_web import _form

    r = client.post(
        f"/contracts/{c.contract.id}/edit",
        data=_form(c.contract, asset_ids=[str(asset.id)], agency_org_id=str(c.contract.agency_org_id)),
    )
    assert r.status_code == 302
    assert db.session.get(Contract, c.contract.id).asset_ids == [asset.id]


def test_a_long_list_gets_a_name_search_that_saves_nothing(client, login_as, cast, db):
    c = cast()
    for n in range(LONG_LIST):
        OrganizationFactory(kind="enterprise", name=f"大庆油田配套企业{n}")
    login_as(c.agency)
    page = client.get("/contracts/new?lang=en").get_data(as_text=True)
    assert 'name="seller_org_id_q"' in page and 'name="find" value="seller_org_id"' in page
    r = client.post(
        "/contracts/new?lang=en",
        data={"seller_org_id_q": "配套企业7", "find": "seller_org_id", "title": "保留的标题"},
    )
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and "保留的标题" in text and "Please correct" not in text
    select = text[
        text.index('id="seller_org_id"') : text.index("</select>", text.index('id="seller_org_id"'))
    ]
    assert "大庆油田配套企业7" in select and "大庆油田配套企业8" not in select
    assert db.session.query(Contract).filter_by(source="offline").count() == 0


def test_the_recording_agency_stays_the_contracts_agency(client, login_as, cast, db):
    c = cast()
    asset = _software(c.contract.seller_org)
    login_as(c.agency)
    assert client.post("/contracts/new", data=_offline(c, asset, agency_org_id="")).status_code == 302
    assert (
        db.session.query(Contract).filter_by(source="offline").one().agency_org_id == c.agency.organization_id
    )


@pytest.mark.parametrize("page", ["new", "edit"])
def test_the_pickers_cost_the_same_queries_for_1_or_20_choices(
    client, login_as, cast, db, count_queries, page
):
    counts = []
    for rows in (1, 20):
        c = cast(status="draft")
        for n in range(rows):
            IpAssetFactory(owned_by=c.contract.seller_org, title_zh=f"寒地测试资产{rows}-{n}")
            OrganizationFactory(kind="enterprise")
            OrganizationFactory(kind="agency")
        db.session.flush()
        login_as(c.agency if page == "new" else c.seller)
        url = "/contracts/new" if page == "new" else f"/contracts/{c.contract.id}/edit"
        client.get(url)
        with count_queries() as q:
            assert client.get(url).status_code == 200
        counts.append(q.count)
    assert counts[1] == counts[0], counts


def test_the_offline_form_shows_field_errors_and_the_services_rules_at_once(client, login_as, cast, db):
    c = cast()
    other = _software(OrganizationFactory(kind="university"))
    login_as(c.agency)
    # A date the form refuses, and an asset of another organization (the service's rule).
    r = client.post("/contracts/new?lang=en", data=_offline(c, other, valid_from="2024-02-30"))
    text = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Not a valid date value." in text
    assert "“寒地温室环境监控软件V2.0” does not belong to the seller." in text
    assert db.session.query(Contract).filter_by(source="offline").count() == 0
