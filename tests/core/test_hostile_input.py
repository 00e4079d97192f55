"""Hostile input: markup is escaped wherever a page echoes it, and bad input
(ids out of range, NUL bytes, lone surrogates, deep JSON, long keywords) is
a 4xx with the error format, never a 500."""

from __future__ import annotations

import inspect
import json

import pytest
from flask import flash, get_flashed_messages, render_template_string
from flask.json.tag import TaggedJSONSerializer
from flask_babel import lazy_gettext as _l
from wtforms.fields.core import UnboundField

from marketplace.contracts import forms as contract_forms
from marketplace.core.input import MAX_ID, MAX_JSON_DEPTH
from marketplace.industrialization import forms as industrialization_forms
from marketplace.ledger import forms as ledger_forms
from marketplace.payments import forms as payment_forms
from marketplace.search.backend import FACET_KEYS, PRICE_FACET

from .. import factories

PAYLOAD = '"><a href=//evil.example>Login</a><script>alert(1)</script>'
RAW = ("<a href=//evil.example>", "<script>alert(1)")


def _fields(*forms) -> set[str]:
    names = set()
    for form in forms:
        for _name, value in inspect.getmembers(form):
            if isinstance(value, UnboundField):
                names.add(_name)
    return names


#: Every query parameter a page reads: search facets and sort, q, the admin
#: and list filters, the ledger's forms, next, lang and paging.
REFLECTED = sorted(
    {
        *FACET_KEYS,
        PRICE_FACET,
        "q",
        "sort",
        "min_price",
        "max_price",
        "min_price_fen",
        "max_price_fen",
        "status",
        "method",
        "box",
        "overdue",
        "form",
        "kind",
        "next",
        "lang",
        "page",
        "per_page",
        "year_from",
        "year_to",
        "group_by",
        "as_of",
        "registration_no",
        *_fields(
            ledger_forms.DashboardForm,
            ledger_forms.EntriesForm,
            ledger_forms.ExportForm,
            payment_forms.FilterForm,
            industrialization_forms.FilterForm,
            contract_forms.FilterForm,
        ),
    }
    - {"submit"}
)


def _page_urls(app, ids: dict[str, int]) -> list[str]:
    """Every GET page (not the API, not static files), with ids of objects that exist."""
    urls = []
    for rule in app.url_map.iter_rules():
        if (
            "GET" not in (rule.methods or ())
            or rule.endpoint in ("static", "core.favicon")
            or rule.rule.startswith("/api/")
        ):
            continue
        if "stripe" in rule.rule:
            continue
        values = {}
        for name in rule.arguments:
            if name not in ids:
                break
            values[name] = ids[name]
        else:
            path = rule.rule
            for name, value in values.items():
                path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
            urls.append(path)
    return sorted(set(urls))


@pytest.mark.parametrize("role", [None, "seller", "buyer", "agency", "regulator", "admin"])
def test_markup_in_every_reflected_parameter_is_escaped(app, client, db, login_as, role):
    seller = factories.user_with_role("seller")
    asset = factories.IpAssetFactory(owned_by=seller.organization)
    listing = factories.ListingFactory(seller=seller, published=True, assets=[asset])
    contract = factories.ContractFactory(seller_org=seller.organization)
    if role:
        user = login_as(seller if role == "seller" else role)
        if role == "buyer":
            contract.buyer_org = user.organization
    db.session.flush()
    ids = {"asset_id": asset.id, "listing_id": listing.id, "contract_id": contract.id, "code": "turnover"}
    urls = _page_urls(app, ids)
    assert len(urls) > 20
    query = {name: PAYLOAD for name in REFLECTED}
    checked = 0
    for url in urls:
        response = client.get(url, query_string=query)
        assert response.status_code < 500, (url, response.status_code)
        text = response.get_data(as_text=True)
        for raw in RAW:
            assert raw not in text, f"{url} echoes markup unescaped"
        checked += 1
    # And each parameter alone (one bad value can hide the others behind its notice).
    for name in REFLECTED:
        for url in ("/listings", "/admin/users", "/admin/organizations", "/login", "/ledger", "/contracts"):
            response = client.get(url, query_string={name: PAYLOAD})
            assert response.status_code < 500, (url, name)
            text = response.get_data(as_text=True)
            assert not any(raw in text for raw in RAW), f"{url}?{name}= echoes markup unescaped"
    assert checked == len(urls)


def test_unknown_facet_value_notice_shows_the_value_escaped(client, db):
    response = client.get("/listings", query_string={"maturity": PAYLOAD, "lang": "en"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "&lt;a href=//evil.example&gt;Login&lt;/a&gt;" in text
    assert "<a href=//evil.example>" not in text


def test_lazy_message_with_user_text_is_text_in_templates_and_flashes(app):
    message = _l("Unknown value(s): %(values)s.", values=PAYLOAD)
    with app.test_request_context("/?lang=en"):
        assert "<a href=//evil.example>" not in render_template_string("{{ m }}", m=message)
        assert "&lt;script&gt;" in render_template_string("{{ m }}", m=message)
        # The message itself stays plain text for the API and logs.
        assert str(message) == f"Unknown value(s): {PAYLOAD}."
        # Flash messages travel in the session cookie: still escaped when read back.
        serializer = TaggedJSONSerializer()
        back = serializer.loads(serializer.dumps({"m": message}))["m"]
        assert "<a href=//evil.example>" not in render_template_string("{{ m }}", m=back)
        flash(message, "error")
        shown = render_template_string("{% for m in get_flashed_messages() %}{{ m }}{% endfor %}")
        assert "<script>" not in shown and "&lt;script&gt;" in shown
        get_flashed_messages()


def test_next_on_the_login_page_is_not_echoed_as_markup(client, db):
    response = client.get("/login", query_string={"next": PAYLOAD})
    assert response.status_code == 200
    assert not any(raw in response.get_data(as_text=True) for raw in RAW)
    user = factories.UserFactory(role="buyer")
    db.session.flush()
    response = client.post("/login?next=" + PAYLOAD, data={"email": user.email, "password": "wrong password"})
    assert response.status_code < 500
    assert not any(raw in response.get_data(as_text=True) for raw in RAW)


# --- Ids beyond the database's integer range ----------------------------------------------


@pytest.mark.parametrize("ident", [MAX_ID + 1, 2**63, 2**64 + 5, 10**30, 0])
def test_route_ids_out_of_range_are_404(client, db, api, login_as, ident):
    regulator = factories.user_with_role("regulator")
    db.session.flush()
    for caller in (api(), api(regulator)):
        for path in (f"/api/v1/listings/{ident}", f"/api/v1/contracts/{ident}", f"/api/v1/assets/{ident}"):
            response = caller.get(path)
            assert response.status_code == 404, (path, response.status_code)
            assert response.get_json()["error"]["code"] == "not_found"
    login_as(regulator)
    for path in (f"/listings/{ident}", f"/contracts/{ident}"):
        assert client.get(path).status_code == 404


def test_largest_id_is_an_ordinary_404(api, db):
    response = api().get(f"/api/v1/listings/{MAX_ID}")
    assert response.status_code == 404


# --- NUL bytes and lone surrogates ---------------------------------------------------------


@pytest.mark.parametrize("bad", ["\x00", "\ud800", "a\udfffb"])
def test_bad_text_in_a_json_body_is_422_per_field(api, db, bad):
    seller = factories.user_with_role("seller")
    db.session.flush()
    body = (
        '{"kind": "invention_patent", "title_zh": "专利' + json.dumps(bad)[1:-1] + '",'
        ' "keywords": ["ok", "x'
        + json.dumps(bad)[1:-1]
        + '"], "owners": [{"org_id": 1, "note": "'
        + json.dumps(bad)[1:-1]
        + '"}]}'
    )
    response = api(seller).post("/api/v1/assets", data=body, content_type="application/json")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"title_zh", "keywords.1", "owners.0.note"}


def test_bad_text_in_a_json_key_or_query_or_path_is_422(api, db):
    buyer = factories.user_with_role("buyer")
    db.session.flush()
    response = api(buyer).post(
        "/api/v1/demands", data='{"ti\\u0000tle": "x"}', content_type="application/json"
    )
    assert response.status_code == 422 and list(response.get_json()["error"]["fields"]) == ["ti\ufffdtle"]
    response = api().get("/api/v1/listings?q=%00abc&industry=digital")
    assert response.status_code == 422 and list(response.get_json()["error"]["fields"]) == ["q"]
    response = api().get("/api/v1/targets/tu%00rn/values")
    assert response.status_code in (404, 422)
    assert "error" in response.get_json()


def test_nul_in_the_log_in_form_is_a_field_error(client, db):
    response = client.post("/login?lang=en", data={"email": "a\x00@example.com", "password": "x\x00y"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "a character that is not allowed" in text
    response = client.post("/register?lang=en", data={"email": "new\x00@example.com", "name": "x"})
    assert response.status_code == 200
    assert "a character that is not allowed" in response.get_data(as_text=True)


def test_nul_in_a_page_query_is_a_422_page_naming_the_parameter(client, db):
    response = client.get("/listings?lang=en&q=%00")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "q: contains a character that is not allowed" in text
    response = client.get("/admin/users?q=%00&lang=en")
    assert response.status_code in (302, 404, 422)


# --- Deep JSON and form validators ---------------------------------------------------------


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1000, 100_000])
def test_deeply_nested_json_is_400(api, db, depth):
    buyer = factories.user_with_role("buyer")
    db.session.flush()
    body = '{"title": ' + "[" * depth + "]" * depth + "}"
    response = api(buyer).post("/api/v1/demands", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


def test_json_at_the_depth_limit_is_read(api, db):
    buyer = factories.user_with_role("buyer")
    db.session.flush()
    body = '{"title": ' + "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1) + "}"
    response = api(buyer).post("/api/v1/demands", data=body, content_type="application/json")
    assert response.status_code == 422  # read, and refused for its fields


def test_too_many_or_too_long_keywords_are_field_errors(api, client, db, login_as):
    seller = factories.user_with_role("seller")
    asset = factories.IpAssetFactory(owned_by=seller.organization)
    db.session.flush()
    base = {"asset_ids": [asset.id], "title_zh": "寒地测试技术", "abstract_zh": "摘要"}
    for keywords in ([f"词{n}" for n in range(13)], ["长" * 41]):
        response = api(seller).post("/api/v1/listings", json={**base, "keywords": keywords})
        assert response.status_code == 422, response.get_json()
        assert "keywords" in response.get_json()["error"]["fields"]
    login_as(seller)
    response = client.post(
        "/listings/new?lang=en",
        data={"title_zh": "寒地测试技术", "keywords": "、".join(f"词{n}" for n in range(13))},
    )
    assert response.status_code in (200, 404, 405)


# --- Ids beyond the integer range inside bodies, forms and query strings ---------------


@pytest.mark.parametrize("ident", [MAX_ID + 1, 2**63, 10**30, -(2**40)])
def test_ids_out_of_range_in_a_body_are_422_per_field(api, db, ident):
    agency = factories.user_with_role("agency")
    seller = factories.user_with_role("seller")
    listing = factories.ListingFactory(seller=seller, published=True)
    db.session.flush()
    response = api(agency).post(
        "/api/v1/contracts",
        json={"seller_org_id": ident, "buyer_org_id": 1, "asset_ids": [1, ident], "title": "x"},
    )
    assert response.status_code == 422
    assert {"seller_org_id", "asset_ids"} <= set(response.get_json()["error"]["fields"])
    response = api(agency).post(
        f"/api/v1/listings/{listing.id}/offers",
        json={"client_org_id": ident, "terms": {"deal_kind": "license", "license_type": "non_exclusive"}},
    )
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["client_org_id"]
    response = api(factories.user_with_role("regulator")).get(f"/api/v1/ledger/entries?contract_id={ident}")
    assert response.status_code == 422


def test_ids_out_of_range_in_a_page_form_are_field_errors(client, db, login_as):
    login_as("agency")
    response = client.post(
        "/contracts/new?lang=en",
        data={"seller_org_id": str(2**40), "buyer_org_id": "1", "asset_ids": f"1, {2**64}", "title": "x"},
    )
    assert response.status_code == 200
    assert "Not a valid number" in response.get_data(as_text=True)
