"""The account's phone: a mainland mobile or a landline with its area code, or nothing."""

from __future__ import annotations

import pytest

from marketplace.accounts.validation import clean_phone


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("０４５１－８６４１２３４５", "0451-86412345"),
        ("0451-86412345", "0451-86412345"),
        ("045186412345", "0451-86412345"),
        ("010-12345678-806", "010-12345678-806"),
        ("0451-8641234转12", "0451-8641234-12"),
    ],
)
def test_phone_numbers_people_write_are_kept_in_one_form(app, text, kept):
    assert clean_phone(text) == kept


@pytest.mark.parametrize(
    "text", ["hello", "12345", "12812345678", "1381234567", "138123456789", "451-86412345"]
)
def test_anything_else_is_refused(app, text):
    with pytest.raises(ValueError):
        clean_phone(text)


@pytest.mark.parametrize(
    ("lang", "said"),
    [("zh_Hans", "电话：请填写 11 位手机号码"), ("en", "Phone: enter a mobile number of 11 digits")],
)
def test_the_account_page_refuses_a_bad_phone_in_the_users_language(client, login_as, db, lang, said):
    user = login_as("buyer")
    with client.session_transaction() as sess:
        sess["lang"] = lang
    data = {"name": user.name, "phone": "call me", "locale": lang}
    page = client.post("/account/profile", data=data, follow_redirects=True).get_data(as_text=True)
    assert said in page
    db.session.refresh(user)
    assert user.phone != "call me"
    data["phone"] = "0451-86412345"
    client.post("/account/profile", data=data)
    db.session.refresh(user)
    assert user.phone == "0451-86412345"
    data["phone"] = ""
    client.post("/account/profile", data=data)
    db.session.refresh(user)
    assert user.phone is None


def test_the_service_refuses_a_bad_phone_too(app, db):
    from marketplace.accounts import services
    from marketplace.core.errors import ValidationError
    from tests import factories

    user = factories.user_with_role("buyer")
    with app.test_request_context("/?lang=en"), pytest.raises(ValidationError) as caught:
        services.update_profile(user, name="X", phone="555", locale=None, actor=user)
    assert "phone" in caught.value.fields
