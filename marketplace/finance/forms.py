"""Finance forms: shape and format only; the rules live in the services. Amounts are
typed in yuan, shares in percent (up to two decimals); the services take fen and
basis points under the API's field names, so their errors land on the same field."""

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
from wtforms.validators import DataRequired, InputRequired, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..core.catalog import INDUSTRIES
from ..core.forms import BaseForm, MaxLength, MoneyField, strip_filter
from ..core.percent import PercentField
from .states import DISPOSAL_MODE_LABELS, SHARER_LABELS

FILE_HELP = _l("PDF, PNG or JPEG, at most 10 MB.")


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ApplyForm(BaseForm):
    bank_org_id = SelectField(_l("Bank"), coerce=int, validators=[InputRequired()])
    asset_ids = CheckboxesField(
        _l("IP assets to pledge"),
        coerce=int,
        description=_l("A co-owned asset needs every co-owner's consent; each is asked."),
    )
    amount_fen = MoneyField(_l("Amount (yuan)"), validators=[InputRequired()])
    term_months = IntegerField(_l("Term (months)"), validators=[InputRequired()])
    purpose = TextAreaField(
        _l("Purpose of the loan"), validators=[DataRequired(), MaxLength(2000)], filters=[strip_filter]
    )
    valuation_report = FileField(
        _l("Valuation report"),
        validators=[FileAllowed(["pdf", "png", "jpg", "jpeg"])],
        description=_l(
            "The valuation of the pledged assets by a valuation firm. PDF, PNG or JPEG, at most 10 MB."
        ),
    )
    evaluation_ref = StringField(
        _l("Evaluation reference (optional)"),
        validators=[Optional(), MaxLength(100)],
        filters=[strip_filter],
        description=_l("The number of an evaluation made outside the platform, if any."),
    )
    evaluation_id = SelectField(
        _l("Evaluation on the platform (optional)"),
        coerce=lambda v: int(v) if v not in (None, "") else None,
        validators=[Optional()],
        description=_l("A completed technology evaluation (科技成果评价) of one of the assets you pledge."),
    )
    submit = SubmitField(_l("Apply"))


class ActionForm(BaseForm):
    """A button that changes something: CSRF only."""


class ConsentForm(BaseForm):
    note = StringField(_l("Note (optional)"), validators=[Optional(), MaxLength(500)], filters=[strip_filter])


class DocumentsRequestForm(BaseForm):
    request = TextAreaField(
        _l("Documents needed"), validators=[DataRequired(), MaxLength(2000)], filters=[strip_filter]
    )
    submit = SubmitField(_l("Ask for documents"))


class DocumentsForm(BaseForm):
    documents = MultipleFileField(
        _l("Documents"), validators=[FileAllowed(["pdf", "png", "jpg", "jpeg"])], description=FILE_HELP
    )
    note = TextAreaField(
        _l("Note for the bank"), validators=[Optional(), MaxLength(2000)], filters=[strip_filter]
    )
    submit = SubmitField(_l("Send to the bank"))


class ApproveForm(BaseForm):
    conditions = TextAreaField(
        _l("Conditions"),
        validators=[Optional(), MaxLength(2000)],
        filters=[strip_filter],
        description=_l("Rate, guarantees, covenants: what the approval depends on."),
    )
    submit = SubmitField(_l("Approve"))


class DeclineForm(BaseForm):
    reason = TextAreaField(
        _l("Why is the loan declined?"), validators=[DataRequired(), MaxLength(2000)], filters=[strip_filter]
    )
    submit = SubmitField(_l("Decline"))


class BankSignForm(BaseForm):
    pledge_registration_no = StringField(
        _l("Pledge registration number"),
        validators=[DataRequired(), MaxLength(64)],
        filters=[strip_filter],
        description=_l("The number the IP office (CNIPA) gave the pledge registration."),
    )
    signed_on = DateField(_l("Signed on"), validators=[InputRequired()], format="%Y-%m-%d")
    submit = SubmitField(_l("Sign for the bank"))


class RepayForm(BaseForm):
    repaid_on = DateField(_l("Repaid on"), validators=[InputRequired()], format="%Y-%m-%d")
    submit = SubmitField(_l("Record the repayment"))


class DefaultForm(BaseForm):
    defaulted_on = DateField(_l("Defaulted on"), validators=[InputRequired()], format="%Y-%m-%d")
    note = TextAreaField(
        _l("What happened"), validators=[Optional(), MaxLength(2000)], filters=[strip_filter]
    )
    proceeds_fen = MoneyField(_l("Proceeds so far (yuan)"), validators=[Optional()])
    submit = SubmitField(_l("Record the default"))


class ProceedsForm(BaseForm):
    amount_fen = MoneyField(_l("Amount recovered (yuan)"), validators=[InputRequired()])
    received_on = DateField(_l("Received on"), validators=[InputRequired()], format="%Y-%m-%d")
    note = StringField(
        _l("Source"),
        validators=[Optional(), MaxLength(500)],
        filters=[strip_filter],
        description=_l("For example: sale of the pledged patents, payment by the guarantor."),
    )
    release = BooleanField(_l("The disposal is done: release the pledges"))
    submit = SubmitField(_l("Record the proceeds"))


class DisposalForm(BaseForm):
    mode = SelectField(
        _l("How to sell"), choices=list(DISPOSAL_MODE_LABELS.items()), validators=[InputRequired()]
    )
    price_fen = MoneyField(
        _l("Starting or listed price (yuan)"),
        validators=[InputRequired()],
        description=_l("Online bidding starts from it; a public listing offers the assets at it."),
    )
    increment_fen = MoneyField(_l("Bid increment (yuan)"), validators=[Optional()])
    deposit_fen = MoneyField(
        _l("Deposit (yuan)"),
        validators=[Optional()],
        description=_l("5 to 20 percent of the starting price."),
    )
    duration_hours = IntegerField(_l("Bidding lasts (hours)"), validators=[Optional()], default=24)
    notice_days = IntegerField(_l("Notice period (days)"), validators=[Optional()], default=15)
    note = TextAreaField(
        _l("Note for the owner side"), validators=[Optional(), MaxLength(2000)], filters=[strip_filter]
    )
    submit = SubmitField(_l("Put the pledged assets up for sale"))


class StartSaleForm(BaseForm):
    listing_id = SelectField(
        _l("Your listing of the pledged assets"),
        coerce=lambda v: int(v) if v not in (None, "") else None,
        validators=[InputRequired()],
        description=_l("A published listing of yours that offers a transfer of the pledged assets only."),
    )
    submit = SubmitField(_l("Start the sale"))


class RefuseSaleForm(BaseForm):
    reason = TextAreaField(
        _l("Why do you refuse the sale?"),
        validators=[DataRequired(), MaxLength(2000)],
        filters=[strip_filter],
    )
    submit = SubmitField(_l("Refuse the sale"))


class RiskShareForm(BaseForm):
    sharer_kind = SelectField(
        _l("Who shares the risk"), choices=list(SHARER_LABELS.items()), validators=[InputRequired()]
    )
    sharer_org_id = SelectField(
        _l("Organization"),
        coerce=lambda v: int(v) if v not in (None, "") else None,
        validators=[Optional()],
        description=_l("Not needed for the provincial risk compensation fund."),
    )
    share_bp = PercentField(
        _l("Share (%)"),
        validators=[InputRequired()],
        low_bp=1,
        description=_l("Percent, up to two decimals; the shares on one loan add up to at most 100 %."),
    )
    submit = SubmitField(_l("Record the risk share"))


class FollowForm(BaseForm):
    industries = CheckboxesField(_l("Industries I follow"), choices=list(INDUSTRIES.items()))
    submit = SubmitField(_l("Save"))


class InterestForm(BaseForm):
    message = TextAreaField(
        _l("Message to the seller"), validators=[DataRequired(), MaxLength(2000)], filters=[strip_filter]
    )
    submit = SubmitField(_l("Express interest"))


class StartupInterestForm(BaseForm):
    message = TextAreaField(
        _l("Message to the incubator"), validators=[DataRequired(), MaxLength(2000)], filters=[strip_filter]
    )
    submit = SubmitField(_l("Express interest"))


class MessageForm(BaseForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(), MaxLength(2000)], filters=[strip_filter])
    submit = SubmitField(_l("Send"))


class InvestmentForm(BaseForm):
    listing_id = SelectField(
        _l("Equity listing"),
        coerce=lambda v: int(v) if v not in (None, "") else None,
        validators=[Optional()],
    )
    company = StringField(
        _l("Company"),
        validators=[DataRequired(), MaxLength(200)],
        filters=[strip_filter],
        description=_l(
            "The company the investment goes into (for 作价入股, the company the asset is contributed to)."
        ),
    )
    amount_fen = MoneyField(_l("Amount invested (yuan)"), validators=[InputRequired()])
    share_bp = PercentField(_l("Share acquired (%)"), validators=[InputRequired()], low_bp=1)
    invested_on = DateField(_l("Invested on"), validators=[InputRequired()], format="%Y-%m-%d")
    submit = SubmitField(_l("Record the investment"))


class RejectForm(BaseForm):
    reason = TextAreaField(
        _l("Why is the record wrong?"), validators=[DataRequired(), MaxLength(2000)], filters=[strip_filter]
    )
    submit = SubmitField(_l("Reject"))


class FiguresForm(BaseForm):
    class Meta:
        csrf = False

    year = IntegerField(_l("Year"), validators=[Optional()])
    group_by = SelectField(
        _l("Group by"),
        choices=[
            ("year", _l("Year")),
            ("region", _l("Region")),
            ("bank", _l("Institution")),
            ("industry", _l("Industry")),
        ],
        validators=[Optional()],
    )
