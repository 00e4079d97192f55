"""Forms of the docking network: shape and format only; the rules live in the services.
Times are typed in Beijing time and stored in UTC; amounts in yuan (web) or fen (API)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional

from ..core.catalog import INDUSTRIES
from ..core.forms import BaseForm, MaxLength, MoneyField, strip_filter
from ..core.timeutil import SHANGHAI
from .periods import PERIOD_TARGETS
from .states import (
    EVENT_KIND_LABELS,
    FOLLOW_UP_LABELS,
    MANAGER_LEVEL_LABELS,
    OUTCOME_LABELS,
)


def industry_choices():
    return [(k, v) for k, v in INDUSTRIES.items()]


def local_to_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    return value.astimezone(UTC)


class FollowUpForm(BaseForm):
    kind = SelectField(
        _l("What was done"), choices=list(FOLLOW_UP_LABELS.items()), validators=[InputRequired()]
    )
    note = TextAreaField(
        _l("Note"),
        validators=[Optional(), MaxLength(2000)],
        filters=[strip_filter],
        description=_l("For a push, the buyer and the seller read this note."),
    )
    next_step_on = DateField(
        _l("Next step on"),
        validators=[Optional()],
        format="%Y-%m-%d",
        description=_l("Until this day the match is not raised again."),
    )
    node_slug = HiddenField()
    submit = SubmitField(_l("Record the follow-up"))


class EventForm(BaseForm):
    kind = SelectField(_l("Kind"), choices=list(EVENT_KIND_LABELS.items()), validators=[InputRequired()])
    title = StringField(_l("Title"), validators=[InputRequired(), MaxLength(200)], filters=[strip_filter])
    description = TextAreaField(
        _l("Description"), validators=[Optional(), MaxLength(4000)], filters=[strip_filter]
    )
    starts_at = DateTimeLocalField(
        _l("Starts (Beijing time)"), validators=[InputRequired()], format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    ends_at = DateTimeLocalField(
        _l("Ends (Beijing time)"), validators=[InputRequired()], format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    place = StringField(_l("Place"), validators=[Optional(), MaxLength(300)], filters=[strip_filter])
    online_url = StringField(
        _l("Online link"), validators=[Optional(), MaxLength(500)], filters=[strip_filter]
    )
    capacity = IntegerField(_l("Seats"), validators=[InputRequired()])
    industries = SelectMultipleField(_l("Industries"), choices=industry_choices(), validators=[Optional()])
    submit = SubmitField(_l("Create the event"))

    def service_kwargs(self) -> dict:
        return {
            "kind": self.kind.data,
            "title": self.title.data or "",
            "description": self.description.data or "",
            "starts_at": local_to_utc(self.starts_at.data),
            "ends_at": local_to_utc(self.ends_at.data),
            "place": self.place.data,
            "online_url": self.online_url.data,
            "capacity": self.capacity.data,
            "industries": self.industries.data or [],
        }


class PitchForm(BaseForm):
    listing_id = SelectField(_l("Listing to pitch"), coerce=int, validators=[InputRequired()])
    submit = SubmitField(_l("Enrol to pitch"))


class OutcomeForm(BaseForm):
    kind = SelectField(_l("Outcome"), choices=list(OUTCOME_LABELS.items()), validators=[InputRequired()])
    listing_id = IntegerField(_l("Listing number"), validators=[Optional()])
    offer_id = IntegerField(_l("Offer number"), validators=[Optional()])
    contract_id = IntegerField(_l("Contract number"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), MaxLength(2000)], filters=[strip_filter])
    submit = SubmitField(_l("Record the outcome"))


class NodeForm(BaseForm):
    slug = StringField(
        _l("Address"),
        validators=[InputRequired(), MaxLength(40)],
        filters=[strip_filter],
        description=_l("Lower-case letters, digits and hyphens, such as hit-ttc."),
    )
    name = StringField(_l("Name"), validators=[InputRequired(), MaxLength(200)], filters=[strip_filter])
    name_en = StringField(
        _l("Name in English"), validators=[Optional(), MaxLength(200)], filters=[strip_filter]
    )
    org_id = SelectField(_l("Organization running the node"), coerce=int, validators=[InputRequired()])
    institution_org_ids = SelectMultipleField(
        _l("Institutions whose listings and demands belong to it"), coerce=int, validators=[Optional()]
    )
    industries = SelectMultipleField(
        _l("Industries that belong to it"), choices=industry_choices(), validators=[Optional()]
    )
    description = TextAreaField(
        _l("Description"), validators=[Optional(), MaxLength(4000)], filters=[strip_filter]
    )
    contacts = TextAreaField(_l("Contacts"), validators=[Optional(), MaxLength(1000)], filters=[strip_filter])
    submit = SubmitField(_l("Create the node"))


class ManagerForm(BaseForm):
    name = StringField(_l("Name"), validators=[InputRequired(), MaxLength(100)], filters=[strip_filter])
    certificate_no = StringField(
        _l("Certificate number"), validators=[InputRequired(), MaxLength(40)], filters=[strip_filter]
    )
    level = SelectField(_l("Level"), choices=list(MANAGER_LEVEL_LABELS.items()), validators=[InputRequired()])
    fields = SelectMultipleField(_l("Fields"), choices=industry_choices(), validators=[Optional()])
    bio = TextAreaField(_l("Profile"), validators=[Optional(), MaxLength(2000)], filters=[strip_filter])
    account = SelectField(
        _l("The manager's account (optional)"),
        coerce=int,
        validators=[Optional()],
        description=_l("A member of your institution the manager logs in with; it can be linked later."),
    )
    submit = SubmitField(_l("Register the manager"))


class LinkAccountForm(BaseForm):
    user_id = SelectField(_l("Account the manager logs in with"), coerce=int, validators=[InputRequired()])
    submit = SubmitField(_l("Link the account"))


def account_choices(users, *, none_label=None) -> list[tuple[int, str]]:
    out = [(0, str(none_label))] if none_label is not None else []
    return out + [(u.id, f"{u.name} <{u.email}>") for u in users]


class BrokerageForm(BaseForm):
    contract_id = IntegerField(_l("Contract number"), validators=[InputRequired()])
    submit = SubmitField(_l("Record the contract"))


class PeriodForm(BaseForm):
    title = StringField(
        _l("Title of the plan"), validators=[InputRequired(), MaxLength(200)], filters=[strip_filter]
    )
    title_en = StringField(
        _l("Title in English"), validators=[Optional(), MaxLength(300)], filters=[strip_filter]
    )
    first_year = IntegerField(_l("First year"), validators=[InputRequired()])
    last_year = IntegerField(_l("Last year"), validators=[InputRequired()])
    turnover_target_fen = MoneyField(
        _l("Turnover target for the period (yuan)"), validators=[InputRequired()]
    )
    yearly_path = TextAreaField(
        _l("Yearly path"),
        validators=[InputRequired(), MaxLength(1000)],
        description=_l("One line per year: the year and the turnover in 亿元, such as 2026 650."),
    )
    source = StringField(_l("Source"), validators=[InputRequired(), MaxLength(300)], filters=[strip_filter])
    submit = SubmitField(_l("Enter the period"))

    def parsed_path(self) -> dict[int, int] | None:
        """{year: fen}; None with a field error when a line cannot be read."""
        from decimal import Decimal, InvalidOperation

        out: dict[int, int] = {}
        for line in (self.yearly_path.data or "").splitlines():
            parts = line.replace("：", " ").replace(":", " ").replace(",", " ").split()
            if not parts:
                continue
            try:
                year = int(parts[0])
                yi = Decimal(parts[1]) if len(parts) == 2 else None
            except (ValueError, InvalidOperation):
                yi = None
            if yi is None or yi < 0 or yi > 10**6 or len(parts[0]) != 4:
                self.yearly_path.errors = [
                    _l("Write each line as a year and an amount in 亿元, such as 2026 650.")
                ]
                return None
            out[year] = int(yi * 10**10)
        return out

    def target_fields(self):
        return [getattr(self, f"target_{code}") for code in PERIOD_TARGETS]

    def parsed_targets(self) -> dict[str, int] | None:
        """{target code: goal} of the goals filled in (a count, or basis points for a
        share typed as a percentage); None with a field error when one cannot be read."""
        from decimal import Decimal, InvalidOperation

        out: dict[str, int] = {}
        ok = True
        for code, spec in PERIOD_TARGETS.items():
            field = getattr(self, f"target_{code}")
            raw = (field.data or "").replace(",", "").replace("%", "").strip()
            if not raw:
                continue
            try:
                number = Decimal(raw)
            except InvalidOperation:
                number = None
            scaled = None
            if number is not None and number.is_finite():
                scaled = number * 100 if spec.unit == "share_bp" else number
            if scaled is None or scaled != scaled.to_integral_value():
                field.errors = [
                    _l("A percentage has at most two decimals.")
                    if spec.unit == "share_bp"
                    else _l("Enter a whole number.")
                ]
                ok = False
                continue
            out[code] = int(scaled)
        return out if ok else None


# One optional goal per target a period may set (shares as a percentage).
for _code, _spec in PERIOD_TARGETS.items():
    setattr(
        PeriodForm,
        f"target_{_code}",
        StringField(
            _spec.label,
            validators=[Optional(), MaxLength(20)],
            filters=[strip_filter],
            description=_l("Per cent, such as 11.5") if _spec.unit == "share_bp" else None,
        ),
    )


class OfficialTurnoverForm(BaseForm):
    year = IntegerField(_l("Year"), validators=[InputRequired()])
    turnover_fen = MoneyField(_l("Official registered turnover (yuan)"), validators=[InputRequired()])
    source = StringField(_l("Source"), validators=[InputRequired(), MaxLength(300)], filters=[strip_filter])
    submit = SubmitField(_l("Enter the figure"))


class NewsForm(BaseForm):
    title = StringField(_l("Headline"), validators=[InputRequired(), MaxLength(200)], filters=[strip_filter])
    body = TextAreaField(_l("Text"), validators=[InputRequired(), MaxLength(5000)], filters=[strip_filter])
    submit = SubmitField(_l("Publish on the node's page"))
