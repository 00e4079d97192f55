"""Equity investment: investors (staff of investment funds) follow industries, see
the listings offered as 作价入股 (deal kind equity) and the start-ups incubators
have recorded, show interest (a thread with the seller side, or the incubator's
staff for a start-up) and record an investment (amount, share, company), which the
other side confirms or rejects. Decisions lock the investment's row."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..accounts.models import Organization, User
from ..core.catalog import INDUSTRIES
from ..core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..core.locking import lock
from ..core.models import record_audit
from ..core.money import MAX_FEN
from ..core.states import transition
from ..core.timeutil import today_shanghai, utcnow
from ..extensions import db
from ..listings.models import Listing, ListingTerms
from ..notifications.services import N_, notify
from ..services.models import ProviderProfile, Startup
from . import permissions
from .checks import day as _day
from .checks import text as _text
from .checks import whole as _whole
from .loans import _members
from .models import IndustryFollow, InterestMessage, Investment, InvestmentInterest
from .states import InvestmentStatus

FULL_BP = 10_000


def _link(endpoint: str, **values) -> str | None:
    try:
        return url_for(endpoint, **values)
    except RuntimeError:
        return None


def _notify_org(org_id: int, roles: tuple[str, ...], message: str, params: dict, link: str | None) -> None:
    for user in _members(org_id, *roles):
        notify(user, "finance", message, params=params, link=link)


# -- following industries ---------------------------------------------------------
def followed_industries(user: User) -> list[str]:
    return list(
        db.session.scalars(
            select(IndustryFollow.industry)
            .where(IndustryFollow.user_id == user.id)
            .order_by(IndustryFollow.industry)
        )
    )


def set_followed_industries(user: User, industries: Any) -> list[str]:
    if not permissions.is_investor(user):
        raise PermissionDenied(_l("Only investors follow industries."))
    if not isinstance(industries, list | tuple) or any(i not in INDUSTRIES for i in industries):
        raise ValidationError(fields={"industries": [_l("Choose industries from the list.")]})
    wanted = set(industries)
    rows = db.session.scalars(select(IndustryFollow).where(IndustryFollow.user_id == user.id)).all()
    for row in rows:
        if row.industry not in wanted:
            db.session.delete(row)
    have = {r.industry for r in rows}
    for industry in sorted(wanted - have):
        db.session.add(IndustryFollow(user_id=user.id, industry=industry))
    db.session.flush()
    return sorted(wanted)


def equity_listings(user: User, *, industry: str | None = None, limit: int = 100) -> list[Listing]:
    """Published listings that offer an equity contribution (作价入股); the industries
    the investor follows first."""
    followed = followed_industries(user) if user.is_authenticated else []
    stmt = (
        select(Listing)
        .join(ListingTerms, ListingTerms.listing_id == Listing.id)
        .where(Listing.status == "published", ListingTerms.deal_kind == "equity")
    )
    if industry:
        stmt = stmt.where(Listing.industry == industry)
    order = [Listing.published_at.desc(), Listing.id.desc()]
    if followed:
        order.insert(0, case((Listing.industry.in_(followed), 0), else_=1))
    return list(db.session.scalars(stmt.order_by(*order).limit(limit)).unique())


# -- interests ---------------------------------------------------------------------------
def get_interest(interest_id: Any) -> InvestmentInterest:
    try:
        interest = db.session.get(InvestmentInterest, int(interest_id))
    except (TypeError, ValueError, OverflowError):
        interest = None
    if interest is None:
        raise NotFound()
    return interest


def interests_visible_to(user: User) -> Select:
    stmt = select(InvestmentInterest)
    if user.is_admin:
        return stmt.order_by(InvestmentInterest.updated_at.desc())
    conditions = []
    if user.acts_as("financier"):
        conditions.append(InvestmentInterest.investor_org_id == user.organization_id)
    if user.acts_as("seller"):
        conditions.append(
            InvestmentInterest.listing_id.in_(
                select(Listing.id).where(Listing.org_id == user.organization_id)
            )
        )
    if user.acts_as("provider"):
        conditions.append(
            InvestmentInterest.startup_id.in_(
                select(Startup.id)
                .join(ProviderProfile, ProviderProfile.id == Startup.provider_id)
                .where(ProviderProfile.org_id == user.organization_id)
            )
        )
    if not conditions:
        return stmt.where(False)
    return stmt.where(or_(*conditions)).order_by(
        InvestmentInterest.updated_at.desc(), InvestmentInterest.id.desc()
    )


def express_interest(listing: Listing, *, message: Any, actor: User) -> InvestmentInterest:
    """An investor shows interest in an equity listing; the seller side is told. Once
    per investor and listing: a second time adds the message to the same thread."""
    if not permissions.is_investor(actor):
        raise PermissionDenied(_l("Only investors (staff of an investment fund) express interest."))
    if not listing.is_published or "equity" not in listing.deal_kinds:
        raise Conflict(_l("Interest is shown in published listings offered as equity."), code="not_equity")
    errors: dict[str, list] = {}
    body = _text(message, "message", errors, required=True, message=_l("Write a message to the seller."))
    if errors:
        raise ValidationError(fields=errors)
    interest = _thread(listing=listing, actor=actor)
    post_message(interest, body=body, actor=actor)
    return interest


def startups(user: User, *, industry: str | None = None, limit: int = 100) -> list[Startup]:
    """Start-ups incubators have recorded, newest first; the industries the investor follows first."""
    followed = followed_industries(user) if user.is_authenticated else []
    stmt = select(Startup).options(joinedload(Startup.provider))
    if industry:
        stmt = stmt.where(Startup.field == industry)
    order = [Startup.founded_on.desc(), Startup.id.desc()]
    if followed:
        order.insert(0, case((Startup.field.in_(followed), 0), else_=1))
    return list(db.session.scalars(stmt.order_by(*order).limit(limit)))


def get_startup(startup_id: Any) -> Startup:
    try:
        startup = db.session.get(Startup, int(startup_id))
    except (TypeError, ValueError, OverflowError):
        startup = None
    if startup is None:
        raise NotFound()
    return startup


def _thread(*, listing: Listing | None = None, startup: Startup | None = None, actor: User):
    """The investor's thread on a listing or a start-up (created once, even under a race)."""
    where = (
        InvestmentInterest.listing_id == listing.id
        if listing is not None
        else InvestmentInterest.startup_id == startup.id
    )

    def find():
        return db.session.scalar(
            select(InvestmentInterest).where(
                where, InvestmentInterest.investor_org_id == actor.organization_id
            )
        )

    interest = find()
    if interest is not None:
        return interest
    interest = InvestmentInterest(
        listing_id=listing.id if listing is not None else None,
        startup_id=startup.id if startup is not None else None,
        investor_org_id=actor.organization_id,
        created_by_id=actor.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(interest)
            db.session.flush()
    except IntegrityError:
        return find()
    record_audit(
        "finance.interest_expressed",
        interest,
        actor=actor,
        data={"listing_id": interest.listing_id, "startup_id": interest.startup_id},
    )
    return interest


def express_startup_interest(startup: Startup, *, message: Any, actor: User) -> InvestmentInterest:
    """An investor shows interest in an incubated start-up; the incubator's staff are told
    and answer in the thread. Once per investor and start-up (again adds the message)."""
    if not permissions.is_investor(actor):
        raise PermissionDenied(_l("Only investors (staff of an investment fund) express interest."))
    errors: dict[str, list] = {}
    body = _text(message, "message", errors, required=True, message=_l("Write a message to the incubator."))
    if errors:
        raise ValidationError(fields=errors)
    interest = _thread(startup=startup, actor=actor)
    post_message(interest, body=body, actor=actor)
    return interest


def post_message(interest: InvestmentInterest, *, body: Any, actor: User) -> InterestMessage:
    if not permissions.can_write_interest(actor, interest):
        raise PermissionDenied(_l("Only the investor and the seller side write in this thread."))
    errors: dict[str, list] = {}
    text = _text(body, "body", errors, required=True, message=_l("Write a message."))
    if errors:
        raise ValidationError(fields=errors)
    msg = InterestMessage(
        interest_id=interest.id, author_id=actor.id, author_org_id=actor.organization_id, body=text
    )
    db.session.add(msg)
    interest.updated_at = utcnow()
    db.session.flush()
    db.session.expire(interest, ["messages"])
    other = (
        interest.counterpart_org_id
        if actor.organization_id == interest.investor_org_id
        else interest.investor_org_id
    )
    _notify_org(
        other,
        ("seller", "financier", "provider"),
        N_("New message from %(org)s about “%(listing)s”."),
        {"org": actor.organization.name, "listing": interest.subject_title},
        _link("finance.interest_detail", interest_id=interest.id),
    )
    return msg


# -- investments ----------------------------------------------------------------------------
def get_investment(investment_id: Any) -> Investment:
    try:
        investment = db.session.get(Investment, int(investment_id))
    except (TypeError, ValueError, OverflowError):
        investment = None
    if investment is None:
        raise NotFound()
    return investment


def investments_visible_to(user: User, *, status: str | None = None) -> Select:
    stmt = select(Investment)
    if user.is_admin:
        pass
    elif user.acts_as("regulator"):
        scope = user.scope_region or ""
        stmt = stmt.where(Investment.region_code.like("23%" if scope == "230000" else scope[:4] + "%"))
    else:
        conditions = []
        if user.acts_as("financier"):
            conditions.append(Investment.investor_org_id == user.organization_id)
        if user.acts_as("seller", "buyer"):
            conditions.append(Investment.counterpart_org_id == user.organization_id)
        if not conditions:
            return stmt.where(False)
        stmt = stmt.where(or_(*conditions))
    if status:
        stmt = stmt.where(Investment.status == status)
    return stmt.order_by(Investment.invested_on.desc(), Investment.id.desc())


def record_investment(
    *,
    amount_fen: Any,
    share_bp: Any,
    company: Any,
    actor: User,
    listing_id: Any = None,
    counterpart_org_id: Any = None,
    invested_on: Any = None,
    today: date | None = None,
) -> Investment:
    """The investor records an investment in a company (for an equity listing, its
    seller side is the other side; otherwise the named organization), to be confirmed."""
    if not permissions.is_investor(actor):
        raise PermissionDenied(_l("Only investors (staff of an investment fund) record investments."))
    today = today or today_shanghai()
    errors: dict[str, list] = {}
    listing = None
    counterpart = None
    if listing_id not in (None, ""):
        listing = (
            db.session.get(Listing, listing_id)
            if isinstance(listing_id, int) and not isinstance(listing_id, bool)
            else None
        )
        if listing is None or not listing.is_published or "equity" not in listing.deal_kinds:
            errors["listing_id"] = [_l("Choose a published listing offered as equity.")]
        else:
            counterpart = listing.organization
    elif counterpart_org_id not in (None, ""):
        counterpart = (
            db.session.get(Organization, counterpart_org_id)
            if isinstance(counterpart_org_id, int) and not isinstance(counterpart_org_id, bool)
            else None
        )
        if counterpart is None or counterpart.kind in (
            "regulator",
            "bank",
            "guarantee_company",
            "insurer",
            "investment_fund",
        ):
            errors["counterpart_org_id"] = [_l("Choose the organization on the other side.")]
    else:
        errors["listing_id"] = [_l("Name the equity listing or the organization on the other side.")]
    if counterpart is not None and counterpart.id == actor.organization_id:
        errors["counterpart_org_id"] = [_l("The other side cannot be your own organization.")]
    amount = _whole(amount_fen, "amount_fen", errors, low=1, high=MAX_FEN)
    share = _whole(share_bp, "share_bp", errors, low=1, high=FULL_BP)
    company_name = _text(
        company, "company", errors, required=True, message=_l("Name the company invested in."), limit=200
    )
    day = _day(invested_on, "invested_on", errors, today=today)
    if errors:
        raise ValidationError(fields=errors)
    investment = Investment(
        investor_org_id=actor.organization_id,
        counterpart_org_id=counterpart.id,
        listing_id=listing.id if listing else None,
        company=company_name,
        amount_fen=amount,
        share_bp=share,
        invested_on=day,
        region_code=counterpart.region_code,
        industry=listing.industry if listing else None,
        status=InvestmentStatus.RECORDED.value,
        recorded_by_id=actor.id,
    )
    db.session.add(investment)
    db.session.flush()
    record_audit(
        "finance.investment_recorded",
        investment,
        actor=actor,
        to_state=investment.status,
        data={"amount_fen": amount, "share_bp": share, "listing_id": investment.listing_id},
    )
    _notify_org(
        counterpart.id,
        ("seller", "buyer"),
        N_("%(org)s recorded an investment in %(company)s: please confirm."),
        {"org": actor.organization.name, "company": company_name},
        _link("finance.investment_detail", investment_id=investment.id),
    )
    return investment


def confirm_investment(investment: Investment, *, actor: User, now: datetime | None = None) -> Investment:
    if not (actor.acts_as("seller", "buyer") and actor.organization_id == investment.counterpart_org_id):
        raise PermissionDenied(_l("Only the other side confirms the investment."))
    investment = lock(investment)
    src, dst = transition(
        investment, InvestmentStatus.CONFIRMED, message=_l("This investment was already answered.")
    )
    investment.decided_at = now or utcnow()
    investment.decided_by_id = actor.id
    db.session.flush()
    record_audit(
        "finance.investment_confirmed", investment, actor=actor, from_state=src.value, to_state=dst.value
    )
    _notify_org(
        investment.investor_org_id,
        ("financier",),
        N_("%(org)s confirmed the investment in %(company)s."),
        {"org": actor.organization.name, "company": investment.company},
        _link("finance.investment_detail", investment_id=investment.id),
    )
    return investment


def reject_investment(
    investment: Investment, *, reason: Any, actor: User, now: datetime | None = None
) -> Investment:
    if not (actor.acts_as("seller", "buyer") and actor.organization_id == investment.counterpart_org_id):
        raise PermissionDenied(_l("Only the other side rejects the investment."))
    errors: dict[str, list] = {}
    text = _text(reason, "reason", errors, required=True, message=_l("Say why the record is wrong."))
    if errors:
        raise ValidationError(fields=errors)
    investment = lock(investment)
    src, dst = transition(
        investment, InvestmentStatus.REJECTED, message=_l("This investment was already answered.")
    )
    investment.decided_at = now or utcnow()
    investment.decided_by_id = actor.id
    investment.reject_reason = text
    db.session.flush()
    record_audit(
        "finance.investment_rejected",
        investment,
        actor=actor,
        from_state=src.value,
        to_state=dst.value,
        data={"reason": text},
    )
    _notify_org(
        investment.investor_org_id,
        ("financier",),
        N_("%(org)s rejected the investment record for %(company)s."),
        {"org": actor.organization.name, "company": investment.company},
        _link("finance.investment_detail", investment_id=investment.id),
    )
    return investment
