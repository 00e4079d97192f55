"""Industrialization forms: shape and format only; the rules (which contract,
which asset, dates, figures) live in services. The web form takes amounts in
yuan; the API form takes integer fen under the same field names, so a
service's errors land on the same field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired, MultipleFileField
from wtforms import DateField, IntegerField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional

from ..core.forms import BaseForm, MaxLength, MoneyField, strip_filter
from .states import STAGE_LABELS

EVIDENCE_HELP = _l(
    "PDF, PNG or JPEG, at most 10 MB each: a production licence, the first invoice, a photo of the line."
)


def stage_choices() -> list[tuple[str, object]]:
    return list(STAGE_LABELS.items())


class _ReportFields(BaseForm):
    asset_id = SelectField(_l("Achievement (IP asset)"), coerce=int, validators=[InputRequired()])
    stage = SelectField(_l("What happened"), choices=stage_choices(), validators=[InputRequired()])
    achieved_on = DateField(
        _l("Date"),
        validators=[InputRequired()],
        format="%Y-%m-%d",
        description=_l("The day production started or the first sale was made."),
    )
    units = IntegerField(_l("Units produced"), validators=[Optional()])
    jobs = IntegerField(_l("Jobs created"), validators=[Optional()])
    description = TextAreaField(
        _l("Description"),
        validators=[DataRequired(), MaxLength(4000)],
        filters=[strip_filter],
        description=_l("What is produced or sold, where, and how the technology is used."),
    )


class ReportForm(_ReportFields):
    output_value_fen = MoneyField(
        _l("Output value (yuan)"), validators=[Optional()], description=_l("The value of what was produced.")
    )
    sales_fen = MoneyField(_l("Sales (yuan)"), validators=[Optional()])
    evidence = MultipleFileField(
        _l("Evidence"), validators=[FileAllowed(["pdf", "png", "jpg", "jpeg"])], description=EVIDENCE_HELP
    )
    submit = SubmitField(_l("Report industrialization"))


class ReportApiForm(_ReportFields):
    asset_id = IntegerField(_l("Achievement (IP asset)"), validators=[InputRequired()])
    output_value_fen = IntegerField(_l("Output value in fen"), validators=[Optional()])
    sales_fen = IntegerField(_l("Sales in fen"), validators=[Optional()])


class ConfirmForm(BaseForm):
    """A button that changes something: CSRF only."""


class ReturnForm(BaseForm):
    reason = TextAreaField(
        _l("Why is the report returned?"),
        validators=[DataRequired(), MaxLength(2000)],
        filters=[strip_filter],
        description=_l("For example: production has not started at this site, or the figures differ."),
    )
    submit = SubmitField(_l("Return the report"))


class EvidenceForm(BaseForm):
    evidence = FileField(
        _l("Evidence"),
        validators=[FileRequired(_l("Choose a file to upload.")), FileAllowed(["pdf", "png", "jpg", "jpeg"])],
        description=EVIDENCE_HELP,
    )
    submit = SubmitField(_l("Add the evidence"))


class FilterForm(BaseForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validators=[Optional()])
