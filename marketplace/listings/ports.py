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

#: The technology readiness level (1-9) of each listing, by listing id, from a map
#: listing id -> its asset ids (the evaluations domain above answers; None: not evaluated).
trl_by_listing: Port[Callable[[dict[int, list[int]]], dict[int, int | None]]] = Port(
    "listings.trl_by_listing", default=lambda listing_assets: {}
)
