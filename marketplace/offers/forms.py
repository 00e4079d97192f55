"""Offer, counter-offer, message and mandate forms: shape and format only; the
rules live in services. The API validates JSON bodies with the same forms
(`validate_json`); the web forms only swap amounts in fen for yuan fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FormField,
    IntegerField,
    MultipleFileField,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from ..core.errors import DomainError
from ..core.forms import BaseForm, MaxLength, MoneyField, strip_filter
from ..core.percent import FULL_BP, PercentField
from ..listings.forms import TermsForm, percent_field
from .services import MAX_MESSAGE_CHARS, TermsInput


class OfferTermsForm(TermsForm):
    """The terms object. Amount limits are checked by the service, with clear messages."""

    upfront_fen = IntegerField(_l("Upfront fee (fen)"), validators=[Optional()])
    price_fen = IntegerField(_l("Transfer price (fen)"), validators=[Optional()])
    valuation_fen = IntegerField(_l("Valuation of the IP (fen)"), validators=[Optional()])
    royalty_bp = IntegerField(
        _l("Royalty rate"), validators=[Optional()], description=_l("In basis points: 100 = 1 %.")
    )
    equity_share_bp = IntegerField(
        _l("Equity share in the company"),
        validators=[Optional()],
        description=_l("In basis points: 100 = 1 %."),
    )
    term_months = IntegerField(
        _l("Term (months)"), validators=[Optional()], description=_l("Empty: to the end of the right.")
    )

    def to_input(self) -> TermsInput:
        """The terms object of the offer (the one listings use too)."""
        return self.to_data()


class OfferTermsWebForm(OfferTermsForm):
    upfront_fen = MoneyField(_l("Upfront fee (yuan)"), validators=[Optional()])
    price_fen = MoneyField(_l("Transfer price (yuan)"), validators=[Optional()])
    valuation_fen = MoneyField(_l("Valuation of the IP (yuan)"), validators=[Optional()])
    royalty_bp = percent_field(_l("Royalty rate"), 0)
    equity_share_bp = percent_field(_l("Equity share in the company"), 1)


class TermsErrorsMixin:
    """Places a service's field errors on the page's fields, those of the terms object
    ("terms.price_fen") on the terms sub-form."""

    def apply_errors(self, error: DomainError) -> bool:
        placed = True
        for name, messages in (error.fields or {}).items():
            parts = name.split(".")
            target = None
            if len(parts) == 2 and parts[0] == "terms":
                target = self.terms.form._fields.get(parts[1])
            elif len(parts) == 1:
                target = self._fields.get(name)
            if target is None:
                placed = False
                continue
            target.errors = list(target.errors or []) + [str(m) for m in messages]
        return placed and bool(error.fields)


class OfferForm(BaseForm):
    """POST /listings/{id}/offers: terms, expiry, anonymity, a first message, the client (agencies)."""

    terms = FormField(OfferTermsForm)
    expires_on = DateField(_l("Offer stands until"), validators=[Optional()], description=_l("YYYY-MM-DD"))
    anonymous = BooleanField(_l("Make the offer anonymously"))
    message = TextAreaField(
        _l("Message to the seller"),
        validators=[Optional(), MaxLength(MAX_MESSAGE_CHARS)],
        filters=[strip_filter],
    )
    client_org_id = IntegerField(_l("For client"), validators=[Optional()])


class OfferWebForm(TermsErrorsMixin, OfferForm):
    terms = FormField(OfferTermsWebForm)
    anonymous = BooleanField(
        _l("Make the offer anonymously"),
        description=_l(
            "The seller sees your organization's kind and region, not its name, until it accepts or you reveal it."
        ),
    )
    client_org_id = SelectField(
        _l("For client"), coerce=lambda v: int(v) if v else None, validate_choice=False
    )
    submit = SubmitField(_l("Send the offer"))


class CounterForm(BaseForm):
    """POST /offers/{id}/counter: {"terms": {...}} and optionally a new expiry date."""

    terms = FormField(OfferTermsForm)
    expires_on = DateField(_l("Offer stands until"), validators=[Optional()], description=_l("YYYY-MM-DD"))


class CounterWebForm(TermsErrorsMixin, CounterForm):
    terms = FormField(OfferTermsWebForm)
    submit = SubmitField(_l("Send the counter-offer"))


class MessageForm(BaseForm):
    body = TextAreaField(
        _l("Message"), validators=[Optional(), MaxLength(MAX_MESSAGE_CHARS)], filters=[strip_filter]
    )
    files = MultipleFileField(_l("Attachments"), description=_l("PDF, PNG or JPEG; at most 5 files."))
    submit = SubmitField(_l("Send"))


class MandateForm(BaseForm):
    agency_org_id = IntegerField(_l("Agency"), validators=[DataRequired()])
    commission_bp = IntegerField(
        _l("Commission"),
        validators=[
            InputRequired(message=_l("State the commission (0 for none).")),
            NumberRange(min=0, max=10000, message=_l("Between %(min)s and %(max)s basis points (100 %%).")),
        ],
        description=_l("In basis points of the deal's value: 100 = 1 %."),
    )
    valid_from = DateField(_l("From"), validators=[Optional()], description=_l("YYYY-MM-DD; empty: today."))
    valid_to = DateField(_l("Until"), validators=[DataRequired()], description=_l("YYYY-MM-DD"))
    scope = TextAreaField(_l("Scope"), validators=[Optional(), MaxLength(500)], filters=[strip_filter])


class MandateWebForm(MandateForm):
    agency_org_id = SelectField(_l("Agency"), coerce=lambda v: int(v) if v else None, validate_choice=False,
                                validators=[DataRequired()])  # fmt: skip
    commission_bp = PercentField(
        _l("Commission"),
        validators=[InputRequired(message=_l("State the commission (0 for none)."))],
        low_bp=0,
        high_bp=FULL_BP,
        description=_l("In percent of the deal's value, two decimals at most: 4.5 means 4.5 %."),
    )
    submit = SubmitField(_l("Give the mandate"))


class ConfirmForm(BaseForm):
    """A button that only needs CSRF protection."""
