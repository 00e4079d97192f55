"""Signing up: the happy path and every validation message that matters."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Organization, User

from ..factories import OrganizationFactory, UserFactory, valid_uscc


def form(**overrides):
    data = {
        "name": "王小明",
        "email": "wang@example.cn",
        "password": "hlj-tech-2025",
        "password_confirm": "hlj-tech-2025",
        "role": "buyer",
        "org_name": "哈尔滨示例科技有限公司",
        "org_kind": "enterprise",
        "uscc": valid_uscc("230100"),
        "region": "230100",
        "place": "",
        "accept_terms": "y",
        "accept_privacy": "y",
    }
    data.update(overrides)
    return data


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_register_creates_user_and_organization_then_asks_to_log_in(client, db, outbox):
    response = client.post("/register", data=form())
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    user = db.session.scalar(select(User).where(User.email == "wang@example.cn"))
    assert user.organization.name == "哈尔滨示例科技有限公司"
    assert user.has_powers
    assert user.password_hash != "hlj-tech-2025" and user.password_hash.startswith("pbkdf2:")
    assert client.get("/account").status_code == 302  # not logged in by signing up
    # Not before the address is confirmed: the same answer as a wrong password, and the link again.
    refused = client.post("/login", data={"email": "wang@example.cn", "password": "hlj-tech-2025"})
    assert refused.status_code == 200 and "电子邮箱或密码不正确" in refused.get_data(as_text=True)
    assert client.get("/account").status_code == 302
    (to, subject, body), (to_again, _s, body_again) = outbox
    assert to == to_again == "wang@example.cn" and "确认" in subject
    link = re.search(r"https?://[^/\s]+(/register/confirm/\S+)", body).group(1)
    link_again = re.search(r"https?://[^/\s]+(/register/confirm/\S+)", body_again).group(1)
    # The same account and address; the signing time may be a second later.
    assert link.split(".")[0] == link_again.split(".")[0]
    page = client.get(link)  # opening the link writes nothing
    assert page.status_code == 200 and "wang@example.cn" in page.get_data(as_text=True)
    assert user.email_confirmed_at is None
    confirmed = client.post(link)
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith("/login")
    assert user.email_confirmed_at is not None
    client.post("/login", data={"email": "wang@example.cn", "password": "hlj-tech-2025"})
    assert "王小明" in client.get("/account").get_data(as_text=True)
    assert client.post(link).status_code == 302  # again: already confirmed, nothing changes


@pytest.mark.parametrize("token", ["x", "a" * 600, "eyJ1IjoxfQ.bad.sig"])
def test_a_broken_confirmation_link_is_refused(client, db, token):
    response = client.get(f"/register/confirm/{token}")
    assert response.status_code == 400
    assert client.post(f"/register/confirm/{token}").status_code == 400


def test_a_password_reset_confirms_the_address(client, db, outbox):
    client.post("/register", data=form())
    client.post("/password/forgot", data={"email": "wang@example.cn"})
    reset = re.search(r"https?://[^/\s]+(/password/reset/\S+)", outbox[-1][2]).group(1)
    client.post(reset, data={"password": "glacier-ferry-41", "password_confirm": "glacier-ferry-41"})
    assert (
        client.post("/login", data={"email": "wang@example.cn", "password": "glacier-ferry-41"}).status_code
        == 302
    )


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"uscc": "91230100MA1B2C3D4X"}, "check character"),
        ({"uscc": "91230100"}, "18 characters"),
        ({"password": "short1", "password_confirm": "short1"}, "at least 10"),
        ({"password": "onlyletterspassword", "password_confirm": "onlyletterspassword"}, "Mix letters"),
        ({"password_confirm": "something-else-1"}, "passwords differ"),
        ({"region": "110000"}, "Not a valid choice"),
        ({"region": "000000", "place": ""}, "Say where"),
        ({"role": "admin"}, "Not a valid choice"),
        ({"email": "not-an-email"}, "email"),
        ({"role": "agency", "org_kind": "enterprise"}, "needs an organization of the kind"),
    ],
)
def test_register_refuses_bad_input_with_a_clear_message(client, db, overrides, field_message):
    before = (count(db, User), count(db, Organization))
    response = client.post("/lang/en", follow_redirects=False)
    response = client.post("/register", data=form(**overrides))
    assert response.status_code == 200
    assert field_message.lower() in response.get_data(as_text=True).lower()
    assert (count(db, User), count(db, Organization)) == before


def test_register_with_a_taken_email_creates_nothing_and_writes_to_its_owner(client, db, outbox):
    owner = UserFactory(email="taken@example.cn", locale="en")
    before = (count(db, User), count(db, Organization))
    response = client.post("/register", data=form(email="Taken@Example.cn"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert (count(db, User), count(db, Organization)) == before
    ((to, subject, body),) = outbox
    assert to == owner.email
    assert "Someone tried to sign up" in subject and "No new account" in body


def test_messages_are_in_chinese_by_default(client, db):
    response = client.post("/register", data=form(uscc="91230100MA1B2C3D4X"))
    text = response.get_data(as_text=True)
    assert 'lang="zh-Hans"' in text
    assert "校验" in text  # the check-character message, translated


def test_joining_an_existing_organization_waits_for_approval(client, db):
    org = OrganizationFactory(kind="university", region_code="230100")
    client.post("/register", data=form(uscc=org.uscc, org_kind="university", role="seller"))
    user = db.session.scalar(select(User).where(User.email == "wang@example.cn"))
    assert user.organization_id == org.id
    assert user.membership == "pending"
    assert not user.has_powers and user.acting_role == "member"


def test_agency_acts_as_plain_user_until_its_organization_is_approved(client, db):
    client.post("/register", data=form(role="agency", org_kind="agency", org_name="哈尔滨某技术转移中心"))
    user = db.session.scalar(select(User).where(User.email == "wang@example.cn"))
    assert user.organization.status == "pending"
    assert user.acting_role == "member"
    user.organization.status = "approved"
    assert user.acting_role == "agency"


def test_out_of_province_organization_needs_a_place(client, db):
    client.post("/register", data=form(region="000000", place="广东省深圳市", uscc=valid_uscc("440300")))
    user = db.session.scalar(select(User).where(User.email == "wang@example.cn"))
    assert user.organization.region_code == "000000"
    assert user.organization.place == "广东省深圳市"


def _page_without_tokens(response) -> str:
    return re.sub(r'value="[^"]*"', 'value=""', response.get_data(as_text=True))


@pytest.mark.parametrize(
    "invalid",
    [
        {},
        {"uscc": "91230100MA1B2C3D4X"},
        {"password": "password12", "password_confirm": "password12"},
        {"name": ""},
        {"role": "agency", "org_kind": "enterprise"},
    ],
)
def test_sign_up_answers_the_same_whether_or_not_the_email_is_registered(client, db, outbox, invalid):
    UserFactory(email="taken@example.cn")
    client.post("/lang/en")
    fields = {"uscc": valid_uscc("230100"), **invalid}
    taken = client.post("/register", data=form(email="taken@example.cn", **fields))
    free = client.post("/register", data=form(email="free@example.cn", **fields))
    assert taken.status_code == free.status_code
    assert taken.headers.get("Location") == free.headers.get("Location")
    texts = [
        _page_without_tokens(r).replace(e, "X")
        for r, e in ((taken, "taken@example.cn"), (free, "free@example.cn"))
    ]
    assert texts[0] == texts[1]
    assert "already exists" not in texts[0]
    if not invalid:
        assert "already exists" not in client.get("/login").get_data(as_text=True)
        assert [to for to, _s, _b in outbox] == ["taken@example.cn", "free@example.cn"]
    else:
        assert outbox == []


def test_two_sign_ups_of_one_address_at_once_create_one_account(client, db, outbox, monkeypatch):
    """The unique index decides a race: the loser is answered like any sign-up."""
    from marketplace.accounts import services

    real = services.select

    def blind_select(*args, **kwargs):
        # The duplicate check sees nothing, as if the other request had not committed yet.
        statement = real(*args, **kwargs)
        return statement.where(User.id == -1) if args and args[0] is User else statement

    UserFactory(email="race@example.cn")
    monkeypatch.setattr(services, "select", blind_select)
    response = client.post("/register", data=form(email="race@example.cn"))
    monkeypatch.undo()
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert (
        db.session.scalar(select(func.count()).select_from(User).where(User.email == "race@example.cn")) == 1
    )
    assert outbox == []  # decided by the unique index, not by the check (which writes to the owner)


def test_signing_up_then_logging_in_does_not_tell_whether_the_address_was_registered(client, db, outbox):
    """Sign up with an address and a password, then log in with them: for a registered
    address (another password) and a new one (not confirmed yet) the answers are the same."""
    UserFactory(email="taken@example.cn")
    client.post("/lang/en")
    answers = []
    for email in ("taken@example.cn", "free@example.cn"):
        client.post("/register", data=form(email=email))
        client.get("/login")  # reads the sign-up's flash
        response = client.post("/login", data={"email": email, "password": "hlj-tech-2025"})
        answers.append((response.status_code, _page_without_tokens(response).replace(email, "X")))
        assert client.get("/account").status_code == 302
    assert answers[0] == answers[1]
    assert "password is wrong" in answers[0][1]
