"""Web pages of the docking network: nodes (list, public page, operators,
professional nodes), the operator's queue and a match's follow-ups, the
regional comparison. Events, managers and plan periods: views_events.py,
views_more.py (the same blueprint)."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..accounts.models import Organization, OrgStatus
from ..core.catalog import region_label
from ..core.errors import DomainError
from ..core.web import attempt, attempt_with_status, get_or_404
from ..extensions import db
from ..listings.models import Demand, Listing
from ..listings.permissions import can_view_listing, is_member
from . import events as event_services
from . import news as news_services
from . import nodes as node_services
from . import permissions, queue, routing, stats
from .forms import FollowUpForm, NewsForm, NodeForm
from .models import Node, NodeOperator
from .states import MATCH_STATE_LABELS, OperatorStatus, label

bp = Blueprint("network", __name__, url_prefix="/network")

bp.add_app_template_filter(lambda code: label(MATCH_STATE_LABELS, code), "match_state_label")


def figure_labels() -> dict[str, str]:
    return {
        "listings": _("Listings published"),
        "demands": _("Demands posted"),
        "matches": _("Matches followed up"),
        "follow_ups": _("Follow-ups"),
        "events": _("Events"),
        "offers": _("Offers"),
        "contracts": _("Contracts signed"),
        "turnover_fen": _("Registered turnover"),
    }


def _node_or_404(slug: str) -> Node:
    try:
        return node_services.node_by_slug(slug)
    except DomainError:
        abort(404)


@bp.get("/")
def index():
    nodes = node_services.all_nodes()
    counts = stats.node_counts([n.id for n in nodes])
    return render_template(
        "network/index.html",
        nodes=nodes,
        counts=counts,
        mine=set(permissions.operated_node_ids(current_user)),
        may_create=permissions.can_create_node(current_user),
        requests=node_services.pending_operator_requests(current_user)
        if current_user.is_authenticated
        else [],
    )


@bp.get("/nodes/<slug>")
def node(slug: str):
    return render_node(_node_or_404(slug))


def render_node(node: Node, *, news_form=None):
    """The node's public page; `news_form` is a refused notice shown again with its errors."""
    may_operate = permissions.can_operate(current_user, node)
    listings = list(db.session.scalars(routing.node_listings(node).limit(10)))
    demands = list(db.session.scalars(routing.node_demands(node).limit(10)))
    upcoming = list(db.session.scalars(event_services.events_of(node, upcoming=True).limit(10)))
    past = list(db.session.scalars(event_services.events_of(node, upcoming=False).limit(5)))
    monthly = stats.node_monthly(node)
    my_request = None
    if current_user.is_authenticated:
        my_request = db.session.scalar(
            select(NodeOperator).where(
                NodeOperator.node_id == node.id, NodeOperator.user_id == current_user.id
            )
        )
    children = list(db.session.scalars(select(Node).where(Node.parent_id == node.id).order_by(Node.slug)))
    return render_template(
        "network/node.html",
        node=node,
        listings=listings,
        demands=demands,
        upcoming=upcoming,
        past=past,
        monthly=monthly,
        figures=figure_labels(),
        chart={
            "months": [r["month"] for r in monthly],
            "series": {k: [r[k] for r in monthly] for k in stats.FIGURES},
            "labels": figure_labels(),
        },
        operators=node_services.operators_of(node, status=OperatorStatus.APPROVED.value),
        may_operate=may_operate,
        news=list(db.session.scalars(news_services.news_of(node).limit(10))),
        news_form=news_form or (NewsForm() if may_operate else None),
        may_apply=permissions.can_apply_as_operator(current_user, node) and my_request is None,
        my_request=my_request,
        children=children,
        institutions=_orgs(node.institution_org_ids),
    )


def _orgs(ids) -> list[Organization]:
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Organization).where(Organization.id.in_(list(ids))).order_by(Organization.name)
        )
    )


@bp.post("/nodes/<slug>/operators")
@login_required
def apply_operator(slug: str):
    node = _node_or_404(slug)
    attempt(
        lambda: node_services.apply_as_operator(node, actor=current_user),
        success=_("Your request to operate the node waits for the node above."),
    )
    return redirect(url_for("network.node", slug=slug))


@bp.post("/operators/<int:operator_id>/decide")
@login_required
def decide_operator(operator_id: int):
    row = get_or_404(
        NodeOperator, operator_id, lambda r: permissions.can_approve_operator(current_user, r.node)
    )
    approve = request.form.get("decision") == "approve"
    attempt(
        lambda: node_services.decide_operator(row, approve=approve, actor=current_user),
        success=_("The operator was approved.") if approve else _("The operator was revoked."),
    )
    return redirect(
        request.form.get("next")
        if (request.form.get("next") or "").startswith("/")
        else url_for("network.index")
    )


def _org_choices():
    rows = db.session.scalars(
        select(Organization)
        .where(Organization.status == OrgStatus.APPROVED.value)
        .order_by(Organization.name)
        .limit(500)
    )
    return [(o.id, o.name) for o in rows]


@bp.route("/nodes/new", methods=["GET", "POST"])
@login_required
def new_node():
    if not permissions.can_create_node(current_user):
        abort(404)
    form = NodeForm()
    choices = _org_choices()
    form.org_id.choices = choices
    form.institution_org_ids.choices = choices
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            ok, node, status = attempt_with_status(
                lambda: node_services.create_professional_node(
                    slug=form.slug.data,
                    name=form.name.data,
                    name_en=form.name_en.data,
                    org=db.session.get(Organization, form.org_id.data),
                    institution_org_ids=form.institution_org_ids.data or [],
                    industries=form.industries.data or [],
                    description=form.description.data or "",
                    contacts=form.contacts.data or "",
                    actor=current_user,
                ),
                success=_("The professional node was created."),
                form=form,
            )
            if ok:
                return redirect(url_for("network.node", slug=node.slug))
        else:
            status = 422
    return render_template("network/node_form.html", form=form), status


@bp.get("/nodes/<slug>/queue")
@login_required
def node_queue(slug: str):
    node = _node_or_404(slug)
    if not permissions.can_operate(current_user, node):
        abort(404)
    return render_template("network/queue.html", node=node, q=queue.node_queue(node))


def _pair_visible(demand: Demand, listing: Listing) -> bool:
    if is_member(current_user, demand.org_id) or is_member(current_user, listing.org_id):
        return True
    return _under_operated(demand, listing)


def _under_operated(demand: Demand, listing: Listing) -> bool:
    for node in node_services.all_nodes():
        if permissions.can_operate(current_user, node) and queue.pair_in_node(node, demand, listing):
            return True
    return False


@bp.route("/matches/<int:demand_id>/<int:listing_id>", methods=["GET", "POST"])
@login_required
def match(demand_id: int, listing_id: int):
    demand = get_or_404(Demand, demand_id)
    listing = get_or_404(Listing, listing_id, lambda li: can_view_listing(current_user, li))
    if not _pair_visible(demand, listing):
        abort(404)
    operated = [
        n
        for n in node_services.all_nodes()
        if permissions.can_operate(current_user, n) and queue.pair_in_node(n, demand, listing)
    ]
    form = FollowUpForm()
    status = 200
    if request.method == "POST":
        if not operated:
            abort(404)
        if form.validate_on_submit():
            direct = [n for n in operated if n.id in permissions.operated_node_ids(current_user)]
            chosen = next((n for n in operated if n.slug == form.node_slug.data), (direct or operated)[-1])
            ok, _row, status = attempt_with_status(
                lambda: queue.record_follow_up(
                    chosen,
                    demand,
                    listing,
                    kind=form.kind.data,
                    note=form.note.data or "",
                    next_step_on=form.next_step_on.data,
                    actor=current_user,
                ),
                success=_("The follow-up was recorded."),
                form=form,
            )
            if ok:
                return redirect(url_for("network.match", demand_id=demand.id, listing_id=listing.id))
        else:
            status = 422
    view = queue.pair_view(demand, listing)
    return (
        render_template(
            "network/match.html",
            view=view,
            history=queue.follow_ups_of(demand, listing),
            form=form if operated else None,
            operated=operated,
        ),
        status,
    )


@bp.get("/compare")
def compare():
    rows = stats.regional_comparison()
    labels = figure_labels()
    chart = {
        "regions": [region_label(r["region"]) for r in rows],
        "series": {k: [r[k] for r in rows] for k in stats.FIGURES},
        "labels": labels,
    }
    return render_template("network/compare.html", rows=rows, figures=labels, chart=chart)


from . import views_events, views_more  # noqa: E402, F401 - routes on the same blueprint
