"""Web pages of evaluations of achievements (科技成果评价): asking from an asset,
the list, one evaluation with the body's result form, the report file."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..core.errors import DomainError
from ..core.pagination import paginate, read_page_args
from ..core.web import attempt_with_status, get_or_404
from ..ip.models import IpAsset
from ..ip.permissions import can_view_asset
from ..storage.uploads import send_attachment
from . import evaluations, permissions, providers
from .forms import AskEvaluationForm, ReasonForm, ResultForm
from .models import Evaluation
from .views import bp


def _asset_or_404(asset_id: int) -> IpAsset:
    return get_or_404(IpAsset, asset_id, visible=lambda a: can_view_asset(current_user, a))


def _ask_form(form=None) -> AskEvaluationForm:
    form = form or AskEvaluationForm()
    form.provider_id.choices = [(p.id, p.name) for p in providers.evaluation_bodies()]
    return form


@bp.route("/assets/<int:asset_id>/evaluations/new", methods=["GET", "POST"])
@login_required
def evaluation_new(asset_id: int):
    asset = _asset_or_404(asset_id)
    if not permissions.can_ask_evaluation(current_user, asset):
        abort(403)
    form = _ask_form()
    if request.method == "GET":
        return render_template(
            "services/evaluation_new.html", asset=asset, form=form, history=evaluations.of_asset(asset)
        )
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "error")
        return render_template(
            "services/evaluation_new.html", asset=asset, form=form, history=evaluations.of_asset(asset)
        ), 422
    ok, created, status = attempt_with_status(
        lambda: evaluations.ask(
            asset,
            providers.get_listed(form.provider_id.data, current_user),
            actor=current_user,
            note=form.note.data,
        ),
        success=_("The evaluation body is asked."),
        form=form,
    )
    if not ok:
        return render_template(
            "services/evaluation_new.html", asset=asset, form=form, history=evaluations.of_asset(asset)
        ), status
    return redirect(url_for("services.evaluation_detail", evaluation_id=created.id))


@bp.get("/evaluations/")
@login_required
def evaluation_index():
    box = request.args.get("box") or "all"
    if box not in ("all", "sent", "received"):
        box = "all"
    try:
        page_no, per_page = read_page_args(request.args)
    except DomainError:
        page_no, per_page = 1, 20
    page = paginate(evaluations.visible_to(current_user, box=box), page_no, per_page)
    return render_template("services/evaluations.html", page=page, box=box)


def _evaluation_or_404(evaluation_id: int) -> Evaluation:
    return get_or_404(
        Evaluation, evaluation_id, visible=lambda e: permissions.can_view_evaluation(current_user, e)
    )


def _render(evaluation: Evaluation, form=None, reason_form=None, status=200):
    return render_template(
        "services/evaluation_detail.html",
        evaluation=evaluation,
        report=evaluations.report_of(evaluation)
        if permissions.can_see_report(current_user, evaluation)
        else None,
        form=form or ResultForm(formdata=None),
        reason_form=reason_form or ReasonForm(formdata=None),
        can_record=permissions.can_record_result(current_user, evaluation),
    ), status


@bp.get("/evaluations/<int:evaluation_id>")
def evaluation_detail(evaluation_id: int):
    return _render(_evaluation_or_404(evaluation_id))


@bp.post("/evaluations/<int:evaluation_id>/result")
@login_required
def evaluation_result(evaluation_id: int):
    evaluation = _evaluation_or_404(evaluation_id)
    if not permissions.can_record_result(current_user, evaluation):
        abort(403)
    form = ResultForm()
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "error")
        return _render(evaluation, form=form, status=422)
    ok, _e, status = attempt_with_status(
        lambda: evaluations.record_result(
            evaluation,
            actor=current_user,
            trl=form.trl.data,
            novelty=form.novelty.data,
            maturity=form.maturity.data,
            value_low_fen=form.value_low_fen.data,
            value_high_fen=form.value_high_fen.data,
            opinion=form.opinion.data,
            evaluated_on=form.evaluated_on.data,
            report=form.report.data,
        ),
        success=_("The result is recorded; it shows on the asset and its listings."),
        form=form,
    )
    if not ok:
        return _render(_evaluation_or_404(evaluation_id), form=form, status=status)
    return redirect(url_for("services.evaluation_detail", evaluation_id=evaluation_id))


@bp.post("/evaluations/<int:evaluation_id>/decline")
@login_required
def evaluation_decline(evaluation_id: int):
    evaluation = _evaluation_or_404(evaluation_id)
    if not permissions.can_record_result(current_user, evaluation):
        abort(403)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _render(evaluation, reason_form=form, status=422)
    ok, _e, status = attempt_with_status(
        lambda: evaluations.decline(evaluation, actor=current_user, reason=form.reason.data),
        success=_("The evaluation is declined."),
        form=form,
    )
    if not ok:
        return _render(_evaluation_or_404(evaluation_id), reason_form=form, status=status)
    return redirect(url_for("services.evaluation_detail", evaluation_id=evaluation_id))


@bp.get("/evaluations/<int:evaluation_id>/report")
@login_required
def evaluation_report(evaluation_id: int):
    evaluation = _evaluation_or_404(evaluation_id)
    report = evaluations.report_of(evaluation)
    if report is None or not permissions.can_see_report(current_user, evaluation):
        abort(404)
    return send_attachment(report)
