"""`flask users create`, CSRF enforcement and unexpected errors."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace import create_app
from marketplace.accounts.models import User
from marketplace.config import TestConfig

from ..factories import OrganizationFactory, valid_uscc


def test_users_create_makes_an_approved_member(app, db):
    code = valid_uscc("230600")
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "reg@example.cn",
            "--role",
            "regulator",
            "--org",
            "大庆市技术合同登记站",
            "--region",
            "230600",
            "--uscc",
            code,
            "--password",
            "strong-pass-2025",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "reg@example.cn"))
    assert user.acting_role == "regulator" and user.scope_region == "230600"
    assert user.organization.kind == "regulator" and user.organization.status == "approved"


def test_users_create_joins_an_existing_organization_by_code(app, db):
    org = OrganizationFactory(kind="university")
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "t@example.cn",
            "--role",
            "seller",
            "--org",
            "anything",
            "--uscc",
            org.uscc,
            "--password",
            "strong-pass-2025",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "t@example.cn"))
    assert user.organization_id == org.id and user.membership == "approved"


def test_users_create_reports_bad_input_and_stores_nothing(app, db):
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "x@example.cn",
            "--role",
            "buyer",
            "--org",
            "某公司",
            "--uscc",
            "91230100MA1B2C3D4X",
            "--password",
            "short",
        ]
    )
    assert result.exit_code != 0
    assert "password" in result.output and "uscc" in result.output
    assert db.session.scalar(select(User).where(User.email == "x@example.cn")) is None


@pytest.fixture
def csrf_app(app):
    class Config(TestConfig):
        WTF_CSRF_ENABLED = True
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        SQLALCHEMY_ENGINE_OPTIONS = app.config["SQLALCHEMY_ENGINE_OPTIONS"]

    return create_app(Config)


def test_forms_without_csrf_token_are_refused(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/login", data={"email": "a@example.cn", "password": "whatever-1"})
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True) or "过期" in response.get_data(as_text=True)


def test_unexpected_errors_are_a_translated_page_or_json(app, db, client):
    def boom():
        raise RuntimeError("boom")

    app.view_functions["core.healthz"], original = boom, app.view_functions["core.healthz"]
    try:
        page = client.get("/healthz")
    finally:
        app.view_functions["core.healthz"] = original
    assert page.status_code == 500 and "text/html" in page.content_type
    assert "出错" in page.get_data(as_text=True)


def test_unexpected_api_errors_are_json(app, db, client):
    def boom():
        raise RuntimeError("boom")

    app.view_functions["api.openapi_document"], original = boom, app.view_functions["api.openapi_document"]
    try:
        response = client.get("/api/v1/openapi.json")
    finally:
        app.view_functions["api.openapi_document"] = original
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "server_error"
