"""Listings follow the IP registry's owners: a listing's seller organization must own
a share of every asset it offers.

When an asset's owners change (``marketplace.ip.signals.ownership_changed``), each
listing of an organization that lost its share and still open (draft, submitted,
returned or published) is withdrawn at once, in the same transaction: it leaves the
search index and no offer can be made on it. The registry tells the organization's
members; a listing that is withdrawn cannot come back, so the seller lists again
with the assets it still owns.

``register()`` connects the receiver; ``create_app`` calls it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..core.models import record_audit
from ..core.timeutil import utcnow
from ..extensions import db
from ..ip.signals import ownership_changed
from ..search.outbox import OP_DELETE, enqueue
from .models import Listing, ListingAsset
from .states import LISTING_MACHINE, ListingStatus

#: States a listing can be withdrawn from (every state but the final ones).
OPEN_STATES = tuple(s.value for s in ListingStatus if LISTING_MACHINE.allowed(s, ListingStatus.WITHDRAWN))


def withdraw_listings_of_former_owners(
    asset: Any, *, lost_org_ids: list[int], actor: Any = None, cause: str = "", **_ignored: Any
) -> list[Listing]:
    """Withdraw the open listings of `lost_org_ids` that include `asset` (under their row locks)."""
    if not lost_org_ids:
        return []
    listings = list(
        db.session.scalars(
            select(Listing)
            .where(
                Listing.org_id.in_(lost_org_ids),
                Listing.status.in_(OPEN_STATES),
                Listing.id.in_(select(ListingAsset.listing_id).where(ListingAsset.asset_id == asset.id)),
            )
            .order_by(Listing.id)
            .with_for_update(of=Listing)
            .execution_options(populate_existing=True)
        )
    )
    for listing in listings:
        was_published = listing.is_published
        src, dst = LISTING_MACHINE.apply(listing, ListingStatus.WITHDRAWN)
        listing.ended_at = utcnow()
        listing.end_reason = f"ownership_changed asset:{asset.id}"
        record_audit(
            "listing.withdraw",
            listing,
            actor=actor,
            from_state=src.value,
            to_state=dst.value,
            data={"reason": "ownership_changed", "asset_id": asset.id, "cause": cause},
        )
        if was_published:
            enqueue(listing.id, OP_DELETE)
    db.session.flush()
    return listings


def _receiver(sender: Any, **kwargs: Any) -> None:
    withdraw_listings_of_former_owners(sender, **kwargs)


def register() -> None:
    """Subscribe to the registry's ownership changes (idempotent)."""
    ownership_changed.connect(_receiver)
