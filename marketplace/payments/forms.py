"""Payment forms: shape and format only; the rules (what is still open, who
may pay) live in services. Web forms take amounts in yuan; the API forms take
integer fen under the same field names, so service errors land on the same field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional

from ..core.forms import BaseForm, MaxLength, MoneyField, strip_filter

RECEIPT_HELP = _l("A PDF, PNG or JPEG of the bank's receipt (回单), at most 10 MB.")


class ConfirmForm(BaseForm):
    """A button that changes something: CSRF only."""


class _BankTransferFields(BaseForm):
    paid_on = DateField(_l("Date of the transfer"), validators=[InputRequired()], format="%Y-%m-%d")
    reference = StringField(
        _l("Bank reference"),
        validators=[DataRequired(), MaxLength(100)],
        filters=[strip_filter],
        description=_l("The transaction number on the bank's receipt."),
    )
    payer_account_name = StringField(
        _l("Paid from the account of"),
        validators=[DataRequired(), MaxLength(200)],
        filters=[strip_filter],
        description=_l("The account holder's name as the bank shows it."),
    )


class BankTransferForm(_BankTransferFields):
    seq = SelectField(_l("Milestone"), coerce=int, validators=[InputRequired()])
    amount_fen = MoneyField(_l("Amount (yuan)"), validators=[InputRequired()])
    receipt = FileField(
        _l("Receipt"),
        validators=[
            FileRequired(_l("Attach the bank's receipt.")),
            FileAllowed(["pdf", "png", "jpg", "jpeg"]),
        ],
        description=RECEIPT_HELP,
    )
    submit = SubmitField(_l("Record the transfer"))


class BankTransferApiForm(_BankTransferFields):
    amount_fen = IntegerField(_l("Amount in fen"), validators=[InputRequired()])


class StripePaymentForm(BaseForm):
    seq = SelectField(_l("Milestone"), coerce=int, validators=[InputRequired()])
    amount_fen = MoneyField(
        _l("Amount (yuan)"),
        validators=[Optional()],
        description=_l("Leave empty to pay everything still open on the milestone."),
    )
    submit = SubmitField(_l("Pay online"))


class StripeApiForm(BaseForm):
    amount_fen = IntegerField(_l("Amount in fen"), validators=[Optional()])


class DisputeForm(BaseForm):
    reason = TextAreaField(
        _l("Why is the transfer disputed?"),
        validators=[DataRequired(), MaxLength(2000)],
        filters=[strip_filter],
        description=_l("For example: no such amount arrived on our account, or the amount differs."),
    )
    submit = SubmitField(_l("Dispute"))


class _RefundFields(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), MaxLength(2000)], filters=[strip_filter])
    refunded_on = DateField(
        _l("Date of the refund transfer"),
        validators=[Optional()],
        format="%Y-%m-%d",
        description=_l("Bank transfers only: the day you sent the money back."),
    )
    reference = StringField(
        _l("Bank reference of the refund"),
        validators=[Optional(), MaxLength(100)],
        filters=[strip_filter],
        description=_l("Bank transfers only."),
    )


class RefundForm(_RefundFields):
    amount_fen = MoneyField(_l("Amount to refund (yuan)"), validators=[InputRequired()])
    submit = SubmitField(_l("Record the refund"))


class RefundApiForm(_RefundFields):
    amount_fen = IntegerField(_l("Amount in fen"), validators=[InputRequired()])


class ReceiptForm(BaseForm):
    receipt = FileField(
        _l("Receipt"),
        validators=[
            FileRequired(_l("Attach the bank's receipt.")),
            FileAllowed(["pdf", "png", "jpg", "jpeg"]),
        ],
        description=RECEIPT_HELP,
    )
    submit = SubmitField(_l("Add the receipt"))


class FilterForm(BaseForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validators=[Optional()])
    method = SelectField(_l("Method"), validators=[Optional()])
