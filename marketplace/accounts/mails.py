"""E-mails about accounts, in the recipient's language, sent after the commit."""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from ..core.mail import send_email
from .models import User


def external_url(endpoint: str, **values) -> str:
    """An absolute link for an e-mail. With PUBLIC_BASE_URL set it never depends on the
    request's Host header (which a caller chooses: a reset link must not point elsewhere)."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").strip().rstrip("/")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def _locale(user: User) -> str:
    languages = current_app.config["LANGUAGES"]
    return user.locale if user.locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def send_confirmation(user: User, token: str) -> None:
    """To a new account: the link that confirms the address (needed before logging in)."""
    with force_locale(_locale(user)):
        subject = _("Confirm your e-mail address")
        body = _(
            "Hello %(name)s,\n\nto finish signing up on the Heilongjiang Technology Marketplace, "
            "confirm this e-mail address by opening this link within 7 days:\n%(link)s\n\nThen log "
            "in with this address and the password you chose. If you did not sign up, ignore this "
            "message.",
            name=user.name,
            link=external_url("accounts.confirm_email", token=token),
        )
    send_email(user.email, subject, body)


def send_signup_attempt(user: User) -> None:
    """To the owner of an address someone tried to sign up with again."""
    with force_locale(_locale(user)):
        subject = _("Someone tried to sign up with your e-mail address")
        body = _(
            "Hello %(name)s,\n\nsomeone tried to create an account on the Heilongjiang Technology "
            "Marketplace with this e-mail address, which already has an account. No new account "
            "was created.\n\nIf it was you, log in:\n%(login)s\nIf you forgot your password, "
            "choose a new one:\n%(forgot)s\n\nIf it was not you, you need not do anything.",
            name=user.name,
            login=external_url("accounts.login"),
            forgot=external_url("accounts.forgot_password"),
        )
    send_email(user.email, subject, body)


def send_password_reset(user: User, token: str) -> None:
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    with force_locale(_locale(user)):
        subject = _("Choose a new password")
        body = _(
            "Hello %(name)s,\n\nto choose a new password for the Heilongjiang Technology "
            "Marketplace, open this link within %(minutes)s minutes; it works once:\n%(link)s\n\n"
            "If you did not ask for it, ignore this message: your password stays as it is.",
            name=user.name,
            minutes=minutes,
            link=external_url("accounts.reset_password", token=token),
        )
    send_email(user.email, subject, body)
