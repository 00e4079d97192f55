"""One input schema per operation: the web forms subclass the API forms, the
OpenAPI request bodies are built from the API forms, and the editable fields
are the ones the service accepts."""

from __future__ import annotations

import pytest

from marketplace.contracts import forms, services
from marketplace.contracts.codes import CATEGORIES, COST_KINDS, RETURN_REASONS
from marketplace.core.catalog import INDUSTRIES
from marketplace.ip.states import DEAL_KIND_LABELS


@pytest.mark.parametrize(
    ("web", "api"),
    [
        (forms.ContractForm, forms.ContractApiForm),
        (forms.OfflineDealForm, forms.OfflineDealApiForm),
        (forms.AmendForm, forms.AmendApiForm),
        (forms.ReturnForm, forms.ReturnApiForm),
        (forms.MilestoneRow, forms.MilestoneRowApi),
        (forms.CostRow, forms.CostRowApi),
    ],
)
def test_each_web_form_derives_from_its_api_form(web, api):
    assert issubclass(web, api)


def test_the_terms_form_has_a_field_for_each_editable_field(app):
    with app.test_request_context("/"):
        api_fields = set(forms.ContractApiForm(meta={"csrf": False})._fields)
        web_fields = set(forms.ContractForm(meta={"csrf": False})._fields)
    assert set(services.EDITABLE_FIELDS) | {"milestones", "cost_lines"} <= api_fields
    assert set(services.EDITABLE_FIELDS) | set(services.LIST_FIELDS) <= web_fields


def test_the_amendment_forms_name_only_amendable_fields(app):
    with app.test_request_context("/"):
        api_fields = set(forms.AmendApiForm(meta={"csrf": False})._fields) - {"note", "csrf_token"}
        web_fields = set(forms.AmendForm(meta={"csrf": False})._fields) - {"note", "submit", "csrf_token"}
    assert api_fields == set(services.AMENDABLE_FIELDS)
    assert web_fields == set(services.AMENDABLE_FIELDS) - {"buyer_org_id"}


def _body(spec: dict, path: str, method: str) -> dict:
    return spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]


def test_the_request_bodies_list_the_codes_the_forms_offer(client, db):
    spec = client.get("/api/v1/openapi.json").get_json()
    patch = _body(spec, "/api/v1/contracts/{contract_id}", "patch")["properties"]
    assert patch["category"]["enum"] == list(CATEGORIES)
    assert patch["industry"]["enum"] == list(INDUSTRIES)
    assert patch["cost_lines"]["items"]["properties"]["kind"]["enum"] == list(COST_KINDS)
    assert patch["cost_lines"]["items"]["required"] == ["kind", "description", "amount_fen"]
    assert patch["milestones"]["items"]["required"] == ["due_on", "amount_fen"]
    assert patch["asset_ids"] == {"type": "array", "items": {"type": "integer"}}
    assert set(services.EDITABLE_FIELDS) | set(services.LIST_FIELDS) == set(patch)

    create = _body(spec, "/api/v1/contracts", "post")
    assert create["required"] == ["seller_org_id", "title"]
    assert {"seller_org_id", "buyer_org_id", "deal_terms", *patch} == set(create["properties"])
    deal_kind = create["properties"]["deal_terms"]["properties"]["deal_kind"]
    assert set(deal_kind["enum"]) == set(DEAL_KIND_LABELS)

    amend = _body(spec, "/api/v1/contracts/{contract_id}/amend", "post")
    assert set(amend["properties"]) == set(services.AMENDABLE_FIELDS) | {"note"}
    assert amend["properties"]["category"]["enum"] == list(CATEGORIES)

    returned = _body(spec, "/api/v1/contracts/{contract_id}/return", "post")
    assert returned["required"] == ["reasons"]
    assert returned["properties"]["reasons"]["items"]["enum"] == list(RETURN_REASONS)
