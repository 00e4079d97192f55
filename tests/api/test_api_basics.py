"""The API's conventions: token auth, /me, errors as JSON, OpenAPI, health."""

from __future__ import annotations

from flask import current_app

from ..factories import user_with_role


def test_me_with_a_token(api, db):
    user = user_with_role("regulator", region="230100")
    response = api(user).get("/api/v1/me")
    assert response.status_code == 200
    body = response.get_json()
    assert body["email"] == user.email
    assert body["role"] == "regulator"
    assert body["region"] == "230100" and body["scope_region"] == "230100"
    assert body["organization"]["uscc"] == user.organization.uscc


def test_me_without_or_with_bad_token_is_401_json(api, db):
    for headers in ({}, {"Authorization": "Bearer tm_not-a-real-token"}, {"Authorization": "Basic abc"}):
        response = api().get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"
        assert "Bearer" in response.headers["WWW-Authenticate"]


def test_api_404_and_405_are_json(api, db):
    response = api().get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    response = api().delete("/api/v1/me")
    assert response.status_code == 405 and response.is_json


def test_api_errors_follow_accept_language(api, db):
    zh = api().get("/api/v1/me").get_json()["error"]["message"]
    en = api().get("/api/v1/me", headers={"Accept-Language": "en"}).get_json()["error"]["message"]
    assert en.startswith("Authentication is required")
    assert zh != en


def test_openapi_describes_every_api_endpoint(api, db):
    doc = api().get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/me" in doc["paths"]
    for rule in current_app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            view = current_app.view_functions[rule.endpoint]
            assert getattr(view, "_openapi", None), f"{rule.rule} has no @describe"


def test_healthz(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_chinese_text_is_sent_as_is(api, db):
    user = user_with_role("buyer")
    user.name = "王芳"
    response = api(user).get("/api/v1/me")
    assert "王芳".encode() in response.data
    assert response.content_type.startswith("application/json")
