"""Forms of public trading: shape and format only; the rules live in the services.
Amounts in yuan (integer fen once parsed), times in Asia/Shanghai."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Optional
from wtforms.widgets import HiddenInput

from ..core.forms import BaseForm, MaxLength, MoneyField, strip_filter


class SessionForm(BaseForm):
    deal_kind = SelectField(_l("Deal bid on"), validators=[InputRequired()])
    starting_price_fen = MoneyField(_l("Starting price (yuan)"), validators=[InputRequired()])
    increment_fen = MoneyField(_l("Increment (yuan)"), validators=[InputRequired()],
                               description=_l("Each bid is at least the current price plus this."))  # fmt: skip
    reserve_fen = MoneyField(_l("Reserve (yuan, secret, optional)"), validators=[Optional()],
                             description=_l("Below it no bid wins. Only your side sees it."))  # fmt: skip
    deposit_fen = MoneyField(_l("Deposit (yuan)"), validators=[InputRequired()],
                             description=_l("5 to 20 percent of the starting price, paid before bidding."))  # fmt: skip
    announce_on = DateField(_l("Announcement date"), validators=[InputRequired()], format="%Y-%m-%d")
    starts_at = DateTimeLocalField(_l("Bidding starts (Beijing time)"), validators=[InputRequired()],
                                   format="%Y-%m-%dT%H:%M")  # fmt: skip
    ends_at = DateTimeLocalField(_l("Bidding ends (Beijing time)"), validators=[InputRequired()],
                                 format="%Y-%m-%dT%H:%M", description=_l("At least 24 hours after the start."))  # fmt: skip
    extension_minutes = IntegerField(_l("Extension (minutes)"), default=5, validators=[InputRequired()],
                                     description=_l("A bid in the last minutes moves the end this far after it."))  # fmt: skip
    priority_usccs = StringField(
        _l("Holders of a right of first refusal (unified social credit codes, optional)"),
        validators=[Optional(), MaxLength(500)],
        filters=[strip_filter],
        description=_l("Separated by commas. A holder who matches the highest bid wins the tie."),
    )
    submit = SubmitField(_l("Announce the bidding"))


class EnrolForm(BaseForm):
    payer_reference = StringField(_l("Your transfer's reference (optional)"),
                                  validators=[Optional(), MaxLength(100)], filters=[strip_filter])  # fmt: skip
    submit = SubmitField(_l("Enrol"))


class ClientEnrolForm(BaseForm):
    """An agency enrols a buyer it represents under a buyer mandate (choices set by the view)."""

    client_org_id = SelectField(_l("Client"), coerce=int, validators=[InputRequired()])
    payer_reference = StringField(_l("The client's transfer reference (optional)"),
                                  validators=[Optional(), MaxLength(100)], filters=[strip_filter])  # fmt: skip
    submit = SubmitField(_l("Enrol the client"))


class BidForm(BaseForm):
    amount_fen = MoneyField(_l("Your bid (yuan)"), validators=[InputRequired()])
    #: An agency's bid for its client (empty: the bidder's own organization).
    client_org_id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    submit = SubmitField(_l("Bid"))


class ConfirmForm(BaseForm):
    submit = SubmitField(_l("Confirm"))


class NoticeForm(BaseForm):
    deal_kind = SelectField(_l("Deal offered"), validators=[InputRequired()])
    listed_price_fen = MoneyField(_l("Listed price (yuan)"), validators=[InputRequired()])
    notice_days = IntegerField(_l("Notice period (days)"), default=15, validators=[InputRequired()])
    submit = SubmitField(_l("Start the public notice"))


class ObjectionForm(BaseForm):
    reason = TextAreaField(
        _l("Your objection"), validators=[DataRequired(), MaxLength(2000)], filters=[strip_filter]
    )
    submit = SubmitField(_l("Object"))


class AnswerForm(BaseForm):
    answer = TextAreaField(_l("Answer"), validators=[DataRequired(), MaxLength(2000)], filters=[strip_filter])
    submit = SubmitField(_l("Answer"))
