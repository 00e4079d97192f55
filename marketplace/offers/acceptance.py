"""Accepting an offer: the deal decided in the database.

The assets (id order), the offer and the listing are locked before the
exclusivity rule is checked (SELECT ... FOR UPDATE on PostgreSQL; SQLite has
one writer); then the contract draft is created, the deal committed on each
asset, and the listing closed for a deal that takes the whole right.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.models import Organization, User
from ..core.locking import lock, lock_rows
from ..core.timeutil import today_shanghai, utcnow
from ..extensions import db
from ..notifications.services import N_
from . import permissions
from .models import ALL_TERMS_FIELDS, Offer
from .negotiation import DealConflict, acting_side_for, deal_terms_for_check, finish_offer
from .sides import notify_sides
from .states import (
    LIVE_STATES,
    OfferStatus,
)

#: Contract titles name the deal as registration authorities expect (许可 / 转让 / 作价入股).
_TITLE_SUFFIX = {"license": "技术许可合同", "transfer": "技术转让合同", "equity": "技术作价入股合同"}


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
    side = acting_side_for(offer, actor, "accept")
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
    finish_offer(
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
    notify_sides(
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
        finish_offer(
            other, OfferStatus.REJECTED, "offer.listing_closed", actor=actor, data={"by_offer": offer.id}
        )
        notify_sides(
            other,
            "offer.rejected",
            N_("The listing %(title)s closed after another deal: your negotiation ended."),
            actor=actor,
        )
