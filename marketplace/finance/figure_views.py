"""The regulators' finance figures page (tables, a chart, CSV/XLSX downloads) and
the block on the turnover dashboard."""

from __future__ import annotations

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..core.errors import ValidationError
from . import exports, figures, permissions
from .forms import FiguresForm
from .views import bp


def _titles() -> dict[str, str]:
    return {
        "year": _("By year"),
        "region": _("By region"),
        "bank": _("By institution"),
        "industry": _("By industry"),
    }


@bp.get("/finance/figures")
@login_required
def figures_page():
    if not permissions.can_see_figures(current_user):
        abort(404)
    form = FiguresForm(request.args)
    try:
        year, group_by = figures.parse_args(request.args.get("year"), request.args.get("group_by"))
        errors = {}
    except ValidationError as exc:
        year, group_by = None, "year"
        errors = exc.fields
        for name, messages in errors.items():
            getattr(form, name).errors = [str(m) for m in messages]
    summary = figures.summary(year=year, group_by=group_by, user=current_user)
    fmt = request.args.get("format")
    if fmt in ("csv", "xlsx") and not errors:
        name = f"finance-{group_by}{'-' + str(year) if year else ''}.{fmt}"
        if fmt == "csv":
            body, mimetype = exports.csv_bytes(summary), "text/csv; charset=utf-8"
        else:
            body = exports.xlsx_bytes(summary, _titles()[group_by])
            mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(
            body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )
    chart = {
        "labels": [r.label for r in summary.rows],
        "amount": [round(r.amount_fen / 1_000_000, 2) for r in summary.rows],
        "outstanding": [round(r.outstanding_fen / 1_000_000, 2) for r in summary.rows],
        "invested": [round(r.investment_fen / 1_000_000, 2) for r in summary.rows],
        "names": {
            "amount": _("Amount lent"),
            "outstanding": _("Outstanding"),
            "invested": _("Amount invested"),
            "unit": _("10,000 yuan"),
        },
    }
    return render_template(
        "finance/figures.html",
        summary=summary,
        form=form,
        group_by=group_by,
        year=year,
        title=_titles()[group_by],
        chart=chart,
    ), (422 if errors else 200)


@bp.app_template_global("finance_dashboard_figures")
def finance_dashboard_figures():
    """What the turnover dashboard shows of finance (its included block)."""
    if not permissions.can_see_figures(current_user):
        return None
    return figures.summary(group_by="year", user=current_user).total
