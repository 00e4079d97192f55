"""Sign-up, log-in, log-out and the account pages."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from ..core.transaction import after_commit
from ..core.web import attempt, get_or_404, safe_next
from ..extensions import db
from ..storage.uploads import send_attachment
from . import mails, services, throttle
from .forms import (
    BankAccountForm,
    ConfirmForm,
    ForgotPasswordForm,
    LicenceForm,
    LoginForm,
    OrganizationForm,
    PasswordForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    TokenForm,
)
from .models import ApiToken, BankAccount
from .sessions import renew_current_session

bp = Blueprint("accounts", __name__)


@bp.app_context_processor
def _waiting_context():
    """`account_waiting()`: what the logged-in person waits for (the error pages tell it to a
    waiting person whose action is refused); computed only where a template asks."""
    return {"account_waiting": lambda: services.waiting_for(current_user)}


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
                    accepted_terms=bool(form.accept_terms.data),
                    accepted_privacy=bool(form.accept_privacy.data),
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
        user, suspension = services.authenticate_or_reason(form.email.data, form.password.data)
        if suspension:
            # Only with the right password: the owner is told why the account is suspended.
            db.session.rollback()
            flash(
                _("This account is suspended by the platform administrator: %(reason)s", reason=suspension),
                "error",
            )
        elif user is None or not user.is_confirmed:
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
            lambda: services.change_password(
                current_user,
                current=form.current_password.data,
                new=form.new_password.data,
                actor=current_user,
            ),
            each_message=True,
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


def _render_organization(form=None, bank_form=None, licence_form=None, status: int = 200):
    org = current_user.organization
    form = form or OrganizationForm(
        obj=org, data={"org_name": org.name, "org_kind": org.kind, "region": org.region_code}
    )
    return render_template(
        "accounts/organization.html",
        form=form,
        org=org,
        editable=services.can_edit_organization(current_user, org),
        bank_form=bank_form or BankAccountForm(formdata=None),
        licence_form=licence_form or LicenceForm(formdata=None),
        confirm_form=ConfirmForm(),
        bank_accounts=services.bank_accounts_of(org.id),
        licences=services.licences_of(org),
        waiting=services.waiting_for(current_user),
    ), status


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
    return _render_organization(form=form)


def _members_only():
    """Editing the organization's records is for its approved members: others are told so."""
    if services.can_edit_organization(current_user, current_user.organization):
        return None
    flash(_("Only approved members of the organization can edit it."), "error")
    return redirect(url_for("accounts.organization"))


@bp.post("/account/organization/bank-accounts")
@login_required
def add_bank_account():
    refused = _members_only()
    if refused:
        return refused
    form = BankAccountForm()
    if form.validate_on_submit():
        ok, _result = attempt(
            lambda: services.add_bank_account(
                current_user.organization,
                services.BankAccountData(
                    account_name=form.account_name.data,
                    bank_name=form.bank_name.data,
                    account_number=form.account_number.data,
                ),
                actor=current_user,
            ),
            success=_("The bank account is recorded: payers see it on the payment page."),
            form=form,
        )
        if ok:
            return redirect(url_for("accounts.organization") + "#bank-accounts")
    return _render_organization(bank_form=form, status=400)


@bp.post("/account/organization/bank-accounts/<int:account_id>/remove")
@login_required
def remove_bank_account(account_id: int):
    account = get_or_404(BankAccount, account_id, lambda a: a.organization_id == current_user.organization_id)
    refused = _members_only()
    if refused:
        return refused
    if ConfirmForm().validate_on_submit():
        attempt(
            lambda: services.remove_bank_account(account, actor=current_user),
            success=_("The bank account is removed."),
        )
    return redirect(url_for("accounts.organization") + "#bank-accounts")


@bp.post("/account/organization/licence")
@login_required
def upload_licence():
    refused = _members_only()
    if refused:
        return refused
    form = LicenceForm()
    if form.validate_on_submit():
        ok, _result = attempt(
            lambda: services.upload_licence(
                current_user.organization, request.files.get("licence"), actor=current_user
            ),
            success=_("The business licence is uploaded; an administrator checks it."),
            form=form,
        )
        if ok:
            return redirect(url_for("accounts.organization") + "#business-licence")
    return _render_organization(licence_form=form, status=400)


@bp.get("/account/organization/licence/<int:attachment_id>")
@login_required
def licence(attachment_id: int):
    attachment = services.licence_of(current_user.organization, attachment_id)
    if attachment is None:
        abort(404)
    return send_attachment(attachment)


@bp.get("/terms")
def terms():
    return render_template("accounts/terms.html")


@bp.get("/privacy")
def privacy():
    return render_template("accounts/privacy.html")


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
