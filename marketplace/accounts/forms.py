"""Account forms: shape and format only; the rules live in services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Optional

from ..core.catalog import ORG_KINDS, REGIONS, ROLES, SIGNUP_ROLES
from ..core.forms import BaseForm, FieldCheck, MaxLength, strip_filter
from .validation import clean_account_number, clean_phone, clean_uscc


def _role_choices():
    return [(code, ROLES[code]) for code in SIGNUP_ROLES]


class LoginForm(BaseForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), MaxLength(254)], filters=[strip_filter])
    password = PasswordField(_l("Password"), validators=[DataRequired(), MaxLength(200)])
    submit = SubmitField(_l("Log in"))


class RegisterForm(BaseForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), MaxLength(100)], filters=[strip_filter])
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Email(check_deliverability=False), MaxLength(254)],
        filters=[strip_filter],
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), MaxLength(200)],
        description=_l("At least 10 characters, mixing letters with digits or symbols."),
    )
    password_confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )
    role = SelectField(_l("What you do here"), choices=_role_choices, validators=[DataRequired()])
    org_name = StringField(
        _l("Organization name"), validators=[DataRequired(), MaxLength(200)], filters=[strip_filter]
    )
    org_kind = SelectField(
        _l("Kind of organization"), choices=list(ORG_KINDS.items()), validators=[DataRequired()]
    )
    uscc = StringField(
        _l("Unified Social Credit Code"),
        validators=[Optional(), MaxLength(30), FieldCheck(clean_uscc)],
        filters=[strip_filter],
        description=_l(
            "18 characters; individuals may leave it empty. If your organization is "
            "already registered, you join it once an administrator approves."
        ),
    )
    region = SelectField(_l("Region"), choices=list(REGIONS.items()), validators=[DataRequired()])
    place = StringField(
        _l("Place outside Heilongjiang"), validators=[Optional(), MaxLength(200)], filters=[strip_filter]
    )
    accept_terms = BooleanField(
        _l("I have read and accept the user agreement."),
        validators=[InputRequired(message=_l("Accept the user agreement to create an account."))],
    )
    accept_privacy = BooleanField(
        _l("I have read and accept the privacy policy."),
        validators=[InputRequired(message=_l("Accept the privacy policy to create an account."))],
    )
    submit = SubmitField(_l("Create account"))


class ProfileForm(BaseForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), MaxLength(100)], filters=[strip_filter])
    phone = StringField(
        _l("Phone"), validators=[Optional(), MaxLength(32), FieldCheck(clean_phone)], filters=[strip_filter]
    )
    locale = SelectField(_l("Language"), choices=[("zh_Hans", "简体中文"), ("en", "English")])
    submit = SubmitField(_l("Save"))


class PasswordForm(BaseForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), MaxLength(200)])
    new_password_confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))],
    )
    submit = SubmitField(_l("Change password"))


class OrganizationForm(BaseForm):
    org_name = StringField(
        _l("Organization name"), validators=[DataRequired(), MaxLength(200)], filters=[strip_filter]
    )
    name_en = StringField(
        _l("Name in English"), validators=[Optional(), MaxLength(200)], filters=[strip_filter]
    )
    org_kind = SelectField(_l("Kind of organization"), choices=list(ORG_KINDS.items()))
    uscc = StringField(
        _l("Unified Social Credit Code"),
        validators=[Optional(), MaxLength(30), FieldCheck(clean_uscc)],
        filters=[strip_filter],
    )
    region = SelectField(_l("Region"), choices=list(REGIONS.items()), validators=[DataRequired()])
    place = StringField(
        _l("Place outside Heilongjiang"), validators=[Optional(), MaxLength(200)], filters=[strip_filter]
    )
    submit = SubmitField(_l("Save"))


class TokenForm(BaseForm):
    name = StringField(
        _l("Token name"),
        validators=[DataRequired(), MaxLength(100)],
        filters=[strip_filter],
        description=_l("What it is for, e.g. our CRM."),
    )
    submit = SubmitField(_l("Issue token"))


class ConfirmForm(BaseForm):
    """An empty form: a CSRF-protected confirmation of an action."""

    submit = SubmitField(_l("Confirm"))


class ForgotPasswordForm(BaseForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Email(check_deliverability=False), MaxLength(254)],
        filters=[strip_filter],
    )
    submit = SubmitField(_l("Send me a link"))


class ResetPasswordForm(BaseForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), MaxLength(200)],
        description=_l("At least 10 characters, mixing letters with digits or symbols."),
    )
    password_confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )
    submit = SubmitField(_l("Save the new password"))


class BankAccountForm(BaseForm):
    """An account the organization is paid to: the fields as the bank names them."""

    account_name = StringField(
        _l("Account name"),
        validators=[DataRequired(), MaxLength(200)],
        filters=[strip_filter],
        description=_l("As the bank holds it, usually the organization's registered name."),
    )
    bank_name = StringField(
        _l("Bank and branch"),
        validators=[DataRequired(), MaxLength(200)],
        filters=[strip_filter],
        description=_l("E.g. 中国工商银行哈尔滨南岗支行."),
    )
    account_number = StringField(
        _l("Account number"),
        validators=[DataRequired(), MaxLength(60), FieldCheck(clean_account_number)],
        filters=[strip_filter],
        description=_l("8 to 30 digits; spaces are ignored."),
    )
    submit = SubmitField(_l("Add the account"))


class LicenceForm(BaseForm):
    """The organization's business licence (or its certificate of registration)."""

    licence = FileField(
        _l("Business licence"),
        description=_l("A PDF or an image (PNG, JPEG) of the licence; an administrator checks it."),
    )
    submit = SubmitField(_l("Upload"))


class SuspendForm(BaseForm):
    """A suspension and the reason the suspended person or organization is told."""

    reason = TextAreaField(
        _l("Reason for the suspension"),
        validators=[
            DataRequired(message=_l("Give the reason for the suspension: the suspended party is told it.")),
            MaxLength(500),
        ],
        filters=[strip_filter],
    )
    submit = SubmitField(_l("Suspend"))
