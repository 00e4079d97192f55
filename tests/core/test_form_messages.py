"""WTForms' own messages speak the request's language, from the platform's catalogue."""

from __future__ import annotations

from pathlib import Path

import wtforms
from babel.messages.pofile import read_po
from wtforms import EmailField, IntegerField, StringField
from wtforms.validators import Email, InputRequired, Length, NumberRange

from marketplace.core.forms import BaseForm
from marketplace.core.wtforms_messages import MESSAGES, PLURAL_MESSAGES


class _Form(BaseForm):
    name = StringField(validators=[InputRequired(), Length(max=5)])
    email = EmailField(validators=[Email()])
    months = IntegerField(validators=[NumberRange(min=1, max=1200)])


def _errors(app, language: str, data: dict) -> dict:
    with app.test_request_context("/api/v1/x", method="POST", headers={"Accept-Language": language}):
        from werkzeug.datastructures import MultiDict

        form = _Form(formdata=MultiDict(data), meta={"csrf": False})
        form.validate()
        return {k: [str(m) for m in v] for k, v in form.errors.items()}


def test_built_in_messages_are_chinese_in_a_chinese_request(app):
    errors = _errors(app, "zh", {"email": "not-an-address", "months": "5000"})
    assert errors == {
        "name": ["此项为必填项。"],
        "email": ["电子邮箱地址无效。"],
        "months": ["数值须在 1 到 1200 之间。"],
    }


def test_built_in_messages_are_english_in_an_english_request(app):
    errors = _errors(app, "en", {"name": "abcdefgh", "email": "x", "months": "0"})
    assert errors == {
        "name": ["Field cannot be longer than 5 characters."],
        "email": ["Invalid email address."],
        "months": ["Number must be between 1 and 1200."],
    }


def test_the_list_holds_every_message_of_the_installed_wtforms():
    pot = Path(wtforms.__file__).parent / "locale" / "wtforms.pot"
    with pot.open("rb") as fh:
        theirs = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    ours = {m._args[0] for m in MESSAGES} | {m._args[0] for m in PLURAL_MESSAGES}
    assert theirs == ours
