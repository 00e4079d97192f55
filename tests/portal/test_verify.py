"""The public check of a registration certificate, on the page and in the API."""

from __future__ import annotations

import pytest

from marketplace.contracts import services as contracts
from marketplace.ledger.models import LedgerEntry
from tests import factories


@pytest.fixture
def registered(db):
    regulator = factories.user_with_role("regulator", region="230100")
    seller = factories.OrganizationFactory(kind="university", region_code="230100", name="哈尔滨工程大学")
    contract = factories.ContractFactory(submitted=True, seller_org=seller, category="license_patent")
    contracts.register_contract(contract, actor=regulator)
    db.session.flush()
    return contract


def test_a_registered_number_shows_its_date_category_authority_and_ledger_hashes(client, db, registered):
    entry = db.session.query(LedgerEntry).filter_by(registration_no=registered.registration_no).one()
    response = client.get(f"/verify/{registered.registration_no}", headers={"Accept-Language": "zh"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert registered.registration_no in html
    assert "哈尔滨市科学技术局" in html
    assert "专利实施许可" in html
    assert entry.hash in html
    # Nothing private: neither the parties nor the amounts nor the title.
    assert "哈尔滨工程大学" not in html and registered.title not in html and "100.00 万元" not in html


def test_the_api_answers_the_same_without_a_token(api, db, registered):
    body = (
        api()
        .get(f"/api/v1/verify/{registered.registration_no}", headers={"Accept-Language": "en"})
        .get_json()
    )
    assert body["registration_no"] == registered.registration_no
    assert body["status"] == "registered" and body["amended"] is False
    assert body["authority_region"] == "230100"
    assert body["authority"] == "Science and Technology Bureau of Harbin"
    assert [e["kind"] for e in body["ledger_entries"]] == ["registration"]
    assert set(body) == {
        "registration_no", "status", "amended", "registered_on", "category",
        "category_label", "authority_region", "authority", "ledger_entries",
    }  # fmt: skip


@pytest.mark.parametrize("number", ["2024230100999999", "12345", "2024-2301-00-000001"])
def test_an_unknown_or_malformed_number_is_not_found(client, api, db, number):
    assert client.get(f"/verify/{number}").status_code == 404
    assert api().get(f"/api/v1/verify/{number}").status_code == 404


def test_a_draft_contracts_number_is_not_shown(client, db):
    contract = factories.ContractFactory(registration_no="2024230100000777")
    db.session.flush()
    assert client.get(f"/verify/{contract.registration_no}").status_code == 404


def test_the_form_leads_to_the_number(client, db):
    response = client.get("/verify?no=2024230100000001")
    assert response.status_code == 302 and response.headers["Location"].endswith("/verify/2024230100000001")
    assert client.get("/verify").status_code == 200
