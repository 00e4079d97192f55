"""Form helpers shared by every domain."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, FieldList, FormField, StringField
from wtforms.validators import Length
from wtforms.validators import ValidationError as WTFValidationError

from .errors import DomainError
from .input import NOT_ALLOWED, NOT_AN_ID, has_bad_text, id_out_of_range, is_id_name
from .money import MoneyError, fen_to_yuan_text, parse_yuan


class _CatalogueTranslations:
    """WTForms' built-in messages ("This field is required.", "Invalid email address.")
    translated by the platform's own catalogue (core/wtforms_messages.py lists them), in
    the request's language like every other message: not by WTForms' catalogues, whose
    Chinese mixes languages ("无效的 Email 地址") and which an API answer in English
    would not follow."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


_TRANSLATIONS = _CatalogueTranslations()


class BaseForm(FlaskForm):
    """A form that can show the field errors a service raised, and that refuses NUL
    bytes and unpaired surrogates in any field, and ids (`*_id`, `*_ids`) beyond the
    database's integer range, before its validators run (core.input). Its built-in
    messages come from the platform's catalogue, in the request's language."""

    class Meta:
        def get_translations(self, form):
            return _TRANSLATIONS

    def validate(self, extra_validators=None) -> bool:
        leaves = list(_leaf_fields(self))
        bad = {field: NOT_ALLOWED for field in leaves if any(has_bad_text(v) for v in field.raw_data or ())}
        for field in leaves:
            if (
                field not in bad
                and is_id_name(field.short_name)
                and id_out_of_range(list(field.raw_data or ()))
            ):
                bad[field] = NOT_AN_ID
        if not bad:
            return super().validate(extra_validators)
        for field, message in bad.items():
            field.errors = [message]
        self._errors = None
        return False

    def apply_errors(self, error: DomainError) -> bool:
        """Attach a service's field errors to the matching fields.

        Returns True when every error found a field; otherwise the caller
        should also flash the message.
        """
        placed = True
        for name, messages in (error.fields or {}).items():
            field = self._fields.get(name)
            if field is None:
                placed = False
                continue
            field.errors = list(field.errors or []) + [str(m) for m in messages]
        return placed and bool(error.fields)


class MoneyField(StringField):
    """An amount typed in yuan; `data` is integer fen (or None when empty)."""

    def __init__(self, label=None, validators=None, allow_negative: bool = False, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.allow_negative = allow_negative
        self.raw_text = ""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return fen_to_yuan_text(self.data) if isinstance(self.data, int) else ""

    def process_formdata(self, valuelist):
        self.raw_text = (valuelist[0] if valuelist else "") or ""
        if not self.raw_text.strip():
            self.data = None
            return
        try:
            self.data = parse_yuan(self.raw_text, allow_negative=self.allow_negative)
        except MoneyError as exc:
            self.data = None
            raise ValueError(str(exc)) from None

    def process_data(self, value):
        if isinstance(value, Decimal):
            value = int(value)
        self.data = value


def _leaf_fields(form):
    """Every field of a form, inside FormFields and FieldLists too."""
    for field in form:
        if isinstance(field, FormField):
            yield from _leaf_fields(field.form)
        elif isinstance(field, FieldList):
            for entry in field.entries:
                if isinstance(entry, FormField):
                    yield from _leaf_fields(entry.form)
                else:
                    yield entry
        else:
            yield field


def strip_filter(value):
    return value.strip() if isinstance(value, str) else value


class FieldCheck:
    """Wrap a function `value -> cleaned` raising ValueError into a WTForms validator."""

    def __init__(self, func) -> None:
        self.func = func

    def __call__(self, form, field: Field) -> None:
        if field.data in (None, ""):
            return
        try:
            field.data = self.func(field.data)
        except ValueError as exc:
            raise WTFValidationError(str(exc.args[0])) from None


class MaxLength(Length):
    """At most `max` characters (the column's size), refused with a message naming the
    limit. Unlike WTForms' Length it puts no `maxlength` on the input: a browser cuts
    what is typed or pasted beyond it without a word, and a name must never be cut."""

    def __init__(self, max: int, message=None) -> None:
        super().__init__(
            max=max, message=message or _l("At most %(max)d characters (this has %(length)d); shorten it.")
        )
        self.field_flags = {}
