"""Password strength (a list of common passwords and zxcvbn's estimate), with the
reason in the user's language, and password reset by a signed, single-use,
expiring link sent by e-mail."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale

from marketplace.accounts.validation import password_problems
from marketplace.demo.context import DEMO_PASSWORD

from ..factories import PASSWORD, UserFactory

WEAK = [
    "password12",
    "aaaaaaaaa1",
    " " * 9 + "1",
    "qwertyuiop12",
    "abcdefghij1",
    "1990-01-01ab",
    "Password2025",
]


@pytest.fixture
def en(app):
    with app.test_request_context(), force_locale("en"):
        yield


@pytest.mark.parametrize("weak", WEAK)
def test_weak_passwords_are_refused_with_a_reason(app, en, weak):
    problems = [str(p) for p in password_problems(weak, "li@example.cn")]
    assert problems, weak
    assert any("easy to guess" in p for p in problems), problems


@pytest.mark.parametrize("strong", [DEMO_PASSWORD, PASSWORD, "hlj-tech-2025", "glacier-ferry-41"])
def test_the_demo_and_test_passwords_are_accepted(app, en, strong):
    assert password_problems(strong, "li@example.cn") == []


def test_every_demo_account_keeps_the_demo_password(app, en):
    from marketplace.demo.accounts import USERS

    for email, name, *_rest in USERS.values():
        assert password_problems(DEMO_PASSWORD, email, name) == [], email


def test_the_reason_names_the_pattern(app, en):
    assert "most common passwords" in " ".join(str(p) for p in password_problems("password12"))
    assert "Repeated characters" in " ".join(str(p) for p in password_problems("aaaaaaaaa1"))
    assert "name or e-mail" in " ".join(
        str(p) for p in password_problems("zhangsanfeng1", name="zhangsanfeng")
    )


def test_sign_up_refuses_a_weak_password_in_chinese_by_default(client, db):
    from .test_registration import form

    response = client.post("/register", data=form(password="password12", password_confirm="password12"))
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "太容易被猜到" in text and "最常见的密码" in text


def test_a_password_change_refuses_a_weak_password_in_english(client, db, login_as):
    user = login_as(UserFactory(locale="en"))
    client.post("/lang/en")
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "aaaaaaaaa1",
            "new_password_confirm": "aaaaaaaaa1",
        },
        follow_redirects=True,
    )
    assert "too easy to guess" in response.get_data(as_text=True)
    assert user.session_version == 0


# --- Reset by e-mail ------------------------------------------------------------


def _link(outbox) -> str:
    ((_to, _subject, body),) = outbox
    match = re.search(r"https?://[^/\s]+(/password/reset/\S+)", body)
    assert match, body
    return match.group(1)


def test_forgot_password_answers_the_same_whether_or_not_the_account_exists(client, db, outbox):
    UserFactory(email="li@example.cn")
    known = client.post("/password/forgot", data={"email": "li@example.cn"})
    page_known = client.get("/login").get_data(as_text=True)
    unknown = client.post("/password/forgot", data={"email": "nobody@example.cn"})
    page_unknown = client.get("/login").get_data(as_text=True)
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert page_known.replace("li@example.cn", "X") == page_unknown.replace("nobody@example.cn", "X")
    assert [to for to, _s, _b in outbox] == ["li@example.cn"]


def test_the_reset_link_sets_a_new_password_once_and_ends_every_session(app, client, db, outbox):
    user = UserFactory(email="li@example.cn", locale="en")
    other = app.test_client()
    other.post("/login", data={"email": "li@example.cn", "password": PASSWORD})
    assert other.get("/account").status_code == 200
    client.post("/password/forgot", data={"email": "li@example.cn"})
    ((_to, subject, body),) = outbox
    assert "new password" in subject and "within 60 minutes" in body  # in the owner's language
    link = _link(outbox)
    page = client.get(link)
    assert page.status_code == 200 and "新密码" in page.get_data(as_text=True)  # the visitor's language
    weak = client.post(link, data={"password": "password12", "password_confirm": "password12"})
    assert weak.status_code == 200 and "太容易被猜到" in weak.get_data(as_text=True)
    done = client.post(link, data={"password": "glacier-ferry-41", "password_confirm": "glacier-ferry-41"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert other.get("/account").status_code == 302  # every session ended
    assert client.post("/login", data={"email": "li@example.cn", "password": PASSWORD}).status_code == 200
    assert (
        client.post("/login", data={"email": "li@example.cn", "password": "glacier-ferry-41"}).status_code
        == 302
    )
    # Single use: the same link again is refused, in English too.
    client.post("/lang/en")
    again = client.get(link)
    assert again.status_code == 400 and "not valid" in again.get_data(as_text=True)
    replay = client.post(link, data={"password": "another-ferry-42", "password_confirm": "another-ferry-42"})
    assert replay.status_code == 400
    assert user.password_hash.startswith("pbkdf2:")


def test_the_reset_link_expires(app, client, db, outbox, monkeypatch):
    UserFactory(email="li@example.cn")
    client.post("/password/forgot", data={"email": "li@example.cn"})
    link = _link(outbox)
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", -1)
    assert client.get(link).status_code == 400


def test_a_reset_link_stops_working_after_a_log_out(client, db, outbox):
    UserFactory(email="li@example.cn")
    client.post("/password/forgot", data={"email": "li@example.cn"})
    link = _link(outbox)
    client.post("/login", data={"email": "li@example.cn", "password": PASSWORD})
    client.post("/logout")
    assert client.get(link).status_code == 400


@pytest.mark.parametrize("token", ["x", "a" * 600, "eyJ1IjoxfQ.bad.sig", "%00"])
def test_a_forged_or_broken_token_is_refused(client, db, token):
    # A NUL byte in the path is refused before any view, as everywhere (422).
    expected = (422,) if token == "%00" else (400, 404)
    assert client.get(f"/password/reset/{token}").status_code in expected


def test_no_reset_link_for_a_suspended_account(client, db, outbox):
    UserFactory(email="s@example.cn", suspended=True)
    assert client.post("/password/forgot", data={"email": "s@example.cn"}).status_code == 302
    assert outbox == []


def test_the_reset_link_ignores_a_forged_host_when_the_public_address_is_set(
    app, client, db, outbox, monkeypatch
):
    UserFactory(email="li@example.cn")
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://tech.example.cn/")
    client.post("/password/forgot", data={"email": "li@example.cn"}, headers={"Host": "evil.example"})
    ((_to, _subject, body),) = outbox
    assert "evil" not in body
    assert "https://tech.example.cn/password/reset/" in body


def test_the_file_mail_sender_keeps_every_message(app, tmp_path, monkeypatch):
    import json

    from marketplace.core.mail import FileSender, get_sender, send_email

    path = tmp_path / "mail.jsonl"
    monkeypatch.setitem(app.config, "MAIL_SENDER", f"file:{path}")
    monkeypatch.delitem(app.extensions, "mail_sender", raising=False)
    with app.app_context():
        assert isinstance(get_sender(), FileSender)
        send_email("li@example.cn", "主题", "正文\nhttp://x/y")
        send_email("wu@example.cn", "b", "c")
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert lines == [
        {"to": "li@example.cn", "subject": "主题", "body": "正文\nhttp://x/y"},
        {"to": "wu@example.cn", "subject": "b", "body": "c"},
    ]
    monkeypatch.delitem(app.extensions, "mail_sender", raising=False)
