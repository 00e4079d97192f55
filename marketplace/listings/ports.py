"""What listings ask of the negotiation domain above them (offers imports
listings, never the other way round). ``create_app`` plugs the answers."""

from __future__ import annotations

from collections.abc import Callable

from ..core.wiring import Port

#: Whether an offer on the listing (by id) was accepted: a co-owner's consent is
#: then bound to the deal. No offers known without the negotiation domain.
offer_accepted_on: Port[Callable[[int], bool]] = Port(
    "listings.offer_accepted_on", default=lambda listing_id: False
)
