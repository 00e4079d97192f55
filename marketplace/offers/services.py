"""The rules of negotiation and brokerage. Services add and flush; the caller commits.

Public API for other domains:

- ``make_offer(listing, terms, expires_on=, anonymous=, message=, actor=, client_org=None)``
- ``counter_offer(offer, terms, actor=, expires_on=None)``, ``accept_offer(offer, actor=)``
  (returns the contract draft), ``reject_offer``, ``withdraw_offer``, ``reveal_buyer``
- ``expire_if_due(offer)`` and ``expire_due_offers()`` (lazy and batch expiry)
- ``post_message(offer, body, files=, actor=)``
- mandates: ``propose_mandate``, ``accept_mandate``, ``decline_mandate``, ``revoke_mandate``,
  ``mandate_in_force(agency_org_id, client_org_id, side)``
- ``buyer_display(offer, viewer)``: the buyer as this viewer may see it.

Exclusivity at acceptance is decided by the database: the offer row, then the
listing's asset rows in id order, are locked (SELECT ... FOR UPDATE on
PostgreSQL; SQLite has one writer) before the IP registry's rule is checked
and the deal committed on each asset.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from werkzeug.datastructures import FileStorage

from ..accounts.models import Organization, User
from ..core.catalog import org_kind_label, region_label
from ..core.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationError
from ..core.locking import lock, lock_rows
from ..core.models import record_audit
from ..core.money import MAX_FEN
from ..core.states import transition
from ..core.timeutil import today_shanghai, utcnow
from ..extensions import db
from ..notifications.services import N_, notify
from ..storage.uploads import Attachment, attachments_of, save_upload
from . import permissions
from .models import ALL_TERMS_FIELDS, TERMS_FIELDS, Mandate, Offer, OfferMessage, OfferVersion
from .states import (
    ACTIONS,
    LIVE_STATES,
    MandateStatus,
    OfferStatus,
    other_side,
)

#: An offer may be open for at most this long ahead.
MAX_EXPIRY_DAYS = 366
DEFAULT_EXPIRY_DAYS = 30
MAX_MESSAGE_CHARS = 5000
MAX_FILES_PER_MESSAGE = 5
MESSAGE_ATTACHMENT = "offer_message"
LICENSE_TYPES = ("exclusive", "sole", "non_exclusive")
#: Contract titles name the deal as registration authorities expect (许可 / 转让 / 作价入股).
_TITLE_SUFFIX = {"license": "技术许可合同", "transfer": "技术转让合同", "equity": "技术作价入股合同"}


class DealConflict(Conflict):
    """409: the exclusivity rule refuses the deal on an asset of the listing."""

    code = "deal_excluded"
    default_message = _l("This deal is no longer possible on this technology.")


@dataclass
class TermsInput:
    """The API's terms object (amounts in fen, percentages in basis points)."""

    deal_kind: str | None
    license_type: str | None = None
    field_of_use: str | None = ""
    territory: str | None = ""
    term_months: int | None = None
    upfront_fen: int | None = None
    royalty_bp: int | None = None
    price_fen: int | None = None
    valuation_fen: int | None = None
    equity_share_bp: int | None = None
    company: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TermsInput:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def cleaned(self) -> dict[str, Any]:
        """Only the fields of the deal kind, every other field empty (the version's columns)."""
        out: dict[str, Any] = {name: None for name in ALL_TERMS_FIELDS}
        out["field_of_use"], out["territory"] = "", ""
        out["deal_kind"] = self.deal_kind
        for name in TERMS_FIELDS.get(self.deal_kind or "", ()):
            value = getattr(self, name)
            if isinstance(value, str):
                value = value.strip()
            if name in ("field_of_use", "territory"):
                value = value or ""
            elif name in ("license_type", "company"):
                value = value or None
            out[name] = value
        return out


# --- reading ---------------------------------------------------------------------------------


def _link(endpoint: str, **values: Any) -> str:
    """A site-relative link, also outside a request (the expiry command)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def buyer_display(offer: Offer, viewer) -> str:
    """The buyer as `viewer` may see it: its name, or only its kind and region."""
    if permissions.sees_buyer_name(viewer, offer):
        return offer.buyer_org.name
    return anonymous_label(offer)


def anonymous_label(offer: Offer) -> str:
    from flask_babel import gettext

    return gettext(
        "Anonymous buyer (%(kind)s, %(region)s)",
        kind=org_kind_label(offer.buyer_org.kind),
        region=region_label(offer.buyer_org.region_code),
    )


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


def changed_fields(previous: OfferVersion | None, version: OfferVersion) -> set[str]:
    """The terms fields that differ from the previous version (all of them for the first)."""
    if previous is None:
        return set()
    return {name for name in ALL_TERMS_FIELDS if getattr(previous, name) != getattr(version, name)}


def message_attachments(message: OfferMessage) -> list[Attachment]:
    return attachments_of(message, MESSAGE_ATTACHMENT)


def attachment_of_offer(offer: Offer, attachment_id: Any) -> tuple[Attachment, OfferMessage]:
    """An attachment of one of the offer's messages, or NotFound."""
    try:
        attachment = db.session.get(Attachment, int(attachment_id))
    except (TypeError, ValueError):
        raise NotFound() from None
    if attachment is None or attachment.subject_type != OfferMessage.__audit_type__:
        raise NotFound()
    message = db.session.get(OfferMessage, attachment.subject_id)
    if message is None or message.offer_id != offer.id:
        raise NotFound()
    return attachment, message


def send_offer_attachment(attachment: Attachment, name: str):
    """The file as a download under the name the viewer may see (call after the permission check)."""
    from ..storage.uploads import send_attachment

    return send_attachment(attachment, download_name=name)


def attachment_display_name(offer: Offer, message: OfferMessage, attachment: Attachment, viewer) -> str:
    """The file name as the viewer may see it: a hidden buyer's file names could name it."""
    if message.author_side == "buyer" and not permissions.sees_buyer_name(viewer, offer):
        suffix = attachment.original_name.rsplit(".", 1)[-1] if "." in attachment.original_name else ""
        return f"attachment-{attachment.id}" + (f".{suffix}" if suffix else "")
    return attachment.original_name


# --- validation -------------------------------------------------------------------------------


def _int_ok(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_terms(listing, terms: TermsInput, *, prefix: str = "terms.") -> dict[str, Any]:
    """The cleaned terms, or ValidationError (422) naming each bad field."""
    errors: dict[str, list[Any]] = {}

    def err(name: str, message: Any) -> None:
        errors.setdefault(prefix + name, []).append(message)

    kind = terms.deal_kind
    offered = listing.deal_kinds
    if kind not in TERMS_FIELDS:
        err("deal_kind", _l("Choose licence, transfer or equity contribution."))
        raise ValidationError(fields=errors)
    if kind not in offered:
        from ..listings.states import DEAL_KIND_LABELS

        err(
            "deal_kind",
            _l(
                "This listing does not offer a %(kind)s; it offers: %(offered)s.",
                kind=str(DEAL_KIND_LABELS[kind]).lower(),
                offered="、".join(str(DEAL_KIND_LABELS[k]) for k in offered),
            ),
        )
        raise ValidationError(fields=errors)
    data = terms.cleaned()
    for name in ("upfront_fen", "price_fen", "valuation_fen"):
        value = data[name]
        if value is None:
            continue
        if not _int_ok(value):
            err(name, _l("An amount in fen is a whole number."))
        elif value < 0:
            err(name, _l("The amount cannot be negative."))
        elif value > MAX_FEN:
            err(name, _l("The amount is too large."))
    for name, low in (("royalty_bp", 0), ("equity_share_bp", 1)):
        value = data[name]
        if value is None:
            continue
        if not _int_ok(value):
            err(name, _l("In basis points: a whole number, 100 = 1 %."))
        elif not low <= value <= 10000:
            err(name, _l("Between %(low)s and 10000 basis points (100 %%).", low=low))
    if kind == "license":
        if data["license_type"] not in LICENSE_TYPES:
            err("license_type", _l("Choose exclusive, sole or non-exclusive."))
        months = data["term_months"]
        if months is not None and (not _int_ok(months) or not 1 <= months <= 1200):
            err("term_months", _l("Between 1 and 1200 months."))
        if data["upfront_fen"] is None and data["royalty_bp"] is None:
            err("upfront_fen", _l("State an upfront fee, a royalty rate or both."))
        for name in ("field_of_use", "territory"):
            if len(data[name] or "") > 200:
                err(name, _l("At most 200 characters."))
    elif kind == "transfer":
        if data["price_fen"] is None:
            err("price_fen", _l("State the transfer price."))
        elif _int_ok(data["price_fen"]) and data["price_fen"] == 0:
            err("price_fen", _l("A transfer has a price above zero."))
    else:
        if data["valuation_fen"] is None:
            err("valuation_fen", _l("State the valuation of the IP."))
        elif _int_ok(data["valuation_fen"]) and data["valuation_fen"] == 0:
            err("valuation_fen", _l("The valuation is above zero."))
        if data["equity_share_bp"] is None:
            err("equity_share_bp", _l("State the equity share in the receiving company."))
        if len(data["company"] or "") > 200:
            err("company", _l("At most 200 characters."))
    if errors:
        raise ValidationError(fields=errors)
    return data


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


# --- notifications ---------------------------------------------------------------------------


def _members(org_id: int | None, role: str) -> list[User]:
    if org_id is None:
        return []
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.organization_id == org_id,
                User.role == role,
                User.status == "active",
                User.membership == "approved",
            )
            .order_by(User.id)
        )
    )


def side_users(offer: Offer, side: str) -> list[User]:
    """The people of one side: the party's members and those of its agency."""
    if side == "buyer":
        return _members(offer.buyer_org_id, "buyer") + _members(offer.buyer_agency_org_id, "agency")
    return _members(offer.seller_org_id, "seller") + _members(offer.seller_agency_org_id, "agency")


def _notify_sides(offer: Offer, kind: str, message_id: str, *, actor, sides: Iterable[str] = ("buyer", "seller"),
                  params: dict[str, Any] | None = None) -> None:  # fmt: skip
    """Tell each side's people (not the actor). Messages never name the buyer, so an
    anonymous buyer cannot leak through a notification or its e-mail."""
    link = _link("offers.detail", offer_id=offer.id)
    base = {"title": offer.listing.title, "offer": offer.id}
    for side in sides:
        for user in side_users(offer, side):
            if actor is not None and user.id == actor.id:
                continue
            notify(user, kind, message_id, params={**base, **(params or {})}, link=link)


# --- mandates --------------------------------------------------------------------------------


def mandate_in_force(agency_org_id: int, client_org_id: int, side: str, *, on: date | None = None) -> Mandate | None:  # fmt: skip
    """The active mandate from the client to the agency for that side, valid on `on`."""
    day = on or today_shanghai()
    return db.session.scalar(
        select(Mandate)
        .where(
            Mandate.agency_org_id == agency_org_id,
            Mandate.client_org_id == client_org_id,
            Mandate.side == side,
            Mandate.status == MandateStatus.ACTIVE.value,
            Mandate.valid_from <= day,
            Mandate.valid_to >= day,
        )
        .order_by(Mandate.id.desc())
        .limit(1)
    )


def _newest_in_force(client_org_id: int, side: str) -> list[Mandate]:
    day = today_shanghai()
    return list(
        db.session.scalars(
            select(Mandate)
            .where(
                Mandate.client_org_id == client_org_id,
                Mandate.side == side,
                Mandate.status == MandateStatus.ACTIVE.value,
                Mandate.valid_from <= day,
                Mandate.valid_to >= day,
            )
            .order_by(Mandate.id.desc())
        )
    )


def seller_mandate_for(listing) -> Mandate | None:
    """The seller's mandate in force: with the listing's brokering agency first, else the newest."""
    candidates = _newest_in_force(listing.org_id, "seller")
    for mandate in candidates:
        if mandate.agency_org_id == listing.agency_org_id:
            return mandate
    return candidates[0] if candidates else None


def buyer_mandate_for(buyer_org_id: int) -> Mandate | None:
    """The buyer's newest mandate in force: its agency brokers the offers the buyer makes itself too."""
    candidates = _newest_in_force(buyer_org_id, "buyer")
    return candidates[0] if candidates else None


def mandates_visible_to(user):
    stmt = select(Mandate).order_by(Mandate.created_at.desc(), Mandate.id.desc())
    if not (user is not None and user.is_authenticated and user.has_powers):
        return stmt.where(db.false())
    org = user.organization_id
    return stmt.where(or_(Mandate.agency_org_id == org, Mandate.client_org_id == org))


def propose_mandate(
    *,
    agency_org_id: Any,
    commission_bp: Any,
    valid_from: date | None,
    valid_to: date | None,
    scope: str | None = None,
    actor: User,
) -> Mandate:
    """A client (a seller's or buyer's organization) asks an agency to broker for it."""
    if not permissions.can_propose_mandate(actor):
        raise PermissionDenied(_l("Sellers and buyers give mandates to agencies."))
    side = "seller" if actor.acts_as("seller") else "buyer"
    errors: dict[str, list[Any]] = {}
    agency = db.session.get(Organization, agency_org_id) if _int_ok(agency_org_id) else None
    if agency is None or agency.kind != "agency" or not agency.is_approved:
        errors["agency_org_id"] = [_l("Choose an approved technology transfer agency.")]
    if not _int_ok(commission_bp) or not 0 <= commission_bp <= 10000:
        errors["commission_bp"] = [_l("Between 0 and 10000 basis points (100 %).")]
    today = today_shanghai()
    valid_from = valid_from or today
    if not isinstance(valid_to, date):
        errors["valid_to"] = [_l("Give the last day of the mandate.")]
    elif valid_to < valid_from:
        errors["valid_to"] = [_l("The mandate cannot end before it starts.")]
    elif valid_to < today:
        errors["valid_to"] = [_l("The mandate would already have ended.")]
    elif valid_to > valid_from + timedelta(days=5 * 366):
        errors["valid_to"] = [_l("A mandate lasts at most five years.")]
    scope = (scope or "").strip() or None
    if scope and len(scope) > 500:
        errors["scope"] = [_l("At most 500 characters.")]
    if errors:
        raise ValidationError(fields=errors)
    lock_rows(Organization, [actor.organization_id])
    existing = db.session.scalar(
        select(Mandate.id).where(
            Mandate.agency_org_id == agency.id,
            Mandate.client_org_id == actor.organization_id,
            Mandate.side == side,
            Mandate.status.in_(("proposed", "active")),
        )
    )
    if existing is not None:
        raise Conflict(
            _l("This agency already has (or is considering) your mandate; revoke it first to change it."),
            code="mandate_exists",
        )
    mandate = Mandate(
        agency_org_id=agency.id,
        client_org_id=actor.organization_id,
        side=side,
        commission_bp=commission_bp,
        valid_from=valid_from,
        valid_to=valid_to,
        scope=scope,
        status=MandateStatus.PROPOSED.value,
        created_by_id=actor.id,
    )
    db.session.add(mandate)
    db.session.flush()
    record_audit(
        "mandate.propose",
        mandate,
        actor=actor,
        to_state=mandate.status,
        data={"side": side, "commission_bp": commission_bp},
    )
    for user in _members(agency.id, "agency"):
        notify(
            user,
            "mandate.proposed",
            N_("%(client)s asks your agency to broker for it (commission %(pct)s %%)."),
            params={"client": actor.organization.name, "pct": f"{commission_bp / 100:.2f}"},
            link=_link("offers.mandates"),
        )
    return mandate


def _mandate_transition(mandate: Mandate, dst: MandateStatus, action: str, *, actor) -> None:
    src, _ = transition(mandate, dst)
    mandate.decided_by_id = actor.id
    mandate.decided_at = utcnow()
    if dst == MandateStatus.REVOKED:
        mandate.ended_at = utcnow()
    record_audit(action, mandate, actor=actor, from_state=src.value, to_state=dst.value)


def accept_mandate(mandate: Mandate, *, actor: User) -> Mandate:
    lock(mandate)
    if not (permissions.can_view_mandate(actor, mandate) and actor.acts_as("agency")):
        raise PermissionDenied()
    if mandate.valid_to < today_shanghai():
        raise Conflict(_l("This mandate has already ended; the client must give a new one."))
    _mandate_transition(mandate, MandateStatus.ACTIVE, "mandate.accept", actor=actor)
    _notify_client(mandate, N_("%(agency)s accepted your mandate."))
    return mandate


def decline_mandate(mandate: Mandate, *, actor: User) -> Mandate:
    lock(mandate)
    if not (permissions.can_view_mandate(actor, mandate) and actor.acts_as("agency")):
        raise PermissionDenied()
    _mandate_transition(mandate, MandateStatus.DECLINED, "mandate.decline", actor=actor)
    _notify_client(mandate, N_("%(agency)s declined your mandate."))
    return mandate


def revoke_mandate(mandate: Mandate, *, actor: User) -> Mandate:
    """The client (or, once active, the agency) ends the mandate. Offers already brokered
    keep naming the agency; it can no longer act on them."""
    lock(mandate)
    if not permissions.can_view_mandate(actor, mandate):
        raise NotFound()
    if mandate.status in ("proposed", "active") and not permissions.can_revoke_mandate(actor, mandate):
        raise PermissionDenied()
    _mandate_transition(mandate, MandateStatus.REVOKED, "mandate.revoke", actor=actor)
    return mandate


def _notify_client(mandate: Mandate, message_id: str) -> None:
    role = mandate.side
    for user in _members(mandate.client_org_id, role):
        notify(
            user,
            "mandate.decided",
            message_id,
            params={"agency": mandate.agency.name},
            link=_link("offers.mandates"),
        )


# --- making and answering offers ---------------------------------------------------------------


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


def _author_org_id(offer: Offer, side: str, actor) -> int:
    """The organization writing for a side: the party itself, or its agency."""
    party = offer.buyer_org_id if side == "buyer" else offer.seller_org_id
    return party if actor.organization_id == party else actor.organization_id


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
        client = db.session.get(Organization, client_org_id) if _int_ok(client_org_id) else None
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
    data = check_terms(listing, terms)
    expires_on = check_expiry(expires_on)
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE_CHARS:
        raise ValidationError(fields={"message": [_l("At most %(n)s characters.", n=MAX_MESSAGE_CHARS)]})
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
    _add_version(offer, data, side="buyer", author_org_id=_author_org_id(offer, "buyer", actor), actor=actor)
    if message:
        _add_message(offer, message, side="buyer", actor=actor)
    record_audit(
        "offer.make",
        offer,
        actor=actor,
        to_state=offer.status,
        data={"terms": _terms_of(data), "anonymous": offer.anonymous, "expires_on": expires_on.isoformat()},
    )
    _notify_sides(
        offer,
        "offer.made",
        N_("A new offer on your listing %(title)s (offer %(offer)s)."),
        actor=actor,
        sides=("seller",),
    )
    if buyer_agency_id:
        _notify_sides(
            offer, "offer.made", N_("Your agency made an offer for you on %(title)s."), actor=actor,
            sides=("buyer",),
        )  # fmt: skip
    return offer


def _terms_of(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k == "deal_kind" or k in TERMS_FIELDS[data["deal_kind"]]}


def expire_if_due(offer: Offer) -> bool:
    """Mark a live offer past its date as expired (lazily, on read). True when it changed."""
    if offer.status not in LIVE_STATES or not offer.is_past_expiry:
        return False
    lock(offer)  # decided again on what is committed: it may have been accepted meanwhile
    if offer.status not in LIVE_STATES or not offer.is_past_expiry:
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
    _notify_sides(offer, "offer.expired", N_("The offer on %(title)s expired."), actor=None)
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


def _side_for(offer: Offer, actor, action: str) -> str:
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
    side = _side_for(offer, actor, "counter")
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
        offer, data, side=side, author_org_id=_author_org_id(offer, side, actor), actor=actor
    )
    record_audit(
        "offer.counter",
        offer,
        actor=actor,
        from_state=src.value,
        to_state=dst.value,
        data={"version": version.number, "side": side, "terms": _terms_of(data)},
    )
    _notify_sides(
        offer,
        "offer.countered",
        N_("A counter-offer on %(title)s (offer %(offer)s): it is your turn."),
        actor=actor,
        sides=(other_side(side),),
    )
    return version


def reject_offer(offer: Offer, *, actor: User) -> Offer:
    lock(offer)
    _side_for(offer, actor, "reject")
    _finish(offer, OfferStatus.REJECTED, "offer.reject", actor=actor)
    _notify_sides(offer, "offer.rejected", N_("The offer on %(title)s was rejected."), actor=actor)
    return offer


def withdraw_offer(offer: Offer, *, actor: User) -> Offer:
    """The buyer side takes its offer back (allowed until acceptance, also while waiting)."""
    lock(offer)
    _side_for(offer, actor, "withdraw")
    _finish(offer, OfferStatus.WITHDRAWN, "offer.withdraw", actor=actor)
    _notify_sides(offer, "offer.withdrawn", N_("The offer on %(title)s was withdrawn."), actor=actor)
    return offer


def _finish(offer: Offer, dst: OfferStatus, action: str, *, actor, data: dict | None = None) -> None:
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
    _notify_sides(
        offer,
        "offer.revealed",
        N_("The buyer of offer %(offer)s on %(title)s revealed its name."),
        actor=actor,
        sides=("seller",),
    )
    return offer


def _agencies_of(offer: Offer) -> list[dict[str, Any]]:
    out = []
    for side in ("buyer", "seller"):
        mandate = offer.buyer_mandate if side == "buyer" else offer.seller_mandate
        if mandate is not None:
            out.append(
                {
                    "side": side,
                    "agency_org_id": mandate.agency_org_id,
                    "mandate_id": mandate.id,
                    "commission_bp": mandate.commission_bp,
                }
            )
    return out


def accepted_deal_terms(offer: Offer) -> dict[str, Any]:
    """The agreed terms handed to the contract: the latest version's terms object, the
    offer's reference, and the brokering agency with its commission (payments read
    ``agency_commission_bp``). The buyer's agency brokered the deal when there is one."""
    latest = offer.latest
    terms: dict[str, Any] = latest.terms()
    agencies = _agencies_of(offer)
    primary = agencies[0] if agencies else None
    terms.update(
        {
            "offer_id": offer.id,
            "offer_version": latest.number,
            "listing_id": offer.listing_id,
            "agency_org_id": primary["agency_org_id"] if primary else None,
            "agency_commission_bp": primary["commission_bp"] if primary else None,
            "agencies": agencies,
        }
    )
    return terms


def deal_needs_consent_of(version) -> bool:
    from ..listings.services import deal_needs_consent

    return deal_needs_consent(version.deal_kind, version.license_type)


def accept_offer(offer: Offer, *, actor: User):
    """The side whose turn it is accepts the latest terms. Decided in the database:
    the offer row, then the assets (id order), are locked before the exclusivity rule
    is checked; then the contract draft is created, the deal committed on each asset,
    and the listing closed for a transfer, equity or exclusive deal. Returns the contract."""
    from ..contracts.services import create_draft_from_deal
    from ..ip.deals import evaluate
    from ..ip.models import IpAsset
    from ..ip.services import DealExcluded, record_committed_deal
    from ..listings.services import close_listing

    listing = offer.listing
    assets = sorted(listing.assets, key=lambda a: a.id)
    # Lock order: assets (by id), then the offer, then the listing - the same in every
    # acceptance, so two of them never wait on each other in a cycle.
    lock_rows(IpAsset, (a.id for a in assets))
    lock(offer)
    lock(listing)
    if permissions.can_view_offer(actor, offer) and offer.status != "accepted" and not listing.is_published:
        raise DealConflict(
            _l("The listing is %(status)s: no deal can be accepted on it any more.",
               status=listing.status_label.lower()),
            code="listing_not_published",
        )  # fmt: skip
    side = _side_for(offer, actor, "accept")
    latest = offer.latest
    data = {name: getattr(latest, name) for name in ALL_TERMS_FIELDS}
    # A transfer, equity or exclusive/sole licence of a co-owned asset: every co-owner
    # consented to the listing (checked under the listing's lock, which a withdrawal takes).
    from ..listings.services import check_consents, consent_org_ids

    check_consents(listing, deal_kind=latest.deal_kind, license_type=latest.license_type)
    today = today_shanghai()
    deal = deal_terms_for_check(data, start=today)
    from ..ip.deals import current_encumbrances

    reasons = []
    for asset in assets:
        check = evaluate(asset, deal, on=today, encumbrances=current_encumbrances(asset))
        if not check.ok:
            reasons.append(f"{asset.title}: {check.message}")
    if reasons:
        raise DealConflict(
            _l("Another deal on this technology was accepted first: %(why)s", why=" ".join(reasons))
        )
    terms = accepted_deal_terms(offer)
    if deal_needs_consent_of(latest):
        # The contract names the co-owners that consented (its registration moves the asset).
        terms["co_owner_consents"] = consent_org_ids(listing)
    agency_org = db.session.get(Organization, terms["agency_org_id"]) if terms["agency_org_id"] else None
    contract = create_draft_from_deal(
        seller_org=offer.seller_org,
        buyer_org=offer.buyer_org,
        agency_org=agency_org,
        assets=assets,
        deal_terms=terms,
        title=(listing.title + _TITLE_SUFFIX[latest.deal_kind])[:300],
        source="offer",
        source_ref=offer.reference,
        actor=actor,
    )
    try:
        for asset in assets:
            record_committed_deal(
                asset,
                deal,
                reference=offer.reference,
                actor=actor,
                counterparty=offer.buyer_org.name,
                on=today,
            )
    except DealExcluded as exc:
        raise DealConflict(exc.message) from None
    offer.contract_id = contract.id
    if offer.buyer_hidden:
        offer.revealed_at = utcnow()
    _finish(
        offer,
        OfferStatus.ACCEPTED,
        "offer.accept",
        actor=actor,
        data={"version": latest.number, "side": side, "contract_id": contract.id},
    )
    offered_licence = listing.terms_for("license")
    exclusive_listing = offered_licence is not None and offered_licence.license_type == "exclusive"
    if deal.takes_whole_right or exclusive_listing or latest.license_type == "exclusive":
        close_listing(listing, reason=f"{offer.reference} contract:{contract.id}", actor=actor)
        _close_other_offers(offer, actor=actor)
    _notify_sides(
        offer,
        "offer.accepted",
        N_("The offer on %(title)s was accepted: a contract draft is ready."),
        actor=actor,
    )
    return contract


def _close_other_offers(offer: Offer, *, actor) -> None:
    """The listing closed: its other live negotiations end (rejected, with the reason)."""
    others = db.session.scalars(
        select(Offer)
        .where(
            Offer.listing_id == offer.listing_id, Offer.id != offer.id, Offer.status.in_(tuple(LIVE_STATES))
        )
        .order_by(Offer.id)
        .with_for_update(of=Offer)
    ).all()
    for other in others:
        _finish(other, OfferStatus.REJECTED, "offer.listing_closed", actor=actor, data={"by_offer": offer.id})
        _notify_sides(
            other,
            "offer.rejected",
            N_("The listing %(title)s closed after another deal: your negotiation ended."),
            actor=actor,
        )


# --- messages ------------------------------------------------------------------------------------


def _add_message(offer: Offer, body: str, *, side: str, actor) -> OfferMessage:
    message = OfferMessage(
        offer_id=offer.id,
        author_side=side,
        author_org_id=_author_org_id(offer, side, actor),
        author_id=getattr(actor, "id", None),
        body=body,
    )
    db.session.add(message)
    db.session.flush()
    return message


def post_message(
    offer: Offer, body: str | None, *, files: Iterable[FileStorage] = (), actor: User
) -> OfferMessage:
    """A message in the offer's thread, with attachments (PDF, PNG, JPEG; checked like every upload)."""
    if not permissions.can_view_offer(actor, offer):
        raise NotFound()
    side = permissions.acting_side(actor, offer)
    if side is None:
        raise PermissionDenied(_l("Your agency's mandate for this client is not in force."))
    body = (body or "").strip()
    files = [f for f in files if f is not None and f.filename]
    if not body and not files:
        raise ValidationError(fields={"body": [_l("Write a message or attach a file.")]})
    if len(body) > MAX_MESSAGE_CHARS:
        raise ValidationError(fields={"body": [_l("At most %(n)s characters.", n=MAX_MESSAGE_CHARS)]})
    if len(files) > MAX_FILES_PER_MESSAGE:
        raise ValidationError(
            fields={"files": [_l("At most %(n)s files per message.", n=MAX_FILES_PER_MESSAGE)]}
        )
    message = _add_message(offer, body, side=side, actor=actor)
    for file in files:
        save_upload(file, subject=message, actor=actor, purpose=MESSAGE_ATTACHMENT, field="files")
    offer.updated_at = utcnow()
    _notify_sides(
        offer,
        "offer.message",
        N_("A new message about %(title)s (offer %(offer)s)."),
        actor=actor,
        sides=(other_side(side),),
    )
    return message


def thread(offer: Offer) -> list[OfferMessage]:
    return list(
        db.session.scalars(
            select(OfferMessage).where(OfferMessage.offer_id == offer.id).order_by(OfferMessage.id)
        )
    )


def author_display(offer: Offer, org_id: int, side: str, viewer) -> str:
    """Who wrote a version or message, as the viewer may see it."""
    if side == "buyer" and org_id == offer.buyer_org_id and not permissions.sees_buyer_name(viewer, offer):
        return anonymous_label(offer)
    org = db.session.get(Organization, org_id)
    return org.name if org is not None else ""
