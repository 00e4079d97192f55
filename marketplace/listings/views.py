"""Web pages of the listings domain: search, listings, review, demands."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from ..accounts.models import Organization
from ..core import catalog
from ..core.pagination import paginate, read_page_args
from ..core.web import attempt, get_or_404, validated
from ..extensions import db
from ..search.backend import (
    FACET_KEYS,
    PRICE_1M_10M,
    PRICE_100K_1M,
    PRICE_BUCKETS,
    PRICE_GTE_10M,
    PRICE_LT_100K,
    SORTS,
)
from ..search.service import facet_choices, parse_search_args, search_listings
from . import permissions, services, states
from .forms import ConfirmForm, DemandWebForm, ListingWebForm, ReturnForm
from .matching import matches_for_demand, matches_for_listing
from .models import Demand, Listing
from .states import DEAL_KIND_LABELS

bp = Blueprint("listings", __name__)

DEAL_KIND_ORDER = tuple(DEAL_KIND_LABELS)


def _org_assets(org_id: int):
    from ..ip.models import AssetOwner, IpAsset

    return list(
        db.session.scalars(
            select(IpAsset).join(AssetOwner, AssetOwner.asset_id == IpAsset.id).where(AssetOwner.org_id == org_id)
            .order_by(IpAsset.id.desc())
        )
    )  # fmt: skip


def _agencies():
    return list(
        db.session.scalars(
            select(Organization)
            .where(Organization.kind == "agency", Organization.status == "approved")
            .order_by(Organization.name)
        )
    )


def _prepare_form(form: ListingWebForm, org_id: int) -> ListingWebForm:
    form.asset_ids.choices = [
        (a.id, f"{a.title} · {a.kind_label} {a.display_identifier}") for a in _org_assets(org_id)
    ]
    form.agency_org_id.choices = [("", _("None: the platform's reviewers"))] + [
        (o.id, o.name) for o in _agencies()
    ]
    return form


def _listing_form_data(listing: Listing | None) -> dict:
    entries = []
    for kind in DEAL_KIND_ORDER:
        terms = listing.terms_for(kind) if listing else None
        entries.append(
            {name: getattr(terms, name) for name in (
                "deal_kind", "license_type", "field_of_use", "territory", "term_months", "upfront_fen",
                "royalty_bp", "price_fen", "valuation_fen", "equity_share_bp", "company")}
            if terms else {"deal_kind": None}
        )  # fmt: skip
    return {"deal_terms": entries}


# -- search --------------------------------------------------------------------


def facet_label(key: str, value: str) -> str:
    """The translated label of a facet value."""
    tables = {
        "deal_kind": states.DEAL_KIND_LABELS,
        "ip_kind": states.IP_KIND_LABELS,
        "maturity": states.MATURITY_LABELS,
    }
    if key in tables:
        return states.label(tables[key], value)
    if key == "industry":
        return catalog.industry_label(value)
    if key == "source_kind":
        return catalog.org_kind_label(value)
    if key == "region":
        return catalog.region_label(value)
    if key == "trl":
        return f"TRL {value}"
    return value


def _search_page_url(number: int) -> str:
    args = {key: request.args.getlist(key) for key in request.args}
    args["page"] = [str(number)]
    return url_for("listings.search", **args)


#: What a person calls each search parameter, for the notices of ignored values.
_PARAMETER_LABELS = {
    "q": _l("Search text"),
    "industry": _l("Industry"),
    "deal_kind": _l("Deal kind"),
    "ip_kind": _l("Kind of IP"),
    "source_kind": _l("Source"),
    "region": _l("Region"),
    "maturity": _l("Maturity"),
    "trl": _l("Technology readiness level"),
    "min_price": _l("Lowest price"),
    "min_price_fen": _l("Lowest price"),
    "max_price": _l("Highest price"),
    "max_price_fen": _l("Highest price"),
    "sort": _l("Sort"),
    "page": _l("Page"),
    "per_page": _l("Results per page"),
}


def _search_notices(problems: dict[str, list]) -> list[tuple[str, list[str]]]:
    """The problems of a search worded for people: each parameter by what the page
    calls it (never `min_price_fen`), one notice per field. The API keeps the
    parameter names and its own messages."""
    notices: dict[str, list[str]] = {}
    for name, messages in problems.items():
        label = str(_PARAMETER_LABELS.get(name, _("Search")))
        if name == "sort":
            messages = [_("Unknown sort order: the best matches come first.")]
        bucket = notices.setdefault(label, [])
        bucket.extend(str(m) for m in messages if str(m) not in bucket)
    return list(notices.items())


#: Each price bucket as the page's yuan bounds (inclusive), None = open-ended.
#: Negotiable listings have no price, so no price range selects them.
_BUCKET_BOUNDS_FEN: dict[str, tuple[int | None, int | None]] = {
    PRICE_LT_100K: (None, 10_000_000 - 1),
    PRICE_100K_1M: (10_000_000, 100_000_000 - 1),
    PRICE_1M_10M: (100_000_000, 1_000_000_000 - 1),
    PRICE_GTE_10M: (1_000_000_000, None),
}
_PRICE_ARGS = ("min_price", "max_price", "min_price_fen", "max_price_fen", "page")


def _yuan_arg(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}" if fen % 100 else str(fen // 100)


def _price_bucket_links(params, counts: dict[str, int]) -> list[dict]:
    """Each price bucket with its count and, where a price range selects it, the
    link that narrows the current search to it (the other filters kept)."""
    kept = {key: request.args.getlist(key) for key in request.args if key not in _PRICE_ARGS}
    current = (params.min_price_fen, params.max_price_fen)
    links = []
    for key in PRICE_BUCKETS:
        bounds = _BUCKET_BOUNDS_FEN.get(key)
        link = {"key": key, "count": counts.get(key, 0), "url": None, "active": False}
        if bounds is not None:
            args = dict(kept)
            if bounds[0] is not None:
                args["min_price"] = [_yuan_arg(bounds[0])]
            if bounds[1] is not None:
                args["max_price"] = [_yuan_arg(bounds[1])]
            link["url"] = url_for("listings.search", **args)
            link["active"] = current == bounds
        links.append(link)
    return links


def _clear_price_url() -> str:
    return url_for(
        "listings.search",
        **{key: request.args.getlist(key) for key in request.args if key not in _PRICE_ARGS},
    )


def _active_filter_count(params) -> int:
    count = sum(len(values) for values in params.filters.values())
    return count + (params.min_price_fen is not None or params.max_price_fen is not None)


@bp.get("/listings")
def search():
    params, problems = parse_search_args(request.args)
    page = search_listings(params, with_assets=False)
    can_post = not current_user.is_authenticated or permissions.can_post_demand(current_user)
    return render_template(
        "listings/search.html",
        params=params,
        problems=_search_notices(problems),
        page=page,
        price_links=_price_bucket_links(params, page.facets.get("price_range", {})),
        clear_price_url=_clear_price_url(),
        active_filters=_active_filter_count(params),
        demand_url=url_for("listings.demand_create", title=params.q or None) if can_post else None,
        facet_keys=FACET_KEYS,
        facet_choices=facet_choices(),
        sorts=SORTS,
        facet_label=facet_label,
        page_url=_search_page_url,
    )


# -- listings ------------------------------------------------------------------


@bp.get("/listings/<int:listing_id>")
def detail(listing_id: int):
    listing = get_or_404(
        Listing, listing_id, visible=lambda obj: permissions.can_view_listing(current_user, obj)
    )
    matches = []
    if listing.is_published and permissions.can_see_listing_matches(current_user, listing):
        matches = matches_for_listing(listing)
    consent_org_ids = services.consent_org_ids(listing)
    return render_template(
        "listings/detail.html",
        listing=listing,
        matches=matches,
        consent_org_ids=consent_org_ids,
        missing_consents=services.missing_consent_orgs(listing) if consent_org_ids else [],
        my_consent=next((c for c in listing.consents if c.org_id == current_user.organization_id), None)
        if current_user.is_authenticated
        else None,
        # A visitor is shown none of the forms: making them would write a form token to
        # a session, and the public page would no longer be the same for everyone.
        confirm_form=ConfirmForm() if current_user.is_authenticated else None,
        return_form=ReturnForm() if current_user.is_authenticated else None,
        permissions=permissions,
    )


@bp.route("/listings/new", methods=["GET", "POST"])
@login_required
def create():
    if not permissions.can_create_listing(current_user):
        abort(404)
    form = _prepare_form(ListingWebForm(data=_listing_form_data(None)), current_user.organization_id)

    def save():
        return services.create_listing(form.to_data(skip_unoffered=True), actor=current_user)

    if validated(form, save):
        ok, listing = attempt(
            save,
            success=_("Draft saved. Submit it for review when it is complete."),
            form=form,
        )
        if ok:
            return redirect(url_for("listings.detail", listing_id=listing.id))
    return render_template("listings/form.html", form=form, listing=None, kinds=DEAL_KIND_ORDER)


@bp.route("/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@login_required
def edit(listing_id: int):
    listing = get_or_404(
        Listing, listing_id, visible=lambda obj: permissions.can_view_listing(current_user, obj)
    )
    if not permissions.can_edit_listing(current_user, listing):
        abort(404)
    form = ListingWebForm(obj=listing, data=_listing_form_data(listing) | {"asset_ids": listing.asset_ids})
    _prepare_form(form, listing.org_id)

    def save():
        return services.update_listing(listing, form.to_data(skip_unoffered=True), actor=current_user)

    if validated(form, save):
        ok, _saved = attempt(
            save,
            success=_("Listing saved."),
            form=form,
        )
        if ok:
            return redirect(url_for("listings.detail", listing_id=listing.id))
    return render_template("listings/form.html", form=form, listing=listing, kinds=DEAL_KIND_ORDER)


def _lifecycle(listing_id: int, action, done_message: str, form_cls=ConfirmForm):
    listing = get_or_404(
        Listing, listing_id, visible=lambda obj: permissions.can_view_listing(current_user, obj)
    )
    form = form_cls()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(url_for("listings.detail", listing_id=listing.id))
    attempt(lambda: action(listing, form), success=done_message, fields_after=True)
    return redirect(url_for("listings.detail", listing_id=listing_id))


@bp.post("/listings/<int:listing_id>/submit")
@login_required
def submit(listing_id: int):
    return _lifecycle(
        listing_id,
        lambda listing, form: services.submit_listing(listing, actor=current_user),
        _("Submitted for review."),
    )


@bp.post("/listings/<int:listing_id>/publish")
@login_required
def publish(listing_id: int):
    return _lifecycle(
        listing_id,
        lambda listing, form: services.publish_listing(listing, actor=current_user),
        _("The listing is published."),
    )


@bp.post("/listings/<int:listing_id>/return")
@login_required
def return_(listing_id: int):
    return _lifecycle(
        listing_id,
        lambda listing, form: services.return_listing(listing, reason=form.reason.data, actor=current_user),
        _("The listing was returned to the seller."),
        form_cls=ReturnForm,
    )


@bp.post("/listings/<int:listing_id>/withdraw")
@login_required
def withdraw(listing_id: int):
    return _lifecycle(
        listing_id,
        lambda listing, form: services.withdraw_listing(listing, actor=current_user),
        _("The listing is withdrawn."),
    )


@bp.post("/listings/<int:listing_id>/consent")
@login_required
def consent(listing_id: int):
    return _lifecycle(
        listing_id,
        lambda listing, form: services.give_consent(listing, actor=current_user),
        _("Your organization consents to this listing."),
    )


@bp.post("/listings/<int:listing_id>/consent/withdraw")
@login_required
def withdraw_consent(listing_id: int):
    return _lifecycle(
        listing_id,
        lambda listing, form: services.withdraw_consent(listing, actor=current_user),
        _("Your organization's consent is withdrawn."),
    )


@bp.get("/my/listings")
@login_required
def my_listings():
    page, per_page = read_page_args(request.args)
    stmt = select(Listing).order_by(Listing.updated_at.desc(), Listing.id.desc())
    if current_user.is_admin:
        pass
    elif current_user.acts_as("agency"):
        stmt = stmt.where(Listing.agency_org_id == current_user.organization_id)
    elif current_user.has_powers:
        stmt = stmt.where(Listing.org_id == current_user.organization_id)
    else:
        stmt = stmt.where(Listing.id.is_(None))
    return render_template(
        "listings/my_listings.html",
        page=paginate(stmt, page, per_page),
        can_create=permissions.can_create_listing(current_user),
    )


@bp.get("/listings/review")
@login_required
def review_queue():
    if not (current_user.is_admin or current_user.acts_as("agency")):
        abort(404)
    page, per_page = read_page_args(request.args)
    stmt = select(Listing).where(Listing.status == "submitted").order_by(Listing.submitted_at, Listing.id)
    if not current_user.is_admin:
        stmt = stmt.where(
            (Listing.agency_org_id.is_(None)) | (Listing.agency_org_id == current_user.organization_id)
        )
    return render_template("listings/review_queue.html", page=paginate(stmt, page, per_page))


# -- demands -------------------------------------------------------------------


@bp.get("/demands")
def demands():
    page, per_page = read_page_args(request.args)
    stmt = select(Demand).where(Demand.status == "open").order_by(Demand.created_at.desc(), Demand.id.desc())
    mine = []
    if current_user.is_authenticated and current_user.has_powers:
        mine = list(
            db.session.scalars(
                select(Demand).where(Demand.org_id == current_user.organization_id).order_by(Demand.id.desc())
            )
        )
    return render_template(
        "listings/demands.html",
        page=paginate(stmt, page, per_page),
        mine=mine,
        can_post=permissions.can_post_demand(current_user),
    )


@bp.route("/demands/new", methods=["GET", "POST"])
@login_required
def demand_create():
    if not permissions.can_post_demand(current_user):
        abort(404)
    # "?title=..." fills in the title (the search page offers it when nothing matched).
    title = " ".join((request.args.get("title") or "").split())[:200]
    form = DemandWebForm(data={"title": title} if title else None)

    def save():
        return services.create_demand(form.to_data(), actor=current_user)

    if validated(form, save):
        ok, demand = attempt(
            save,
            success=_("Your demand is posted."),
            form=form,
        )
        if ok:
            return redirect(url_for("listings.demand_detail", demand_id=demand.id))
    return render_template("listings/demand_form.html", form=form)


@bp.get("/demands/<int:demand_id>")
def demand_detail(demand_id: int):
    demand = get_or_404(Demand, demand_id, visible=lambda obj: permissions.can_view_demand(current_user, obj))
    matches = None
    if permissions.can_see_demand_matches(current_user, demand):
        matches = matches_for_demand(demand)
    return render_template(
        "listings/demand_detail.html",
        demand=demand,
        matches=matches,
        confirm_form=ConfirmForm(),
        can_close=permissions.can_close_demand(current_user, demand),
    )


@bp.post("/demands/<int:demand_id>/close")
@login_required
def demand_close(demand_id: int):
    demand = get_or_404(
        Demand, demand_id, visible=lambda obj: permissions.can_see_demand_matches(current_user, obj)
    )
    form = ConfirmForm()
    if form.validate_on_submit():
        attempt(lambda: services.close_demand(demand, actor=current_user), success=_("The demand is closed."))
    return redirect(url_for("listings.demand_detail", demand_id=demand_id))
