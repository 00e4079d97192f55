"""Web pages of equity investment: the investors' page (industries followed, equity
listings, interests, investments), an interest thread, recording an investment and
its confirmation by the other side."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..core.catalog import INDUSTRIES
from ..core.web import attempt, attempt_with_status, get_or_404
from ..listings.models import Listing
from ..listings.permissions import can_view_listing
from ..services.models import Startup
from . import investments, permissions
from .forms import (
    ActionForm,
    FollowForm,
    InterestForm,
    InvestmentForm,
    MessageForm,
    RejectForm,
    StartupInterestForm,
)
from .models import Investment, InvestmentInterest
from .views import bp


@bp.route("/finance/investors", methods=["GET", "POST"])
@login_required
def investors():
    investor = permissions.is_investor(current_user)
    follow_form = FollowForm(
        data={"industries": investments.followed_industries(current_user)}
        if request.method == "GET"
        else None
    )
    if request.method == "POST":
        if not investor:
            abort(403)
        if follow_form.validate_on_submit():
            ok, _r = attempt(
                lambda: investments.set_followed_industries(
                    current_user, list(follow_form.industries.data or [])
                ),
                success=_("The industries you follow are saved."),
                form=follow_form,
            )
            if ok:
                return redirect(url_for("finance.investors"))
    industry = request.args.get("industry") or None
    if industry not in INDUSTRIES:
        industry = None
    return render_template(
        "finance/investors.html",
        investor=investor,
        follow_form=follow_form,
        followed=investments.followed_industries(current_user),
        listings=investments.equity_listings(current_user, industry=industry),
        startups=investments.startups(current_user, industry=industry),
        industry=industry,
        industries=INDUSTRIES,
        interests=list(current_user_interests()),
        investments=list(investments_for_page()),
    )


def current_user_interests():
    from ..extensions import db

    return db.session.scalars(investments.interests_visible_to(current_user).limit(100)).unique()


def investments_for_page():
    from ..extensions import db

    return db.session.scalars(investments.investments_visible_to(current_user).limit(100)).unique()


def _listing_or_404(listing_id: int) -> Listing:
    return get_or_404(Listing, listing_id, visible=lambda listing: can_view_listing(current_user, listing))


@bp.route("/finance/listings/<int:listing_id>/interest", methods=["GET", "POST"])
@login_required
def express_interest(listing_id: int):
    listing = _listing_or_404(listing_id)
    if not permissions.is_investor(current_user):
        abort(403)
    form = InterestForm()
    if request.method == "POST":
        if form.validate_on_submit():
            ok, interest, status = attempt_with_status(
                lambda: investments.express_interest(listing, message=form.message.data, actor=current_user),
                success=_("Your interest is sent to the seller."),
                form=form,
            )
            if ok:
                return redirect(url_for("finance.interest_detail", interest_id=interest.id))
            return render_template(
                "finance/interest_new.html", subject_title=listing.title, form=form
            ), status
        flash(_("Please correct the marked fields."), "error")
        return render_template("finance/interest_new.html", subject_title=listing.title, form=form), 422
    return render_template("finance/interest_new.html", subject_title=listing.title, form=form)


@bp.route("/finance/startups/<int:startup_id>/interest", methods=["GET", "POST"])
@login_required
def express_startup_interest(startup_id: int):
    startup = get_or_404(Startup, startup_id)
    if not permissions.is_investor(current_user):
        abort(403)
    form = StartupInterestForm()
    page = "finance/interest_new.html"
    if request.method == "POST":
        if form.validate_on_submit():
            ok, interest, status = attempt_with_status(
                lambda: investments.express_startup_interest(
                    startup, message=form.message.data, actor=current_user
                ),
                success=_("Your interest is sent to the incubator."),
                form=form,
            )
            if ok:
                return redirect(url_for("finance.interest_detail", interest_id=interest.id))
            return render_template(page, subject_title=startup.name, form=form), status
        flash(_("Please correct the marked fields."), "error")
        return render_template(page, subject_title=startup.name, form=form), 422
    return render_template(page, subject_title=startup.name, form=form)


def _interest_or_404(interest_id: int) -> InvestmentInterest:
    return get_or_404(
        InvestmentInterest, interest_id, visible=lambda i: permissions.can_view_interest(current_user, i)
    )


@bp.route("/finance/interests/<int:interest_id>", methods=["GET", "POST"])
@login_required
def interest_detail(interest_id: int):
    interest = _interest_or_404(interest_id)
    form = MessageForm()
    status = 200
    if request.method == "POST":
        if not permissions.can_write_interest(current_user, interest):
            abort(403)
        if form.validate_on_submit():
            ok, _m, status = attempt_with_status(
                lambda: investments.post_message(interest, body=form.body.data, actor=current_user),
                success=_("The message is sent."),
                form=form,
            )
            if ok:
                return redirect(url_for("finance.interest_detail", interest_id=interest_id))
        else:
            status = 422
    return render_template(
        "finance/interest.html",
        interest=interest,
        form=form,
        can_write=permissions.can_write_interest(current_user, interest),
    ), status


def _investment_form() -> InvestmentForm:
    form = InvestmentForm()
    form.listing_id.choices = [("", "—")] + [
        (item.id, item.title) for item in investments.equity_listings(current_user)
    ]
    return form


@bp.route("/finance/investments/new", methods=["GET", "POST"])
@login_required
def new_investment():
    if not permissions.is_investor(current_user):
        abort(403)
    form = _investment_form()
    if request.method == "GET":
        if request.args.get("listing_id", "").isdigit():
            form.listing_id.data = int(request.args["listing_id"])
        return render_template("finance/investment_new.html", form=form)
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "error")
        return render_template("finance/investment_new.html", form=form), 422
    ok, inv, status = attempt_with_status(
        lambda: investments.record_investment(
            listing_id=form.listing_id.data,
            company=form.company.data,
            amount_fen=form.amount_fen.data,
            share_bp=form.share_bp.data,
            invested_on=form.invested_on.data,
            actor=current_user,
        ),
        success=_("The investment is recorded; the other side confirms it."),
        form=form,
    )
    if not ok:
        return render_template("finance/investment_new.html", form=form), status
    return redirect(url_for("finance.investment_detail", investment_id=inv.id))


def _investment_or_404(investment_id: int) -> Investment:
    return get_or_404(
        Investment, investment_id, visible=lambda i: permissions.can_view_investment(current_user, i)
    )


def _render_investment(inv: Investment, reject_form=None, status=200):
    return render_template(
        "finance/investment.html",
        investment=inv,
        action_form=ActionForm(),
        reject_form=reject_form or RejectForm(formdata=None),
        can_decide=permissions.can_decide_investment(current_user, inv),
    ), status


@bp.get("/finance/investments/<int:investment_id>")
@login_required
def investment_detail(investment_id: int):
    return _render_investment(_investment_or_404(investment_id))


@bp.post("/finance/investments/<int:investment_id>/confirm")
@login_required
def confirm_investment(investment_id: int):
    inv = _investment_or_404(investment_id)
    if not permissions.can_decide_investment(current_user, inv):
        abort(403)
    if not ActionForm().validate_on_submit():
        abort(400)
    attempt(
        lambda: investments.confirm_investment(inv, actor=current_user),
        success=_("The investment is confirmed."),
    )
    return redirect(url_for("finance.investment_detail", investment_id=investment_id))


@bp.post("/finance/investments/<int:investment_id>/reject")
@login_required
def reject_investment(investment_id: int):
    inv = _investment_or_404(investment_id)
    if not permissions.can_decide_investment(current_user, inv):
        abort(403)
    form = RejectForm()
    if not form.validate_on_submit():
        return _render_investment(inv, form, 422)
    ok, _r, status = attempt_with_status(
        lambda: investments.reject_investment(inv, reason=form.reason.data, actor=current_user),
        success=_("The record is rejected; the investor is told why."),
        form=form,
    )
    if not ok:
        return _render_investment(_investment_or_404(investment_id), form, status)
    return redirect(url_for("finance.investment_detail", investment_id=investment_id))


@bp.app_template_global("finance_listing_box")
def finance_listing_box(listing: Listing) -> dict:
    """What the listing page shows of finance: the investor's button, the seller's count."""
    from sqlalchemy import func, select

    from ..extensions import db

    equity = listing.is_published and "equity" in listing.deal_kinds
    interests = 0
    if (
        equity
        and current_user.is_authenticated
        and current_user.acts_as("seller")
        and current_user.organization_id == listing.org_id
    ):
        interests = int(
            db.session.scalar(
                select(func.count(InvestmentInterest.id)).where(InvestmentInterest.listing_id == listing.id)
            )
            or 0
        )
    return {"can_express": equity and permissions.is_investor(current_user), "interests": interests}
