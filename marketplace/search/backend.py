"""Search backend interface: plain data classes and a Protocol.

Pure Python (no Flask, no database). The web app converts published listings
into :class:`ListingDoc` objects, hands them to a backend (see
``whoosh_backend.WhooshBackend``) and renders :class:`SearchResult` objects.

Filters and facets use these keys (:data:`FACET_KEYS`): ``industry``,
``deal_kind``, ``ip_kind``, ``source_kind``, ``region``, ``maturity``, ``trl``
(the technology readiness level "1".."9" an evaluation body gave the listing's
assets; absent when not evaluated).
Several values for one key are OR-ed, different keys are AND-ed. Facet counts
for a key are computed with the text query and every *other* key's filter
applied, but not that key's own filter (multi-select faceting), so a user can
tick a second value of the same facet and see how many results it would add.
The result also carries a ``price_range`` facet over the fixed buckets in
:data:`PRICE_BUCKETS`; it is computed like the others (all facet filters
applied, the min/max price filter not applied).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

#: Filter/facet keys, in display order.
FACET_KEYS: tuple[str, ...] = (
    "industry",
    "deal_kind",
    "ip_kind",
    "source_kind",
    "region",
    "maturity",
    "trl",
)

#: Name of the extra facet over price buckets.
PRICE_FACET = "price_range"

#: Price bucket keys (fen = 1/100 yuan; 10万元 = 10,000,000 fen).
PRICE_NEGOTIABLE = "negotiable"  #: no asking price (面议)
PRICE_LT_100K = "lt_100k"  #: < 10万元
PRICE_100K_1M = "100k_1m"  #: 10万元 <= price < 100万元
PRICE_1M_10M = "1m_10m"  #: 100万元 <= price < 1000万元
PRICE_GTE_10M = "gte_10m"  #: >= 1000万元

#: Bucket keys in display order.
PRICE_BUCKETS: tuple[str, ...] = (
    PRICE_NEGOTIABLE,
    PRICE_LT_100K,
    PRICE_100K_1M,
    PRICE_1M_10M,
    PRICE_GTE_10M,
)

_YUAN_100K_FEN = 10_000_000
_YUAN_1M_FEN = 100_000_000
_YUAN_10M_FEN = 1_000_000_000

SORT_RELEVANCE = "relevance"
SORT_NEWEST = "newest"
SORT_PRICE_ASC = "price_asc"
SORT_PRICE_DESC = "price_desc"
#: Accepted sort orders. Price sorts put negotiable listings last.
SORTS: tuple[str, ...] = (SORT_RELEVANCE, SORT_NEWEST, SORT_PRICE_ASC, SORT_PRICE_DESC)

#: Upper bound for ``SearchQuery.per_page``.
MAX_PER_PAGE = 100


def price_bucket(price_fen: int | None) -> str:
    """Return the :data:`PRICE_BUCKETS` key for a price in fen (None = negotiable)."""
    if price_fen is None:
        return PRICE_NEGOTIABLE
    if price_fen < _YUAN_100K_FEN:
        return PRICE_LT_100K
    if price_fen < _YUAN_1M_FEN:
        return PRICE_100K_1M
    if price_fen < _YUAN_10M_FEN:
        return PRICE_1M_10M
    return PRICE_GTE_10M


def _int_or(value: object, default: int) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        return default


@dataclass
class ListingDoc:
    """One published listing as the search index sees it."""

    id: int
    title_zh: str
    title_en: str
    abstract_zh: str
    abstract_en: str
    keywords: list[str]
    problem: str
    industry: str
    deal_kinds: list[str]  # license / transfer / equity
    ip_kinds: list[str]
    source_kind: str  # university / research_institute / enterprise / other ...
    region: str  # 6-digit GB/T 2260 code, e.g. "230100"
    maturity: str
    price_fen: int | None  # None = negotiable
    published_at: datetime  # timezone-aware
    trl: str = ""  # "1".."9": the highest evaluated level of its assets; "" when none

    def facet_values(self) -> dict[str, list[str]]:
        """Facet key -> the values this listing has for it."""
        return {
            "industry": [self.industry] if self.industry else [],
            "deal_kind": list(self.deal_kinds),
            "ip_kind": list(self.ip_kinds),
            "source_kind": [self.source_kind] if self.source_kind else [],
            "region": [self.region] if self.region else [],
            "maturity": [self.maturity] if self.maturity else [],
            "trl": [self.trl] if self.trl else [],
        }


@dataclass
class SearchQuery:
    """What the user asked for. Out-of-range values are clamped by backends."""

    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    min_price_fen: int | None = None
    max_price_fen: int | None = None
    sort: str = SORT_RELEVANCE  # without text, relevance means newest
    page: int = 1
    per_page: int = 20

    def effective_sort(self, has_text: bool) -> str:
        """The sort actually used: unknown/empty -> relevance (text) or newest."""
        if self.sort in SORTS and (self.sort != SORT_RELEVANCE or has_text):
            return self.sort
        return SORT_RELEVANCE if has_text else SORT_NEWEST

    def clamped_page(self) -> tuple[int, int]:
        """(page >= 1, 1 <= per_page <= MAX_PER_PAGE); garbage becomes 1 / 20."""
        page, per_page = _int_or(self.page, 1), _int_or(self.per_page, 20)
        return max(page, 1), min(max(per_page, 1), MAX_PER_PAGE)


@dataclass
class Hit:
    """One result. ``highlights`` maps a field name (title_zh, title_en,
    abstract_zh, abstract_en) to an HTML snippet: the text is HTML-escaped and
    matched terms are wrapped in ``<mark>...</mark>``, so it is safe to render
    as ``Markup``. Fields without a match are absent."""

    id: int
    score: float
    highlights: dict[str, str] = field(default_factory=dict)


@dataclass
class SearchResult:
    """A page of hits, the total number of matches and the facet counts.

    ``facets`` has one dict per key of :data:`FACET_KEYS` plus
    :data:`PRICE_FACET`; each maps a value to its count (values with a zero
    count may be omitted, except price buckets, which are always all present).
    """

    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]]
    page: int
    per_page: int


@runtime_checkable
class SearchBackend(Protocol):
    """What the app needs from a search engine."""

    def upsert(self, docs: Iterable[ListingDoc]) -> int:
        """Add or replace listings (by id); return how many were written."""
        ...

    def delete(self, ids: Iterable[int]) -> int:
        """Remove listings by id; return how many were found and removed."""
        ...

    def rebuild(
        self,
        docs: Iterable[ListingDoc],
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Build a fresh index from ``docs`` and swap it in atomically.

        Readers see the old index until the new one is complete.
        ``progress`` is called now and then with the number of documents
        processed so far. Returns the number of documents indexed.
        """
        ...

    def search(self, query: SearchQuery) -> SearchResult:
        """Run a query. Never raises on user text."""
        ...

    def count(self) -> int:
        """Number of listings in the index."""
        ...
