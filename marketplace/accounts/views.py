"""Sign-up, log-in, log-out and the account pages."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from ..core.errors import DomainError
from ..core.transaction import after_commit
from ..core.web import attempt, get_or_404, safe_next
from ..extensions import db
from . import mails, services, throttle
from .forms import (
    ConfirmForm,
    ForgotPasswordForm,
    LoginForm,
    OrganizationForm,
    PasswordForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    TokenForm,
)
from .models import ApiToken
from .sessions import renew_current_session

bp = Blueprint("accounts", __name__)


def _limit(name: str) -> str:
    return current_app.config.get(name) or ""


def _too_many(refused: throttle.Refused):
    """429 with the translated page and how long to wait."""
    response = current_app.make_response(
        (
            render_template(
                "errors/error.html",
                status=429,
                title=_("Too many attempts"),
                message=_("Too many attempts in a short time. Please wait a minute and try again."),
            ),
            429,
        )
    )
    response.headers["Retry-After"] = str(refused.retry_after)
    return response


def _each_message(action):
    """The action, its refusal told one message per flash: the account page it goes
    back to has no form to mark fields on. Every field message but the last is
    flashed here; the last becomes the refusal's message, which `attempt` flashes."""

    def run():
        try:
            return action()
        except DomainError as exc:
            messages = [m for ms in exc.fields.values() for m in ms]
            if messages:
                for message in messages[:-1]:
                    flash(str(message), "error")
                exc.message, exc.fields = messages[-1], {}
            raise

    return run


def _posted_email() -> str:
    return services.normalize_email(request.form.get("email", ""))


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.account"))
    if request.method == "POST":
        refused = throttle.hit("signup-address", throttle.client_address(), _limit("SIGNUP_RATE_LIMIT"))
        if refused:
            return _too_many(refused)
    form = RegisterForm()
    if form.validate_on_submit():
        taken: list[services.EmailTaken] = []

        def register_unless_taken():
            try:
                return services.register_user(
                    email=form.email.data,
                    name=form.name.data,
                    password=form.password.data,
                    role=form.role.data,
                    org=services.OrgData(
                        name=form.org_name.data,
                        kind=form.org_kind.data,
                        uscc=form.uscc.data,
                        region_code=form.region.data,
                        place=form.place.data,
                    ),
                    locale=session.get("lang"),
                )
            except services.EmailTaken as exc:
                taken.append(exc)  # not a refusal to show: answered below like a success
                return None

        ok, user = attempt(register_unless_taken, form=form)
        if taken:
            # Answered exactly like a sign-up that went through: whether an address is
            # registered is told only to its owner, by e-mail. The answer is a redirect,
            # which the boundary would commit: what the sign-up began is undone here.
            db.session.rollback()
            if taken[0].existing is not None:
                mails.send_signup_attempt(taken[0].existing)
        elif not ok:
            return render_template("accounts/register.html", form=form)
        else:
            token = services.confirmation_token(user)
            after_commit(lambda: mails.send_confirmation(user, token))
        flash(
            _(
                "Thank you. We have sent a message to %(email)s: follow its link to confirm the "
                "address, then log in.",
                email=services.normalize_email(form.email.data),
            ),
            "success",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), url_for("portal.workbench")))
    if request.method == "POST":
        # Counted before the password is checked, per address and per account, in a
        # store every worker shares; an address unknown here counts like any other.
        refused = throttle.hit_all(
            ("login-address", throttle.client_address(), _limit("LOGIN_RATE_LIMIT")),
            ("login-account", _posted_email(), _limit("LOGIN_ACCOUNT_RATE_LIMIT")),
        )
        if refused:
            return _too_many(refused)
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None or not user.is_confirmed:
            db.session.rollback()
            if user is not None:
                # The right password for an address not yet confirmed: the link again. The
                # answer is the same as for any failure, so it tells nobody the account exists.
                mails.send_confirmation(user, services.confirmation_token(user))
            flash(
                _(
                    "The e-mail address or password is wrong, or the account is suspended or its "
                    "address not yet confirmed (follow the link in the e-mail we sent)."
                ),
                "error",
            )
        else:
            login_user(user)
            if user.locale:
                session["lang"] = user.locale
            flash(_("You are logged in."), "success")
            if not user.has_powers:
                flash(
                    _(
                        "An administrator will approve your organization or membership; until then "
                        "you can browse and search as a plain user."
                    ),
                    "info",
                )
            return redirect(safe_next(request.args.get("next"), url_for("portal.workbench")))
    return render_template("accounts/login.html", form=form)


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    """The link in the sign-up e-mail: a page with a button, so that opening the link
    (or a mail scanner fetching it) writes nothing; the button confirms."""
    user = services.user_for_confirmation_token(token)
    if user is None:
        return render_template("accounts/confirm_email.html", form=None), 400
    form = ConfirmForm()
    if form.validate_on_submit():
        if services.confirm_email(user):
            flash(_("Your e-mail address is confirmed. Log in with it and your password."), "success")
        else:
            flash(_("This address is already confirmed. Log in with it and your password."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/confirm_email.html", form=form, email=user.email)


@bp.post("/logout")
@login_required
def logout():
    form = ConfirmForm()
    if form.validate_on_submit():
        # Ends every session of this user, including copies of this cookie.
        services.log_out_everywhere(current_user._get_current_object())
        logout_user()
        flash(_("You are logged out."), "success")
    return redirect(url_for("portal.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if request.method == "POST":
        refused = throttle.hit_all(
            ("reset-address", throttle.client_address(), _limit("PASSWORD_RATE_LIMIT")),
            ("reset-account", _posted_email(), _limit("PASSWORD_RATE_LIMIT")),
        )
        if refused:
            return _too_many(refused)
    if form.validate_on_submit():
        user = services.find_user_for_reset(form.email.data)
        if user is not None:
            mails.send_password_reset(user, services.password_reset_token(user))
        else:
            services.hash_password("same-work-either-way")
        # The same answer whether or not the address has an account.
        flash(
            _(
                "If %(email)s has an account, we have sent it a link to choose a new password. "
                "The link works once, within an hour.",
                email=services.normalize_email(form.email.data),
            ),
            "success",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    if request.method == "POST":
        refused = throttle.hit("reset-address", throttle.client_address(), _limit("PASSWORD_RATE_LIMIT"))
        if refused:
            return _too_many(refused)
    user = services.user_for_reset_token(token)
    if user is None:
        return render_template("accounts/reset_password.html", form=None), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        ok, _result = attempt(lambda: services.reset_password(user, new=form.password.data), form=form)
        if ok:
            if current_user.is_authenticated:
                logout_user()
            flash(_("Your new password is saved. Log in with it."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


def _render_account(new_token: str | None = None):
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.created_at.desc())
    ).all()
    return render_template(
        "accounts/account.html",
        profile_form=ProfileForm(obj=current_user),
        password_form=PasswordForm(),
        token_form=TokenForm(formdata=None),
        confirm_form=ConfirmForm(),
        tokens=tokens,
        new_token=new_token,
    )


@bp.get("/account")
@login_required
def account():
    return _render_account()


@bp.post("/account/profile")
@login_required
def update_profile():
    form = ProfileForm()
    if form.validate_on_submit():
        ok, _result = attempt(
            lambda: services.update_profile(
                current_user,
                name=form.name.data,
                phone=form.phone.data,
                locale=form.locale.data,
                actor=current_user,
            )
        )
        if ok:
            session["lang"] = current_user.locale or session.get("lang")
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("accounts.account"))
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    return redirect(url_for("accounts.account"))


@bp.post("/account/password")
@login_required
def change_password():
    refused = throttle.hit_all(
        ("password-user", str(current_user.id), _limit("PASSWORD_RATE_LIMIT")),
        ("password-address", throttle.client_address(), _limit("PASSWORD_RATE_LIMIT")),
    )
    if refused:
        return _too_many(refused)
    form = PasswordForm()
    if form.validate_on_submit():
        ok, _result = attempt(
            _each_message(
                lambda: services.change_password(
                    current_user,
                    current=form.current_password.data,
                    new=form.new_password.data,
                    actor=current_user,
                )
            )
        )
        if ok:
            # Every other session has ended; this browser stays logged in.
            renew_current_session(current_user._get_current_object())
            flash(_("Your password is changed. You are logged out everywhere else."), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    return redirect(url_for("accounts.account"))


@bp.route("/account/organization", methods=["GET", "POST"])
@login_required
def organization():
    org = current_user.organization
    editable = services.can_edit_organization(current_user, org)
    form = OrganizationForm(
        obj=org, data={"org_name": org.name, "org_kind": org.kind, "region": org.region_code}
    )
    if request.method == "POST":
        if not editable:
            flash(_("Only approved members of the organization can edit it."), "error")
            return redirect(url_for("accounts.organization"))
        if form.validate_on_submit():
            ok, _result = attempt(
                lambda: services.update_organization(
                    org,
                    services.OrgData(
                        name=form.org_name.data,
                        kind=form.org_kind.data,
                        uscc=form.uscc.data,
                        region_code=form.region.data,
                        place=form.place.data,
                        name_en=form.name_en.data,
                    ),
                    actor=current_user,
                ),
                success=_("The organization is saved."),
                form=form,
            )
            if ok:
                return redirect(url_for("accounts.organization"))
    return render_template("accounts/organization.html", form=form, org=org, editable=editable)


@bp.post("/account/tokens")
@login_required
def issue_token():
    form = TokenForm()
    if form.validate_on_submit():
        ok, issued = attempt(
            lambda: services.issue_token(current_user, form.name.data, actor=current_user),
            success=_("Copy the token now: it is shown only once."),
        )
        if ok:
            _token, plaintext = issued
            # Shown in this answer only: the plaintext is never stored, not even in the session.
            return _render_account(new_token=plaintext)
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    return redirect(url_for("accounts.account"))


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    token = get_or_404(ApiToken, token_id, lambda t: t.user_id == current_user.id)
    form = ConfirmForm()
    if form.validate_on_submit():
        attempt(lambda: services.revoke_token(token, actor=current_user), success=_("The token is revoked."))
    return redirect(url_for("accounts.account"))
