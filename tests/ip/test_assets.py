"""Registering and editing assets on the web and through the API, with every validation path."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.core.models import audit_trail
from marketplace.ip.models import IpAsset

from ..factories import IpAssetFactory, OrganizationFactory, patent_number, user_with_role


def body(**overrides):
    data = {
        "kind": "invention_patent",
        "identifier": "CN201710601862.3",
        "title_zh": "寒地大豆高蛋白品种选育方法",
        "title_en": "Breeding method for high-protein cold-region soybean",
        "abstract_zh": "一种寒地大豆选育方法。",
        "keywords": ["大豆", "高蛋白"],
        "inventors": ["王立新", "刘敏"],
        "industry": "biology",
        "maturity": "pilot",
        "legal_status": "granted",
        "filed_on": "2017-07-26",
        "granted_on": "2019-11-05",
        "expires_on": "2037-07-25",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def form(data, owners=None):
    out = {k: (", ".join(v) if isinstance(v, list) else v) for k, v in data.items()}
    for index, (org_id, share) in enumerate(owners or []):
        out[f"owners-{index}-org_id"] = str(org_id)
        out[f"owners-{index}-share_bp"] = share
    return out


def test_seller_registers_an_asset_through_the_api(api, db):
    seller = user_with_role("seller")
    response = api(seller).post("/api/v1/assets", json=body())
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["identifier"] == "201710601862.3"  # canonical: no CN prefix
    assert data["owners"] == [
        {"org_id": seller.organization_id, "name": seller.organization.name, "share_bp": 10000}
    ]
    assert data["keywords"] == ["大豆", "高蛋白"]
    assert data["chain_of_title"][0]["kind"] == "registration"
    assert data["owners_editable"] is True and data["verification"] is None
    asset = db.session.get(IpAsset, data["id"])
    assert [e.action for e in audit_trail(asset)] == ["ip.asset_registered"]
    again = api(seller).get(f"/api/v1/assets/{asset.id}").get_json()
    assert again["title_zh"] == "寒地大豆高蛋白品种选育方法"


def test_seller_registers_a_co_owned_asset_on_the_web(client, db, login_as):
    seller = login_as("seller")
    partner = OrganizationFactory(kind="research_institute")
    response = client.post(
        "/assets/new",
        data=form(
            body(identifier="ZL 2017 1060 1862.3"),
            owners=[(seller.organization_id, "60%"), (partner.id, "40")],
        ),
    )
    assert response.status_code == 302
    asset = db.session.scalar(select(IpAsset))
    assert asset.identifier == "201710601862.3"
    assert sorted((o.org_id, o.share_bp) for o in asset.owners) == sorted(
        [(seller.organization_id, 6000), (partner.id, 4000)]
    )
    assert asset.title_events[0].owners[0]["share_bp"] in (6000, 4000)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert partner.name in page and "60.00%" in page


INVALID = [
    ({"identifier": "201710601862.4"}, "identifier", "should be 3"),
    ({"identifier": "202322865413.3"}, "identifier", 'not "invention patent"'),
    ({"kind": "software_copyright", "identifier": "2023-SR-12"}, "identifier", "2023SR0123456"),
    ({"identifier": None}, "identifier", "Enter the application or registration number"),
    ({"title_zh": None, "title_en": None}, "title_zh", "Enter a title"),
    ({"industry": "fishing"}, "industry", "Choose one of the listed industries"),
    ({"industry": None}, "industry", "Choose one of the listed industries"),
    ({"kind": "spaceship"}, "kind", "Choose a kind of asset"),
    ({"legal_status": "dormant"}, "legal_status", "Choose a legal status"),
    ({"maturity": "trl10"}, "maturity", "maturity stage"),
    ({"granted_on": "2016-01-01"}, "granted_on", "before the filing date"),
    ({"expires_on": "2018-01-01"}, "expires_on", "before the grant date"),
    ({"granted_on": None, "expires_on": "2016-01-01"}, "expires_on", "before the filing date"),
    ({"legal_status": "pending"}, "granted_on", "pending application has no grant date"),
    ({"filed_on": "2017-02-30"}, "filed_on", "date"),
    ({"filed_on": "2999-01-01", "granted_on": None, "expires_on": None}, "filed_on", "future"),
]


@pytest.mark.parametrize(("change", "field", "text"), INVALID)
def test_api_rejects_invalid_fields_with_422_and_a_message_per_field(api, db, change, field, text):
    seller = user_with_role("seller")
    response = api(seller).post("/api/v1/assets", json=body(**change), headers={"Accept-Language": "en"})
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert any(text in m for m in error["fields"][field]), error
    assert db.session.scalar(select(IpAsset)) is None


@pytest.mark.parametrize(("change", "field", "text"), INVALID[:6])
def test_web_form_shows_the_same_messages_on_the_fields(client, db, english, login_as, change, field, text):
    login_as("seller")
    data = body(**change)
    response = client.post("/assets/new", data=form(data))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert text.replace('"', "&#34;") in page or text in page
    assert db.session.scalar(select(IpAsset)) is None


@pytest.mark.parametrize(
    ("owners", "field", "text"),
    [
        ([("self", 5000)], "owners", "add up to 50.00 %"),
        ([("self", 6000), ("other", 6000)], "owners", "add up to 120.00 %"),
        ([("other", 10000)], "owners", "Your organization must be one of the owners"),
        ([("self", 5000), ("self", 5000)], "owners.1.org_id", "named twice"),
        ([("self", 10000), (999999, 0)], "owners.1.org_id", "no such organization"),
        ([("self", 0)], "owners.0.share_bp", "between 1 and 10000"),
        ([("self", "12.345%")], "owners.0.share_bp", "percentage"),
    ],
)
def test_owner_shares_must_name_real_organizations_and_sum_to_100_percent(api, db, owners, field, text):
    seller = user_with_role("seller")
    other = OrganizationFactory()
    ids = {"self": seller.organization_id, "other": other.id}
    payload = body(owners=[{"org_id": ids.get(o, o), "share_bp": s} for o, s in owners])
    response = api(seller).post("/api/v1/assets", json=payload, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    messages = response.get_json()["error"]["fields"][field]
    assert any(text in m for m in messages), messages


def test_web_owner_share_error_is_shown(client, db, english, login_as):
    seller = login_as("seller")
    response = client.post("/assets/new", data=form(body(), owners=[(seller.organization_id, "50%")]))
    assert "add up to 50.00 %" in response.get_data(as_text=True)


def test_duplicate_identifier_is_a_clear_409_not_a_500(api, client, db, english, login_as):
    existing = IpAssetFactory(identifier="201710601862.3")
    seller = user_with_role("seller")
    response = api(seller).post(
        "/api/v1/assets", json=body(identifier="ZL201710601862.3"), headers={"Accept-Language": "en"}
    )
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "duplicate_identifier"
    assert "already registered" in error["fields"]["identifier"][0]
    login_as(seller)
    page = client.post("/assets/new", data=form(body()))
    assert page.status_code == 200 and "already registered" in page.get_data(as_text=True)
    assert db.session.scalars(select(IpAsset)).all() == [existing]


def test_the_database_refuses_a_duplicate_identifier(db):
    from sqlalchemy.exc import IntegrityError

    IpAssetFactory(identifier="201710601862.3")
    with pytest.raises(IntegrityError), db.session.begin_nested():
        IpAssetFactory(identifier="201710601862.3")


def test_technical_secret_needs_no_identifier(api, db):
    seller = user_with_role("seller")
    response = api(seller).post(
        "/api/v1/assets",
        json=body(
            kind="technical_secret", identifier=None, legal_status="granted", granted_on=None, expires_on=None
        ),
    )
    assert response.status_code == 201
    assert response.get_json()["identifier"] is None


def test_non_sellers_cannot_create(api, db):
    for role in ("buyer", "agency", "regulator", "admin"):
        response = api(user_with_role(role)).post("/api/v1/assets", json=body(identifier=patent_number()))
        assert response.status_code == 403, role
    assert api().post("/api/v1/assets", json=body()).status_code == 401


def test_patch_changes_only_what_is_sent_and_checks_the_status_transition(api, db):
    seller = user_with_role("seller")
    asset = IpAssetFactory(owned_by=seller.organization)
    caller = api(seller)
    response = caller.patch(
        f"/api/v1/assets/{asset.id}", json={"title_en": "Graphene anode", "maturity": "trl6"}
    )
    assert response.status_code == 200
    assert response.get_json()["title_en"] == "Graphene anode" and response.get_json()["maturity"] == "trl6"
    assert asset.title_zh.startswith("寒地作物测试专利")
    response = caller.patch(
        f"/api/v1/assets/{asset.id}",
        json={"legal_status": "pending", "granted_on": None},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert "cannot change from" in response.get_json()["error"]["fields"]["legal_status"][0]
    response = caller.patch(f"/api/v1/assets/{asset.id}", json={"legal_status": "expired"})
    assert response.status_code == 200 and asset.legal_status == "expired"
    trail = audit_trail(asset)
    assert trail[-1].from_state == "granted" and trail[-1].to_state == "expired"


def test_patch_to_a_duplicate_identifier_is_409(api, db):
    seller = user_with_role("seller")
    IpAssetFactory(identifier="201710601862.3")
    asset = IpAssetFactory(owned_by=seller.organization)
    response = api(seller).patch(f"/api/v1/assets/{asset.id}", json={"identifier": "201710601862.3"})
    assert response.status_code == 409


def test_edit_page_saves_owners_while_nothing_was_dealt(client, db, login_as):
    seller = login_as("seller")
    partner = OrganizationFactory()
    asset = IpAssetFactory(owned_by=seller.organization)
    page = client.get(f"/assets/{asset.id}/edit")
    assert page.status_code == 200 and "100%" in page.get_data(as_text=True)
    data = form(
        body(identifier=asset.identifier, title_zh="新标题"),
        owners=[(seller.organization_id, "70%"), (partner.id, "30%")],
    )
    data.update(filed_on="2021-03-01", granted_on="2023-05-09", expires_on="2041-02-28")
    response = client.post(f"/assets/{asset.id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert asset.title_zh == "新标题"
    assert {o.org_id: o.share_bp for o in asset.owners} == {seller.organization_id: 7000, partner.id: 3000}
    # The registration is kept as it was; the sole owner's change is a new link of the chain.
    assert [t.kind for t in asset.title_events] == ["registration", "ownership_change"]
    assert [o["org_id"] for o in asset.title_events[0].owners] == [seller.organization_id]
    assert {o["org_id"]: o["share_bp"] for o in asset.title_events[1].owners} == {
        seller.organization_id: 7000,
        partner.id: 3000,
    }


def test_my_assets_lists_my_organizations_assets_paginated_with_an_empty_state(client, db, english, login_as):
    seller = login_as("seller")
    empty = client.get("/assets/mine").get_data(as_text=True)
    assert "No assets registered yet" in empty
    mine = [IpAssetFactory(owned_by=seller.organization, title_zh=f"我的专利{i}") for i in range(3)]
    IpAssetFactory(title_zh="别人的专利")
    page = client.get("/assets/mine?per_page=2").get_data(as_text=True)
    assert "别人的专利" not in page
    assert sum(a.title_zh in page for a in mine) == 2
    page2 = client.get("/assets/mine?per_page=2&page=2").get_data(as_text=True)
    assert sum(a.title_zh in page2 for a in mine) == 1
    assert "我的专利1" in client.get("/assets/mine?q=专利1").get_data(as_text=True)


def test_web_form_shows_field_errors_and_the_services_date_rules_at_once(client, db, english, login_as):
    login_as("seller")
    # A date that does not exist (the form's field) and an expiry before the grant (a rule
    # that compares two fields, kept by the service): both in the first answer.
    response = client.post("/assets/new", data=form(body(filed_on="2017-02-30", expires_on="2018-01-01")))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Not a valid date value." in page
    assert "before the grant date" in page
    assert db.session.scalar(select(IpAsset)) is None
