"""The rules of listings and demands. Services add and flush; the caller commits.

Public API for other domains (negotiation, contracts):

- ``Listing`` (models.py): ``status``, ``org_id`` (the seller organization),
  ``asset_links``/``assets``/``asset_ids``, ``price_fen`` (None = negotiable),
  ``agency_org_id``, the derived ``industry``/``ip_kind``/``source_kind``/
  ``region_code``/``maturity``, and ``terms`` (one ``ListingTerms`` per deal kind
  offered; ``listing.terms_for("license")`` or ``offered_terms(listing)``).
- ``close_listing(listing, reason=..., actor=...)``: a signed deal ends the listing.
- ``is_publicly_listed(asset)``: whether a published listing shows the asset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from ..accounts.models import Organization, User
from ..core.errors import Conflict, FieldChecks, PermissionDenied, ValidationError
from ..core.locking import lock
from ..core.models import record_audit
from ..core.states import transition
from ..core.timeutil import utcnow
from ..extensions import db
from ..notifications.services import N_, notify
from ..search.outbox import OP_DELETE, OP_UPSERT, enqueue
from . import permissions, ports
from .models import Demand, Listing, ListingAsset, ListingConsent, ListingTerms
from .states import DemandStatus, ListingStatus
from .terms import TermsData  # the shared terms object, also imported from here

#: A listing bundles at most this many assets.
MAX_ASSETS = 20
#: Asset legal statuses in which nothing can be offered.
DEAD_LEGAL_STATUSES = frozenset({"lapsed", "expired", "invalidated"})
#: A quantified comparison contains at least one figure (Arabic or full-width digits).
_FIGURE = re.compile(r"[0-9０-９]")


@dataclass
class ListingData:
    asset_ids: list[int]
    title_zh: str | None = None
    title_en: str | None = None
    abstract_zh: str | None = None
    abstract_en: str | None = None
    keywords: list[str] = field(default_factory=list)
    problem: str | None = None
    comparison: str | None = None
    price_fen: int | None = None
    deal_terms: list[TermsData] = field(default_factory=list)
    agency_org_id: int | None = None


@dataclass
class DemandData:
    title: str
    description: str
    industry: str
    budget_fen: int | None = None
    deadline: date | None = None


def _link(endpoint: str, **values: Any) -> str:
    """A site-relative link, also outside a request (notifications from the CLI)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


# -- listings ------------------------------------------------------------------


def _load_assets(asset_ids: list[int], org_id: int) -> list:
    from ..ip.models import IpAsset

    errors: list[Any] = []
    ids: list[int] = []
    for asset_id in asset_ids:
        if asset_id not in ids:
            ids.append(asset_id)
    if not ids:
        raise ValidationError(fields={"asset_ids": [_l("Choose at least one asset of your organization.")]})
    if len(ids) > MAX_ASSETS:
        raise ValidationError(
            fields={"asset_ids": [_l("A listing bundles at most %(n)s assets.", n=MAX_ASSETS)]}
        )
    found = {a.id: a for a in db.session.scalars(select(IpAsset).where(IpAsset.id.in_(ids)))}
    assets = []
    for asset_id in ids:
        asset = found.get(asset_id)
        if asset is None or org_id not in asset.owner_org_ids:
            errors.append(_l("Asset %(id)s is not an asset of your organization.", id=asset_id))
        elif asset.legal_status in DEAD_LEGAL_STATUSES:
            errors.append(
                _l(
                    "Asset %(title)s is %(status)s and cannot be offered.",
                    title=asset.title,
                    status=asset.legal_status_label,
                )
            )
        else:
            assets.append(asset)
    if errors:
        raise ValidationError(fields={"asset_ids": errors})
    return assets


def _check_agency(agency_org_id: int | None) -> None:
    if agency_org_id is None:
        return
    org = db.session.get(Organization, agency_org_id)
    if org is None or org.kind != "agency" or not org.is_approved:
        raise ValidationError(
            fields={"agency_org_id": [_l("Choose an approved technology transfer agency.")]}
        )


def _check_terms(deal_terms: list[TermsData]) -> None:
    """Each deal kind at most once, each with terms that pass the shared rules (listings.terms)."""
    errors: dict[str, list] = {}
    if not deal_terms:
        raise ValidationError(fields={"deal_terms": [_l("Offer at least one deal kind with its terms.")]})
    seen: set[str] = set()
    for index, terms in enumerate(deal_terms):
        prefix = f"deal_terms.{index}."
        problems = terms.problems()
        if terms.deal_kind in seen and "deal_kind" not in problems:
            problems = {"deal_kind": [_l("Each deal kind can be offered only once.")], **problems}
        seen.add(terms.deal_kind or "")
        errors.update({prefix + name: messages for name, messages in problems.items()})
    if errors:
        raise ValidationError(fields=errors)


def _check_comparison(comparison: str | None, *, required: bool) -> None:
    if not comparison:
        if required:
            raise ValidationError(
                fields={"comparison": [_l("Compare with today's best solution, with figures.")]}
            )
        return
    if not _FIGURE.search(comparison):
        raise ValidationError(
            fields={
                "comparison": [
                    _l(
                        "Buyers reject vague benefits: quantify the comparison with at least one "
                        'figure, e.g. "yield 18 % higher than imported equipment".'
                    )
                ]
            }
        )


def _check_title(data: ListingData) -> None:
    if not _clean(data.title_zh) and not _clean(data.title_en):
        raise ValidationError(fields={"title_zh": [_l("Give a title in Chinese or in English.")]})


def _check_price(price_fen: int | None) -> None:
    if price_fen is not None and price_fen < 0:
        raise ValidationError(fields={"price_fen": [_l("The amount cannot be negative.")]})


def _apply(listing: Listing, data: ListingData) -> None:
    checks = FieldChecks()  # every rule at once, not one refusal per try
    checks.run(lambda: _check_title(data))
    assets = checks.run(lambda: _load_assets(list(data.asset_ids), listing.org_id))
    checks.run(lambda: _check_terms(data.deal_terms))
    checks.run(lambda: _check_agency(data.agency_org_id))
    checks.run(lambda: _check_comparison(_clean(data.comparison), required=False))
    checks.run(lambda: _check_price(data.price_fen))
    checks.raise_if_any()
    listing.title_zh = _clean(data.title_zh)
    listing.title_en = _clean(data.title_en)
    listing.abstract_zh = _clean(data.abstract_zh)
    listing.abstract_en = _clean(data.abstract_en)
    listing.keywords = [k.strip() for k in data.keywords if k and k.strip()]
    listing.problem = _clean(data.problem)
    listing.comparison = _clean(data.comparison)
    listing.price_fen = data.price_fen
    listing.agency_org_id = data.agency_org_id
    # Assets in the seller's order; the first one is the main one.
    wanted = [a.id for a in assets]
    if listing.asset_ids != wanted:
        listing.asset_links.clear()
        if listing.id is not None:
            db.session.flush()
        for position, asset in enumerate(assets):
            listing.asset_links.append(ListingAsset(asset_id=asset.id, asset=asset, position=position))
    # Terms: one row per deal kind, updated in place; kinds no longer offered go.
    wanted_kinds = [t.deal_kind for t in data.deal_terms]
    for row in [t for t in listing.terms if t.deal_kind not in wanted_kinds]:
        listing.terms.remove(row)
    if listing.id is not None:
        db.session.flush()
    by_kind = {t.deal_kind: t for t in listing.terms}
    for terms in data.deal_terms:
        row = by_kind.get(terms.deal_kind)
        if row is None:
            row = ListingTerms(deal_kind=terms.deal_kind)
            listing.terms.append(row)
        for name, value in terms.cleaned().items():  # the kind's fields; the others empty
            if name != "deal_kind":
                setattr(row, name, value)
    derive_fields(listing, assets)


def derive_fields(listing: Listing, assets: list | None = None) -> None:
    """Industry, IP kind and maturity of the main asset; source kind and region of
    the seller organization (an owner of every asset)."""
    assets = assets if assets is not None else listing.assets
    main = assets[0] if assets else None
    listing.industry = main.industry if main else None
    listing.ip_kind = main.kind if main else None
    listing.maturity = main.maturity if main else None
    org = listing.organization or db.session.get(Organization, listing.org_id)
    listing.source_kind = org.kind
    listing.region_code = org.region_code


def create_listing(data: ListingData, *, actor: User) -> Listing:
    """A new draft for the actor's organization."""
    if not permissions.can_create_listing(actor):
        raise PermissionDenied(_l("Only sellers create listings."))
    listing = Listing(org_id=actor.organization_id, organization=actor.organization, created_by_id=actor.id)
    listing.status = ListingStatus.DRAFT.value
    _apply(listing, data)
    db.session.add(listing)
    db.session.flush()
    record_audit("listing.create", listing, actor=actor, to_state=listing.status)
    request_consents(listing)
    return listing


def update_listing(listing: Listing, data: ListingData, *, actor: User) -> Listing:
    """Edit a draft or a returned listing."""
    lock(listing)
    if not permissions.can_edit_listing(actor, listing):
        raise PermissionDenied(_l("Only the seller edits a draft or returned listing."))
    before = _deal_snapshot(listing)
    _apply(listing, data)
    db.session.flush()
    cleared = []
    if _deal_snapshot(listing) != before and listing.consents:
        # The co-owners consented to other terms: they consent again (like signatures).
        cleared = [c.org_id for c in listing.consents]
        listing.consents.clear()
        db.session.flush()
    record_audit(
        "listing.update", listing, actor=actor, data={"consents_cleared": cleared} if cleared else None
    )
    request_consents(listing)
    return listing


def _transition(listing: Listing, dst: ListingStatus, action: str, *, actor, data=None) -> None:
    src, _dst = transition(listing, dst)
    record_audit(action, listing, actor=actor, from_state=src.value, to_state=dst.value, data=data)


def submit_listing(listing: Listing, *, actor: User) -> Listing:
    """Send a draft (or a returned listing) for review."""
    lock(listing)
    if not permissions.is_listing_seller(actor, listing):
        raise PermissionDenied()
    errors: dict[str, list] = {}
    if not listing.problem:
        errors["problem"] = [_l("Say which problem the technology solves.")]
    try:
        _check_comparison(listing.comparison, required=True)
    except ValidationError as exc:
        errors.update(exc.fields)
    if errors:
        raise ValidationError(_l("Complete the listing before submitting it."), fields=errors)
    _check_offerable(listing)
    check_consents(listing)
    _transition(listing, ListingStatus.SUBMITTED, "listing.submit", actor=actor)
    listing.submitted_at = utcnow()
    if listing.agency_org_id:
        for user in _agency_members(listing.agency_org_id):
            notify(
                user,
                "listing.submitted",
                N_("A listing waits for your review: %(title)s"),
                params={"title": listing.title},
                link=_link("listings.detail", listing_id=listing.id),
            )
    return listing


def _check_offerable(listing: Listing) -> None:
    """Each asset must still allow each offered deal (legal status, pledges,
    exclusive licences already granted): the ip domain's exclusivity rule."""
    from ..core.timeutil import today_shanghai
    from ..ip.deals import DealTerms, check_deal

    start = today_shanghai()
    problems = []
    for asset in listing.assets:
        for terms in listing.terms:
            deal = DealTerms.for_months(
                terms.deal_kind,
                start=start,
                months=terms.term_months if terms.deal_kind == "license" else None,
                license_type=terms.license_type,
                field_of_use=terms.field_of_use,
                territory=terms.territory,
            )
            check = check_deal(asset, deal)
            if not check.ok:
                problems.append(
                    _l(
                        "%(asset)s cannot be offered as %(kind)s: %(why)s",
                        asset=asset.title,
                        kind=terms.deal_kind_label,
                        why=check.message,
                    )
                )
    if problems:
        raise Conflict(" ".join(str(p) for p in problems), code="deal_not_possible")


def _agency_members(org_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.organization_id == org_id, User.role == "agency", User.status == "active")
        )
    )


def publish_listing(listing: Listing, *, actor: User) -> Listing:
    """A reviewer publishes a submitted listing; it enters the search index after the commit."""
    lock(listing)
    if not permissions.is_reviewer(actor, listing):
        raise PermissionDenied(_l("Only an agency or an administrator reviews listings."))
    _check_offerable(listing)
    check_consents(listing)
    _transition(listing, ListingStatus.PUBLISHED, "listing.publish", actor=actor)
    listing.published_at = utcnow()
    listing.reviewed_by_id = actor.id
    listing.return_reason = None
    enqueue(listing.id, OP_UPSERT)
    if listing.created_by is not None:
        notify(
            listing.created_by,
            "listing.published",
            N_("Your listing is published: %(title)s"),
            params={"title": listing.title},
            link=_link("listings.detail", listing_id=listing.id),
        )
    from .matching import notify_matches_for_listing

    notify_matches_for_listing(listing)
    return listing


def return_listing(listing: Listing, *, reason: str, actor: User) -> Listing:
    """A reviewer sends a submitted listing back to the seller, saying why."""
    lock(listing)
    if not permissions.is_reviewer(actor, listing):
        raise PermissionDenied(_l("Only an agency or an administrator reviews listings."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(fields={"reason": [_l("Say what the seller must change.")]})
    if len(reason) > 2000:
        raise ValidationError(fields={"reason": [_l("At most 2000 characters.")]})
    listing.return_reason = reason
    _transition(listing, ListingStatus.RETURNED, "listing.return", actor=actor, data={"reason": reason})
    listing.reviewed_by_id = actor.id
    if listing.created_by is not None:
        notify(
            listing.created_by,
            "listing.returned",
            N_("Your listing was returned for changes: %(title)s"),
            params={"title": listing.title},
            link=_link("listings.detail", listing_id=listing.id),
        )
    return listing


def withdraw_listing(listing: Listing, *, actor: User) -> Listing:
    """The seller (or an administrator) takes a listing off the market for good."""
    lock(listing)
    if not (permissions.is_listing_seller(actor, listing) or actor.is_admin):
        raise PermissionDenied()
    was_published = listing.is_published
    _transition(listing, ListingStatus.WITHDRAWN, "listing.withdraw", actor=actor)
    listing.ended_at = utcnow()
    if was_published:
        enqueue(listing.id, OP_DELETE)
    return listing


def close_listing(listing: Listing, *, reason: str, actor: User | None) -> Listing:
    """A signed deal ends a published listing (called by the negotiation code,
    which has checked its own permissions). Closing a closed listing again does
    nothing; any other state raises InvalidTransition (409)."""
    lock(listing)
    if listing.status == ListingStatus.CLOSED.value:
        return listing
    _transition(listing, ListingStatus.CLOSED, "listing.close", actor=actor, data={"reason": reason})
    listing.ended_at = utcnow()
    listing.end_reason = (reason or "")[:500] or None
    enqueue(listing.id, OP_DELETE)
    return listing


# -- co-owners' consent (Patent Law art. 14) ------------------------------------------------


def _deal_snapshot(listing: Listing) -> tuple:
    """What a co-owner consents to: the assets and the deal terms."""
    return (
        tuple(listing.asset_ids),
        listing.price_fen,
        tuple(sorted((tuple(sorted(t.to_dict().items())) for t in listing.terms), key=str)),
    )


def deal_needs_consent(deal_kind: str | None, license_type: str | None = None) -> bool:
    """A transfer, an equity contribution, an exclusive or a sole licence disposes of
    the whole right: every co-owner must agree. A non-exclusive licence needs no consent."""
    if deal_kind in ("transfer", "equity"):
        return True
    return deal_kind == "license" and license_type in ("exclusive", "sole")


def listing_needs_consent(listing: Listing) -> bool:
    return any(deal_needs_consent(t.deal_kind, t.license_type) for t in listing.terms)


def consent_org_ids(listing: Listing) -> list[int]:
    """The other owner organizations of the listing's assets, whose consent the
    listing's deals need (empty when no deal needs consent or no asset is co-owned)."""
    if not listing_needs_consent(listing):
        return []
    return sorted(permissions.co_owner_org_ids(listing))


def missing_consent_orgs(listing: Listing) -> list[Organization]:
    given = {c.org_id for c in listing.consents}
    ids = [org_id for org_id in consent_org_ids(listing) if org_id not in given]
    if not ids:
        return []
    orgs = {o.id: o for o in db.session.scalars(select(Organization).where(Organization.id.in_(ids)))}
    return [orgs[i] for i in ids if i in orgs]


def check_consents(
    listing: Listing, *, deal_kind: str | None = None, license_type: str | None = None
) -> None:
    """Raise 409 ``co_owner_consent_required`` naming the co-owners still to consent.
    With ``deal_kind``, only for that deal (an offer's agreed terms); call under the
    listing's lock."""
    if deal_kind is not None and not deal_needs_consent(deal_kind, license_type):
        return
    missing_orgs = missing_consent_orgs(listing)
    if missing_orgs:
        raise Conflict(
            _l(
                "The asset is co-owned: a transfer, an equity contribution or an exclusive or sole "
                "licence needs the consent of every co-owner. Still to consent: %(orgs)s.",
                orgs="、".join(o.name for o in missing_orgs),
            ),
            code="co_owner_consent_required",
        )


def consent_sellers(org_ids) -> list[User]:
    ids = list(org_ids)
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(User)
            .where(User.organization_id.in_(ids), User.role == "seller", User.status == "active")
            .order_by(User.id)
        )
    )


def request_consents(listing: Listing) -> None:
    """Tell the sellers of the co-owners still to consent that the listing needs them
    (once per organization and listing until it consents)."""
    from ..notifications.models import Notification

    missing_ids = [o.id for o in missing_consent_orgs(listing)]
    link = _link("listings.detail", listing_id=listing.id)
    for user in consent_sellers(missing_ids):
        already = db.session.scalar(
            select(
                exists().where(
                    Notification.user_id == user.id,
                    Notification.kind == "listing.consent_requested",
                    Notification.link == link,
                    Notification.read_at.is_(None),
                )
            )
        )
        if not already:
            notify(
                user,
                "listing.consent_requested",
                N_("A listing of an asset you co-own needs your organization's consent: %(title)s"),
                params={"title": listing.title},
                link=link,
            )


_OPEN_STATES = frozenset({"draft", "submitted", "returned", "published"})


def give_consent(listing: Listing, *, actor: User) -> ListingConsent:
    """A seller of a co-owner organization consents, for it, to the listing's deals."""
    lock(listing)
    if not permissions.can_consent(actor, listing):
        raise PermissionDenied(_l("Only a seller of another owner organization of the asset consents."))
    if listing.status not in _OPEN_STATES:
        raise Conflict(_l("The listing is closed: nothing to consent to."), code="listing_closed")
    if actor.organization_id not in consent_org_ids(listing):
        raise Conflict(_l("This listing needs no consent of your organization."), code="consent_not_needed")
    existing = next((c for c in listing.consents if c.org_id == actor.organization_id), None)
    if existing is not None:
        return existing
    consent = ListingConsent(org_id=actor.organization_id, given_by_id=actor.id, given_at=utcnow())
    listing.consents.append(consent)
    db.session.flush()
    record_audit("listing.consent", listing, actor=actor, data={"org_id": actor.organization_id})
    for user in consent_sellers([listing.org_id]):
        notify(
            user,
            "listing.consent_given",
            N_("%(org)s consented to your listing: %(title)s"),
            params={"org": actor.organization.name, "title": listing.title},
            link=_link("listings.detail", listing_id=listing.id),
        )
    return consent


def withdraw_consent(listing: Listing, *, actor: User) -> None:
    """The co-owner takes its consent back, until an offer on the listing is accepted."""
    lock(listing)  # acceptance locks the listing too: one of them sees the other
    if not permissions.can_consent(actor, listing):
        raise PermissionDenied(_l("Only a seller of another owner organization of the asset consents."))
    consent = next((c for c in listing.consents if c.org_id == actor.organization_id), None)
    if consent is None:
        raise Conflict(_l("Your organization has not consented to this listing."), code="no_consent")
    if ports.offer_accepted_on(listing.id) or listing.status not in _OPEN_STATES:
        raise Conflict(
            _l("An offer on this listing was accepted: the consent can no longer be withdrawn."),
            code="consent_bound",
        )
    listing.consents.remove(consent)
    db.session.flush()
    record_audit("listing.consent_withdraw", listing, actor=actor, data={"org_id": actor.organization_id})
    for user in consent_sellers([listing.org_id]):
        notify(
            user,
            "listing.consent_withdrawn",
            N_("%(org)s withdrew its consent to your listing: %(title)s"),
            params={"org": actor.organization.name, "title": listing.title},
            link=_link("listings.detail", listing_id=listing.id),
        )


def offered_terms(listing: Listing) -> list[dict[str, Any]]:
    """The terms objects (API shape) of every deal kind the listing offers."""
    return [t.to_dict() for t in listing.terms]


def is_publicly_listed(asset) -> bool:
    """Whether a published listing shows this asset (then anyone may see the asset)."""
    asset_id = getattr(asset, "id", asset)
    if asset_id is None:
        return False
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    ListingAsset.asset_id == asset_id,
                    ListingAsset.listing_id == Listing.id,
                    Listing.status == ListingStatus.PUBLISHED.value,
                )
            )
        )
    )


# -- demands -------------------------------------------------------------------


def _apply_demand(demand: Demand, data: DemandData) -> None:
    from ..core.catalog import INDUSTRIES

    errors: dict[str, list] = {}
    if not _clean(data.title):
        errors["title"] = [_l("Give the demand a title.")]
    if not _clean(data.description):
        errors["description"] = [_l("Describe the problem to solve.")]
    if data.industry not in INDUSTRIES:
        errors["industry"] = [_l("Choose an industry.")]
    if data.budget_fen is not None and data.budget_fen < 0:
        errors["budget_fen"] = [_l("The amount cannot be negative.")]
    if data.deadline is not None and data.deadline < date.today():
        errors["deadline"] = [_l("The deadline is in the past.")]
    if errors:
        raise ValidationError(fields=errors)
    demand.title = _clean(data.title) or ""
    demand.description = _clean(data.description) or ""
    demand.industry = data.industry
    demand.budget_fen = data.budget_fen
    demand.deadline = data.deadline


def create_demand(data: DemandData, *, actor: User, notify_matches: bool = True) -> Demand:
    """A buyer posts a demand; the buyer and the sellers of matching listings are told."""
    if not permissions.can_post_demand(actor):
        raise PermissionDenied(_l("Only buyers post demands."))
    demand = Demand(org_id=actor.organization_id, organization=actor.organization, created_by_id=actor.id)
    demand.status = DemandStatus.OPEN.value
    _apply_demand(demand, data)
    db.session.add(demand)
    db.session.flush()
    record_audit("demand.create", demand, actor=actor, to_state=demand.status)
    if notify_matches:
        from .matching import notify_matches_for_demand

        notify_matches_for_demand(demand)
    return demand


def close_demand(demand: Demand, *, actor: User) -> Demand:
    lock(demand)
    if not permissions.can_close_demand(actor, demand) and demand.is_open:
        raise PermissionDenied()
    src, dst = transition(demand, DemandStatus.CLOSED)
    demand.closed_at = utcnow()
    record_audit("demand.close", demand, actor=actor, from_state=src.value, to_state=dst.value)
    return demand
