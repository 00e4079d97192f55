"""Web pages of the ledger: the regulators' dashboard, drill-down to the
entries, exports, chain verification, and the public plan-targets page."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from ..core.errors import DomainError
from ..core.pagination import paginate, read_page_args
from ..core.web import attempt
from ..extensions import db
from . import exports, ports, reports, services
from .catalog import TARGETS_BY_CODE, category_label, entry_kind_label
from .forms import DashboardForm, EntriesForm, ExportForm, TargetValueForm
from .models import LedgerEntry
from .permissions import can_record_targets, can_view_ledger, ledger_scope

bp = Blueprint("ledger", __name__)


def viewer_required(view):
    """Regulators and admins; anyone else gets 404."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not can_view_ledger(current_user):
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def _as_of(form) -> tuple[object, bool]:
    """The form's as-of moment; (None, False) with a field error when unreadable."""
    try:
        return services.parse_as_of(form.as_of.data), True
    except DomainError as exc:
        form.apply_errors(exc)
        return None, False


@bp.get("/ledger/")
@viewer_required
def dashboard():
    form = DashboardForm(formdata=request.args)
    form.validate()
    as_of, _ok = _as_of(form)
    years = reports.YearChoice(form.years.data if form.years.data in dict(form.years.choices) else "plan")
    data = reports.dashboard_data(scope=ledger_scope(current_user), as_of=as_of, years=years)
    chart = reports.chart_json(data)
    chart["labels"] = {
        "unit": chart["unit"]["label"],
        "turnover": _("Registered turnover"),
        "tech_income": _("Technology income"),
        "path": _("Yearly path"),
        "cumulative": _("Cumulative"),
        "path_cumulative": _("Cumulative path"),
    }
    return render_template(
        "ledger/dashboard.html",
        form=form,
        data=data,
        chart=chart,
        summaries=reports.chart_summaries(data),
        as_of_arg=form.as_of.data if as_of else None,
        export_form=ExportForm(formdata=None),
    )


def _entry_filter(form: EntriesForm, scope: str, as_of) -> services.EntryFilter:
    year = year_from = year_to = None
    value = form.year.data or "all"
    if value == "plan":
        year_from, year_to = reports.YearChoice("plan").bounds
    elif value.isdigit():
        year = int(value)
    # year_from/year_to also come straight from the dashboard's links.
    for name in ("year_from", "year_to"):
        raw = request.args.get(name, "")
        if raw.isdigit() and len(raw) == 4:
            if name == "year_from":
                year_from = int(raw)
            else:
                year_to = int(raw)
    return services.EntryFilter(
        scope=scope,
        year=year,
        year_from=year_from,
        year_to=year_to,
        region=form.region.data or None,
        industry=form.industry.data or None,
        org_kind=form.org_kind.data or None,
        category=form.category.data or None,
        kind=form.kind.data or None,
        registration_no=form.registration_no.data or None,
        as_of=as_of,
    )


@bp.get("/ledger/entries")
@viewer_required
def entries():
    form = EntriesForm(formdata=request.args)
    valid = form.validate()
    as_of, ok = _as_of(form)
    try:
        page, per_page = read_page_args(request.args, default_per_page=50)
    except DomainError:
        page, per_page = 1, 50
    flt = _entry_filter(form, ledger_scope(current_user), as_of)
    if not (valid and ok):
        flt = services.EntryFilter(scope=flt.scope, max_seq=0)  # show nothing for unreadable filters
    result = paginate(services.filtered_entries(flt), page, per_page)
    sums = db.session.execute(
        select(func.sum(LedgerEntry.turnover_delta_fen), func.sum(LedgerEntry.tech_income_delta_fen)).where(
            *flt.conditions(LedgerEntry.__table__)
        )
    ).one()
    return render_template(
        "ledger/entries.html",
        form=form,
        page=result,
        turnover=int(sums[0] or 0),
        tech_income=int(sums[1] or 0),
        contract_link=ports.contract_link,
        kind_label=entry_kind_label,
        category_label=category_label,
    )


@bp.get("/ledger/export")
@viewer_required
def export():
    form = ExportForm(formdata=request.args)
    if not form.validate():
        flash(_("Choose a year, a format and the contents of the export."), "error")
        return redirect(url_for("ledger.dashboard"))
    as_of, ok = _as_of(form)
    if not ok:
        flash(_("The as-of date is not valid."), "error")
        return redirect(url_for("ledger.dashboard"))
    year = int(form.year.data) if form.year.data.isdigit() else None
    flt = services.EntryFilter(scope=ledger_scope(current_user), year=year, as_of=as_of)
    fmt, what = form.format.data, form.what.data
    body = exports.export_bytes(flt, fmt=fmt, what=what)
    mimetype = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if fmt == "xlsx"
        else "text/csv; charset=utf-8"
    )
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{exports.export_filename(flt, fmt=fmt, what=what)}"'
        },
    )


@bp.get("/ledger/verify")
@viewer_required
def verify():
    check = services.verify_ledger()
    return render_template("ledger/verify.html", check=check)


# --- Signed checkpoints (public) ---------------------------------------------------


@bp.get("/ledger/checkpoints")
def checkpoints_page():
    from . import checkpoints, merkle

    try:
        page, per_page = read_page_args(request.args)
    except DomainError:
        page, per_page = 1, 20
    rows, total = checkpoints.checkpoints_page(page, per_page)
    return render_template(
        "ledger/checkpoints.html",
        rows=rows,
        total=total,
        page=page,
        per_page=per_page,
        pages=max(1, -(-total // per_page)),
        keys=checkpoints.public_keys(),
        tree_size=merkle.tree_head()[0],
        format_time=checkpoints.format_time,
    )


# --- The plan's targets (public) -------------------------------------------------


@bp.get("/targets")
def targets():
    overview = reports.targets_overview()
    may_record = can_record_targets(current_user)
    return render_template(
        "ledger/targets.html",
        overview=overview,
        may_record=may_record,
        form=TargetValueForm() if may_record else None,
        value_text=reports.value_text,
        percent_text=reports.percent_text,
    )


@bp.get("/targets/<code>")
def target_history(code: str):
    spec = TARGETS_BY_CODE.get(code)
    if spec is None:
        abort(404)
    return render_template(
        "ledger/target_history.html",
        spec=spec,
        history=services.target_history(code),
        value_text=reports.value_text,
        form=TargetValueForm() if can_record_targets(current_user) else None,
    )


@bp.post("/targets/<code>/values")
@login_required
def record_target(code: str):
    spec = TARGETS_BY_CODE.get(code)
    if spec is None or not can_record_targets(current_user):
        abort(404)
    form = TargetValueForm()
    if form.validate_on_submit():
        value = form.value_for(spec.unit)
        if value is not None:
            ok, _result = attempt(
                lambda: services.record_target_value(
                    code,
                    value=value,
                    measured_on=form.measured_on.data,
                    source=form.source.data,
                    actor=current_user,
                ),
                success=_("The value of %(target)s was recorded.", target=spec.label),
                form=form,
            )
            if ok:
                return redirect(url_for("ledger.target_history", code=code))
    return (
        render_template(
            "ledger/target_history.html",
            spec=spec,
            history=services.target_history(code),
            value_text=reports.value_text,
            form=form,
        ),
        422,
    )
