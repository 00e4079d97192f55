"""The notifications page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.forms import ConfirmForm
from ..core.errors import DomainError
from ..core.pagination import paginate, read_page_args
from . import services

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_context_processor
def _unread_notifications():
    """The count in the navigation bar of every page."""
    unread = services.unread_count(current_user) if current_user and current_user.is_authenticated else 0
    return {"unread_notifications": unread}


@bp.get("/")
@login_required
def index():
    try:
        page, per_page = read_page_args(request.args)
    except DomainError:
        page, per_page = 1, 20
    result = paginate(services.notifications_for(current_user), page, per_page)
    return render_template("notifications/index.html", page=result, confirm_form=ConfirmForm())


@bp.post("/read")
@login_required
def mark_read():
    if ConfirmForm().validate_on_submit():
        services.mark_all_read(current_user)
        flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"))
