"""The home page and the workbench."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import func, select

from ..accounts.models import Organization
from ..core.catalog import SOURCE_KINDS
from ..extensions import db
from . import home
from .workbench import items_for as workbench_items
from .workbench import waiting_reason

bp = Blueprint("portal", __name__)


@bp.get("/")
def index():
    counts = dict(
        db.session.execute(
            select(Organization.kind, func.count())
            .where(Organization.status == "approved")
            .group_by(Organization.kind)
        ).all()
    )
    return render_template(
        "portal/index.html",
        org_counts=counts,
        source_kinds=SOURCE_KINDS,
        **home.front_page(),
    )


@bp.get("/workbench")
@login_required
def workbench():
    """The landing page after log-in: what needs the user now."""
    return render_template(
        "portal/workbench.html",
        items=workbench_items(current_user),
        waiting=waiting_reason(current_user),
    )
