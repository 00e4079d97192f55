"""Making and answering offers: the terms checked against the listing, the versions
of the terms (each side's turn), and the ends of a negotiation short of acceptance
(rejected, withdrawn, expired). Acceptance is in offers/acceptance.py."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import selectinload

from ..accounts.models import Organization, User
from ..core.errors import (
    Conflict,
    FieldChecks,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from ..core.locking import lock
from ..core.models import record_audit
from ..core.states import transition
from ..core.timeutil import today_shanghai, utcnow
from ..extensions import db
from ..listings.states import DEAL_KIND_LABELS
from ..listings.terms import TermsData
from ..notifications.services import N_
from . import permissions
from .mandates import buyer_mandate_for, mandate_in_force, seller_mandate_for
from .messages import MAX_MESSAGE_CHARS, add_message
from .models import ALL_TERMS_FIELDS, TERMS_FIELDS, Offer, OfferVersion
from .sides import is_whole_number, notify_sides, writing_org_id
from .states import (
    ACTIONS,
    LIVE_STATES,
    OfferStatus,
    other_side,
)

#: An offer may be open for at most this long ahead.
MAX_EXPIRY_DAYS = 366
DEFAULT_EXPIRY_DAYS = 30


class DealConflict(Conflict):
    """409: the exclusivity rule refuses the deal on an asset of the listing."""

    code = "deal_excluded"
    default_message = _l("This deal is no longer possible on this technology.")


#: The terms object of an offer: the one shared with listings (listings.terms).
TermsInput = TermsData


def offers_visible_to(user, *, status: str | None = None):
    """The offers a user takes part in (its organization's, or brokered by its agency), newest first."""
    stmt = select(Offer).order_by(Offer.updated_at.desc(), Offer.id.desc())
    if not (user is not None and user.is_authenticated and user.has_powers):
        return stmt.where(db.false())
    org = user.organization_id
    conditions = []
    if user.acts_as("buyer"):
        conditions.append(Offer.buyer_org_id == org)
    if user.acts_as("seller"):
        conditions.append(Offer.seller_org_id == org)
    if user.acts_as("agency"):
        conditions += [Offer.buyer_agency_org_id == org, Offer.seller_agency_org_id == org]
    if not conditions:
        return stmt.where(db.false())
    stmt = stmt.where(or_(*conditions))
    if status:
        stmt = stmt.where(Offer.status == status)
    return stmt


def with_list_relations(stmt):
    """Load what a list of offers shows (listing, parties, agencies) in bulk, not per row."""
    return stmt.options(
        selectinload(Offer.listing),
        selectinload(Offer.seller_org),
        selectinload(Offer.buyer_org),
        selectinload(Offer.buyer_agency),
        selectinload(Offer.seller_agency),
    )


def offer_accepted_on(listing_id: int) -> bool:
    """Whether an offer on the listing was accepted (listings ask it through a port:
    a co-owner's consent is then bound to the deal)."""
    stmt = select(exists().where(Offer.listing_id == listing_id, Offer.status == OfferStatus.ACCEPTED.value))
    return bool(db.session.scalar(stmt))


def changed_fields(previous: OfferVersion | None, version: OfferVersion) -> set[str]:
    """The terms fields that differ from the previous version (all of them for the first)."""
    if previous is None:
        return set()
    return {name for name in ALL_TERMS_FIELDS if getattr(previous, name) != getattr(version, name)}


def check_terms(listing, terms: TermsInput, *, prefix: str = "terms.") -> dict[str, Any]:
    """The cleaned terms of a deal kind the listing offers, complete (the shared rules
    of listings.terms), or ValidationError (422) naming each bad field."""
    kind = terms.deal_kind
    offered = listing.deal_kinds
    if kind in TERMS_FIELDS and kind not in offered:
        raise ValidationError(
            fields={
                prefix + "deal_kind": [
                    _l(
                        "This listing does not offer a %(kind)s; it offers: %(offered)s.",
                        kind=str(DEAL_KIND_LABELS[kind]).lower(),
                        offered="、".join(str(DEAL_KIND_LABELS[k]) for k in offered),
                    )
                ]
            }
        )
    problems = terms.problems(complete=True)
    if problems:
        raise ValidationError(fields={prefix + name: messages for name, messages in problems.items()})
    return terms.cleaned()


def check_expiry(expires_on: Any, *, field: str = "expires_on") -> date:
    today = today_shanghai()
    if not isinstance(expires_on, date):
        raise ValidationError(fields={field: [_l("Give the last day the offer stands, as YYYY-MM-DD.")]})
    if expires_on < today:
        raise ValidationError(fields={field: [_l("The expiry date is in the past.")]})
    if expires_on > today + timedelta(days=MAX_EXPIRY_DAYS):
        raise ValidationError(fields={field: [_l("An offer stands for at most one year.")]})
    return expires_on


def default_expiry() -> date:
    return today_shanghai() + timedelta(days=DEFAULT_EXPIRY_DAYS)


def deal_terms_for_check(data: dict[str, Any], *, start: date):
    """The IP registry's DealTerms of a terms object."""
    from ..ip.deals import DealTerms

    return DealTerms.for_months(
        data["deal_kind"],
        start=start,
        months=data.get("term_months") if data["deal_kind"] == "license" else None,
        license_type=data.get("license_type") if data["deal_kind"] == "license" else None,
        field_of_use=data.get("field_of_use") or "",
        territory=data.get("territory") or "",
    )


def _check_possible(listing, data: dict[str, Any]) -> None:
    """The exclusivity rule now, without locks (an early answer; acceptance decides)."""
    from ..ip.deals import check_deal

    deal = deal_terms_for_check(data, start=today_shanghai())
    reasons = []
    for asset in listing.assets:
        check = check_deal(asset, deal)
        if not check.ok:
            reasons.append(f"{asset.title}: {check.message}")
    if reasons:
        raise DealConflict(" ".join(reasons))


def _add_version(offer: Offer, data: dict[str, Any], *, side: str, author_org_id: int, actor) -> OfferVersion:
    number = (max((v.number for v in offer.versions), default=0)) + 1
    version = OfferVersion(
        offer_id=offer.id,
        number=number,
        author_side=side,
        author_org_id=author_org_id,
        created_by_id=getattr(actor, "id", None),
        expires_on=offer.expires_on,
        **data,
    )
    db.session.add(version)
    db.session.flush()
    db.session.expire(offer, ["versions"])
    return version


def make_offer(
    listing,
    terms: TermsInput,
    *,
    expires_on: Any,
    anonymous: bool = False,
    message: str | None = None,
    actor: User,
    client_org_id: Any = None,
) -> Offer:
    """A buyer (or an agency for a client under a mandate) offers concrete terms on a published listing."""
    if not permissions.can_make_offer(actor):
        raise PermissionDenied(_l("Only buyers, or agencies for a client, make offers."))
    buyer_agency_id, buyer_mandate = None, None
    if actor.acts_as("agency"):
        client = db.session.get(Organization, client_org_id) if is_whole_number(client_org_id) else None
        mandate = mandate_in_force(actor.organization_id, client.id, "buyer") if client is not None else None
        if mandate is None:
            raise ValidationError(
                fields={
                    "client_org_id": [_l("Choose a client whose buyer mandate to your agency is in force.")]
                }
            )
        buyer_org, buyer_agency_id, buyer_mandate = client, actor.organization_id, mandate
    else:
        if client_org_id not in (None, "", actor.organization_id):
            raise ValidationError(fields={"client_org_id": [_l("Only an agency makes offers for a client.")]})
        buyer_org = actor.organization
        buyer_mandate = buyer_mandate_for(buyer_org.id)
        buyer_agency_id = buyer_mandate.agency_org_id if buyer_mandate else None
    lock(listing)
    if not listing.is_published:
        raise Conflict(_l("This listing is not open for offers."), code="listing_not_published")
    if buyer_org.id == listing.org_id:
        raise Conflict(_l("An organization cannot make an offer on its own listing."), code="own_listing")
    if not buyer_org.is_approved:
        raise PermissionDenied(_l("The buyer's organization is not approved on the platform."))
    checks = FieldChecks()  # the terms, the date and the message refused at once
    data = checks.run(lambda: check_terms(listing, terms))
    expires_on = checks.run(lambda: check_expiry(expires_on))
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE_CHARS:
        checks.fields.setdefault("message", []).append(_l("At most %(n)s characters.", n=MAX_MESSAGE_CHARS))
    checks.raise_if_any()
    existing = db.session.scalar(
        select(Offer.id).where(
            Offer.listing_id == listing.id,
            Offer.buyer_org_id == buyer_org.id,
            Offer.status.in_(tuple(LIVE_STATES)),
            Offer.expires_on >= today_shanghai(),
        )
    )
    if existing is not None:
        raise Conflict(
            _l("There is already an open negotiation with this buyer on this listing (offer %(id)s)."
               " Continue it instead of starting another.", id=existing),
            code="offer_exists",
        )  # fmt: skip
    _check_possible(listing, data)
    seller_mandate = seller_mandate_for(listing)
    offer = Offer(
        listing_id=listing.id,
        listing=listing,
        seller_org_id=listing.org_id,
        buyer_org_id=buyer_org.id,
        buyer_agency_org_id=buyer_agency_id,
        buyer_mandate_id=buyer_mandate.id if buyer_mandate else None,
        seller_agency_org_id=seller_mandate.agency_org_id if seller_mandate else None,
        seller_mandate_id=seller_mandate.id if seller_mandate else None,
        status=OfferStatus.OPEN.value,
        turn="seller",
        anonymous=bool(anonymous),
        expires_on=expires_on,
        created_by_id=actor.id,
    )
    db.session.add(offer)
    db.session.flush()
    _add_version(offer, data, side="buyer", author_org_id=writing_org_id(offer, "buyer", actor), actor=actor)
    if message:
        add_message(offer, message, side="buyer", actor=actor)
    record_audit(
        "offer.make",
        offer,
        actor=actor,
        to_state=offer.status,
        data={"terms": _terms_of(data), "anonymous": offer.anonymous, "expires_on": expires_on.isoformat()},
    )
    notify_sides(
        offer,
        "offer.made",
        N_("A new offer on your listing %(title)s (offer %(offer)s)."),
        actor=actor,
        sides=("seller",),
    )
    if buyer_agency_id:
        notify_sides(
            offer, "offer.made", N_("Your agency made an offer for you on %(title)s."), actor=actor,
            sides=("buyer",),
        )  # fmt: skip
    return offer


def _terms_of(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k == "deal_kind" or k in TERMS_FIELDS[data["deal_kind"]]}


def expiry_due(offer: Offer) -> bool:
    """Whether the offer is live and past its date (so it is to be marked expired)."""
    return offer.status in LIVE_STATES and offer.is_past_expiry


def expire_if_due(offer: Offer) -> bool:
    """Mark a live offer past its date as expired (lazily, on read). True when it changed."""
    if not expiry_due(offer):
        return False
    lock(offer)  # decided again on what is committed: it may have been accepted meanwhile
    if not expiry_due(offer):
        return False
    src, dst = transition(offer, OfferStatus.EXPIRED)
    offer.decided_at = utcnow()
    record_audit(
        "offer.expire",
        offer,
        actor=None,
        from_state=src.value,
        to_state=dst.value,
        data={"expires_on": offer.expires_on.isoformat()},
    )
    notify_sides(offer, "offer.expired", N_("The offer on %(title)s expired."), actor=None)
    return True


def expire_due_offers(*, today: date | None = None, offer_ids: Iterable[int] | None = None) -> int:
    """Expire every live offer whose date has passed (the `flask offers expire` command)."""
    day = today or today_shanghai()
    stmt = (
        select(Offer).where(Offer.status.in_(tuple(LIVE_STATES)), Offer.expires_on < day).order_by(Offer.id)
    )
    if offer_ids is not None:
        stmt = stmt.where(Offer.id.in_(list(offer_ids)))
    count = 0
    for offer in db.session.scalars(stmt.with_for_update(skip_locked=True, of=Offer)).all():
        if expire_if_due(offer):
            count += 1
    db.session.flush()
    return count


def expire_due_for(user) -> int:
    """Lazily expire the user's negotiations whose date has passed (before listing them)."""
    ids = db.session.scalars(
        offers_visible_to(user)
        .with_only_columns(Offer.id)
        .where(Offer.status.in_(tuple(LIVE_STATES)), Offer.expires_on < today_shanghai())
    ).all()
    return expire_due_offers(offer_ids=ids) if ids else 0


def _require_live(offer: Offer) -> None:
    if offer.status == OfferStatus.ACCEPTED.value:
        raise InvalidTransition(_l("This offer was already accepted."), code="already_accepted")
    if offer.status in (OfferStatus.EXPIRED.value,) or (offer.is_live and offer.is_past_expiry):
        raise InvalidTransition(
            _l("This offer expired on %(date)s.", date=offer.expires_on.isoformat()), code="expired"
        )
    if not offer.is_live:
        raise InvalidTransition(
            _l("This offer is %(status)s; the negotiation is over.", status=offer.status_label.lower())
        )


def acting_side_for(offer: Offer, actor, action: str) -> str:
    """The actor's side, when it may take `action` now; else a clear refusal."""
    if not permissions.can_view_offer(actor, offer):
        raise NotFound()
    _require_live(offer)
    side = permissions.acting_side(actor, offer)
    if side is None:
        raise PermissionDenied(_l("Your agency's mandate for this client is not in force."))
    if action not in ACTIONS[side]:
        raise PermissionDenied(_l("This side cannot do that in a negotiation."))
    if not permissions.can_act(actor, offer, action):
        if offer.turn != side:
            raise InvalidTransition(
                _l("It is the other side's turn: wait for its answer."), code="not_your_turn"
            )
        raise PermissionDenied(_l("This side cannot do that in a negotiation."))
    return side


def counter_offer(offer: Offer, terms: TermsInput, *, actor: User, expires_on: Any = None) -> OfferVersion:
    """The side whose turn it is proposes new terms: a new version, the other side's turn."""
    lock(offer)
    side = acting_side_for(offer, actor, "counter")
    data = check_terms(offer.listing, terms)
    if expires_on is not None:
        offer.expires_on = check_expiry(expires_on)
    latest = offer.latest
    if all(getattr(latest, k) == v for k, v in data.items()) and expires_on in (None, latest.expires_on):
        raise ValidationError(
            fields={"terms": [_l("These are the terms already on the table: accept them instead.")]}
        )
    _check_possible(offer.listing, data)
    src, dst = transition(offer, OfferStatus.COUNTERED)
    offer.turn = other_side(side)
    version = _add_version(
        offer, data, side=side, author_org_id=writing_org_id(offer, side, actor), actor=actor
    )
    record_audit(
        "offer.counter",
        offer,
        actor=actor,
        from_state=src.value,
        to_state=dst.value,
        data={"version": version.number, "side": side, "terms": _terms_of(data)},
    )
    notify_sides(
        offer,
        "offer.countered",
        N_("A counter-offer on %(title)s (offer %(offer)s): it is your turn."),
        actor=actor,
        sides=(other_side(side),),
    )
    return version


def reject_offer(offer: Offer, *, actor: User) -> Offer:
    lock(offer)
    acting_side_for(offer, actor, "reject")
    finish_offer(offer, OfferStatus.REJECTED, "offer.reject", actor=actor)
    notify_sides(offer, "offer.rejected", N_("The offer on %(title)s was rejected."), actor=actor)
    return offer


def withdraw_offer(offer: Offer, *, actor: User) -> Offer:
    """The buyer side takes its offer back (allowed until acceptance, also while waiting)."""
    lock(offer)
    acting_side_for(offer, actor, "withdraw")
    finish_offer(offer, OfferStatus.WITHDRAWN, "offer.withdraw", actor=actor)
    notify_sides(offer, "offer.withdrawn", N_("The offer on %(title)s was withdrawn."), actor=actor)
    return offer


def finish_offer(offer: Offer, dst: OfferStatus, action: str, *, actor, data: dict | None = None) -> None:
    src, _ = transition(offer, dst)
    offer.decided_at = utcnow()
    offer.decided_by_id = getattr(actor, "id", None)
    record_audit(action, offer, actor=actor, from_state=src.value, to_state=dst.value, data=data)


def reveal_buyer(offer: Offer, *, actor: User) -> Offer:
    """An anonymous buyer tells the seller side who it is."""
    lock(offer)
    if not permissions.can_view_offer(actor, offer):
        raise NotFound()
    if not offer.buyer_hidden:
        raise Conflict(_l("The buyer's name is already visible to the seller."), code="already_revealed")
    if permissions.acting_side(actor, offer) != "buyer":
        raise PermissionDenied(_l("Only the buyer side reveals the buyer's name."))
    offer.revealed_at = utcnow()
    record_audit("offer.reveal", offer, actor=actor)
    notify_sides(
        offer,
        "offer.revealed",
        N_("The buyer of offer %(offer)s on %(title)s revealed its name."),
        actor=actor,
        sides=("seller",),
    )
    return offer
