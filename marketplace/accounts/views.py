"""Sign-up, log-in, log-out and the account pages."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from ..core.errors import DomainError
from ..core.web import attempt, get_or_404, safe_next
from ..extensions import db, limiter
from . import services
from .forms import (
    ConfirmForm,
    LoginForm,
    OrganizationForm,
    PasswordForm,
    ProfileForm,
    RegisterForm,
    TokenForm,
)
from .models import ApiToken

bp = Blueprint("accounts", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.account"))
    form = RegisterForm()
    if form.validate_on_submit():
        ok, user = attempt(
            lambda: services.register_user(
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
            ),
            form=form,
        )
        if ok:
            login_user(user)
            session.permanent = True
            flash(_("Welcome! Your account is ready."), "success")
            if not user.has_powers:
                flash(
                    _(
                        "An administrator will approve your organization or membership; until then "
                        "you can browse and search as a plain user."
                    ),
                    "info",
                )
            return redirect(url_for("accounts.account"))
    return render_template("accounts/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), url_for("core.index")))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            db.session.rollback()
            flash(_("The e-mail address or password is wrong, or the account is suspended."), "error")
        else:
            db.session.commit()
            login_user(user)
            if user.locale:
                session["lang"] = user.locale
            flash(_("You are logged in."), "success")
            return redirect(safe_next(request.args.get("next"), url_for("core.index")))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    form = ConfirmForm()
    if form.validate_on_submit():
        logout_user()
        flash(_("You are logged out."), "success")
    return redirect(url_for("core.index"))


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
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user,
                current=form.current_password.data,
                new=form.new_password.data,
                actor=current_user,
            )
        except DomainError as exc:
            db.session.rollback()
            for messages in exc.fields.values():
                for message in messages:
                    flash(str(message), "error")
        else:
            db.session.commit()
            flash(_("Your password is changed."), "success")
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
