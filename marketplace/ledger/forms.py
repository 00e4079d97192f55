"""Forms of the ledger: report filters (GET, no CSRF) and target values."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from ..core.catalog import CITY_CODES, INDUSTRIES, ORG_KINDS, region_label
from ..core.forms import BaseForm, MaxLength, strip_filter
from ..core.timeutil import today_shanghai
from .catalog import CATEGORIES, ENTRY_KINDS, PLAN_FIRST_YEAR, PLAN_LAST_YEAR


def _year_choices(include_plan: bool) -> list[tuple[str, object]]:
    last = max(PLAN_LAST_YEAR, today_shanghai().year) + 1
    choices: list[tuple[str, object]] = []
    if include_plan:
        choices.append(("plan", _l("Plan period 2022-2025")))
    choices.append(("all", _l("All years")))
    choices += [(str(y), str(y)) for y in range(PLAN_FIRST_YEAR, last + 1)]
    return choices


class _GetForm(BaseForm):
    class Meta:
        csrf = False


class DashboardForm(_GetForm):
    as_of = StringField(
        _l("As of"),
        filters=[strip_filter],
        description=_l(
            "The figures at the end of that day, Beijing time. Leave it empty for the latest figures."
        ),
        render_kw={"type": "date"},
    )
    years = SelectField(_l("Years"), default="plan")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.years.choices = _year_choices(include_plan=True)


def _any(label) -> list[tuple[str, object]]:
    return [("", label)]


class EntriesForm(_GetForm):
    """The drill-down filters (the dashboard's links fill them in)."""

    as_of = StringField(_l("As of"), filters=[strip_filter])
    year = SelectField(_l("Year"), default="all")
    region = SelectField(_l("City"), default="")
    industry = SelectField(_l("Industry"), default="")
    org_kind = SelectField(_l("Organization kind"), default="")
    category = SelectField(_l("Contract category"), default="")
    kind = SelectField(_l("Entry kind"), default="")
    registration_no = StringField(
        _l("Registration number"), filters=[strip_filter], validators=[Optional(), MaxLength(16)]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.year.choices = _year_choices(include_plan=True)
        self.region.choices = _any(_l("All cities")) + [
            (code, region_label(code)) for code in ("230000", *CITY_CODES)
        ]
        self.industry.choices = _any(_l("All industries")) + list(INDUSTRIES.items())
        self.org_kind.choices = _any(_l("All organization kinds")) + list(ORG_KINDS.items())
        self.category.choices = _any(_l("All categories")) + list(CATEGORIES.items())
        self.kind.choices = _any(_l("All kinds")) + list(ENTRY_KINDS.items())


class ExportForm(_GetForm):
    year = SelectField(_l("Year"), default="all")
    format = SelectField(_l("Format"), choices=[("csv", "CSV"), ("xlsx", "Excel (XLSX)")], default="xlsx")
    what = SelectField(
        _l("Contents"),
        choices=[("entries", _l("Entries")), ("summary", _l("Summaries"))],
        default="entries",
    )
    as_of = StringField(_l("As of"), filters=[strip_filter])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.year.choices = [c for c in _year_choices(include_plan=False)]


class TargetValueForm(BaseForm):
    """A value of a target, as people write it: a count, or a percentage such as 11.5."""

    value = StringField(_l("Value"), filters=[strip_filter], validators=[DataRequired(), MaxLength(20)])
    measured_on = DateField(_l("Date the figure refers to"), validators=[InputRequired()])
    source = StringField(
        _l("Source"),
        filters=[strip_filter],
        validators=[DataRequired(), MaxLength(300)],
        description=_l("e.g. the statistical bulletin or the department's notice, with its number."),
    )

    def value_for(self, unit: str) -> int | None:
        """The value in storage units (a count, or basis points); None with a field error."""
        raw = (self.value.data or "").replace(",", "").replace("%", "").strip()
        try:
            number = Decimal(raw)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            self.value.errors = [*self.value.errors, _l("Enter a number.")]
            return None
        scaled = number * 100 if unit == "share_bp" else number
        if scaled != scaled.to_integral_value():
            message = (
                _l("A percentage has at most two decimals.")
                if unit == "share_bp"
                else _l("Enter a whole number.")
            )
            self.value.errors = [*self.value.errors, message]
            return None
        return int(scaled)


class TargetValueApiForm(BaseForm):
    """The same value through the API: a count, or basis points for a share (1 % = 100)."""

    class Meta:
        csrf = False

    value = IntegerField(_l("Value"), validators=[InputRequired(), NumberRange(min=0)])
    measured_on = DateField(_l("Date the figure refers to"), validators=[InputRequired()])
    source = StringField(_l("Source"), filters=[strip_filter], validators=[DataRequired(), MaxLength(300)])
