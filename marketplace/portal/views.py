"""The home page, the workbench and the public check of certificates."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from ..accounts.models import Organization
from ..core.catalog import SOURCE_KINDS
from ..extensions import db
from . import home, verify
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


@bp.get("/verify")
def verify_form():
    """Where a certificate's holder types its number (or scans its QR code, which
    leads straight to /verify/<number>)."""
    number = (request.args.get("no") or "").strip()[:40]
    if number:
        return redirect(url_for("portal.verify_certificate", registration_no=number))
    return render_template("portal/verify.html", result=None, number="")


@bp.get("/verify/<registration_no>")
def verify_certificate(registration_no: str):
    registration_no = registration_no[:40]
    result = verify.verify(registration_no)
    status = 200 if result is not None else 404
    return render_template(
        "portal/verify.html",
        result=result,
        number=registration_no,
        malformed=not verify.well_formed(registration_no),
    ), status
