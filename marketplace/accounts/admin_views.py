"""Administration: users and organizations (admins only; others get 404)."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..core.errors import DomainError
from ..core.models import audit_trail
from ..core.pagination import paginate, read_page_args
from ..core.web import attempt, get_or_404, safe_next
from ..extensions import db
from ..storage.uploads import send_attachment
from . import services
from .forms import ConfirmForm, SuspendForm
from .models import Organization, User
from .onboarding import audit_label, licence_counts
from .permissions import can_admin
from .states import OrgStatus, UserStatus

bp = Blueprint("admin", __name__, url_prefix="/admin")


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not can_admin(current_user):
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def _page_args():
    try:
        return read_page_args(request.args)
    except DomainError:
        return 1, 20


@bp.app_context_processor
def _admin_counts():
    """The administration tabs show how many approvals wait (computed only when asked)."""
    return {"admin_pending_counts": services.pending_counts, "account_audit_label": audit_label}


@bp.get("/")
@admin_required
def index():
    """The queue: the organizations and the people waiting for approval, oldest first."""
    organizations = services.pending_organizations()
    return render_template(
        "admin/queue.html",
        counts=services.pending_counts(),
        organizations=organizations,
        licence_counts=licence_counts([o.id for o in organizations]),
        people=services.pending_people(),
        confirm_form=ConfirmForm(),
    )


@bp.get("/organizations/<int:org_id>")
@admin_required
def organization(org_id: int):
    """What an administrator checks before approving: the details, members, licence, trail."""
    org = get_or_404(Organization, org_id)
    return _render_organization(org)


def _render_organization(org: Organization, status: int = 200):
    members = db.session.scalars(
        select(User).where(User.organization_id == org.id).order_by(User.created_at, User.id)
    ).all()
    return render_template(
        "admin/organization.html",
        org=org,
        members=members,
        licences=services.licences_of(org),
        bank_accounts=services.bank_accounts_of(org.id),
        trail=audit_trail(org),
        confirm_form=ConfirmForm(),
    ), status


@bp.get("/organizations/<int:org_id>/licence/<int:attachment_id>")
@admin_required
def licence(org_id: int, attachment_id: int):
    org = get_or_404(Organization, org_id)
    attachment = services.licence_of(org, attachment_id)
    if attachment is None:
        abort(404)
    return send_attachment(attachment)


@bp.get("/users/<int:user_id>")
@admin_required
def user(user_id: int):
    person = get_or_404(User, user_id)
    return render_template(
        "admin/user.html",
        person=person,
        trail=audit_trail(person),
        confirm_form=ConfirmForm(),
    )


@bp.get("/users")
@admin_required
def users():
    page, per_page = _page_args()
    q = request.args.get("q", "")[:100]
    result = paginate(services.search_users(q), page, per_page)
    return render_template("admin/users.html", page=result, q=q, confirm_form=ConfirmForm())


@bp.get("/organizations")
@admin_required
def organizations():
    page, per_page = _page_args()
    q = request.args.get("q", "")[:100]
    status = request.args.get("status") or None
    if status not in (None, *(s.value for s in OrgStatus)):
        status = None
    result = paginate(services.search_organizations(q, status), page, per_page)
    return render_template(
        "admin/organizations.html", page=result, q=q, status=status, confirm_form=ConfirmForm()
    )


def _do(action, success_message: str):
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("The form has expired; please try again."), "error")
        return
    attempt(action, success=success_message)


def _reason() -> str | None:
    """The suspension's reason as posted; the service refuses it when missing or too long."""
    form = SuspendForm()
    form.validate()
    return form.reason.data


@bp.post("/organizations/<int:org_id>/<any(approve,suspend,reinstate):action>")
@admin_required
def organization_status(org_id: int, action: str):
    org = get_or_404(Organization, org_id)
    target = {"approve": OrgStatus.APPROVED, "suspend": OrgStatus.SUSPENDED, "reinstate": OrgStatus.APPROVED}[
        action
    ]
    messages = {
        "approve": _("The organization is approved."),
        "suspend": _("The organization is suspended."),
        "reinstate": _("The organization is reinstated."),
    }
    reason = _reason() if action == "suspend" else None
    _do(
        lambda: services.set_organization_status(org, target, actor=current_user, reason=reason),
        messages[action],
    )
    return redirect(safe_next(request.form.get("next"), url_for("admin.organizations")))


@bp.post("/users/<int:user_id>/<any(approve,suspend,reinstate):action>")
@admin_required
def user_status(user_id: int, action: str):
    user = get_or_404(User, user_id)
    if action == "approve":
        _do(lambda: services.approve_membership(user, actor=current_user), _("The membership is approved."))
    else:
        target = UserStatus.SUSPENDED if action == "suspend" else UserStatus.ACTIVE
        reason = _reason() if action == "suspend" else None
        _do(
            lambda: services.set_user_status(user, target, actor=current_user, reason=reason),
            _("The account is suspended.") if action == "suspend" else _("The account is reinstated."),
        )
    return redirect(safe_next(request.form.get("next"), url_for("admin.users")))
