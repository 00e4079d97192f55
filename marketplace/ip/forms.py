"""Forms of the IP registry, the same for the web pages and the JSON API
(`validate_json`). They check shape and format; the rules live in services."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import (
    DateField,
    Field,
    FieldList,
    FileField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, NumberRange, Optional
from wtforms.validators import ValidationError as WTFValidationError
from wtforms.widgets import TextInput

from ..core.catalog import INDUSTRIES
from ..core.forms import BaseForm, MaxLength, MoneyField, strip_filter
from ..core.percent import FULL_BP, PercentField
from ..core.timeutil import today_shanghai
from . import states
from .services import AssetData, EncumbranceData, OwnerShare

_LIST_SEPARATORS = re.compile(r"[,，、;；\n]+")


def _choices(table: dict[str, object], blank: object | None = None) -> list[tuple[str, object]]:
    items = list(table.items())
    return [("", blank), *items] if blank is not None else items


class TagListField(Field):
    """A list of short texts: repeated values (JSON list) or one text separated by commas or 、."""

    widget = TextInput()

    def _value(self) -> str:
        return ", ".join(self.data or [])

    def process_formdata(self, valuelist):
        items: list[str] = []
        for value in valuelist:
            for part in _LIST_SEPARATORS.split(value or ""):
                part = " ".join(part.split())
                if part and part not in items:
                    items.append(part)
        self.data = items

    def process_data(self, value):
        self.data = list(value or [])


class ShareField(Field):
    """An owner's share: basis points ("5000") or a percentage ("50%", "33.33 %")."""

    widget = TextInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, int):
            return f"{Decimal(self.data) / 100:.2f}".rstrip("0").rstrip(".") + "%"
        return ""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip().replace("％", "%")
        if not text:
            self.data = None
            return
        try:
            if text.endswith("%"):
                value = Decimal(text[:-1].strip()) * 100
            else:
                value = Decimal(text)
            if value != value.to_integral_value():
                raise InvalidOperation
            self.data = int(value)
        except (InvalidOperation, ValueError):
            self.data = None
            raise ValueError(
                _l(
                    "Enter the share as a percentage like 50% (two decimals at most) or in basis points like 5000."
                )
            ) from None


class OwnerForm(Form):
    org_id = IntegerField(_l("Organization"), validators=[Optional()])
    share_bp = ShareField(
        lazy_pgettext("ownership", "Share"),
        validators=[Optional()],
        description=_l("e.g. 50% (or 5000 basis points)"),
    )


class OwnerWebForm(OwnerForm):
    """An owner row on the web pages: the share is typed in percent (the API keeps basis points)."""

    share_bp = PercentField(
        lazy_pgettext("ownership", "Share"),
        validators=[Optional()],
        low_bp=1,
        high_bp=FULL_BP,
        description=_l("In percent, e.g. 50 or 33.33"),
    )


class AssetForm(BaseForm):
    kind = SelectField(_l("Kind of asset"), choices=_choices(states.ASSET_KIND_LABELS), validate_choice=False)
    identifier = StringField(
        _l("Application or registration number"),
        validators=[Optional(), MaxLength(100)],
        filters=[strip_filter],
        description=_l(
            "Patents: e.g. 201710601862.3 (CN or ZL prefix accepted); software copyright: e.g. "
            "2023SR0123456. Optional for technical secrets and achievements."
        ),
    )
    title_zh = StringField(
        _l("Title in Chinese"), validators=[Optional(), MaxLength(200)], filters=[strip_filter]
    )
    title_en = StringField(
        _l("Title in English"), validators=[Optional(), MaxLength(300)], filters=[strip_filter]
    )
    abstract_zh = TextAreaField(
        _l("Abstract in Chinese"), validators=[Optional(), MaxLength(5000)], filters=[strip_filter]
    )
    abstract_en = TextAreaField(
        _l("Abstract in English"), validators=[Optional(), MaxLength(8000)], filters=[strip_filter]
    )
    keywords = TagListField(_l("Keywords"), description=_l("Separated by commas or 、"))
    inventors = TagListField(_l("Inventors"), description=_l("Separated by commas or 、"))
    industry = SelectField(
        _l("Industry"),
        choices=_choices(INDUSTRIES, blank=_l("Choose…")),
        validate_choice=False,
        validators=[DataRequired(message=_l("Choose one of the listed industries."))],
    )
    maturity = SelectField(
        _l("Maturity"),
        choices=_choices(states.MATURITY_LABELS, blank=_l("Not stated")),
        validate_choice=False,
    )
    legal_status = SelectField(
        _l("Legal status"), choices=_choices(states.LEGAL_STATUS_LABELS), validate_choice=False
    )
    filed_on = DateField(_l("Filing date"), validators=[Optional()])
    granted_on = DateField(_l("Grant or registration date"), validators=[Optional()])
    expires_on = DateField(_l("Expiry date"), validators=[Optional()])
    owners = FieldList(FormField(OwnerForm), label=_l("Owners"), min_entries=0, max_entries=20)
    submit = SubmitField(_l("Save"))

    def validate_owners(self, field):
        if any(isinstance(e, dict) and e for e in field.errors):
            return  # a row's own field errors say it already
        for index, row in enumerate(field.entries, start=1):
            org_id, share = row.form.org_id, row.form.share_bp
            if (org_id.data is None) == (share.data is None):
                continue
            missing = org_id if org_id.data is None else share
            missing.errors = [*missing.errors, _l("Required with the other half of the row.")]
            raise WTFValidationError(
                _l("Owner row %(n)s is incomplete: give both the organization and the share.", n=index)
            )

    def apply_errors(self, error) -> bool:
        """Place a service's field errors, including "owners.N.org_id" on the owner rows
        (N counts the filled rows the service saw)."""
        placed = True
        filled = [row for row in self.owners.entries if row.form.org_id.data is not None]
        for name, messages in (error.fields or {}).items():
            parts = name.split(".")
            if (
                len(parts) == 3
                and parts[0] == "owners"
                and parts[1].isdigit()
                and int(parts[1]) < len(filled)
            ):
                target = filled[int(parts[1])].form._fields.get(parts[2])
            else:
                target = self._fields.get(name)
            if target is None:
                placed = False
                continue
            target.errors = [*(target.errors or []), *(str(m) for m in messages)]
        return placed and bool(error.fields)

    def owner_shares(self) -> list[OwnerShare] | None:
        """The owner rows filled in; None when none is (meaning: my organization alone)."""
        rows = [
            OwnerShare(row.form.org_id.data, row.form.share_bp.data)
            for row in self.owners.entries
            if row.form.org_id.data is not None
        ]
        return rows or None

    def to_data(self) -> AssetData:
        return AssetData(
            kind=self.kind.data,
            identifier=self.identifier.data,
            title_zh=self.title_zh.data,
            title_en=self.title_en.data,
            abstract_zh=self.abstract_zh.data,
            abstract_en=self.abstract_en.data,
            keywords=self.keywords.data or [],
            inventors=self.inventors.data or [],
            industry=self.industry.data,
            maturity=self.maturity.data or None,
            legal_status=self.legal_status.data,
            filed_on=self.filed_on.data,
            granted_on=self.granted_on.data,
            expires_on=self.expires_on.data,
            owners=self.owner_shares(),
        )


def asset_form_data(asset) -> dict:
    """An asset as a JSON-like body the AssetForm reads (for PATCH: merged with the changes)."""
    return {
        "kind": asset.kind,
        "identifier": asset.identifier,
        "title_zh": asset.title_zh,
        "title_en": asset.title_en,
        "abstract_zh": asset.abstract_zh,
        "abstract_en": asset.abstract_en,
        "keywords": list(asset.keywords or []),
        "inventors": list(asset.inventors or []),
        "industry": asset.industry,
        "maturity": asset.maturity,
        "legal_status": asset.legal_status,
        "filed_on": asset.filed_on.isoformat() if asset.filed_on else None,
        "granted_on": asset.granted_on.isoformat() if asset.granted_on else None,
        "expires_on": asset.expires_on.isoformat() if asset.expires_on else None,
        "owners": [{"org_id": o.org_id, "share_bp": o.share_bp} for o in asset.owners],
    }


class AssetWebForm(AssetForm):
    """The asset pages' form: the owners' shares in percent."""

    owners = FieldList(FormField(OwnerWebForm), label=_l("Owners"), min_entries=0, max_entries=20)


class EncumbranceForm(BaseForm):
    """A licence granted before (kind "license") or a pledge (kind "pledge")."""

    kind = HiddenField(_l("Kind"), validators=[DataRequired()])
    counterparty = StringField(
        _l("Licensee or pledgee"), validators=[DataRequired(), MaxLength(200)], filters=[strip_filter]
    )
    license_type = SelectField(
        _l("Licence type"),
        choices=_choices(states.LICENSE_TYPE_LABELS, blank=_l("Choose…")),
        validate_choice=False,
    )
    field_of_use = StringField(
        _l("Field of use"),
        validators=[Optional(), MaxLength(200)],
        filters=[strip_filter],
        description=_l("Empty or 全部 means every field; several separated by 、"),
    )
    territory = StringField(
        _l("Territory"),
        validators=[Optional(), MaxLength(200)],
        filters=[strip_filter],
        description=_l("Empty or 全国 means everywhere; e.g. 黑龙江省、吉林省"),
    )
    term_start = DateField(_l("Term from"), validators=[Optional()])
    term_end = DateField(_l("Term to"), validators=[Optional()], description=_l("Empty: indefinitely"))
    amount = MoneyField(_l("Secured amount (yuan)"), validators=[Optional()])
    amount_fen = IntegerField(_l("Secured amount (fen)"), validators=[Optional(), NumberRange(min=1)])
    reference = StringField(
        _l("Contract or registration number"),
        validators=[Optional(), MaxLength(100)],
        filters=[strip_filter],
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), MaxLength(500)], filters=[strip_filter])
    submit = SubmitField(_l("Record"))

    def validate_amount_fen(self, field):
        if field.data is not None and self.amount.data is not None and field.data != self.amount.data:
            raise WTFValidationError(_l("Give the amount once, in yuan or in fen."))

    def to_data(self) -> EncumbranceData:
        return EncumbranceData(
            kind=self.kind.data,
            counterparty=self.counterparty.data,
            license_type=self.license_type.data or None if self.kind.data == "license" else None,
            field_of_use=self.field_of_use.data or "",
            territory=self.territory.data or "",
            term_start=self.term_start.data,
            term_end=self.term_end.data,
            amount_fen=self.amount_fen.data if self.amount_fen.data is not None else self.amount.data,
            reference=self.reference.data,
            note=self.note.data,
        )


class ReleaseForm(BaseForm):
    released_on = DateField(_l("Released on"), validators=[DataRequired()], default=today_shanghai)
    note = TextAreaField(_l("Note"), validators=[Optional(), MaxLength(500)], filters=[strip_filter])
    submit = SubmitField(_l("Release"))


class VerifyForm(BaseForm):
    source = SelectField(
        _l("Source checked"),
        choices=_choices(states.VERIFICATION_SOURCES, blank=_l("Choose…")),
        validate_choice=False,
        validators=[DataRequired(message=_l("Choose the source you checked."))],
    )
    note = TextAreaField(
        _l("Note"),
        validators=[Optional(), MaxLength(500)],
        filters=[strip_filter],
        description=_l("What you saw, e.g. the date of the last annual fee paid."),
    )
    submit = SubmitField(_l("Mark the legal status as verified"))


class AttachmentForm(BaseForm):
    file = FileField(_l("File (PDF, PNG or JPEG)"))
    submit = SubmitField(_l("Upload"))


class DealCheckForm(BaseForm):
    """Query of GET /assets/{id}/deal-check."""

    deal_kind = SelectField(
        _l("Deal"),
        choices=_choices(states.DEAL_KIND_LABELS),
        validate_choice=False,
        validators=[DataRequired(message=_l("Choose licence, transfer or equity contribution."))],
    )
    license_type = SelectField(
        _l("Licence type"), choices=_choices(states.LICENSE_TYPE_LABELS, blank=""), validate_choice=False
    )
    field_of_use = StringField(_l("Field of use"), validators=[Optional(), MaxLength(200)])
    territory = StringField(_l("Territory"), validators=[Optional(), MaxLength(200)])
    term_start = DateField(_l("Term from"), validators=[Optional()])
    term_end = DateField(_l("Term to"), validators=[Optional()])
    on = DateField(_l("On"), validators=[Optional()])


class ProposalForm(BaseForm):
    """New owners (and shares) proposed for a co-owned asset, and why."""

    owners = FieldList(FormField(OwnerForm), label=_l("New owners"), min_entries=0, max_entries=20)
    reason = TextAreaField(
        _l("Why the owners change"),
        validators=[DataRequired(message=_l("Say why.")), MaxLength(2000)],
        filters=[strip_filter],
        description=_l("e.g. the agreement between the owners, with its date."),
    )
    submit = SubmitField(_l("Propose the change"))

    validate_owners = AssetForm.validate_owners
    apply_errors = AssetForm.apply_errors

    def owner_shares(self) -> list[OwnerShare]:
        return AssetForm.owner_shares(self) or []


class ProposalWebForm(ProposalForm):
    """The proposal page's form: the new owners' shares in percent."""

    owners = FieldList(FormField(OwnerWebForm), label=_l("New owners"), min_entries=0, max_entries=20)


class AnswerForm(BaseForm):
    """Accept or reject a proposal for one's organization (the note is optional)."""

    note = TextAreaField(_l("Note"), validators=[Optional(), MaxLength(2000)], filters=[strip_filter])
    submit = SubmitField(lazy_pgettext("proposal", "Send"))


class DecideForm(BaseForm):
    """An admin's or agency's decision on a proposal, with the evidence."""

    decision = SelectField(
        _l("Decision"),
        choices=[
            ("", _l("Choose…")),
            ("accept", _l("Accept: apply the new owners")),
            ("reject", _l("Reject")),
        ],
        validate_choice=False,
        validators=[DataRequired(message=_l("Choose to accept or to reject the proposal."))],
    )
    note = TextAreaField(
        _l("Grounds for the decision"),
        validators=[DataRequired(message=_l("Say why.")), MaxLength(2000)],
        filters=[strip_filter],
    )
    evidence = FileField(
        _l("Evidence (PDF, PNG or JPEG)"),
        description=_l("e.g. a court judgment or the owners' signed agreement."),
    )
    submit = SubmitField(_l("Record the decision"))
