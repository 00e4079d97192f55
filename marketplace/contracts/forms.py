"""Contract forms: shape and format only; the rules live in services.

The web forms take amounts in yuan (MoneyField); the API forms take the same
field names as integers in fen. Both produce the same `changes` dict.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..core.catalog import INDUSTRIES
from ..core.forms import BaseForm, MoneyField, strip_filter
from .codes import CATEGORIES, COST_KINDS, RETURN_REASONS

MAX_FEN = 10**14


def _choices(table: dict[str, object], blank: bool = True) -> list[tuple[str, object]]:
    items = list(table.items())
    return ([("", _l("— choose —"))] if blank else []) + items


class _Lenient(SelectField):
    """A select whose value is checked by the service (so the API can send any
    code and get the service's clear message), while the page offers the list."""

    def pre_validate(self, form) -> None:
        return None


# --- Rows ---------------------------------------------------------------------------------------


class MilestoneRow(Form):
    due_on = DateField(_l("Due on"), validators=[Optional()])
    amount_fen = MoneyField(_l("Amount (yuan)"))
    description = StringField(
        _l("What is paid for"), validators=[Optional(), Length(max=200)], filters=[strip_filter]
    )


class CostRow(Form):
    kind = SelectField(_l("Kind"), choices=_choices(COST_KINDS), validators=[Optional()])
    description = StringField(
        _l("Description"), validators=[Optional(), Length(max=200)], filters=[strip_filter]
    )
    amount_fen = MoneyField(_l("Amount (yuan)"))


class MilestoneRowApi(Form):
    due_on = DateField(_l("Due on"), validators=[InputRequired()])
    amount_fen = IntegerField(
        _l("Amount (fen)"), validators=[InputRequired(), NumberRange(min=1, max=MAX_FEN)]
    )
    description = StringField(_l("What is paid for"), validators=[Optional(), Length(max=200)])


class CostRowApi(Form):
    kind = _Lenient(_l("Kind"), choices=_choices(COST_KINDS), validators=[InputRequired()])
    description = StringField(_l("Description"), validators=[InputRequired(), Length(max=200)])
    amount_fen = IntegerField(
        _l("Amount (fen)"), validators=[InputRequired(), NumberRange(min=1, max=MAX_FEN)]
    )


def _row_is_blank(row: dict[str, Any]) -> bool:
    return all(v in (None, "") for k, v in row.items() if k != "csrf_token")


def read_id_list(value: Any, field: str) -> list[int]:
    """A JSON list of positive integer ids; ValidationError (422) otherwise."""
    from ..core.errors import ValidationError

    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value
    ):
        raise ValidationError(fields={field: [_l("Give a list of numbers.")]})
    return list(value)


# --- Contract terms -------------------------------------------------------------------------------


class _TermsFields:
    category = _Lenient(_l("Category"), choices=_choices(CATEGORIES), validators=[Optional()])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=300)], filters=[strip_filter])
    subject = TextAreaField(
        _l("Subject"),
        validators=[Optional(), Length(max=5000)],
        filters=[strip_filter],
        description=_l("What is licensed, transferred, developed or done."),
    )
    industry = _Lenient(_l("Industry"), choices=_choices(INDUSTRIES), validators=[Optional()])
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_to = DateField(_l("Valid until"), validators=[Optional()])
    signed_on = DateField(_l("Signed on"), validators=[Optional()])
    buyer_name = StringField(
        _l("Out-of-province buyer"), validators=[Optional(), Length(max=200)], filters=[strip_filter]
    )
    buyer_place = StringField(
        _l("Buyer's place (province, city)"), validators=[Optional(), Length(max=200)], filters=[strip_filter]
    )
    agency_org_id = IntegerField(_l("Agency (organization number)"), validators=[Optional()])


class ContractForm(BaseForm, _TermsFields):
    """The edit page: amounts in yuan, milestones and cost lines as repeatable rows."""

    turnover_fen = MoneyField(_l("Contract turnover (yuan)"))
    tech_income_fen = MoneyField(
        _l("Technology income (yuan)"),
        description=_l("Turnover minus non-technical costs (equipment, instruments, parts, raw materials)."),
    )
    new_investment_fen = MoneyField(_l("Expected new investment (yuan)"))
    new_output_fen = MoneyField(_l("Expected new output value (yuan)"))
    asset_ids = StringField(
        _l("IP assets (numbers, comma-separated)"),
        validators=[Optional(), Length(max=500)],
        filters=[strip_filter],
    )
    milestones = FieldList(FormField(MilestoneRow), min_entries=0)
    cost_lines = FieldList(FormField(CostRow), min_entries=0)
    submit = SubmitField(_l("Save"))

    def validate_asset_ids(self, field) -> None:
        from wtforms.validators import ValidationError as WTFValidationError

        if field.data and not all(
            part.strip().isdigit() for part in field.data.replace("，", ",").split(",") if part.strip()
        ):
            raise WTFValidationError(_l("Enter asset numbers separated by commas."))

    def changes(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name in (
            "category",
            "title",
            "subject",
            "industry",
            "valid_from",
            "valid_to",
            "signed_on",
            "buyer_name",
            "buyer_place",
            "agency_org_id",
            "turnover_fen",
            "tech_income_fen",
            "new_investment_fen",
            "new_output_fen",
        ):
            value = self[name].data
            data[name] = value if value != "" else None
        text = (self.asset_ids.data or "").replace("，", ",")
        data["asset_ids"] = [int(p) for p in text.split(",") if p.strip()]
        data["milestones"] = [row for row in (e.data for e in self.milestones) if not _row_is_blank(row)]
        data["cost_lines"] = [row for row in (e.data for e in self.cost_lines) if not _row_is_blank(row)]
        return data

    def row_errors(self) -> dict[str, list[str]]:
        """Errors of individual rows (e.g. a bad amount), for the summary under each table."""
        out: dict[str, list[str]] = {}
        for name in ("milestones", "cost_lines"):
            for index, entry in enumerate(self[name].entries):
                for field_name, messages in entry.form.errors.items():
                    for message in messages:
                        out.setdefault(name, []).append(
                            f"{index + 1}: {self[name].entries[index].form[field_name].label.text}: {message}"
                        )
        return out


class ContractApiForm(BaseForm, _TermsFields):
    """The JSON body of PATCH /contracts/{id}: amounts in fen."""

    turnover_fen = IntegerField(validators=[Optional(), NumberRange(min=0, max=MAX_FEN)])
    tech_income_fen = IntegerField(validators=[Optional(), NumberRange(min=0, max=MAX_FEN)])
    new_investment_fen = IntegerField(validators=[Optional(), NumberRange(min=0, max=MAX_FEN)])
    new_output_fen = IntegerField(validators=[Optional(), NumberRange(min=0, max=MAX_FEN)])
    milestones = FieldList(FormField(MilestoneRowApi), min_entries=0)
    cost_lines = FieldList(FormField(CostRowApi), min_entries=0)

    def changes(self, body: dict[str, Any]) -> dict[str, Any]:
        """Only the fields the body names (PATCH); `asset_ids` is read from the body."""
        data: dict[str, Any] = {}
        if "asset_ids" in body:
            data["asset_ids"] = read_id_list(body["asset_ids"], "asset_ids")
        for name in body:
            if name not in self._fields or name == "csrf_token":
                continue
            if name in ("milestones", "cost_lines"):
                data[name] = [dict(e.data) for e in self[name].entries]
            else:
                value = self[name].data
                data[name] = value if value != "" else None
        return data


class OfflineDealForm(ContractForm):
    """An agency records a deal negotiated off the platform."""

    seller_org_id = IntegerField(_l("Seller (organization number)"), validators=[InputRequired()])
    buyer_org_id = IntegerField(_l("Buyer (organization number)"), validators=[Optional()])
    deal_kind = SelectField(
        _l("Deal kind"),
        choices=[
            ("transfer", _l("Transfer")),
            ("license", _l("Licence")),
            ("equity", _l("Equity contribution")),
        ],
        validators=[DataRequired()],
    )
    submit = SubmitField(_l("Record the deal"))


class OfflineDealApiForm(ContractApiForm):
    seller_org_id = IntegerField(validators=[InputRequired()])
    buyer_org_id = IntegerField(validators=[Optional()])
    deal_terms = StringField(validators=[Optional()])  # a nested object, read from the body directly


# --- Decisions and changes -----------------------------------------------------------------------


class ReturnForm(BaseForm):
    reasons = SelectMultipleField(
        _l("Reasons"), choices=list(RETURN_REASONS.items()), validators=[Optional()]
    )
    # Its own id: the register form beside it on the contract page has a "note" too, and
    # two fields with the same id leave this one without a working label.
    note = TextAreaField(
        _l("Note"),
        id="return_note",
        validators=[Optional(), Length(max=2000)],
        filters=[strip_filter],
    )
    submit = SubmitField(_l("Return the contract"))

    def pre_validate_reasons(self):  # pragma: no cover - kept for symmetry
        return None


class ReturnApiForm(BaseForm):
    reasons = FieldList(StringField(), min_entries=0)
    note = StringField(validators=[Optional(), Length(max=2000)])


class RegisterForm(BaseForm):
    note = TextAreaField(
        _l("Note (optional)"), validators=[Optional(), Length(max=2000)], filters=[strip_filter]
    )
    submit = SubmitField(_l("Register the contract"))


#: An amendment says what changes and why (the web form, the API and the service alike).
AMENDMENT_REASON_REQUIRED = _l("Say what the amendment changes and why.")


class AmendForm(BaseForm):
    category = _Lenient(_l("Category"), choices=_choices(CATEGORIES), validators=[Optional()])
    industry = _Lenient(_l("Industry"), choices=_choices(INDUSTRIES), validators=[Optional()])
    turnover_fen = MoneyField(_l("New contract turnover (yuan)"))
    tech_income_fen = MoneyField(_l("New technology income (yuan)"))
    buyer_name = StringField(
        _l("Out-of-province buyer"), validators=[Optional(), Length(max=200)], filters=[strip_filter]
    )
    buyer_place = StringField(
        _l("Buyer's place"), validators=[Optional(), Length(max=200)], filters=[strip_filter]
    )
    milestones = FieldList(FormField(MilestoneRow), min_entries=0)
    cost_lines = FieldList(FormField(CostRow), min_entries=0)
    note = TextAreaField(
        _l("What changes and why"),
        validators=[DataRequired(message=AMENDMENT_REASON_REQUIRED), Length(max=2000)],
        filters=[strip_filter],
    )
    submit = SubmitField(_l("Apply for the amendment"))

    def changes(self, contract) -> dict[str, Any]:
        """What differs from the registered terms (an empty field keeps the current value)."""
        data: dict[str, Any] = {}
        for name in ("category", "industry", "turnover_fen", "tech_income_fen", "buyer_name", "buyer_place"):
            value = self[name].data
            if value not in (None, ""):
                data[name] = value
        milestones = [row for row in (e.data for e in self.milestones) if not _row_is_blank(row)]
        costs = [row for row in (e.data for e in self.cost_lines) if not _row_is_blank(row)]
        data["milestones"] = milestones
        data["cost_lines"] = costs
        return data


class AmendApiForm(BaseForm):
    category = _Lenient(choices=_choices(CATEGORIES), validators=[Optional()])
    industry = _Lenient(choices=_choices(INDUSTRIES), validators=[Optional()])
    turnover_fen = IntegerField(validators=[Optional(), NumberRange(min=0, max=MAX_FEN)])
    tech_income_fen = IntegerField(validators=[Optional(), NumberRange(min=0, max=MAX_FEN)])
    buyer_org_id = IntegerField(validators=[Optional()])
    buyer_name = StringField(validators=[Optional(), Length(max=200)])
    buyer_place = StringField(validators=[Optional(), Length(max=200)])
    milestones = FieldList(FormField(MilestoneRowApi), min_entries=0)
    cost_lines = FieldList(FormField(CostRowApi), min_entries=0)
    note = StringField(validators=[DataRequired(message=AMENDMENT_REASON_REQUIRED), Length(max=2000)])

    def changes(self, body: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name in body:
            if name in ("note", "csrf_token") or name not in self._fields:
                continue
            if name in ("milestones", "cost_lines"):
                data[name] = [dict(e.data) for e in self[name].entries]
            else:
                data[name] = self[name].data
        return data


class CancelForm(BaseForm):
    note = TextAreaField(
        _l("Why the contract ends"), validators=[DataRequired(), Length(max=2000)], filters=[strip_filter]
    )
    submit = SubmitField(_l("Apply for cancellation"))


class UploadForm(BaseForm):
    submit = SubmitField(_l("Upload"))


class ConfirmForm(BaseForm):
    """An empty form: CSRF protection for action buttons."""


class FilterForm(Form):
    status = SelectField(_l("Status"), validators=[Optional()])
