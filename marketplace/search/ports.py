"""What search asks of the listings it indexes (search sits below listings).

Each port has an honest default for an app that plugs no listings: nothing is
published, no filter value of a listing fact is known. ``create_app`` plugs the
answers of ``marketplace.listings.search_docs``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..core.wiring import Port
from .backend import ListingDoc

#: The documents of those listings (by id) that are published now.
published_docs: Port[Callable[[Iterable[int]], list[ListingDoc]]] = Port(
    "search.published_docs", default=lambda ids: []
)
#: Every published listing's document, in id order, read `batch` at a time.
iter_published_docs: Port[Callable[[int], Iterator[ListingDoc]]] = Port(
    "search.iter_published_docs", default=lambda batch: iter(())
)
#: How many listings are published.
published_count: Port[Callable[[], int]] = Port("search.published_count", default=lambda: 0)
#: The listings among those ids that are published now, by id (the rows behind the hits);
#: called as published_listings(ids, with_assets=bool).
published_listings: Port[Callable[..., dict[int, Any]]] = Port(
    "search.published_listings", default=lambda ids, with_assets=True: {}
)
#: The accepted values of the filters that are listing facts (deal_kind, ip_kind, maturity).
listing_facet_values: Port[Callable[[], dict[str, tuple[str, ...]]]] = Port(
    "search.listing_facet_values", default=lambda: {}
)
