"""Logging in and out, rate limits, redirects, security headers."""

from __future__ import annotations

from ..factories import PASSWORD, UserFactory


def test_login_and_logout(client, db):
    user = UserFactory(email="li@example.cn")
    response = client.post("/login", data={"email": "LI@example.cn", "password": PASSWORD})
    assert response.status_code == 302
    page = client.get("/account").get_data(as_text=True)
    assert user.name in page
    client.post("/logout")
    assert client.get("/account").status_code == 302


def test_failed_login_says_the_same_whether_or_not_the_email_exists(client, db):
    UserFactory(email="li@example.cn")
    client.post("/lang/en")
    wrong_password = client.post("/login", data={"email": "li@example.cn", "password": "nope-nope-1"})
    unknown = client.post("/login", data={"email": "nobody@example.cn", "password": "nope-nope-1"})
    message = "The e-mail address or password is wrong"
    assert message in wrong_password.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_suspended_user_cannot_log_in(client, db):
    UserFactory(email="s@example.cn", suspended=True)
    client.post("/login", data={"email": "s@example.cn", "password": PASSWORD})
    assert client.get("/account").status_code == 302


def test_login_is_rate_limited(client, db):
    for _ in range(10):
        client.post("/login", data={"email": "x@example.cn", "password": "wrong-pass-1"})
    response = client.post("/login", data={"email": "x@example.cn", "password": "wrong-pass-1"})
    assert response.status_code == 429
    assert "尝试次数过多" in response.get_data(as_text=True)


def test_no_open_redirect_after_login(client, db):
    UserFactory(email="li@example.cn")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post(f"/login?next={target}", data={"email": "li@example.cn", "password": PASSWORD})
        assert response.status_code == 302
        assert "evil" not in response.headers["Location"]
        client.post("/logout")
    response = client.post("/login?next=/account", data={"email": "li@example.cn", "password": PASSWORD})
    assert response.headers["Location"].endswith("/account")


def test_security_headers_and_cookie_flags(client, db):
    UserFactory(email="li@example.cn")
    response = client.post("/login", data={"email": "li@example.cn", "password": PASSWORD})
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_language_switch(client, db):
    assert "登录" in client.get("/").get_data(as_text=True)
    client.post("/lang/en")
    assert "Log in" in client.get("/").get_data(as_text=True)
    response = client.post("/lang/en?next=https://evil.example/")
    assert "evil" not in response.headers["Location"]


def test_web_404_is_a_translated_page(client, db):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "text/html" in response.content_type
    assert "页面不存在" in response.get_data(as_text=True) or "找不到" in response.get_data(as_text=True)


def test_a_member_waiting_for_approval_is_told_at_log_in(client, db):
    UserFactory(email="p@example.cn", pending_member=True)
    client.post("/lang/en")
    response = client.post(
        "/login", data={"email": "p@example.cn", "password": PASSWORD}, follow_redirects=True
    )
    assert "An administrator will approve your organization or membership" in response.get_data(as_text=True)
