"""The home page."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from ..accounts.models import Organization
from ..core.catalog import SOURCE_KINDS
from ..extensions import db

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
    return render_template("portal/index.html", org_counts=counts, source_kinds=SOURCE_KINDS)
