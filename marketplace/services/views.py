"""Web pages of the policy library, and the small blocks other pages include
(policies for a listing, a contract or a certificate; an asset's evaluation;
start-ups on the targets page). Providers, requests, evaluations and start-ups
have their pages in views_providers and views_evaluations (same blueprint)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..core.errors import DomainError
from ..core.pagination import read_page_args
from ..core.web import attempt_with_status, get_or_404
from ..extensions import db
from ..storage.uploads import Attachment, send_attachment
from . import evaluations, incubation, permissions, policies, states
from .forms import PolicyForm, PolicySearchForm
from .models import Policy

bp = Blueprint("services", __name__)

bp.add_app_template_filter(lambda c: states.label(states.POLICY_TOPICS, c), "policy_topic")
bp.add_app_template_filter(lambda c: states.label(states.PROVIDER_KINDS, c), "provider_kind")


@bp.app_template_global("services_english")
def _english() -> bool:
    return str(get_locale() or "zh").startswith("en")


@bp.app_template_global("policy_text")
def policy_text(policy: Policy, name: str) -> str:
    """The policy's field in the user's language (Chinese when there is no English)."""
    zh = getattr(policy, f"{name}_zh", None)
    en = getattr(policy, f"{name}_en", None)
    return (en or zh or "") if _english() else (zh or en or "")


# -- Blocks included by other pages -----------------------------------------------
@bp.app_template_global("services_policies_for_listing")
def policies_for_listing(listing) -> list[Policy]:
    return policies.applicable(policies.facts_of_listing(listing))


@bp.app_template_global("services_policies_for_contract")
def policies_for_contract(contract) -> list[Policy]:
    return policies.applicable(policies.facts_of_contract(contract))


@bp.app_template_global("services_policies_for_registration")
def policies_for_registration(result) -> list[Policy]:
    """The public certificate check: by category and authority region only (no parties)."""
    if result is None:
        return []
    return policies.applicable(
        policies.Facts(
            deal_kinds=tuple(k for k in ("transfer", "license") if result.category.startswith(k + "_")),
            category=result.category,
            region=result.authority_region,
            on=result.registered_on,
            registered=result.status == "registered",
        )
    )


@bp.app_template_global("services_evaluations_for_assets")
def evaluations_for_assets(asset_ids) -> list:
    return list(evaluations.latest_results(asset_ids).values())


@bp.app_template_global("services_asset_evaluation")
def asset_evaluation(asset) -> dict:
    latest = evaluations.latest_results([asset.id]).get(asset.id)
    return {
        "latest": latest,
        "can_ask": permissions.can_ask_evaluation(current_user, asset),
    }


@bp.app_template_global("services_startups_progress")
def startups_progress() -> dict:
    count = incubation.startup_count()
    return {
        "count": count,
        "target": incubation.PLAN_TARGET,
        "percent": round(100 * count / incubation.PLAN_TARGET, 2),
    }


# -- The policy library -----------------------------------------------------------------
@bp.get("/policies/")
def policy_index():
    form = PolicySearchForm(request.args)
    query = policies.read_query(request.args)
    try:
        page_no, per_page = read_page_args(request.args)
    except DomainError:
        page_no, per_page = 1, 20
    page = policies.search(query, page_no, per_page)
    return render_template(
        "services/policies.html",
        form=form,
        page=page,
        query=query,
        can_manage=permissions.can_manage_policies(current_user),
    )


def _policy_or_404(policy_id: int) -> Policy:
    return get_or_404(Policy, policy_id)


@bp.get("/policies/<int:policy_id>")
def policy_detail(policy_id: int):
    policy = _policy_or_404(policy_id)
    return render_template(
        "services/policy_detail.html",
        policy=policy,
        files=policies.attachments(policy),
        can_manage=permissions.can_manage_policies(current_user),
        in_force_now=policy.in_force_on(policies.today_shanghai()),
    )


@bp.get("/policies/<int:policy_id>/files/<int:attachment_id>")
def policy_file(policy_id: int, attachment_id: int):
    policy = _policy_or_404(policy_id)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment not in policies.attachments(policy):
        abort(404)
    return send_attachment(attachment)


def _save_policy(form: PolicyForm, policy: Policy | None):
    template = "services/policy_form.html"
    if not form.validate_on_submit():
        if request.method == "POST":
            flash(_("Please correct the marked fields."), "error")
        return render_template(template, form=form, policy=policy), 422 if request.method == "POST" else 200
    attachment = form.attachment.data if getattr(form.attachment.data, "filename", None) else None

    def action():
        if policy is None:
            return policies.create_policy(form.values(), actor=current_user, attachment=attachment)
        return policies.update_policy(policy, form.values(), actor=current_user, attachment=attachment)

    ok, saved, status = attempt_with_status(action, success=_("The policy is saved."), form=form)
    if not ok:
        return render_template(template, form=form, policy=policy), status
    return redirect(url_for("services.policy_detail", policy_id=saved.id))


@bp.route("/policies/new", methods=["GET", "POST"])
@login_required
def policy_new():
    if not permissions.can_manage_policies(current_user):
        abort(403)
    form = PolicyForm()
    if request.method == "GET":
        return render_template("services/policy_form.html", form=form, policy=None)
    return _save_policy(form, None)


@bp.route("/policies/<int:policy_id>/edit", methods=["GET", "POST"])
@login_required
def policy_edit(policy_id: int):
    policy = _policy_or_404(policy_id)
    if not permissions.can_manage_policies(current_user):
        abort(403)
    form = PolicyForm(obj=policy)
    if request.method == "GET":
        return render_template("services/policy_form.html", form=form, policy=policy)
    return _save_policy(form, policy)


from . import views_evaluations, views_providers  # noqa: E402, F401 - their routes are on this blueprint
