"""What the search index holds of listings: the document of a published listing.

The search domain sits below listings and imports none of its code: it asks
through the ports of ``marketplace.search.ports``, which ``create_app`` plugs
with the functions here. The database is the source of truth; only published
listings have a document (the others leave the index).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import Select, func, select
from sqlalchemy.orm import lazyload, selectinload

from ..extensions import db
from ..ip.models import IpAsset
from ..search.backend import ListingDoc
from . import ports
from .models import Listing, ListingAsset
from .states import DEAL_KIND_LABELS, IP_KIND_LABELS, MATURITIES, ListingStatus


def listing_doc(listing: Listing, trl: int | None = None) -> ListingDoc:
    """A published listing as the index sees it (`trl`: its evaluated readiness level, if any)."""
    return ListingDoc(
        id=listing.id,
        title_zh=listing.title_zh or "",
        title_en=listing.title_en or "",
        abstract_zh=listing.abstract_zh or "",
        abstract_en=listing.abstract_en or "",
        keywords=list(listing.keywords or []),
        problem=listing.problem or "",
        industry=listing.industry or "",
        deal_kinds=list(listing.deal_kinds),
        ip_kinds=list(listing.ip_kinds),
        source_kind=listing.source_kind or "",
        region=listing.region_code or "",
        maturity=listing.maturity or "",
        price_fen=listing.price_fen,
        published_at=listing.published_at,
        trl=str(trl) if trl else "",
    )


def _docs(listings: list[Listing]) -> list[ListingDoc]:
    """Documents of these listings, their TRLs asked in one question (see ports.trl_by_listing)."""
    trls = ports.trl_by_listing({listing.id: listing.asset_ids for listing in listings})
    return [listing_doc(listing, trls.get(listing.id)) for listing in listings]


def _published() -> Select:
    """Published listings with what their documents read (assets, terms) loaded in bulk."""
    return (
        select(Listing)
        .where(Listing.status == ListingStatus.PUBLISHED.value)
        .options(
            selectinload(Listing.asset_links).joinedload(ListingAsset.asset), selectinload(Listing.terms)
        )
    )


def published_docs(ids: Iterable[int]) -> list[ListingDoc]:
    """Documents of those listings that are published now (the others must leave the index)."""
    ids = list(ids)
    if not ids:
        return []
    return _docs(list(db.session.scalars(_published().where(Listing.id.in_(ids)))))


def iter_published_docs(batch: int = 1000) -> Iterator[ListingDoc]:
    """Every published listing's document, in id order, read in batches (a rebuild)."""
    last = 0
    while True:
        rows = list(
            db.session.scalars(_published().where(Listing.id > last).order_by(Listing.id).limit(batch))
        )
        if not rows:
            return
        yield from _docs(rows)
        last = rows[-1].id
        db.session.expunge_all()


def published_count() -> int:
    """How many listings are published (the rebuild's progress bar)."""
    stmt = select(func.count()).select_from(Listing).where(Listing.status == ListingStatus.PUBLISHED.value)
    return db.session.scalar(stmt) or 0


def published_listings(ids: Iterable[int], *, with_assets: bool = True) -> dict[int, Listing]:
    """The listings among `ids` that are published now, by id (search results are
    checked against them: the index lags behind a commit until it is drained).

    Each comes with its organization and terms (what a result card shows); with
    `with_assets`, also its assets and their owners and its consents (the API's
    results carry them), not the assets' chains of title or encumbrances."""
    ids = list(ids)
    if not ids:
        return {}
    if with_assets:
        options = (
            selectinload(Listing.asset_links)
            .joinedload(ListingAsset.asset)
            .options(lazyload(IpAsset.title_events), lazyload(IpAsset.encumbrances)),
        )
    else:
        options = (lazyload(Listing.asset_links), lazyload(Listing.consents))
    stmt = select(Listing).where(Listing.id.in_(ids), Listing.status == ListingStatus.PUBLISHED.value)
    return {listing.id: listing for listing in db.session.scalars(stmt.options(*options))}


def facet_values() -> dict[str, tuple[str, ...]]:
    """The values of the filters that are listing facts: deal kind, IP kind, maturity."""
    return {
        "deal_kind": tuple(DEAL_KIND_LABELS),
        "ip_kind": tuple(IP_KIND_LABELS),
        "maturity": tuple(MATURITIES),
    }
