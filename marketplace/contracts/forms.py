"""Contract forms: shape and format only; the rules live in services.

One input schema per operation: the API form (amounts as integers in fen) is
the schema, the web form subclasses it and only swaps the money fields for
`MoneyField` (yuan), the rows for their web rows and the ids for pickers that
show names (`pickers`); both produce the same `changes` dict. The OpenAPI request bodies are
built from the API forms (`body_schema`), so the choices they list are the
ones the forms offer.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
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
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from ..core.apidocs import DATE, FEN, INTEGER, STRING, obj
from ..core.catalog import INDUSTRIES
from ..core.errors import ValidationError
from ..core.forms import BaseForm, MaxLength, MoneyField, strip_filter
from ..ip.states import DEAL_KIND_LABELS
from .codes import CATEGORIES, COST_KINDS, RETURN_REASONS
from .pickers import AssetPicker, OrgPicker
from .terms import AMENDABLE_FIELDS, AMENDMENT_REASON_REQUIRED, EDITABLE_FIELDS, LIST_FIELDS

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


class MilestoneRowApi(Form):
    due_on = DateField(_l("Due on"), validators=[InputRequired()])
    amount_fen = IntegerField(
        _l("Amount (fen)"), validators=[InputRequired(), NumberRange(min=1, max=MAX_FEN)]
    )
    description = StringField(_l("What is paid for"), validators=[Optional(), MaxLength(200)])


class MilestoneRow(MilestoneRowApi):
    """A row of the web page: blank rows are dropped, so nothing is required."""

    due_on = DateField(_l("Due on"), validators=[Optional()])
    amount_fen = MoneyField(_l("Amount (yuan)"))
    description = StringField(
        _l("What is paid for"), validators=[Optional(), MaxLength(200)], filters=[strip_filter]
    )


class CostRowApi(Form):
    kind = _Lenient(_l("Kind"), choices=_choices(COST_KINDS), validators=[InputRequired()])
    description = StringField(_l("Description"), validators=[InputRequired(), MaxLength(200)])
    amount_fen = IntegerField(
        _l("Amount (fen)"), validators=[InputRequired(), NumberRange(min=1, max=MAX_FEN)]
    )


class CostRow(CostRowApi):
    """A row of the web page: a select of the kinds, nothing required (blank rows are dropped)."""

    kind = SelectField(_l("Kind"), choices=_choices(COST_KINDS), validators=[Optional()])
    description = StringField(
        _l("Description"), validators=[Optional(), MaxLength(200)], filters=[strip_filter]
    )
    amount_fen = MoneyField(_l("Amount (yuan)"))


def _row_is_blank(row: dict[str, Any]) -> bool:
    return all(v in (None, "") for k, v in row.items() if k != "csrf_token")


def _filled_rows(field: FieldList) -> list[dict[str, Any]]:
    return [row for row in (e.data for e in field) if not _row_is_blank(row)]


def _body_rows(field: FieldList) -> list[dict[str, Any]]:
    return [dict(e.data) for e in field.entries]


def read_id_list(value: Any, field: str) -> list[int]:
    """A JSON list of positive integer ids; ValidationError (422) otherwise."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value
    ):
        raise ValidationError(fields={field: [_l("Give a list of numbers.")]})
    return list(value)


def _fen(label=None):
    return IntegerField(label, validators=[Optional(), NumberRange(min=0, max=MAX_FEN)])


# --- Contract terms -------------------------------------------------------------------------------


class ContractApiForm(BaseForm):
    """The terms of a contract (PATCH /contracts/{id}): amounts in fen, `asset_ids`
    read from the body. One field per name of `EDITABLE_FIELDS` and `LIST_FIELDS`."""

    category = _Lenient(_l("Category"), choices=_choices(CATEGORIES), validators=[Optional()])
    title = StringField(
        lazy_pgettext("contract", "Title"), validators=[Optional(), MaxLength(300)], filters=[strip_filter]
    )
    subject = TextAreaField(
        _l("Subject"),
        validators=[Optional(), MaxLength(5000)],
        filters=[strip_filter],
        description=_l("What is licensed, transferred, developed or done."),
    )
    industry = _Lenient(_l("Industry"), choices=_choices(INDUSTRIES), validators=[Optional()])
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_to = DateField(_l("Valid until"), validators=[Optional()])
    signed_on = DateField(_l("Signed on"), validators=[Optional()])
    buyer_name = StringField(
        _l("Out-of-province buyer"), validators=[Optional(), MaxLength(200)], filters=[strip_filter]
    )
    buyer_place = StringField(
        _l("Buyer's place (province, city)"), validators=[Optional(), MaxLength(200)], filters=[strip_filter]
    )
    agency_org_id = IntegerField(_l("Agency (organization number)"), validators=[Optional()])
    turnover_fen = _fen()
    tech_income_fen = _fen()
    new_investment_fen = _fen()
    new_output_fen = _fen()
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
                data[name] = _body_rows(self[name])
            else:
                value = self[name].data
                data[name] = value if value != "" else None
        return data


class ContractForm(ContractApiForm):
    """The edit page: amounts in yuan, milestones and cost lines as repeatable rows,
    the assets and the agency chosen by name (`pickers`; the values posted are ids)."""

    turnover_fen = MoneyField(_l("Contract turnover (yuan)"))
    tech_income_fen = MoneyField(
        _l("Technology income (yuan)"),
        description=_l("Turnover minus non-technical costs (equipment, instruments, parts, raw materials)."),
    )
    new_investment_fen = MoneyField(_l("Expected new investment (yuan)"))
    new_output_fen = MoneyField(_l("Expected new output value (yuan)"))
    agency_org_id = OrgPicker(
        _l("Agency"), validators=[Optional()], message=_l("Choose an approved agency from the list.")
    )
    asset_ids = AssetPicker(_l("IP assets"), validators=[Optional()])
    milestones = FieldList(FormField(MilestoneRow), min_entries=0)
    cost_lines = FieldList(FormField(CostRow), min_entries=0)
    submit = SubmitField(_l("Save"))

    def changes(self) -> dict[str, Any]:  # type: ignore[override]
        """Every field of the page (a blank one clears the value); blank rows are dropped."""
        data: dict[str, Any] = {}
        for name in EDITABLE_FIELDS:
            value = self[name].data
            data[name] = value if value != "" else None
        data["asset_ids"] = list(dict.fromkeys(self.asset_ids.data or []))
        data["milestones"] = _filled_rows(self.milestones)
        data["cost_lines"] = _filled_rows(self.cost_lines)
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


#: The deal kinds an offline deal records, a transfer first (the page's default).
OFFLINE_DEAL_KINDS = sorted(DEAL_KIND_LABELS.items(), key=lambda item: item[0] != "transfer")


class OfflineDealApiForm(ContractApiForm):
    """POST /contracts: an agency records a deal negotiated off the platform, naming
    both parties."""

    seller_org_id = IntegerField(_l("Seller (organization number)"), validators=[InputRequired()])
    buyer_org_id = IntegerField(_l("Buyer (organization number)"), validators=[Optional()])


class OfflineDealForm(ContractForm, OfflineDealApiForm):
    """The page where an agency records a deal negotiated off the platform: the
    terms as on the edit page, the parties as in the API, and the deal kind."""

    seller_org_id = OrgPicker(
        _l("Seller"),
        validators=[InputRequired(message=_l("Choose the seller from the list."))],
        message=_l("Choose the seller from the list."),
    )
    buyer_org_id = OrgPicker(
        _l("Buyer"), validators=[Optional()], message=_l("Choose the buyer from the list.")
    )
    deal_kind = SelectField(_l("Deal kind"), choices=OFFLINE_DEAL_KINDS, validators=[DataRequired()])
    submit = SubmitField(_l("Record the deal"))


# --- Decisions and changes -----------------------------------------------------------------------


class ReturnApiForm(BaseForm):
    """POST /contracts/{id}/return: the reasons (a list of codes) are read from the body
    and checked by the service, which names the unknown ones."""

    reasons = SelectMultipleField(choices=list(RETURN_REASONS.items()), validate_choice=False)
    note = StringField(validators=[Optional(), MaxLength(2000)])


class ReturnForm(ReturnApiForm):
    reasons = SelectMultipleField(
        _l("Reasons"), choices=list(RETURN_REASONS.items()), validators=[Optional()]
    )
    # Its own id: the register form beside it on the contract page has a "note" too, and
    # two fields with the same id leave this one without a working label.
    note = TextAreaField(
        _l("Note"),
        id="return_note",
        validators=[Optional(), MaxLength(2000)],
        filters=[strip_filter],
    )
    submit = SubmitField(_l("Return the contract"))

    def pre_validate_reasons(self):  # pragma: no cover - kept for symmetry
        return None


class RegisterForm(BaseForm):
    note = TextAreaField(
        _l("Note (optional)"), validators=[Optional(), MaxLength(2000)], filters=[strip_filter]
    )
    submit = SubmitField(_l("Register the contract"))


class AmendApiForm(BaseForm):
    """POST /contracts/{id}/amend: what changes (the names of `AMENDABLE_FIELDS`) and why."""

    category = _Lenient(_l("Category"), choices=_choices(CATEGORIES), validators=[Optional()])
    industry = _Lenient(_l("Industry"), choices=_choices(INDUSTRIES), validators=[Optional()])
    turnover_fen = _fen()
    tech_income_fen = _fen()
    buyer_org_id = IntegerField(validators=[Optional()])
    buyer_name = StringField(validators=[Optional(), MaxLength(200)])
    buyer_place = StringField(validators=[Optional(), MaxLength(200)])
    milestones = FieldList(FormField(MilestoneRowApi), min_entries=0)
    cost_lines = FieldList(FormField(CostRowApi), min_entries=0)
    note = StringField(validators=[DataRequired(message=AMENDMENT_REASON_REQUIRED), MaxLength(2000)])

    def changes(self, body: dict[str, Any]) -> dict[str, Any]:
        """The fields the body names, except the reason (`note`)."""
        data: dict[str, Any] = {}
        for name in body:
            if name in ("note", "csrf_token") or name not in self._fields:
                continue
            if name in ("milestones", "cost_lines"):
                data[name] = _body_rows(self[name])
            else:
                data[name] = self[name].data
        return data


class AmendForm(AmendApiForm):
    """The amendment page: amounts in yuan; the buyer is changed by name (an
    out-of-province buyer), not by organization number."""

    buyer_org_id = None
    turnover_fen = MoneyField(_l("New contract turnover (yuan)"))
    tech_income_fen = MoneyField(_l("New technology income (yuan)"))
    buyer_name = StringField(
        _l("Out-of-province buyer"), validators=[Optional(), MaxLength(200)], filters=[strip_filter]
    )
    buyer_place = StringField(
        _l("Buyer's place"), validators=[Optional(), MaxLength(200)], filters=[strip_filter]
    )
    milestones = FieldList(FormField(MilestoneRow), min_entries=0)
    cost_lines = FieldList(FormField(CostRow), min_entries=0)
    note = TextAreaField(
        _l("What changes and why"),
        validators=[DataRequired(message=AMENDMENT_REASON_REQUIRED), MaxLength(2000)],
        filters=[strip_filter],
    )
    submit = SubmitField(_l("Apply for the amendment"))

    def changes(self, contract) -> dict[str, Any]:  # type: ignore[override]
        """What differs from the registered terms (an empty field keeps the current value)."""
        data: dict[str, Any] = {}
        for name in AMENDABLE_FIELDS:
            if name in LIST_FIELDS or name not in self._fields:
                continue
            value = self[name].data
            if value not in (None, ""):
                data[name] = value
        data["milestones"] = _filled_rows(self.milestones)
        data["cost_lines"] = _filled_rows(self.cost_lines)
        return data


# --- The OpenAPI request bodies ---------------------------------------------------------------


def _unbound_fields(form_cls: type) -> list[tuple[str, UnboundField]]:
    fields = [(name, getattr(form_cls, name)) for name in dir(form_cls) if not name.startswith("_")]
    fields = [(n, f) for n, f in fields if isinstance(f, UnboundField)]
    return sorted(fields, key=lambda item: item[1].creation_counter)


def _is_required(field: UnboundField) -> bool:
    return any(isinstance(v, (InputRequired, DataRequired)) for v in field.kwargs.get("validators") or ())


def _field_schema(name: str, field: UnboundField) -> dict[str, Any]:
    kind = field.field_class
    if issubclass(kind, FieldList):
        return {"type": "array", "items": _field_schema(name, field.args[0])}
    if issubclass(kind, FormField):
        return body_schema(field.args[0])
    if issubclass(kind, SelectMultipleField):
        return {
            "type": "array",
            "items": {"type": "string", "enum": [c for c, _label in field.kwargs["choices"]]},
        }
    if issubclass(kind, SelectField):
        return {"type": "string", "enum": [code for code, _label in field.kwargs["choices"] if code]}
    if issubclass(kind, DateField):
        return dict(DATE)
    if issubclass(kind, IntegerField):
        return dict(FEN if name.endswith("_fen") else INTEGER)
    return dict(STRING)


def body_schema(
    form_cls: type, *, required: list[str] | None = None, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The OpenAPI schema of the JSON body an API form validates: one property per
    field (choices as an enum), its required fields (or `required`), plus `extra`
    for what the view reads from the body itself (`asset_ids`, `deal_terms`)."""
    fields = [(n, f) for n, f in _unbound_fields(form_cls) if not issubclass(f.field_class, SubmitField)]
    properties = {name: _field_schema(name, field) for name, field in fields}
    properties.update(extra or {})
    if required is None:
        required = [name for name, field in fields if _is_required(field)]
    return obj(properties, required)


class CancelForm(BaseForm):
    note = TextAreaField(
        _l("Why the contract ends"), validators=[DataRequired(), MaxLength(2000)], filters=[strip_filter]
    )
    submit = SubmitField(_l("Apply for cancellation"))


class UploadForm(BaseForm):
    submit = SubmitField(_l("Upload"))


class ConfirmForm(BaseForm):
    """An empty form: CSRF protection for action buttons."""


class FilterForm(Form):
    status = SelectField(_l("Status"), validators=[Optional()])
