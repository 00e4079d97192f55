"""Listing and demand forms: shape and format only; the rules live in services.

The API validates JSON bodies with the same forms (`validate_json`). Money is
integer fen in the API forms and yuan text on the web pages: the web forms
subclass the API forms and only swap the money fields for `MoneyField`.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    Field,
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
from wtforms.validators import DataRequired, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from ..core.catalog import INDUSTRIES
from ..core.errors import DomainError
from ..core.forms import BaseForm, MaxLength, MoneyField, strip_filter
from ..core.money import MAX_FEN
from ..core.percent import FULL_BP, PercentField
from .services import DemandData, ListingData, TermsData
from .states import DEAL_KIND_LABELS, LICENSE_TYPE_LABELS

MAX_KEYWORDS = 12
_KEYWORD_SPLIT = re.compile(r"[,，、;；\n]+")


class KeywordsField(Field):
    """Keywords: repeated values (API list) or one text separated by commas or 、."""

    widget = TextInput()

    def _value(self) -> str:
        return "、".join(self.data or [])

    def process_formdata(self, valuelist):
        words: list[str] = []
        for value in valuelist:
            for word in _KEYWORD_SPLIT.split(value or ""):
                word = word.strip()
                if word and word not in words:
                    words.append(word)
        self.data = words

    def process_data(self, value):
        self.data = list(value or [])

    def pre_validate(self, form):
        if len(self.data or []) > MAX_KEYWORDS:
            raise ValidationError(_l("At most %(n)s keywords.", n=MAX_KEYWORDS))
        if any(len(w) > 40 for w in self.data or []):
            raise ValidationError(_l("A keyword has at most 40 characters."))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _fen(label, **kwargs):
    return IntegerField(label, validators=[Optional(), NumberRange(min=0, max=MAX_FEN)], **kwargs)


def _bp(label, low: int, **kwargs):
    return IntegerField(
        label,
        validators=[Optional(), NumberRange(min=low, max=10000)],
        description=_l("In basis points: 100 = 1 %."),
        **kwargs,
    )


class TermsForm(Form):
    """One deal kind offered and its terms (the API's terms object)."""

    deal_kind = SelectField(
        _l("Deal kind"), choices=list(DEAL_KIND_LABELS.items()), validators=[DataRequired()]
    )
    license_type = SelectField(
        _l("Licence type"), choices=[("", "—"), *LICENSE_TYPE_LABELS.items()], validators=[Optional()]
    )
    field_of_use = StringField(
        _l("Field of use"),
        validators=[Optional(), MaxLength(200)],
        filters=[strip_filter],
        description=_l("Empty: every field."),
    )
    territory = StringField(
        _l("Territory"),
        validators=[Optional(), MaxLength(200)],
        filters=[strip_filter],
        description=_l("Empty: no territorial limit."),
    )
    term_months = IntegerField(_l("Term (months)"), validators=[Optional(), NumberRange(min=1, max=1200)])
    upfront_fen = _fen(_l("Upfront fee (fen)"))
    royalty_bp = _bp(_l("Royalty rate"), 0)
    price_fen = _fen(_l("Transfer price (fen)"))
    valuation_fen = _fen(_l("Valuation of the IP (fen)"))
    equity_share_bp = _bp(_l("Equity share in the company"), 1)
    company = StringField(
        _l("Receiving company"), validators=[Optional(), MaxLength(200)], filters=[strip_filter]
    )

    def to_data(self) -> TermsData:
        return TermsData(
            deal_kind=self.deal_kind.data,
            license_type=self.license_type.data or None,
            field_of_use=self.field_of_use.data or "",
            territory=self.territory.data or "",
            term_months=self.term_months.data,
            upfront_fen=self.upfront_fen.data,
            royalty_bp=self.royalty_bp.data,
            price_fen=self.price_fen.data,
            valuation_fen=self.valuation_fen.data,
            equity_share_bp=self.equity_share_bp.data,
            company=self.company.data or None,
        )


def percent_field(label, low_bp: int) -> PercentField:
    """A rate or share typed in percent on a web page (the API keeps basis points)."""
    return PercentField(
        label,
        validators=[Optional()],
        low_bp=low_bp,
        high_bp=FULL_BP,
        description=_l("In percent, two decimals at most: 12.5 means 12.5 %."),
    )


class TermsWebForm(TermsForm):
    """The same terms with amounts typed in yuan and rates in percent; an unticked
    deal kind is not offered."""

    deal_kind = SelectField(_l("Deal kind"), choices=list(DEAL_KIND_LABELS.items()), validators=[Optional()])
    upfront_fen = MoneyField(_l("Upfront fee (yuan)"), validators=[Optional()])
    price_fen = MoneyField(_l("Transfer price (yuan)"), validators=[Optional()])
    valuation_fen = MoneyField(_l("Valuation of the IP (yuan)"), validators=[Optional()])
    royalty_bp = percent_field(_l("Royalty rate"), 0)
    equity_share_bp = percent_field(_l("Equity share in the company"), 1)


class ListingForm(BaseForm):
    """A listing as the API sends it (amounts in fen)."""

    asset_ids = SelectMultipleField(_l("Assets offered"), coerce=int, validate_choice=False)
    title_zh = StringField(
        _l("Title (Chinese)"), validators=[Optional(), MaxLength(200)], filters=[strip_filter]
    )
    title_en = StringField(
        _l("Title (English)"), validators=[Optional(), MaxLength(300)], filters=[strip_filter]
    )
    abstract_zh = TextAreaField(_l("Abstract (Chinese)"), validators=[Optional(), MaxLength(5000)])
    abstract_en = TextAreaField(_l("Abstract (English)"), validators=[Optional(), MaxLength(5000)])
    keywords = KeywordsField(_l("Keywords"), description=_l("Separated by commas or 、; at most 12."))
    problem = TextAreaField(
        _l("Problem solved"), validators=[Optional(), MaxLength(2000)], filters=[strip_filter]
    )
    comparison = TextAreaField(
        _l("Comparison with today's best solution"),
        validators=[Optional(), MaxLength(2000)],
        filters=[strip_filter],
        description=_l(
            'With figures, e.g. "extraction yield 92 % instead of 78 % with the usual alkaline process".'
        ),
    )
    price_fen = _fen(_l("Asking price (fen)"), description=_l("Empty: negotiable."))
    deal_terms = FieldList(FormField(TermsForm), min_entries=0, max_entries=3)
    agency_org_id = IntegerField(_l("Brokering agency"), validators=[Optional()])

    def to_data(self, *, skip_unoffered: bool = False) -> ListingData:
        terms = [
            entry.form.to_data()
            for entry in self.deal_terms
            if not (skip_unoffered and not entry.form.deal_kind.data)
        ]
        return ListingData(
            asset_ids=list(self.asset_ids.data or []),
            title_zh=self.title_zh.data,
            title_en=self.title_en.data,
            abstract_zh=self.abstract_zh.data,
            abstract_en=self.abstract_en.data,
            keywords=list(self.keywords.data or []),
            problem=self.problem.data,
            comparison=self.comparison.data,
            price_fen=self.price_fen.data,
            deal_terms=terms,
            agency_org_id=self.agency_org_id.data,
        )


class ListingWebForm(ListingForm):
    """The listing page: assets as check boxes, amounts in yuan, the three deal kinds
    always shown (tick those offered), the agency chosen from a list."""

    asset_ids = MultiCheckboxField(_l("Assets offered"), coerce=int, validate_choice=False)
    price_fen = MoneyField(
        _l("Asking price (yuan)"), validators=[Optional()], description=_l("Empty: negotiable.")
    )
    deal_terms = FieldList(FormField(TermsWebForm), min_entries=3, max_entries=3)
    agency_org_id = SelectField(
        _l("Brokering agency"), coerce=lambda v: int(v) if v else None, validate_choice=False
    )
    submit = SubmitField(_l("Save draft"))

    def apply_errors(self, error: DomainError) -> bool:
        """Place a service's field errors on their fields, those of the deal terms
        ("deal_terms.1.price_fen": the second deal kind offered) on its sub-form."""
        placed = True
        for name, messages in (error.fields or {}).items():
            target = None
            parts = name.split(".")
            if len(parts) == 3 and parts[0] == "deal_terms":
                index, sub = int(parts[1]), parts[2]
                entries = [e for e in self.deal_terms if e.form.deal_kind.data]
                if index < len(entries):
                    target = entries[index].form._fields.get(sub)
            else:
                target = self._fields.get(name)
            if target is None:
                placed = False
                continue
            target.errors = list(target.errors or []) + [str(m) for m in messages]
        return placed and bool(error.fields)


class ReturnForm(BaseForm):
    reason = TextAreaField(
        _l("What the seller must change"),
        validators=[DataRequired(), MaxLength(2000)],
        filters=[strip_filter],
    )


class ConfirmForm(BaseForm):
    """A button that only needs CSRF protection."""


class DemandForm(BaseForm):
    title = StringField(_l("Title"), validators=[DataRequired(), MaxLength(200)], filters=[strip_filter])
    description = TextAreaField(
        _l("Problem to solve"), validators=[DataRequired(), MaxLength(5000)], filters=[strip_filter]
    )
    industry = SelectField(_l("Industry"), choices=list(INDUSTRIES.items()), validators=[DataRequired()])
    budget_fen = _fen(_l("Budget (fen)"), description=_l("Empty: to be discussed."))
    deadline = DateField(_l("Deadline"), validators=[Optional()], description=_l("YYYY-MM-DD"))

    def to_data(self) -> DemandData:
        return DemandData(
            title=self.title.data,
            description=self.description.data,
            industry=self.industry.data,
            budget_fen=self.budget_fen.data,
            deadline=self.deadline.data,
        )


class DemandWebForm(DemandForm):
    budget_fen = MoneyField(
        _l("Budget (yuan)"), validators=[Optional()], description=_l("Empty: to be discussed.")
    )
    submit = SubmitField(_l("Post the demand"))
