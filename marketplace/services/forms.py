"""Forms of policies, providers, requests, evaluations and start-ups: shape and
format; the rules live in the services. Web forms take yuan (MoneyField gives fen)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from ..contracts.codes import CATEGORIES
from ..core.catalog import INDUSTRIES, REGIONS
from ..core.forms import BaseForm, MaxLength, MoneyField, strip_filter
from ..ip.states import DEAL_KIND_LABELS
from .states import EVAL_MATURITY, NOVELTY, POLICY_LEVELS, POLICY_TOPICS, PROVIDER_KINDS, SELLER_KINDS

FILES = FileAllowed(["pdf", "png", "jpg", "jpeg"])
FILES_HELP = _l("PDF, PNG or JPEG, at most 10 MB each.")


def _choices(table) -> list[tuple[str, object]]:
    return [(k, v) for k, v in table.items()]


def _province_choices() -> list[tuple[str, object]]:
    """The province and its cities (a policy's "whole country" is its own choice)."""
    return [(k, v) for k, v in REGIONS.items() if k != "000000"]


def _seller_kind_choices():
    from ..core.catalog import org_kind_label

    return [(k, org_kind_label(k)) for k in SELLER_KINDS]


class PolicyForm(BaseForm):
    level = SelectField(_l("Level"), choices=_choices(POLICY_LEVELS), validators=[InputRequired()])
    region_code = SelectField(
        _l("Region"), choices=[("000000", _l("Whole country")), *_province_choices()], default="000000"
    )
    issuer = StringField(_l("Issuer"), validators=[DataRequired(), MaxLength(200)], filters=[strip_filter])
    issuer_en = StringField(
        _l("Issuer (English)"), validators=[Optional(), MaxLength(300)], filters=[strip_filter]
    )
    doc_no = StringField(
        _l("Document number"),
        validators=[Optional(), MaxLength(100)],
        filters=[strip_filter],
        description=_l("Leave empty when the number is still to confirm."),
    )
    issued_on = DateField(_l("Issued on"), validators=[InputRequired()])
    effective_on = DateField(_l("Effective on"), validators=[Optional()])
    expires_on = DateField(_l("Expires on"), validators=[Optional()])
    in_force = BooleanField(_l("In force"), default=True)
    topics = SelectMultipleField(_l("Topics"), choices=_choices(POLICY_TOPICS), validators=[Optional()])
    title_zh = StringField(
        _l("Title (Chinese)"), validators=[DataRequired(), MaxLength(300)], filters=[strip_filter]
    )
    title_en = StringField(
        _l("Title (English)"), validators=[Optional(), MaxLength(400)], filters=[strip_filter]
    )
    summary_zh = TextAreaField(
        _l("Summary (Chinese)"), validators=[DataRequired(), MaxLength(8000)], filters=[strip_filter]
    )
    summary_en = TextAreaField(
        _l("Summary (English)"), validators=[Optional(), MaxLength(8000)], filters=[strip_filter]
    )
    caveat_zh = TextAreaField(
        _l("Not confirmed (Chinese)"),
        validators=[Optional(), MaxLength(2000)],
        filters=[strip_filter],
        description=_l("A statement we could not confirm, e.g. to confirm with the tax authority."),
    )
    caveat_en = TextAreaField(
        _l("Not confirmed (English)"), validators=[Optional(), MaxLength(2000)], filters=[strip_filter]
    )
    full_text = TextAreaField(
        _l("Full text"), validators=[Optional(), MaxLength(200000)], filters=[strip_filter]
    )
    source_url = StringField(
        _l("Source link"), validators=[Optional(), MaxLength(500)], filters=[strip_filter]
    )
    attachment = FileField(_l("Full text as a file"), validators=[FILES], description=FILES_HELP)
    deal_kinds = SelectMultipleField(
        _l("Applies to deal kinds"),
        choices=_choices(DEAL_KIND_LABELS),
        validators=[Optional()],
        description=_l("None chosen: any."),
    )
    contract_categories = SelectMultipleField(
        _l("Applies to contract categories"),
        choices=_choices(CATEGORIES),
        validators=[Optional()],
        description=_l("None chosen: any."),
    )
    seller_kinds = SelectMultipleField(
        _l("Applies to seller kinds"),
        choices=[],
        validators=[Optional()],
        description=_l("None chosen: any."),
    )
    regions = SelectMultipleField(
        _l("Applies to regions"),
        choices=_province_choices(),
        validators=[Optional()],
        description=_l("None chosen: any."),
    )
    needs_registration = BooleanField(_l("Only for registered technology contracts"))
    submit = SubmitField(_l("Save the policy"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seller_kinds.choices = _seller_kind_choices()

    def values(self) -> dict:
        names = (
            "level",
            "region_code",
            "issuer",
            "issuer_en",
            "doc_no",
            "issued_on",
            "effective_on",
            "expires_on",
            "in_force",
            "topics",
            "title_zh",
            "title_en",
            "summary_zh",
            "summary_en",
            "caveat_zh",
            "caveat_en",
            "full_text",
            "source_url",
            "deal_kinds",
            "contract_categories",
            "seller_kinds",
            "regions",
            "needs_registration",
        )
        return {n: getattr(self, n).data for n in names}


class PolicySearchForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search policies"), validators=[Optional(), MaxLength(200)])
    level = SelectField(
        _l("Level"), choices=[("", _l("Any level"))] + _choices(POLICY_LEVELS), validators=[Optional()]
    )
    topic = SelectField(
        _l("Topic"), choices=[("", _l("Any topic"))] + _choices(POLICY_TOPICS), validators=[Optional()]
    )
    region = SelectField(
        _l("Region"), choices=[("", _l("Any region")), *_province_choices()], validators=[Optional()]
    )
    in_force = SelectField(
        _l("In force"),
        choices=[("", _l("Either")), ("true", _l("In force")), ("false", _l("Not in force"))],
        validators=[Optional()],
    )


class ProfileForm(BaseForm):
    kind = SelectField(
        _l("What the provider does"), choices=_choices(PROVIDER_KINDS), validators=[InputRequired()]
    )
    description_zh = TextAreaField(
        _l("Description (Chinese)"), validators=[DataRequired(), MaxLength(4000)], filters=[strip_filter]
    )
    description_en = TextAreaField(
        _l("Description (English)"), validators=[Optional(), MaxLength(4000)], filters=[strip_filter]
    )
    qualifications = TextAreaField(
        _l("Qualifications"),
        validators=[Optional(), MaxLength(4000)],
        filters=[strip_filter],
        description=_l("Licences, accreditations (e.g. CMA, CNAS), registered agents."),
    )
    contact = StringField(_l("Contact"), validators=[Optional(), MaxLength(200)], filters=[strip_filter])
    submit = SubmitField(_l("Save the profile"))


class ServiceForm(BaseForm):
    name_zh = StringField(
        _l("Service (Chinese)"), validators=[DataRequired(), MaxLength(200)], filters=[strip_filter]
    )
    name_en = StringField(
        _l("Service (English)"), validators=[Optional(), MaxLength(300)], filters=[strip_filter]
    )
    description = TextAreaField(
        _l("Description"), validators=[Optional(), MaxLength(4000)], filters=[strip_filter]
    )
    price_low_fen = MoneyField(_l("Price from (yuan)"), validators=[Optional()])
    price_high_fen = MoneyField(_l("Price up to (yuan)"), validators=[Optional()])
    turnaround_days = IntegerField(_l("Turnaround (days)"), validators=[Optional(), NumberRange(1, 3650)])
    submit = SubmitField(_l("Add the service"))


class RequestForm(BaseForm):
    service_id = SelectField(
        _l("Service"), coerce=lambda v: int(v) if v not in (None, "") else None, validators=[Optional()]
    )
    title = StringField(
        _l("What you need"), validators=[DataRequired(), MaxLength(200)], filters=[strip_filter]
    )
    description = TextAreaField(
        _l("Details"), validators=[DataRequired(), MaxLength(4000)], filters=[strip_filter]
    )
    files = MultipleFileField(_l("Attachments"), validators=[FILES], description=FILES_HELP)
    submit = SubmitField(_l("Send the request"))


class QuoteForm(BaseForm):
    quote_fen = MoneyField(_l("Price (yuan)"), validators=[InputRequired()])
    quote_days = IntegerField(_l("Days to deliver"), validators=[Optional(), NumberRange(1, 3650)])
    quote_note = TextAreaField(_l("Note"), validators=[Optional(), MaxLength(4000)], filters=[strip_filter])
    submit = SubmitField(_l("Send the quote"))


class ReasonForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), MaxLength(2000)], filters=[strip_filter])


class RateForm(BaseForm):
    rating = SelectField(
        _l("Rating"), choices=[(str(n), "★" * n) for n in range(5, 0, -1)], validators=[InputRequired()]
    )
    comment = TextAreaField(
        _l("Comment"), validators=[DataRequired(), MaxLength(2000)], filters=[strip_filter]
    )
    submit = SubmitField(_l("Rate the service"))


class MessageForm(BaseForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(), MaxLength(4000)], filters=[strip_filter])
    files = MultipleFileField(_l("Attachments"), validators=[FILES], description=FILES_HELP)
    submit = SubmitField(_l("Send"))


class ButtonForm(BaseForm):
    """A button that changes something: CSRF only."""


class AskEvaluationForm(BaseForm):
    provider_id = SelectField(_l("Evaluation body"), coerce=int, validators=[InputRequired()])
    note = TextAreaField(
        _l("Note to the body"), validators=[Optional(), MaxLength(4000)], filters=[strip_filter]
    )
    submit = SubmitField(_l("Ask for an evaluation"))


class ResultForm(BaseForm):
    trl = SelectField(
        _l("Technology readiness level (TRL)"),
        coerce=int,
        choices=[(n, f"TRL {n}") for n in range(1, 10)],
        validators=[InputRequired()],
        description=_l("GB/T 22900: 1 basic principles observed ... 9 proven in production."),
    )
    novelty = SelectField(_l("Novelty"), choices=_choices(NOVELTY), validators=[InputRequired()])
    maturity = SelectField(_l("Maturity"), choices=_choices(EVAL_MATURITY), validators=[InputRequired()])
    value_low_fen = MoneyField(_l("Suggested value from (yuan)"), validators=[InputRequired()])
    value_high_fen = MoneyField(_l("Suggested value up to (yuan)"), validators=[InputRequired()])
    evaluated_on = DateField(_l("Evaluated on"), validators=[Optional()])
    opinion = TextAreaField(_l("Opinion"), validators=[Optional(), MaxLength(8000)], filters=[strip_filter])
    report = FileField(_l("Report file"), validators=[FILES], description=FILES_HELP)
    submit = SubmitField(_l("Record the result"))


class StartupForm(BaseForm):
    name = StringField(
        _l("Start-up name"), validators=[DataRequired(), MaxLength(200)], filters=[strip_filter]
    )
    uscc = StringField(
        _l("Unified Social Credit Code"), validators=[DataRequired(), MaxLength(40)], filters=[strip_filter]
    )
    founded_on = DateField(_l("Founded on"), validators=[InputRequired()])
    field = SelectField(_l("Field"), choices=_choices(INDUSTRIES), validators=[InputRequired()])
    submit = SubmitField(_l("Record the start-up"))
