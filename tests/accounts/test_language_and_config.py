"""The language switch writes only on a POST (a logged-in user's with the CSRF token);
production mode refuses insecure session cookies unless told it is served over plain HTTP."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from marketplace import create_app
from marketplace.config import Config, ConfigurationError

ROOT = Path(__file__).resolve().parents[2]


def test_the_language_switch_is_a_form_in_the_header(client, db, login_as):
    page = client.get("/listings?q=x").get_data(as_text=True)
    form = re.search(r'<form method="post" action="(/lang/en)"[^>]*>(.*?)</form>', page, re.S)
    assert form, "the header has a form that switches to English"
    assert 'name="next" value="/listings?q=x"' in form.group(2)
    assert ">English</button>" in form.group(2)
    # A visitor's form carries no token (the page starts no session); a user's does.
    assert 'name="csrf_token"' not in form.group(2)
    login_as("buyer")
    page = client.get("/listings?q=x").get_data(as_text=True)
    form = re.search(r'<form method="post" action="(/lang/en)"[^>]*>(.*?)</form>', page, re.S)
    assert 'name="csrf_token"' in form.group(2)


def test_get_does_not_switch_or_write(client, db, login_as):
    user = login_as("buyer")
    response = client.get("/lang/en")
    assert response.status_code == 405
    assert user.locale != "en"
    assert 'lang="zh-Hans"' in client.get("/").get_data(as_text=True)


def test_post_switches_and_keeps_the_choice_of_a_logged_in_user(client, db, login_as):
    user = login_as("buyer")
    response = client.post("/lang/en", data={"next": "/listings"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/listings")
    assert user.locale == "en"
    assert "Log out" in client.get("/").get_data(as_text=True)
    back = client.post("/lang/zh_Hans", data={"next": "https://evil.example/"})
    assert "evil" not in back.headers["Location"]
    assert user.locale == "zh_Hans"


def test_a_users_switch_needs_the_csrf_token(app, client, db, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    user = login_as("buyer")
    refused = client.post("/lang/en")
    assert refused.status_code == 400
    assert user.locale != "en"
    assert 'lang="zh-Hans"' in client.get("/").get_data(as_text=True)
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'action="/lang/en".*?name="csrf_token" value="([^"]+)"', page, re.S).group(1)
    assert client.post("/lang/en", data={"csrf_token": token}).status_code == 302
    assert user.locale == "en"
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def test_a_visitors_switch_sets_the_sessions_language_only(app, client, db, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    first = client.get("/")
    assert first.headers["Cache-Control"].startswith("public")
    assert "Set-Cookie" not in first.headers
    switched = client.post("/lang/en", data={"next": "/listings"})
    assert switched.status_code == 302 and switched.headers["Location"].endswith("/listings")
    page = client.get("/")
    assert 'lang="en"' in page.get_data(as_text=True)
    # The chosen language lives in this visitor's session: the page is theirs now.
    assert page.headers["Cache-Control"] == "private, no-cache"


@pytest.fixture
def production_env(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")


def _production(**settings):
    return type("ProductionConfig", (Config,), {"ENV_NAME": "production", **settings})


def test_production_refuses_insecure_session_cookies(production_env):
    with pytest.raises(ConfigurationError, match="SESSION_COOKIE_SECURE"):
        create_app(_production(SESSION_COOKIE_SECURE=False, ALLOW_PLAIN_HTTP=False))


@pytest.mark.parametrize(
    "settings",
    [{"SESSION_COOKIE_SECURE": True}, {"SESSION_COOKIE_SECURE": False, "ALLOW_PLAIN_HTTP": True}],
)
def test_production_starts_with_secure_cookies_or_an_explicit_plain_http(production_env, settings):
    app = create_app(_production(SQLALCHEMY_DATABASE_URI="sqlite://", **settings))
    assert app.config["ENV_NAME"] == "production"


@pytest.mark.parametrize(
    ("extra", "starts"),
    [({}, False), ({"ALLOW_PLAIN_HTTP": "1"}, True), ({"SESSION_COOKIE_SECURE": "true"}, True)],
)
def test_the_settings_are_read_from_the_environment(tmp_path, extra, starts):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("ALLOW_PLAIN_HTTP", "SESSION_COOKIE_SECURE", "TEST_DATABASE_URL")
    }
    env.update(
        MARKETPLACE_ENV="production",
        SECRET_KEY="a-real-secret",
        DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}",
        INSTANCE_PATH=str(tmp_path),
        **extra,
    )
    done = subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert (done.returncode == 0) is starts, done.stderr[-2000:]
    if not starts:
        assert "ALLOW_PLAIN_HTTP=1" in done.stderr
