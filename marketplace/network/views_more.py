"""Web pages of technology managers and plan periods (on the network blueprint),
and the blocks the targets page and the dashboard include."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..accounts.models import User
from ..contracts.models import Contract
from ..core.errors import DomainError
from ..core.pagination import paginate, read_page_args
from ..core.web import attempt, attempt_with_status, get_or_404, validated
from ..extensions import db
from ..ledger.permissions import can_record_targets
from . import managers as manager_services
from . import news as news_services
from . import periods, permissions
from .forms import (
    BrokerageForm,
    LinkAccountForm,
    ManagerForm,
    NewsForm,
    OfficialTurnoverForm,
    PeriodForm,
    account_choices,
)
from .models import Node, NodeNews, TechManager
from .views import bp, render_node


@bp.get("/managers")
def managers():
    try:
        page_no, per_page = read_page_args(request.args)
    except DomainError:
        page_no, per_page = 1, 20
    page = paginate(manager_services.public_managers(), page_no, per_page)
    pending = []
    if permissions.can_verify_manager(current_user):
        pending = list(
            db.session.scalars(
                manager_services.public_managers(include_pending=True).where(TechManager.status == "pending")
            )
        )
    return render_template(
        "network/managers.html",
        page=page,
        brokered=manager_services.brokered([m.id for m in page.items]),
        pending=pending,
        counts=manager_services.plan_counts(),
        may_register=permissions.can_register_manager(current_user),
    )


@bp.get("/managers/<int:manager_id>")
def manager(manager_id: int):
    m = get_or_404(TechManager, manager_id, lambda row: manager_services.visible(current_user, row))
    return _render_manager(m)


def _render_manager(
    m: TechManager,
    form: BrokerageForm | None = None,
    status: int = 200,
    link_form: LinkAccountForm | None = None,
):
    may_record = permissions.can_record_brokerage(current_user, m)
    may_link = permissions.can_link_manager_account(current_user, m)
    if may_link and m.user_id is None:
        link_form = link_form or LinkAccountForm(formdata=None)
        link_form.user_id.choices = account_choices(manager_services.linkable_accounts(m))
    else:
        link_form = None
    return (
        render_template(
            "network/manager.html",
            m=m,
            contracts=manager_services.contracts_of(m),
            totals=manager_services.brokered([m.id])[m.id],
            may_verify=permissions.can_verify_manager(current_user) and m.status == "pending",
            form=(form or BrokerageForm(formdata=None)) if may_record else None,
            is_me=permissions.is_the_manager(current_user, m),
            account=db.session.get(User, m.user_id)
            if m.user_id is not None and (may_link or permissions.is_the_manager(current_user, m))
            else None,
            link_form=link_form,
            may_unlink=m.user_id is not None and permissions.can_unlink_manager_account(current_user, m),
        ),
        status,
    )


@bp.post("/managers/<int:manager_id>/account")
@login_required
def link_manager_account(manager_id: int):
    m = get_or_404(
        TechManager, manager_id, lambda row: permissions.can_link_manager_account(current_user, row)
    )
    form = LinkAccountForm()
    form.user_id.choices = account_choices(manager_services.linkable_accounts(m))
    if not form.validate_on_submit():
        return _render_manager(m, status=422, link_form=form)
    user = db.session.get(User, form.user_id.data)
    ok, _row, status = attempt_with_status(
        lambda: manager_services.link_account(m, user, actor=current_user),
        success=_("The account is linked: the manager sees the profile in the workbench."),
        form=form,
    )
    if ok:
        return redirect(url_for("network.manager", manager_id=manager_id))
    return _render_manager(db.session.get(TechManager, manager_id), status=status, link_form=form)


@bp.post("/managers/<int:manager_id>/account/unlink")
@login_required
def unlink_manager_account(manager_id: int):
    m = get_or_404(
        TechManager, manager_id, lambda row: permissions.can_unlink_manager_account(current_user, row)
    )
    attempt(
        lambda: manager_services.unlink_account(m, actor=current_user),
        success=_("The account was unlinked from the manager."),
    )
    if manager_services.visible(current_user, m):
        return redirect(url_for("network.manager", manager_id=manager_id))
    return redirect(url_for("network.managers"))


@bp.route("/managers/new", methods=["GET", "POST"])
@login_required
def new_manager():
    if not permissions.can_register_manager(current_user):
        abort(404)
    form = ManagerForm()
    form.account.choices = account_choices(
        manager_services.accounts_without_profile(current_user.organization_id), none_label=_("None yet")
    )
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            account = db.session.get(User, form.account.data) if form.account.data else None
            ok, m, status = attempt_with_status(
                lambda: manager_services.register_manager(
                    name=form.name.data,
                    certificate_no=form.certificate_no.data,
                    level=form.level.data,
                    fields=form.fields.data or [],
                    bio=form.bio.data or "",
                    user=account,
                    actor=current_user,
                ),
                success=_("The manager is registered and waits for the core node's verification."),
                form=form,
            )
            if ok:
                return redirect(url_for("network.manager", manager_id=m.id))
        else:
            status = 422
    return render_template("network/manager_form.html", form=form), status


@bp.post("/managers/<int:manager_id>/decide")
@login_required
def decide_manager(manager_id: int):
    m = get_or_404(TechManager, manager_id, lambda row: manager_services.visible(current_user, row))
    verify = request.form.get("decision") == "verify"
    attempt(
        lambda: manager_services.decide_manager(m, verify=verify, actor=current_user),
        success=_("The manager was verified.") if verify else _("The manager was rejected."),
    )
    return redirect(url_for("network.manager", manager_id=manager_id))


@bp.post("/managers/<int:manager_id>/contracts")
@login_required
def record_brokerage(manager_id: int):
    m = get_or_404(TechManager, manager_id, lambda row: permissions.can_record_brokerage(current_user, row))
    form = BrokerageForm()
    if not form.validate_on_submit():
        return _render_manager(m, form, 422)
    contract = db.session.get(Contract, form.contract_id.data)
    if contract is None:
        form.contract_id.errors = [_("There is no such contract.")]
        return _render_manager(m, form, 422)
    ok, _row, status = attempt_with_status(
        lambda: manager_services.record_brokerage(m, contract, actor=current_user),
        success=_("The contract was recorded for the manager."),
        form=form,
    )
    if ok:
        return redirect(url_for("network.manager", manager_id=manager_id))
    return _render_manager(db.session.get(TechManager, manager_id), form, status)


# --- Plan periods -----------------------------------------------------------------


@bp.route("/plans", methods=["GET", "POST"])
def plans():
    may_record = can_record_targets(current_user)
    form = PeriodForm(prefix="period") if may_record else None
    official = OfficialTurnoverForm(prefix="official") if may_record else None
    status = 200
    if request.method == "POST":
        if not may_record:
            abort(404)
        which = request.form.get("which")
        if which == "period" and form.validate_on_submit():
            path = form.parsed_path()
            goals = form.parsed_targets()
            if path is not None and goals is not None:
                ok, _row, status = attempt_with_status(
                    lambda: periods.create_period(
                        slug="",
                        title=form.title.data,
                        title_en=form.title_en.data,
                        first_year=form.first_year.data,
                        last_year=form.last_year.data,
                        turnover_target_fen=form.turnover_target_fen.data,
                        yearly_path=path,
                        targets=goals,
                        source=form.source.data,
                        actor=current_user,
                    ),
                    success=_("The plan period was entered."),
                    form=form,
                )
                if ok:
                    return redirect(url_for("network.plans"))
            else:
                status = 422
        elif which == "official" and official.validate_on_submit():
            ok, _row, status = attempt_with_status(
                lambda: periods.record_official_turnover(
                    year=official.year.data,
                    turnover_fen=official.turnover_fen.data,
                    source=official.source.data,
                    actor=current_user,
                ),
                success=_("The official figure was entered."),
                form=official,
            )
            if ok:
                return redirect(url_for("network.plans"))
        else:
            status = 422
    return (
        render_template(
            "network/plans.html",
            periods=periods.all_periods(),
            official=periods.official_by_year(),
            form=form,
            official_form=official,
        ),
        status,
    )


@bp.app_template_global("network_plan_page")
def network_plan_page(slug: str | None) -> dict:
    """What /targets shows about plan periods: the selector and, for a period after
    2022-2025, its targets and progress (the built-in one keeps the ledger's page)."""
    try:
        period = periods.get_period(slug)
    except DomainError:
        abort(404)
    return {
        "periods": periods.all_periods(),
        "period": period,
        "progress": periods.period_progress(period),
        "counts": manager_services.plan_counts(),
        # The goals of the period shown (2022-2025: 100 institutions, 100 managers).
        "institutions_goal": period.targets.get("transfer_institutions"),
        "managers_goal": period.targets.get("registered_managers"),
        "may_record": can_record_targets(current_user),
    }


@bp.app_template_global("network_plan_headline")
def network_plan_headline() -> dict:
    """The dashboard's headline: the current period and the official figures beside the platform's."""
    period = periods.get_period(None)
    builtin = periods.builtin_period()
    return {
        "period": period,
        "progress": periods.period_progress(period),
        "previous": periods.period_progress(builtin) if not period.builtin else None,
    }


@bp.app_template_global("network_percent")
def network_percent(bp_value: int | None) -> str:
    if bp_value is None:
        return ""
    whole, frac = divmod(abs(bp_value), 100)
    return f"{'-' if bp_value < 0 else ''}{whole}.{frac:02d} %"


@bp.app_template_global("network_target_label")
def network_target_label(code: str) -> str:
    spec = periods.PERIOD_TARGETS.get(code)
    return str(spec.label) if spec else code


@bp.app_template_global("network_target_value")
def network_target_value(code: str, value: int) -> str:
    spec = periods.PERIOD_TARGETS.get(code)
    if spec is not None and spec.unit == "share_bp":
        return network_percent(value)
    return f"{value:,}"


# --- News on a node's page ---------------------------------------------------------------


@bp.post("/nodes/<slug>/news")
@login_required
def publish_news(slug: str):
    node = db.session.scalar(select(Node).where(Node.slug == slug))
    if node is None or not permissions.can_operate(current_user, node):
        abort(404)
    form = NewsForm()

    def publish():
        return news_services.publish_news(
            node, title=form.title.data, body=form.body.data, actor=current_user
        )

    if validated(form, publish):
        ok, _news, status = attempt_with_status(
            publish, success=_("The notice is on the node's page."), form=form
        )
        if ok:
            return redirect(url_for("network.node", slug=slug) + "#news")
        return render_node(node, news_form=form), status
    return render_node(node, news_form=form), 422


@bp.post("/news/<int:news_id>/withdraw")
@login_required
def withdraw_news(news_id: int):
    news = get_or_404(NodeNews, news_id, visible=lambda n: permissions.can_operate(current_user, n.node))
    attempt(
        lambda: news_services.withdraw_news(news, actor=current_user), success=_("The notice was withdrawn.")
    )
    return redirect(url_for("network.node", slug=news.node.slug) + "#news")
