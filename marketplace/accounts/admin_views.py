"""Administration: users and organizations (admins only; others get 404)."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..core.errors import DomainError
from ..core.pagination import paginate, read_page_args
from ..core.web import attempt, get_or_404, safe_next
from . import services
from .forms import ConfirmForm
from .models import Organization, User
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


@bp.get("/")
@admin_required
def index():
    return redirect(url_for("admin.organizations"))


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
    _do(lambda: services.set_organization_status(org, target, actor=current_user), messages[action])
    return redirect(safe_next(request.form.get("next"), url_for("admin.organizations")))


@bp.post("/users/<int:user_id>/<any(approve,suspend,reinstate):action>")
@admin_required
def user_status(user_id: int, action: str):
    user = get_or_404(User, user_id)
    if action == "approve":
        _do(lambda: services.approve_membership(user, actor=current_user), _("The membership is approved."))
    else:
        target = UserStatus.SUSPENDED if action == "suspend" else UserStatus.ACTIVE
        _do(
            lambda: services.set_user_status(user, target, actor=current_user),
            _("The account is suspended.") if action == "suspend" else _("The account is reinstated."),
        )
    return redirect(safe_next(request.form.get("next"), url_for("admin.users")))
