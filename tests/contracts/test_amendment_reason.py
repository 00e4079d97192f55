"""An amendment says what changes and why: the service, the API and the web form
all refuse one without a reason (an empty or blank note), and change nothing."""

from __future__ import annotations

import pytest

from marketplace.contracts import services
from marketplace.contracts.models import Contract
from marketplace.core.errors import ValidationError


@pytest.fixture
def registered(cast, db, in_request):
    c = cast(submitted=True)
    services.register_contract(c.contract, actor=c.regulator)
    db.session.flush()
    return c


@pytest.mark.parametrize("note", [None, "", "   "])
def test_the_service_refuses_an_amendment_without_a_reason(registered, db, note):
    c = registered
    with pytest.raises(ValidationError) as caught:
        services.request_amendment(c.contract, {"industry": "digital"}, note=note, actor=c.seller)
    assert set(caught.value.fields) == {"note"}
    assert c.contract.status == "registered" and c.contract.pending_change is None


def test_the_service_keeps_the_reason(registered, db):
    c = registered
    services.request_amendment(c.contract, {"industry": "digital"}, note="  行业登记有误  ", actor=c.seller)
    assert c.contract.status == "amendment_pending"
    assert c.contract.pending_change["note"] == "行业登记有误"


@pytest.mark.parametrize("body", [{"industry": "digital"}, {"industry": "digital", "note": " "}])
def test_the_api_refuses_an_amendment_without_a_reason(api, registered, db, body):
    c = registered
    r = api(c.seller).post(f"/api/v1/contracts/{c.contract.id}/amend", json=body)
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"]["note"] == ["请说明变更的内容和理由。"]
    r = api(c.seller).post(
        f"/api/v1/contracts/{c.contract.id}/amend", json=body, headers={"Accept-Language": "en"}
    )
    assert r.get_json()["error"]["fields"]["note"] == ["Say what the amendment changes and why."]
    assert db.session.get(Contract, c.contract.id).status == "registered"
    r = api(c.seller).post(
        f"/api/v1/contracts/{c.contract.id}/amend", json={"industry": "digital", "note": "行业登记有误"}
    )
    assert r.status_code == 200 and r.get_json()["status"] == "amendment_pending"


def test_the_openapi_document_says_the_reason_is_required(client, db):
    spec = client.get("/api/v1/openapi.json").get_json()
    body = spec["paths"]["/api/v1/contracts/{contract_id}/amend"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert schema["required"] == ["note"]


def test_the_web_form_refuses_an_amendment_without_a_reason(client, login_as, registered, db):
    c = registered
    login_as(c.seller)
    r = client.post(f"/contracts/{c.contract.id}/amend?lang=en", data={"industry": "digital", "note": "  "})
    assert r.status_code == 200
    assert "Say what the amendment changes and why." in r.get_data(as_text=True)
    assert db.session.get(Contract, c.contract.id).status == "registered"
    r = client.post(f"/contracts/{c.contract.id}/amend", data={"industry": "digital", "note": "行业登记有误"})
    assert r.status_code == 302
    assert db.session.get(Contract, c.contract.id).status == "amendment_pending"
