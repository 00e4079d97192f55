"""Log-out and a password change end every session of the user, copied cookies
included; pages for logged-in users are not stored."""

from __future__ import annotations

from ..factories import PASSWORD, UserFactory

NEW_PASSWORD = "glacier-ferry-41"


def _log_in(client, email, password=PASSWORD):
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)


def _copy_session(source, target):
    """What a thief does with a copied cookie: the same session in another browser."""
    cookie = source.get_cookie("session")
    assert cookie is not None
    target.set_cookie("session", cookie.value, domain=cookie.domain)


def _logged_in(client) -> bool:
    return client.get("/account").status_code == 200


def test_a_copied_session_cookie_stops_working_after_log_out(app, client, db):
    user = UserFactory(email="li@example.cn")
    _log_in(client, user.email)
    thief = app.test_client()
    _copy_session(client, thief)
    assert _logged_in(thief)
    client.post("/logout")
    assert not _logged_in(client)
    assert not _logged_in(thief)
    assert user.session_version == 1


def test_log_out_ends_the_sessions_on_other_devices_too(app, client, db):
    user = UserFactory(email="li@example.cn")
    laptop, phone = client, app.test_client()
    _log_in(laptop, user.email)
    _log_in(phone, user.email)
    laptop.post("/logout")
    assert not _logged_in(phone)
    _log_in(phone, user.email)  # logging in again works
    assert _logged_in(phone)


def test_a_password_change_ends_other_sessions_and_keeps_this_one(app, client, db):
    user = UserFactory(email="li@example.cn")
    _log_in(client, user.email)
    thief = app.test_client()
    _copy_session(client, thief)
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert _logged_in(client)
    assert not _logged_in(thief)
    client.post("/logout")
    _log_in(client, user.email, NEW_PASSWORD)


def test_a_refused_password_change_ends_nothing(app, client, db):
    user = UserFactory(email="li@example.cn")
    _log_in(client, user.email)
    other = app.test_client()
    _copy_session(client, other)
    client.post(
        "/account/password",
        data={
            "current_password": "wrong-one-1",
            "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD,
        },
    )
    assert _logged_in(client) and _logged_in(other)
    assert user.session_version == 0


def test_the_session_keeps_the_version_and_an_old_version_is_refused(client, db, login_as):
    user = UserFactory(email="li@example.cn")
    login_as(user)  # a session with the bare id, as before versions: version 0
    assert _logged_in(client)
    user.session_version = 3
    db.session.flush()
    assert not _logged_in(client)
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{user.id}.3"
    assert _logged_in(client)
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{user.id}.2"
    assert not _logged_in(client)
    for junk in ("x.1", f"{user.id}.x", "99999999999999999999999", ""):
        with client.session_transaction() as sess:
            sess["_user_id"] = junk
        assert not _logged_in(client)


def test_pages_for_logged_in_users_are_not_stored(client, db, login_as):
    anonymous = client.get("/")
    assert "no-store" not in anonymous.headers.get("Cache-Control", "")
    login_as("buyer")
    for path in ("/", "/account", "/listings", "/notifications/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
    static = client.get("/static/css/app.css")
    static.close()
    assert "no-store" not in static.headers.get("Cache-Control", "")
